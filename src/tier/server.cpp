/// TierServer: builds the gRPC server, binds the addresses, waits for a stop, shuts down.
#include "tier/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <limits>

#include "core/clock.h"
#include "core/log.h"
#include "tier/channel.h"
#include "tier/control_service.h"
#include "tier/inference_service.h"
#include "tier/usage.h"

namespace edgetier::tier {
namespace {

/// A tier limited below this does not warm the runtime at startup (see TierServer::start).
constexpr int64_t kWarmRuntimeMinMemoryBytes = int64_t{128} << 20;

bool is_unix(const std::string& address) { return is_unix_address(address); }

// "127.0.0.1:0" + chosen port 41234 -> "127.0.0.1:41234".
std::string with_port(const std::string& address, int port) {
  if (is_unix(address)) return address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return address + ":" + std::to_string(port);
  return address.substr(0, colon + 1) + std::to_string(port);
}

Status check_address(const std::string& address) {
  if (is_unix(address)) {
    if (address.size() <= 5)
      return invalid_argument("listen address '" + address + "' has no path");
    return ok_status();
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return invalid_argument("listen address '" + address +
                            "' must be HOST:PORT (e.g. 127.0.0.1:0) or unix:/path.sock");
  }
  for (size_t i = colon + 1; i < address.size(); ++i) {
    if (address[i] < '0' || address[i] > '9') {
      return invalid_argument("listen address '" + address + "': port is not a number");
    }
  }
  return ok_status();
}

Result<std::string> canonical_model_root(const std::string& root) {
  if (root.empty()) return std::string();
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec)) {
    return invalid_argument("serve: --model-root '" + root + "' is not a folder" +
                            (ec ? " (" + ec.message() + ")" : std::string()));
  }
  return canonical.string();
}

}  // namespace

Status check_tier_name(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return invalid_argument("tier name must have 1 to 64 characters, got '" + name + "'");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) {
      return invalid_argument("tier name '" + name +
                              "' may only hold letters, digits, '-' and '_'");
    }
  }
  return ok_status();
}

TierServer::~TierServer() {
  if (server_ && !stopped_) {
    state_->stopping = true;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

Result<std::unique_ptr<TierServer>> TierServer::start(const ServeOptions& options) {
  RETURN_IF_ERROR(check_tier_name(options.tier_name));
  if (options.listen.empty()) return invalid_argument("serve: give at least one --listen address");
  for (const auto& address : options.listen) RETURN_IF_ERROR(check_address(address));
  if (options.max_message_bytes < 1024 ||
      options.max_message_bytes > std::numeric_limits<int>::max()) {
    return invalid_argument("serve: max message size must be between 1 KiB and 2047 MiB");
  }
  if (options.intra_op_threads < 0) return invalid_argument("serve: --threads must be >= 0");
  ASSIGN_OR_RETURN(ServerSecurity security, load_server_security(options.security));
  std::vector<std::string> exposed;
  RETURN_IF_ERROR(
      check_listen_security(options.listen, security.tls(), options.security.insecure, &exposed));
  for (const auto& address : exposed) {
    LOG_WARN << "\n\n*** WARNING: " << options.tier_name << " listens on " << address
             << " WITHOUT TLS (--insecure): requests and answers cross the network in the clear"
             << (security.token.empty() ? "" : ", and so does the control token") << ". ***\n";
  }
  RegistryOptions registry;
  registry.tier_name = options.tier_name;
  registry.max_message_bytes = options.max_message_bytes;
  ASSIGN_OR_RETURN(registry.model_root, canonical_model_root(options.model_root));
  registry.session_cache_dir = options.session_cache_dir;
  auto next_hop = load_client_security(options.next_hop_security);
  if (!next_hop.ok()) return next_hop.status().with_context("serve: next hop");
  registry.next_hop_security = std::move(next_hop).value();

  const int threads =
      options.intra_op_threads > 0 ? options.intra_op_threads : default_intra_op_threads();
  registry.intra_op_threads = threads;
  // The tier's sessions share one pool of its threads (runtime/ort_session.h): a deploy then
  // starts no threads. A process hosting several tiers (tests) shares the first one's size.
  if (!share_thread_pool(threads))
    LOG_DEBUG << options.tier_name << ": sessions start their own " << threads << "-thread pools";
  std::unique_ptr<TierServer> server(new TierServer());
  server->state_ =
      std::make_unique<TierState>(options, threads, std::move(security), std::move(registry));
  server->state_->start_ns = monotonic_ns();
  // Before READY, so launchers wait for it rather than the first deploy and request. It costs
  // ~11 MiB of heap and ~18 MiB of the runtime's code paged in: a tier kept that small (it can
  // relay but not compute) skips it, so the warm-up never decides whether a tier comes up.
  const CgroupLimits limits = read_cgroup_limits();
  if (limits.memory_limit_bytes <= 0 || limits.memory_limit_bytes >= kWarmRuntimeMinMemoryBytes)
    server->state_->registry.warm_runtime();
  TierServer* raw = server.get();
  server->state_->request_stop = [raw] { raw->request_stop(); };
  server->inference_ = std::make_unique<InferenceService>(*server->state_);
  server->control_ = std::make_unique<ControlService>(*server->state_);

  grpc::ServerBuilder builder;
  std::vector<int> ports(options.listen.size(), 0);
  for (size_t i = 0; i < options.listen.size(); ++i) {
    builder.AddListeningPort(options.listen[i],
                             listener_credentials(options.listen[i], server->state_->security),
                             &ports[i]);
  }
  const int cap = static_cast<int>(options.max_message_bytes);
  builder.SetMaxReceiveMessageSize(cap);
  builder.SetMaxSendMessageSize(cap);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                             http2_window_bytes(options.max_message_bytes));
  grpc::ResourceQuota quota("edgetier-" + options.tier_name);
  quota.SetMaxThreads(std::max(options.max_rpc_threads, 4));
  builder.SetResourceQuota(quota);
  builder.RegisterService(server->inference_.get());
  builder.RegisterService(server->control_.get());
  // Unix sockets are created owner-only: over them the control service takes no token.
  bool any_unix = false;
  for (const auto& address : options.listen) any_unix = any_unix || is_unix(address);
  const mode_t old_mask = any_unix ? ::umask(0177) : 0;
  server->server_ = builder.BuildAndStart();
  if (any_unix) ::umask(old_mask);
  if (!server->server_) {
    std::string all;
    for (const auto& a : options.listen) all += (all.empty() ? "" : ", ") + a;
    return unavailable("serve: could not listen on " + all +
                       " (address in use, not local, or the socket directory is not writable)");
  }
  for (size_t i = 0; i < options.listen.size(); ++i) {
    if (!is_unix(options.listen[i]) && ports[i] == 0) {
      return unavailable("serve: could not bind " + options.listen[i]);
    }
    server->state_->bound_addresses.push_back(with_port(options.listen[i], ports[i]));
    if (is_unix(options.listen[i]) &&
        ::chmod(options.listen[i].substr(5).c_str(), S_IRUSR | S_IWUSR) != 0) {
      return unavailable("serve: cannot make " + options.listen[i] + " owner-only (chmod 600)");
    }
  }
  LOG_INFO << options.tier_name << ": serving with " << threads << " intra-op threads";
  return server;
}

void TierServer::request_stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_requested_ = true;
  cv_.notify_all();
}

void TierServer::wait(const std::function<bool()>& should_stop) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_requested_ && !(should_stop && should_stop())) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  state_->stopping = true;
  // Shutdown is called here, never inside a handler: it waits for running calls to finish.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  stopped_ = true;
  LOG_INFO << state_->options.tier_name << ": stopped";
}

}  // namespace edgetier::tier
