/// TierControl implementation.
#include "tier/control_service.h"

#include <unistd.h>

#include <map>

#include "core/clock.h"
#include "core/log.h"
#include "core/procfs.h"
#include "runtime/ort_session.h"
#include "tier/channel.h"
#include "tier/link_probe.h"
#include "tier/protocol.h"
#include "tier/usage.h"

namespace edgetier::tier {
namespace {

constexpr int64_t kDefaultProbeTimeoutMs = 300;

grpc::Status own_error(grpc::ServerContext* context, const std::string& tier,
                       const Status& status) {
  context->AddTrailingMetadata(kErrorOriginKey, tier);
  return grpc::Status(to_grpc_code(status.code()), tier + ": " + status.message());
}

}  // namespace

grpc::Status ControlService::authorize(grpc::ServerContext* context, const char* method,
                                       CallKind kind) const {
  grpc::Status status = authorize_call(*context, state_.security, kind, state_.options.tier_name);
  if (!status.ok()) {
    context->AddTrailingMetadata(kErrorOriginKey, state_.options.tier_name);
    LOG_WARN << state_.options.tier_name << ": refused " << method << " from " << context->peer()
             << ": " << status.error_message();
  }
  return status;
}

grpc::Status ControlService::LoadModel(grpc::ServerContext* context,
                                       const control::LoadModelRequest* request,
                                       control::LoadModelResponse* response) {
  if (grpc::Status denied = authorize(context, "LoadModel"); !denied.ok()) return denied;
  if (state_.stopping.load()) {
    return own_error(context, state_.options.tier_name, unavailable("the tier is stopping"));
  }
  auto loaded = state_.registry.load(*request);
  if (!loaded.ok()) {
    LOG_WARN << state_.options.tier_name << ": " << loaded.status().message();
    return own_error(context, state_.options.tier_name, loaded.status());
  }
  *response = std::move(loaded).value();
  return grpc::Status::OK;
}

grpc::Status ControlService::Unload(grpc::ServerContext* context,
                                    const control::UnloadRequest* request,
                                    control::UnloadResponse* response) {
  if (grpc::Status denied = authorize(context, "Unload"); !denied.ok()) return denied;
  response->set_unloaded(state_.registry.unload(request->model_name(), request->all()));
  return grpc::Status::OK;
}

grpc::Status ControlService::Health(grpc::ServerContext* context,
                                    const control::HealthRequest* request,
                                    control::HealthResponse* response) {
  if (grpc::Status denied = authorize(context, "Health"); !denied.ok()) return denied;
  response->set_tier(state_.options.tier_name);
  response->set_state(state_.stopping.load() ? "stopping" : "serving");
  response->set_pid(getpid());
  response->set_uptime_s(static_cast<double>(monotonic_ns() - state_.start_ns) * 1e-9);
  response->set_threads(state_.threads);
  const ProcessUsage usage = read_process_usage();
  response->set_rss_bytes(usage.rss_bytes);
  response->set_peak_rss_bytes(usage.peak_rss_bytes);
  response->set_cpu_user_s(usage.cpu_user_s);
  response->set_cpu_system_s(usage.cpu_system_s);
  const CgroupLimits limits = read_cgroup_limits();
  auto* cgroup = response->mutable_cgroup();
  cgroup->set_version(limits.version);
  cgroup->set_cpu_quota_cores(limits.cpu_quota_cores);
  cgroup->set_memory_limit_bytes(limits.memory_limit_bytes);
  cgroup->set_memory_usage_bytes(limits.memory_usage_bytes);
  cgroup->set_cpu_path(limits.cpu_path);
  cgroup->set_memory_path(limits.memory_path);
  response->set_requests(state_.requests.load());
  response->set_errors(state_.errors.load());
  for (const auto& address : state_.bound_addresses) response->add_listen(address);
  response->set_max_message_bytes(state_.options.max_message_bytes);
  response->set_version(EDGETIER_VERSION);
  response->set_online_cpus(online_cpus());
  response->set_protocol_version(state_.options.reported_protocol_version.empty()
                                     ? protocol_version()
                                     : state_.options.reported_protocol_version);
  response->set_cpu_model(read_cpu_model());
  response->set_memory_total_bytes(read_memory_total_bytes());
  response->set_onnxruntime_version(ort_version());
  // The tier's sessions run on SessionOptions' default provider.
  response->set_execution_provider(SessionOptions{}.execution_provider == "cuda"
                                       ? "CUDAExecutionProvider"
                                       : "CPUExecutionProvider");
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) response->set_hostname(host);

  // Probe each distinct next hop once; models sharing a hop share the outcome.
  const int64_t probe_ms =
      request->probe_timeout_ms() == 0 ? kDefaultProbeTimeoutMs : request->probe_timeout_ms();
  std::map<std::string, bool> probed;
  for (const auto& entry : state_.registry.entries()) {
    if (!entry->forwarder || probe_ms < 0) continue;
    const std::string& address = entry->forwarder->target().address;
    if (!probed.count(address)) probed[address] = entry->forwarder->probe(probe_ms).ok();
  }
  for (const auto& entry : state_.registry.entries()) {
    auto* m = response->add_models();
    m->set_name(entry->name);
    m->set_version(entry->version);
    m->set_role(entry->role());
    for (const auto& source : entry->part_sources) m->add_parts(source);
    m->set_part_index(entry->part_index);
    m->set_takes_image(entry->preprocess.has_value());
    m->set_load_ms(entry->load_ms);
    m->set_warmup_ms(entry->warmup_ms);
    m->set_requests(entry->requests.load());
    m->set_errors(entry->errors.load());
    m->set_label(entry->label);
    for (const auto& spec : entry_inputs(*entry)) *m->add_inputs() = spec;
    for (const auto& spec : entry_outputs(*entry)) *m->add_outputs() = spec;
    if (!entry->forwarder) {
      m->set_next_hop_state("none");
      continue;
    }
    const ForwardTarget& target = entry->forwarder->target();
    m->set_next_hop(target.address);
    m->set_next_hop_name(target.hop_name);
    m->set_deadline_ms(target.deadline_ms);
    m->mutable_link()->set_rate_mbit(target.link.rate_mbit);
    m->mutable_link()->set_delay_ms(target.link.delay_ms);
    auto it = probed.find(target.address);
    const std::string state =
        it == probed.end() ? entry->forwarder->state() : (it->second ? "live" : "dead");
    m->set_next_hop_state(state);
    if (state == "dead") m->set_next_hop_error(entry->forwarder->last_error());
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::Shutdown(grpc::ServerContext* context,
                                      const control::ShutdownRequest*,
                                      control::ShutdownResponse*) {
  if (grpc::Status denied = authorize(context, "Shutdown"); !denied.ok()) return denied;
  LOG_INFO << state_.options.tier_name << ": shutdown requested";
  if (state_.request_stop) state_.request_stop();
  return grpc::Status::OK;
}

grpc::Status ControlService::ProbeLink(grpc::ServerContext* context,
                                       const control::ProbeLinkRequest* request,
                                       control::ProbeLinkResponse* response) {
  if (grpc::Status denied = authorize(context, "ProbeLink"); !denied.ok()) return denied;
  auto probed = probe_next_hop(*request, state_.registry.options().next_hop_security,
                               state_.options.max_message_bytes);
  if (!probed.ok()) return own_error(context, state_.options.tier_name, probed.status());
  *response = std::move(probed).value();
  response->set_from_tier(state_.options.tier_name);
  return grpc::Status::OK;
}

grpc::Status ControlService::Echo(grpc::ServerContext* context,
                                  const control::EchoRequest* request,
                                  control::EchoResponse* response) {
  if (grpc::Status denied = authorize(context, "Echo", CallKind::kInference); !denied.ok())
    return denied;
  // A reply near the message limit would fail on the wire; refuse it here with the limit.
  const int64_t limit = state_.options.max_message_bytes - 1024;
  if (request->reply_bytes() < 0 || request->reply_bytes() > limit) {
    return own_error(context, state_.options.tier_name,
                     invalid_argument("Echo reply_bytes " + std::to_string(request->reply_bytes()) +
                                      " is outside 0.." + std::to_string(limit)));
  }
  response->mutable_payload()->assign(static_cast<size_t>(request->reply_bytes()), '\0');
  return grpc::Status::OK;
}

}  // namespace edgetier::tier
