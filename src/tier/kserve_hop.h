/// A foreign KServe v2 server as the last hop (tier `kind: kserve`): the model it hosts the
/// upper part under, and the checks made before any request goes to it (readiness, metadata
/// against the part's inputs and outputs). edgetier sends it standard calls only: ServerReady,
/// ModelReady, ServerMetadata, ModelMetadata, ModelInfer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "proto/grpc_predict_v2.pb.h"
#include "tier/security.h"

namespace edgetier::tier {

/// The role a kserve hop has in the breakdown: its queue, compute and serialization are not
/// known from outside, so the forwarding tier's round trip is all that is measured of it.
inline constexpr const char* kKserveRole = "kserve";

/// The model a foreign server hosts the part under.
struct KserveModelRef {
  std::string name;
  std::string version;  // empty: the server's choice (KServe v2)
  /// "'resnet-top' version 1"
  std::string describe() const;
};

/// Where the foreign server is and how to call it.
struct KserveHop {
  std::string tier;     // the tier name it plays, for errors ("cloud")
  std::string address;  // host:port
  KserveModelRef model;
  ClientSecurity security;  // TLS; its bearer token is `inference_token`, else `token`
};

/// What the server reports about itself once ready (its ServerMetadata).
struct KserveServerFacts {
  std::string name;
  std::string version;
};

/// ServerReady, then ModelReady for the model and version, within `deadline_ms` each. Errors
/// name the tier, the address and the model.
Result<KserveServerFacts> check_kserve_ready(const KserveHop& hop, int64_t deadline_ms);

/// ModelMetadata against the part the server should host: every input and output of `inputs`
/// and `outputs` by name, datatype and shape (-1 matches any size), and no input the part does
/// not take. A mismatch is FAILED_PRECONDITION in one line naming the tensor and both shapes.
Status check_kserve_metadata(const KserveHop& hop, const std::vector<TensorInfo>& inputs,
                             const std::vector<TensorInfo>& outputs, int64_t deadline_ms);

/// The same comparison on a metadata answer already received (pure; tested directly).
Status compare_kserve_metadata(const inference::ModelMetadataResponse& metadata,
                               const std::vector<TensorInfo>& inputs,
                               const std::vector<TensorInfo>& outputs, const std::string& where);

/// Points a request at the foreign model: its name and version, and none of edgetier's own
/// request parameters or output selections (a foreign server owes them nothing).
void address_to_kserve(const KserveModelRef& model, inference::ModelInferRequest* request);

/// Records the hop in a foreign server's answer, which carries no edgetier timings: the hop list
/// ends in `tier` with role kserve and the bytes it received; its own times stay unknown (0), so
/// the link into it carries the forwarding tier's whole round trip. Its parameters are dropped.
void mark_kserve_hop(const std::string& tier, int64_t bytes_in,
                     inference::ModelInferResponse* response);

}  // namespace edgetier::tier
