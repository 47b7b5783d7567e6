/// TierClient: what the device app (and the experiment runner) uses to talk to tiers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "proto/edgetier_control.grpc.pb.h"
#include "proto/grpc_predict_v2.grpc.pb.h"
#include "strategy/task.h"
#include "tier/breakdown.h"
#include "tier/channel.h"
#include "tier/shaper.h"

namespace edgetier::tier {

struct TierClientOptions {
  int64_t max_message_bytes = kDefaultMaxMessageBytes;
  /// User-space emulation of the client's own link to the tier (when the kernel cannot shape).
  LinkEmulationSpec link;
  /// TLS to TCP addresses and the bearer tokens sent with control and inference calls.
  ClientSecurity security;
};

struct InferResult {
  std::vector<Tensor> outputs;
  RequestBreakdown breakdown;
  std::string model_name;
  std::string id;
};

/// One connection to one tier (its inference and control services). Thread-safe. The channel
/// connects lazily, so a client to a tier that is not up yet is fine; calls fail with
/// UNAVAILABLE naming the address until it is.
class TierClient {
 public:
  static Result<std::unique_ptr<TierClient>> connect(const std::string& address,
                                                     const TierClientOptions& options = {});
  const std::string& address() const { return address_; }

  /// Polls ServerLive until it answers or `timeout_ms` passes.
  Status wait_until_live(int64_t timeout_ms);

  /// Sends the encoded image (JPEG/PNG bytes, one BYTES element) for `model_name`; the result
  /// holds the outputs of the last part and the per-hop breakdown. With `answer_as`, the tier
  /// that answers shapes the outputs for that task (tier/response.h), else they come raw.
  Result<InferResult> infer_image(const std::string& model_name, std::string_view encoded,
                                  int64_t deadline_ms, std::optional<Task> answer_as = {});
  /// Sends tensors (for parts that take tensors).
  Result<InferResult> infer(const std::string& model_name, const std::vector<Tensor>& inputs,
                            int64_t deadline_ms);
  /// Sends a prepared request (tests, other KServe payloads); an empty id gets a fresh one.
  /// Pass it with std::move to avoid copying the payload.
  Result<InferResult> infer_request(inference::ModelInferRequest request, int64_t deadline_ms);

  Result<inference::ModelMetadataResponse> model_metadata(const std::string& model_name,
                                                          int64_t deadline_ms = 5000);
  Result<bool> model_ready(const std::string& model_name, int64_t deadline_ms = 5000);

  /// Health, limits and usage; next hops are probed within probe_timeout_ms (0: the tier's
  /// default of 300 ms; < 0: not probed).
  Result<control::HealthResponse> health(int64_t probe_timeout_ms = 300,
                                         int64_t deadline_ms = 5000);
  Result<control::LoadModelResponse> load_model(const control::LoadModelRequest& request,
                                                int64_t deadline_ms = 120000);
  /// Unloads `model_name` (every model when empty); returns how many entries went away.
  Result<int> unload(const std::string& model_name, int64_t deadline_ms = 5000);
  Status shutdown(int64_t deadline_ms = 5000);
  /// Makes the tier measure the link to request.target() (its next hop) from its side.
  Result<control::ProbeLinkResponse> probe_link(const control::ProbeLinkRequest& request,
                                                int64_t deadline_ms = 60000);

 private:
  TierClient() = default;
  /// infer_request, with the time since `built_from_ns` (building the request) counted in the
  /// end-to-end time and the first link's transfer.
  Result<InferResult> infer_built(inference::ModelInferRequest request, int64_t built_from_ns,
                                  int64_t deadline_ms);
  /// Converts a failed call: errors a tier produced keep their code and message; a tier that
  /// did not answer becomes UNAVAILABLE/DEADLINE_EXCEEDED naming this client's address.
  /// One unary RPC with a deadline: `(stub->*method)(context, request, response)`; errors say
  /// which tier and how long the call had.
  template <typename Stub, typename Request, typename Response>
  Status unary(Stub* stub,
               grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
               const Request& request, Response* response, int64_t deadline_ms,
               const std::string& token) {
    grpc::ClientContext context;
    context.set_deadline(deadline_after_ms(deadline_ms));
    add_bearer_token(&context, token);
    const grpc::Status status = (stub->*method)(&context, request, response);
    if (!status.ok()) return call_error(status, context, deadline_ms);
    return ok_status();
  }
  Status call_error(const grpc::Status& status, const grpc::ClientContext& context,
                    int64_t deadline_ms) const;

  std::string address_;
  TierClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> inference_;
  std::unique_ptr<control::TierControl::Stub> control_;
  std::unique_ptr<LinkShaper> shaper_;
  std::atomic<int64_t> next_id_{1};
};

/// A HealthResponse as JSON (field names as in the .proto).
nlohmann::json health_to_json(const control::HealthResponse& health);
/// What the host a tier runs on is (CPU model and count, memory, cgroup limits, ONNX Runtime,
/// execution provider, edgetier and protocol versions): the store keeps it per tier and run.
nlohmann::json host_facts_json(const control::HealthResponse& health);

}  // namespace edgetier::tier
