/// Checks of a foreign KServe v2 server before it serves as a hop, and the request/response
/// rewriting a forwarder applies on the way to it.
#include "tier/kserve_hop.h"

#include <algorithm>

#include "proto/grpc_predict_v2.grpc.pb.h"
#include "tier/channel.h"
#include "tier/protocol.h"

namespace edgetier::tier {
namespace {

std::string where_of(const KserveHop& hop) {
  return "kserve tier '" + hop.tier + "' at " + hop.address;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

/// Equal ranks, and each dimension equal or unknown (-1, or a symbolic dim read as <= 0) on
/// either side.
bool shapes_match(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > 0 && b[i] > 0 && a[i] != b[i]) return false;
  }
  return true;
}

using TensorMetadata = inference::ModelMetadataResponse::TensorMetadata;

const TensorMetadata* find_tensor(
    const google::protobuf::RepeatedPtrField<TensorMetadata>& tensors, const std::string& name) {
  for (const auto& t : tensors) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

Status compare_side(const google::protobuf::RepeatedPtrField<TensorMetadata>& served,
                    const std::vector<TensorInfo>& expected, const std::string& side,
                    const std::string& where) {
  for (const TensorInfo& want : expected) {
    const TensorMetadata* got = find_tensor(served, want.name);
    if (got == nullptr) {
      std::string names;
      for (const auto& t : served) names += (names.empty() ? "" : ", ") + t.name();
      return failed_precondition(where + " has no " + side + " '" + want.name +
                                 "' that the part has " + shape_text(want.shape) + " (its " + side +
                                 "s: " + (names.empty() ? "none" : names) + ")");
    }
    const std::string want_type(kserve_datatype(want.dtype));
    const std::vector<int64_t> got_shape(got->shape().begin(), got->shape().end());
    if (got->datatype() != want_type || !shapes_match(got_shape, want.shape)) {
      return failed_precondition(where + ": " + side + " '" + want.name + "' is " +
                                 got->datatype() + " " + shape_text(got_shape) +
                                 " there but the part has " + want_type + " " +
                                 shape_text(want.shape));
    }
  }
  return ok_status();
}

std::unique_ptr<inference::GRPCInferenceService::Stub> stub_for(const KserveHop& hop) {
  return inference::GRPCInferenceService::NewStub(
      make_channel(hop.address, kDefaultMaxMessageBytes, hop.security));
}

void prepare(const KserveHop& hop, int64_t deadline_ms, grpc::ClientContext* context) {
  context->set_deadline(deadline_after_ms(deadline_ms));
  add_bearer_token(context, hop.security.inference_token.empty() ? hop.security.token
                                                                 : hop.security.inference_token);
}

/// A ModelReady or ModelMetadata request for the model.
template <typename Request>
Request for_model(const KserveModelRef& model) {
  Request request;
  request.set_name(model.name);
  request.set_version(model.version);
  return request;
}

}  // namespace

std::string KserveModelRef::describe() const {
  return "'" + name + "'" + (version.empty() ? std::string() : " version " + version);
}

Result<KserveServerFacts> check_kserve_ready(const KserveHop& hop, int64_t deadline_ms) {
  auto stub = stub_for(hop);
  const std::string where = where_of(hop);
  {
    grpc::ClientContext context;
    prepare(hop, deadline_ms, &context);
    inference::ServerReadyResponse ready;
    const grpc::Status status = stub->ServerReady(&context, {}, &ready);
    if (!status.ok()) return from_grpc_status(status, where + ": ServerReady");
    if (!ready.ready()) return unavailable(where + " is not ready (ServerReady: false)");
  }
  {
    grpc::ClientContext context;
    prepare(hop, deadline_ms, &context);
    inference::ModelReadyResponse ready;
    const grpc::Status status = stub->ModelReady(
        &context, for_model<inference::ModelReadyRequest>(hop.model), &ready);
    if (!status.ok()) return from_grpc_status(status, where + ": ModelReady");
    if (!ready.ready()) {
      return failed_precondition(where + " has no ready model " + hop.model.describe() +
                                 "; load the upper part there under that name and version, or " +
                                 "fix model/version in the tier's entry");
    }
  }
  KserveServerFacts facts;
  grpc::ClientContext context;
  prepare(hop, deadline_ms, &context);
  inference::ServerMetadataResponse metadata;
  // Optional for what follows: a server that does not say who it is still serves.
  if (stub->ServerMetadata(&context, {}, &metadata).ok()) {
    facts.name = metadata.name();
    facts.version = metadata.version();
  }
  return facts;
}

Status compare_kserve_metadata(const inference::ModelMetadataResponse& metadata,
                               const std::vector<TensorInfo>& inputs,
                               const std::vector<TensorInfo>& outputs, const std::string& where) {
  RETURN_IF_ERROR(compare_side(metadata.inputs(), inputs, "input", where));
  RETURN_IF_ERROR(compare_side(metadata.outputs(), outputs, "output", where));
  for (const auto& served : metadata.inputs()) {
    const bool given = std::any_of(inputs.begin(), inputs.end(),
                                   [&](const TensorInfo& t) { return t.name == served.name(); });
    if (!given) {
      return failed_precondition(where + " expects input '" + served.name() + "' " +
                                 shape_text({served.shape().begin(), served.shape().end()}) +
                                 ", which the part does not take (nothing would send it)");
    }
  }
  return ok_status();
}

Status check_kserve_metadata(const KserveHop& hop, const std::vector<TensorInfo>& inputs,
                             const std::vector<TensorInfo>& outputs, int64_t deadline_ms) {
  auto stub = stub_for(hop);
  const std::string where = where_of(hop) + " model " + hop.model.describe();
  grpc::ClientContext context;
  prepare(hop, deadline_ms, &context);
  inference::ModelMetadataResponse metadata;
  const grpc::Status status = stub->ModelMetadata(
      &context, for_model<inference::ModelMetadataRequest>(hop.model), &metadata);
  if (!status.ok()) return from_grpc_status(status, where + ": ModelMetadata");
  return compare_kserve_metadata(metadata, inputs, outputs, where);
}

void address_to_kserve(const KserveModelRef& model, inference::ModelInferRequest* request) {
  request->set_model_name(model.name);
  request->set_model_version(model.version);
  request->clear_parameters();
  request->clear_outputs();
}

void mark_kserve_hop(const std::string& tier, int64_t bytes_in,
                     inference::ModelInferResponse* response) {
  auto* params = response->mutable_parameters();
  params->clear();
  set_string_param(params, std::string(kHopsParam), tier);
  set_string_param(params, timing_key(tier, kRole), kKserveRole);
  set_int_param(params, timing_key(tier, kBytesIn), bytes_in);
}

}  // namespace edgetier::tier
