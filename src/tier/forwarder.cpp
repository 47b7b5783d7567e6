/// Forwarding to the next hop with deadlines and user-space link emulation.
#include "tier/forwarder.h"

#include "core/clock.h"
#include "core/log.h"
#include "tier/channel.h"

namespace edgetier::tier {

Forwarder::Forwarder(ForwardTarget target, std::shared_ptr<grpc::Channel> channel)
    : target_(std::move(target)),
      stub_(inference::GRPCInferenceService::NewStub(std::move(channel))),
      shaper_(target_.link) {
  if (target_.deadline_ms <= 0) target_.deadline_ms = kDefaultForwardDeadlineMs;
}

std::string Forwarder::describe() const {
  return "next hop '" + (target_.hop_name.empty() ? std::string("?") : target_.hop_name) + "' (" +
         target_.address + ")";
}

void Forwarder::record(bool reachable, const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = reachable ? "live" : "dead";
  if (!reachable) last_error_ = error;
}

std::string Forwarder::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

std::string Forwarder::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void Forwarder::address(inference::ModelInferRequest* request) const {
  if (target_.kserve) address_to_kserve(*target_.kserve, request);
}

Status Forwarder::infer(const inference::ModelInferRequest& given,
                        std::chrono::system_clock::time_point caller_deadline,
                        inference::ModelInferResponse* response, ForwardStats* stats,
                        std::string* origin) {
  const int64_t start_ns = monotonic_ns();
  // A relay passes the client's request on: readdress a copy for a foreign server.
  std::optional<inference::ModelInferRequest> readdressed;
  if (target_.kserve && (given.model_name() != target_.kserve->name ||
                         given.model_version() != target_.kserve->version ||
                         given.parameters_size() > 0 || given.outputs_size() > 0)) {
    readdressed = given;
    address(&*readdressed);
  }
  const inference::ModelInferRequest& request = readdressed ? *readdressed : given;
  const auto deadline = deadline_after_ms(target_.deadline_ms, caller_deadline);
  stats->bytes_out = static_cast<int64_t>(request.ByteSizeLong());
  origin->clear();

  auto held = shaper_.transmit(LinkShaper::Direction::kUp, stats->bytes_out, deadline);
  if (!held.ok()) {
    stats->forward_ns = monotonic_ns() - start_ns;
    return deadline_exceeded(describe() + ": " + held.status().message());
  }
  grpc::ClientContext context;
  context.set_deadline(deadline);
  add_bearer_token(&context, target_.security.inference_token);
  const grpc::Status status = stub_->ModelInfer(&context, request, response);
  if (!status.ok()) {
    stats->forward_ns = monotonic_ns() - start_ns;
    *origin = error_origin(context);
    if (!origin->empty()) {
      record(true, "");
      return from_grpc_status(status);  // a tier answered: pass its error through
    }
    const grpc::StatusCode code = status.error_code();
    if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::DEADLINE_EXCEEDED &&
        code != grpc::StatusCode::CANCELLED && code != grpc::StatusCode::UNKNOWN) {
      // Another KServe v2 server (e.g. Triton) answered: its code stands, named after the hop.
      record(true, "");
      *origin = target_.hop_name.empty() ? target_.address : target_.hop_name;
      return from_grpc_status(status, describe());
    }
    const bool timed_out = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    // Only the hop's own deadline says something about the hop; running out of the caller's
    // time budget does not make the next hop dead.
    const bool own_deadline = deadline < caller_deadline;
    const std::string message =
        describe() +
        (timed_out ? (own_deadline
                          ? " did not answer within " + std::to_string(target_.deadline_ms) + " ms"
                          : " did not answer before the request's deadline")
                   : " is unavailable") +
        ": " + status.error_message();
    if (!timed_out || own_deadline) record(false, message);
    return Status(timed_out ? StatusCode::kDeadlineExceeded : StatusCode::kUnavailable, message);
  }
  record(true, "");
  stats->bytes_back = static_cast<int64_t>(response->ByteSizeLong());
  if (target_.kserve) mark_kserve_hop(target_.hop_name, stats->bytes_out, response);
  held = shaper_.transmit(LinkShaper::Direction::kDown, stats->bytes_back, deadline);
  stats->forward_ns = monotonic_ns() - start_ns;
  if (!held.ok()) return deadline_exceeded(describe() + ": " + held.status().message());
  return ok_status();
}

Result<inference::ModelMetadataResponse> Forwarder::metadata(
    const inference::ModelMetadataRequest& given,
    std::chrono::system_clock::time_point deadline) {
  inference::ModelMetadataRequest request = given;
  if (target_.kserve) {
    request.set_name(target_.kserve->name);
    request.set_version(target_.kserve->version);
  }
  grpc::ClientContext context;
  context.set_deadline(deadline);
  add_bearer_token(&context, target_.security.inference_token);
  inference::ModelMetadataResponse response;
  const grpc::Status status = stub_->ModelMetadata(&context, request, &response);
  if (!status.ok()) {
    if (error_origin(context).empty()) record(false, status.error_message());
    return from_grpc_status(status, describe());
  }
  return response;
}

Status Forwarder::probe(int64_t timeout_ms) {
  grpc::ClientContext context;
  context.set_deadline(deadline_after_ms(timeout_ms));
  add_bearer_token(&context, target_.security.inference_token);
  inference::ServerLiveRequest request;
  inference::ServerLiveResponse response;
  const grpc::Status status = stub_->ServerLive(&context, request, &response);
  if (!status.ok() || !response.live()) {
    const std::string message = describe() + " failed its liveness probe: " +
                                (status.ok() ? std::string("not live") : status.error_message());
    record(false, message);
    return unavailable(message);
  }
  record(true, "");
  return ok_status();
}

}  // namespace edgetier::tier
