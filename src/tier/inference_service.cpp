/// ModelInfer on a tier: validate, decode+preprocess (first part), run, forward, add timings.
#include "tier/inference_service.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"
#include "tier/channel.h"
#include "tier/image_header.h"
#include "tier/protocol.h"
#include "tier/response.h"

namespace edgetier::tier {

struct InferenceService::HopTimes {
  int64_t queue_ns = 0;
  int64_t preprocess_ns = 0;
  int64_t compute_ns = 0;
  int64_t serialize_ns = 0;
  int64_t forward_ns = 0;
  int64_t postprocess_ns = 0;  // detections decoded (NMS included) on the answering tier
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  int64_t bytes_back = 0;
  ExitDecision exit;  // set when the segment has a dynamic exit
};

grpc::Status InferenceService::fail(grpc::ServerContext* context, const Status& status,
                                    const std::string& origin) {
  const std::string& tier = state_.options.tier_name;
  context->AddTrailingMetadata(kErrorOriginKey, origin.empty() ? tier : origin);
  // Errors this tier produced start with its name; downstream ones already name theirs.
  if (origin.empty())
    return grpc::Status(to_grpc_code(status.code()), tier + ": " + status.message());
  return to_grpc_status(status);
}

Result<std::shared_ptr<ModelEntry>> InferenceService::find(const std::string& name) const {
  auto entry = state_.registry.find(name);
  if (entry) return entry;
  const auto names = state_.registry.names();
  if (names.empty()) {
    return not_found("model '" + name.substr(0, 256) + "' is not loaded (no models are; deploy " +
                     "a variant first)");
  }
  return not_found("model '" + name.substr(0, 256) + "' is not loaded; did you mean '" +
                   nearest_name(name.substr(0, 256), names) + "'?");
}

bool InferenceService::has_version(const ModelEntry& entry, const std::string& version) {
  return version.empty() || version == entry.version;
}

Result<std::shared_ptr<ModelEntry>> InferenceService::find(const std::string& name,
                                                          const std::string& version) const {
  ASSIGN_OR_RETURN(auto entry, find(name));
  if (has_version(*entry, version)) return entry;
  return not_found("model '" + entry->name + "' has no version '" + version.substr(0, 256) +
                   "' (" + (entry->version.empty() ? std::string("it was loaded without one")
                                                   : "it has '" + entry->version + "'") +
                   "); leave model_version empty for the loaded one");
}

grpc::Status InferenceService::authorize(grpc::ServerContext* context) {
  grpc::Status status = authorize_call(*context, state_.security, CallKind::kInference,
                                       state_.options.tier_name);
  if (!status.ok()) context->AddTrailingMetadata(kErrorOriginKey, state_.options.tier_name);
  return status;
}

grpc::Status InferenceService::ServerLive(grpc::ServerContext* context,
                                          const inference::ServerLiveRequest*,
                                          inference::ServerLiveResponse* response) {
  if (grpc::Status denied = authorize(context); !denied.ok()) return denied;
  response->set_live(true);
  return grpc::Status::OK;
}

grpc::Status InferenceService::ServerReady(grpc::ServerContext* context,
                                           const inference::ServerReadyRequest*,
                                           inference::ServerReadyResponse* response) {
  if (grpc::Status denied = authorize(context); !denied.ok()) return denied;
  response->set_ready(!state_.stopping.load());
  return grpc::Status::OK;
}

grpc::Status InferenceService::ModelReady(grpc::ServerContext* context,
                                          const inference::ModelReadyRequest* request,
                                          inference::ModelReadyResponse* response) {
  if (grpc::Status denied = authorize(context); !denied.ok()) return denied;
  const auto entry = state_.registry.find(request->name());
  response->set_ready(!state_.stopping.load() && entry != nullptr &&
                      has_version(*entry, request->version()));
  return grpc::Status::OK;
}

grpc::Status InferenceService::ServerMetadata(grpc::ServerContext* context,
                                              const inference::ServerMetadataRequest*,
                                              inference::ServerMetadataResponse* response) {
  if (grpc::Status denied = authorize(context); !denied.ok()) return denied;
  response->set_name("edgetier");
  response->set_version(EDGETIER_VERSION);
  return grpc::Status::OK;
}

grpc::Status InferenceService::ModelMetadata(grpc::ServerContext* context,
                                             const inference::ModelMetadataRequest* request,
                                             inference::ModelMetadataResponse* response) {
  if (grpc::Status denied = authorize(context); !denied.ok()) return denied;
  auto entry = find(request->name(), request->version());
  if (!entry.ok()) return fail(context, entry.status(), "");
  const ModelEntry& e = **entry;
  if (e.forwarder) {
    // The chain answers with the last part's outputs; a relay answers entirely from downstream.
    const auto deadline = deadline_after_ms(e.forwarder->target().deadline_ms, context->deadline());
    auto downstream = e.forwarder->metadata(*request, deadline);
    if (!downstream.ok()) return fail(context, downstream.status(), "");
    if (e.is_relay()) {
      *response = *downstream;
      return grpc::Status::OK;
    }
    *response->mutable_outputs() = downstream->outputs();
  } else {
    for (const auto& spec : entry_outputs(e)) {
      auto* out = response->add_outputs();
      out->set_name(spec.name());
      out->set_datatype(spec.datatype());
      *out->mutable_shape() = spec.shape();
    }
  }
  response->set_name(e.name);
  if (!e.version.empty()) response->add_versions(e.version);
  response->set_platform("onnxruntime_onnx");
  for (const auto& spec : entry_inputs(e)) {
    auto* in = response->add_inputs();
    in->set_name(spec.name());
    in->set_datatype(spec.datatype());
    *in->mutable_shape() = spec.shape();
  }
  return grpc::Status::OK;
}

namespace {

/// A foreign server answers with the raw outputs; the task's response the client asked for is
/// shaped on the last tier that saw the request (nothing to do for other next hops).
Status shape_kserve_answer(const Forwarder& forwarder, const std::optional<Task>& answer_as,
                           inference::ModelInferResponse* response, int64_t* serialize_ns) {
  if (!answer_as || !forwarder.target().kserve) return ok_status();
  Stopwatch shape;
  ASSIGN_OR_RETURN(std::vector<Tensor> answer, tensors_from_response(*response));
  ASSIGN_OR_RETURN(answer, task_response(std::move(answer), *answer_as));
  response->clear_outputs();
  response->clear_raw_output_contents();
  for (const Tensor& t : answer) add_raw_output(response, t);
  *serialize_ns += shape.elapsed_ns();
  return ok_status();
}

}  // namespace

Status InferenceService::compute(const ModelEntry& e, grpc::ServerContext* context,
                                 const inference::ModelInferRequest& request,
                                 inference::ModelInferResponse* response, HopTimes* times,
                                 std::string* origin) {
  // Checked before any compute: a bad value costs the tier nothing.
  ASSIGN_OR_RETURN(std::optional<Task> answer_as, response_task(request));
  const bool detect = answer_as && *answer_as == Task::kDetect;
  // Where the image landed in the input: measured here by the first part, else sent by it.
  ASSIGN_OR_RETURN(std::optional<ImageToInput> geometry, image_geometry_from_request(request));
  std::vector<Tensor> outputs;
  {
    Stopwatch queue;
    std::unique_lock<std::mutex> slot(state_.compute_mutex);
    times->queue_ns = queue.elapsed_ns();

    std::vector<Tensor> inputs;
    if (e.preprocess) {
      Stopwatch pre;
      ASSIGN_OR_RETURN(std::string_view image,
                       image_from_request(request, e.preprocess->input_name));
      ASSIGN_OR_RETURN(ImageHeader header, read_image_header(image));
      RETURN_IF_ERROR(check_image_pixels(header, state_.options.max_image_pixels));
      // A truncated or corrupt JPEG is refused by the decode itself (runtime/jpeg_decode.h).
      ImageToInput measured;
      ASSIGN_OR_RETURN(Tensor x,
                       decode_and_preprocess(image, *e.preprocess, detect ? &measured : nullptr));
      if (detect) geometry = measured;
      inputs.push_back(std::move(x));
      times->preprocess_ns = pre.elapsed_ns();
    } else {
      Stopwatch unpack;
      ASSIGN_OR_RETURN(inputs, tensors_from_request(request, e.segment->inputs()));
      times->serialize_ns += unpack.elapsed_ns();
    }
    // Only the last tier honours requested outputs; earlier ones must hand on everything.
    std::vector<std::string> wanted;
    if (!e.forwarder) {
      std::vector<std::string> names;
      for (const auto& info : e.segment->outputs()) names.push_back(info.name);
      for (const auto& requested : request.outputs()) {
        if (std::find(names.begin(), names.end(), requested.name()) == names.end()) {
          return invalid_argument("requested output '" + requested.name().substr(0, 256) +
                                  "' does not exist; did you mean '" +
                                  nearest_name(requested.name().substr(0, 256), names) + "'?");
        }
        if (std::find(wanted.begin(), wanted.end(), requested.name()) != wanted.end()) {
          return invalid_argument("output '" + requested.name() + "' is requested twice");
        }
        wanted.push_back(requested.name());
      }
    }
    ASSIGN_OR_RETURN(outputs, e.segment->run(std::move(inputs), wanted, &times->compute_ns,
                                             e.segment->exit_policy() ? &times->exit : nullptr));
  }

  Stopwatch pack;
  // A confident early head answers here, whatever hosts the rest of the model.
  if (!e.forwarder || times->exit.exited) {
    if (answer_as) {
      DetectResponse shape_detect;
      shape_detect.outputs = e.detection ? &*e.detection : nullptr;
      shape_detect.geometry = geometry;
      shape_detect.decode_ns = &times->postprocess_ns;
      ASSIGN_OR_RETURN(outputs, task_response(std::move(outputs), *answer_as, shape_detect));
    }
    for (const Tensor& t : outputs) add_raw_output(response, t);
    times->serialize_ns += pack.elapsed_ns() - times->postprocess_ns;
    return ok_status();
  }
  inference::ModelInferRequest next;
  next.set_model_name(request.model_name());
  next.set_model_version(request.model_version());
  next.set_id(request.id());
  *next.mutable_parameters() = request.parameters();
  if (detect && geometry && e.preprocess) {
    set_string_param(next.mutable_parameters(), std::string(kImageGeometryParam),
                     image_geometry_to_param(*geometry));
  }
  *next.mutable_outputs() = request.outputs();
  for (const Tensor& t : outputs) add_raw_input(&next, t);
  e.forwarder->address(&next);
  outputs.clear();
  times->serialize_ns += pack.elapsed_ns();

  ForwardStats stats;
  Status status = e.forwarder->infer(next, context->deadline(), response, &stats, origin);
  times->forward_ns = stats.forward_ns;
  times->bytes_out = stats.bytes_out;
  times->bytes_back = stats.bytes_back;
  if (!status.ok()) return status;
  return shape_kserve_answer(*e.forwarder, answer_as, response, &times->serialize_ns);
}

grpc::Status InferenceService::ModelInfer(grpc::ServerContext* context,
                                          const inference::ModelInferRequest* request,
                                          inference::ModelInferResponse* response) {
  const int64_t start_ns = monotonic_ns();
  if (grpc::Status denied = authorize(context); !denied.ok()) return denied;
  state_.requests.fetch_add(1);
  HopTimes times;
  times.bytes_in = static_cast<int64_t>(request->ByteSizeLong());
  auto found = find(request->model_name(), request->model_version());
  if (!found.ok()) {
    state_.errors.fetch_add(1);
    return fail(context, found.status(), "");
  }
  ModelEntry& e = **found;
  e.requests.fetch_add(1);

  std::string origin;
  Status status;
  if (e.is_relay()) {
    auto answer_as = response_task(*request);
    status = answer_as.status();
    ForwardStats stats;
    if (status.ok())
      status = e.forwarder->infer(*request, context->deadline(), response, &stats, &origin);
    times.forward_ns = stats.forward_ns;
    times.bytes_out = stats.bytes_out;
    times.bytes_back = stats.bytes_back;
    if (status.ok()) status = shape_kserve_answer(*e.forwarder, *answer_as, response, &times.serialize_ns);
  } else {
    status = compute(e, context, *request, response, &times, &origin);
  }
  if (!status.ok()) {
    state_.errors.fetch_add(1);
    e.errors.fetch_add(1);
    LOG_DEBUG << state_.options.tier_name << ": ModelInfer '" << e.name
              << "' failed: " << status.to_string();
    return fail(context, status, origin);
  }

  const std::string& tier = state_.options.tier_name;
  auto* params = response->mutable_parameters();
  const std::string downstream_hops = get_string_param(*params, std::string(kHopsParam));
  set_string_param(params, std::string(kHopsParam),
                   downstream_hops.empty() ? tier : tier + "," + downstream_hops);
  set_string_param(params, timing_key(tier, kRole), e.role());
  set_int_param(params, timing_key(tier, kQueueNs), times.queue_ns);
  set_int_param(params, timing_key(tier, kPreprocessNs), times.preprocess_ns);
  set_int_param(params, timing_key(tier, kComputeNs), times.compute_ns);
  set_int_param(params, timing_key(tier, kSerializeNs), times.serialize_ns);
  set_int_param(params, timing_key(tier, kForwardNs), times.forward_ns);
  if (times.postprocess_ns > 0)
    set_int_param(params, timing_key(tier, kPostprocessNs), times.postprocess_ns);
  set_int_param(params, timing_key(tier, kBytesIn), times.bytes_in);
  set_int_param(params, timing_key(tier, kBytesOut), times.bytes_out);
  set_int_param(params, timing_key(tier, kBytesBack), times.bytes_back);
  if (e.segment && e.segment->exit_policy()) {
    // "exit" = the tier that answered from its early head; the confidence is this tier's.
    if (times.exit.exited) set_string_param(params, std::string(kExitParam), tier);
    set_string_param(params, timing_key(tier, kExitConfidence),
                     std::to_string(times.exit.confidence));
  }
  if (!e.forwarder || times.exit.exited) {
    response->set_model_name(e.name);
    response->set_model_version(e.version);
    response->set_id(request->id());
  }
  set_int_param(params, timing_key(tier, kTotalNs), monotonic_ns() - start_ns);
  return grpc::Status::OK;
}

}  // namespace edgetier::tier
