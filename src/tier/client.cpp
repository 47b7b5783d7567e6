/// TierClient implementation.
#include "tier/client.h"

#include <thread>

#include "core/clock.h"
#include "tier/protocol.h"

namespace edgetier::tier {

Result<std::unique_ptr<TierClient>> TierClient::connect(const std::string& address,
                                                        const TierClientOptions& options) {
  if (address.empty())
    return invalid_argument("tier address is empty; give HOST:PORT or unix:/path");
  std::unique_ptr<TierClient> client(new TierClient());
  client->address_ = address;
  client->options_ = options;
  client->channel_ = make_channel(address, options.max_message_bytes, options.security);
  client->inference_ = inference::GRPCInferenceService::NewStub(client->channel_);
  client->control_ = control::TierControl::NewStub(client->channel_);
  client->shaper_ = std::make_unique<LinkShaper>(options.link);
  return client;
}

Status TierClient::call_error(const grpc::Status& status, const grpc::ClientContext& context,
                              int64_t deadline_ms) const {
  if (!error_origin(context).empty()) return from_grpc_status(status);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return deadline_exceeded("no answer within " + std::to_string(deadline_ms) +
                             " ms from the tier at " + address_ +
                             " (or a hop behind it): " + status.error_message());
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return unavailable("tier at " + address_ + " is unavailable: " + status.error_message());
  }
  if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty()) {
    // gRPC answers this way, before any handler runs, when a message does not decode.
    return internal_error("tier at " + address_ + " could not decode the request (malformed " +
                          "protobuf, or a string field that is not valid UTF-8)");
  }
  return from_grpc_status(status, "tier at " + address_);
}

Status TierClient::wait_until_live(int64_t timeout_ms) {
  const int64_t end_ns = monotonic_ns() + timeout_ms * 1000000;
  std::string last;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(deadline_after_ms(200));
    add_bearer_token(&context, options_.security.inference_token);
    inference::ServerLiveRequest request;
    inference::ServerLiveResponse response;
    const grpc::Status status = inference_->ServerLive(&context, request, &response);
    if (status.ok() && response.live()) return ok_status();
    // A tier that answers with a refusal is up: waiting longer changes nothing.
    if (!error_origin(context).empty()) return call_error(status, context, timeout_ms);
    last = status.error_message();
    if (monotonic_ns() >= end_ns) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return unavailable("tier at " + address_ + " did not become live within " +
                     std::to_string(timeout_ms) + " ms: " + last);
}

Result<InferResult> TierClient::infer_image(const std::string& model_name, std::string_view encoded,
                                            int64_t deadline_ms, std::optional<Task> answer_as) {
  const int64_t start_ns = monotonic_ns();
  inference::ModelInferRequest request;
  request.set_model_name(model_name);
  add_image_input(&request, kImageInputName, encoded);
  if (answer_as) {
    set_string_param(request.mutable_parameters(), std::string(kResponseParam),
                     std::string(task_name(*answer_as)));
  }
  return infer_built(std::move(request), start_ns, deadline_ms);
}

Result<InferResult> TierClient::infer(const std::string& model_name,
                                      const std::vector<Tensor>& inputs, int64_t deadline_ms) {
  const int64_t start_ns = monotonic_ns();
  inference::ModelInferRequest request;
  request.set_model_name(model_name);
  for (const Tensor& t : inputs) add_raw_input(&request, t);
  return infer_built(std::move(request), start_ns, deadline_ms);
}

Result<InferResult> TierClient::infer_built(inference::ModelInferRequest request,
                                            int64_t built_from_ns, int64_t deadline_ms) {
  auto result = infer_request(std::move(request), deadline_ms);
  if (result.ok()) {
    // The breakdown's end-to-end time includes building the request.
    const int64_t built_ns = monotonic_ns() - built_from_ns - result->breakdown.end_to_end_ns;
    result->breakdown.end_to_end_ns += built_ns;
    if (!result->breakdown.links.empty()) result->breakdown.links[0].transfer_ns += built_ns;
  }
  return result;
}

Result<InferResult> TierClient::infer_request(inference::ModelInferRequest request,
                                              int64_t deadline_ms) {
  const int64_t start_ns = monotonic_ns();
  const auto deadline = deadline_after_ms(deadline_ms);
  // Ids let a tier's logs be matched with the client's rows.
  if (request.id().empty()) request.set_id(std::to_string(next_id_.fetch_add(1)));
  const auto request_bytes = static_cast<int64_t>(request.ByteSizeLong());
  auto held = shaper_->transmit(LinkShaper::Direction::kUp, request_bytes, deadline);
  if (!held.ok()) return held.status().with_context("link to " + address_);
  grpc::ClientContext context;
  context.set_deadline(deadline);
  add_bearer_token(&context, options_.security.inference_token);
  inference::ModelInferResponse response;
  const grpc::Status status = inference_->ModelInfer(&context, request, &response);
  if (!status.ok()) return call_error(status, context, deadline_ms);
  const auto response_bytes = static_cast<int64_t>(response.ByteSizeLong());
  held = shaper_->transmit(LinkShaper::Direction::kDown, response_bytes, deadline);
  if (!held.ok()) return held.status().with_context("link from " + address_);

  InferResult result;
  ASSIGN_OR_RETURN(result.outputs, tensors_from_response(response));
  result.model_name = response.model_name();
  result.id = response.id();
  result.breakdown = breakdown_from_parameters(response.parameters(), monotonic_ns() - start_ns,
                                               request_bytes, response_bytes);
  return result;
}

Result<inference::ModelMetadataResponse> TierClient::model_metadata(const std::string& model_name,
                                                                    int64_t deadline_ms) {
  inference::ModelMetadataRequest request;
  request.set_name(model_name);
  inference::ModelMetadataResponse response;
  RETURN_IF_ERROR(unary(inference_.get(), &inference::GRPCInferenceService::Stub::ModelMetadata,
                        request, &response, deadline_ms, options_.security.inference_token));
  return response;
}

Result<bool> TierClient::model_ready(const std::string& model_name, int64_t deadline_ms) {
  inference::ModelReadyRequest request;
  request.set_name(model_name);
  inference::ModelReadyResponse response;
  RETURN_IF_ERROR(unary(inference_.get(), &inference::GRPCInferenceService::Stub::ModelReady,
                        request, &response, deadline_ms, options_.security.inference_token));
  return response.ready();
}

Result<control::HealthResponse> TierClient::health(int64_t probe_timeout_ms, int64_t deadline_ms) {
  control::HealthRequest request;
  request.set_probe_timeout_ms(probe_timeout_ms);
  control::HealthResponse response;
  RETURN_IF_ERROR(
      unary(control_.get(), &control::TierControl::Stub::Health, request, &response, deadline_ms,
            options_.security.token));
  return response;
}

Result<control::LoadModelResponse> TierClient::load_model(const control::LoadModelRequest& request,
                                                          int64_t deadline_ms) {
  control::LoadModelResponse response;
  RETURN_IF_ERROR(unary(control_.get(), &control::TierControl::Stub::LoadModel, request, &response,
                        deadline_ms, options_.security.token));
  return response;
}

Result<int> TierClient::unload(const std::string& model_name, int64_t deadline_ms) {
  control::UnloadRequest request;
  request.set_model_name(model_name);
  request.set_all(model_name.empty());
  control::UnloadResponse response;
  RETURN_IF_ERROR(
      unary(control_.get(), &control::TierControl::Stub::Unload, request, &response, deadline_ms,
            options_.security.token));
  return response.unloaded();
}

Result<control::ProbeLinkResponse> TierClient::probe_link(
    const control::ProbeLinkRequest& request, int64_t deadline_ms) {
  control::ProbeLinkResponse response;
  RETURN_IF_ERROR(unary(control_.get(), &control::TierControl::Stub::ProbeLink, request,
                        &response, deadline_ms, options_.security.token));
  return response;
}

Status TierClient::shutdown(int64_t deadline_ms) {
  control::ShutdownRequest request;
  control::ShutdownResponse response;
  return unary(control_.get(), &control::TierControl::Stub::Shutdown, request, &response,
               deadline_ms, options_.security.token);
}

namespace {

nlohmann::json tensor_specs_json(
    const google::protobuf::RepeatedPtrField<control::TensorSpec>& specs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& spec : specs) {
    out.push_back({{"name", spec.name()},
                   {"datatype", spec.datatype()},
                   {"shape", std::vector<int64_t>(spec.shape().begin(), spec.shape().end())}});
  }
  return out;
}

}  // namespace

nlohmann::json health_to_json(const control::HealthResponse& h) {
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : h.models()) {
    models.push_back(
        {{"name", m.name()},
         {"version", m.version()},
         {"label", m.label()},
         {"role", m.role()},
         {"parts", std::vector<std::string>(m.parts().begin(), m.parts().end())},
         {"part_index", m.part_index()},
         {"takes_image", m.takes_image()},
         {"load_ms", m.load_ms()},
         {"warmup_ms", m.warmup_ms()},
         {"next_hop", m.next_hop()},
         {"next_hop_name", m.next_hop_name()},
         {"next_hop_state", m.next_hop_state()},
         {"next_hop_error", m.next_hop_error()},
         {"deadline_ms", m.deadline_ms()},
         {"link", {{"rate_mbit", m.link().rate_mbit()}, {"delay_ms", m.link().delay_ms()}}},
         {"requests", m.requests()},
         {"errors", m.errors()},
         {"inputs", tensor_specs_json(m.inputs())},
         {"outputs", tensor_specs_json(m.outputs())}});
  }
  const auto& c = h.cgroup();
  return {{"tier", h.tier()},
          {"state", h.state()},
          {"pid", h.pid()},
          {"version", h.version()},
          {"uptime_s", h.uptime_s()},
          {"threads", h.threads()},
          {"online_cpus", h.online_cpus()},
          {"rss_bytes", h.rss_bytes()},
          {"peak_rss_bytes", h.peak_rss_bytes()},
          {"cpu_user_s", h.cpu_user_s()},
          {"cpu_system_s", h.cpu_system_s()},
          {"cgroup",
           {{"version", c.version()},
            {"cpu_quota_cores", c.cpu_quota_cores()},
            {"memory_limit_bytes", c.memory_limit_bytes()},
            {"memory_usage_bytes", c.memory_usage_bytes()},
            {"cpu_path", c.cpu_path()},
            {"memory_path", c.memory_path()}}},
          {"requests", h.requests()},
          {"errors", h.errors()},
          {"listen", std::vector<std::string>(h.listen().begin(), h.listen().end())},
          {"max_message_bytes", h.max_message_bytes()},
          {"host", host_facts_json(h)},
          {"models", models}};
}

nlohmann::json host_facts_json(const control::HealthResponse& h) {
  const auto& c = h.cgroup();
  return {{"hostname", h.hostname()},
          {"cpu_model", h.cpu_model()},
          {"cpus", h.online_cpus()},
          {"memory_total_bytes", h.memory_total_bytes()},
          {"cgroup_version", c.version()},
          {"cgroup_cpu_quota_cores", c.cpu_quota_cores()},
          {"cgroup_memory_limit_bytes", c.memory_limit_bytes()},
          {"threads", h.threads()},
          {"onnxruntime_version", h.onnxruntime_version()},
          {"execution_provider", h.execution_provider()},
          {"edgetier_version", h.version()},
          {"protocol_version", h.protocol_version()}};
}

}  // namespace edgetier::tier
