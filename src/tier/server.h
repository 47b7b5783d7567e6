/// A tier server: the KServe v2 inference service plus the control service on one or more
/// listening addresses, holding warm sessions and forwarding to the next hop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "tier/model_registry.h"
#include "tier/security.h"

namespace grpc {
class Server;
}

namespace edgetier::tier {

struct ServeOptions {
  std::string tier_name = "tier";
  /// host:port (port 0 picks a free one) or unix:/path; every address serves both services.
  std::vector<std::string> listen = {"127.0.0.1:0"};
  int intra_op_threads = 0;  // 0: default_intra_op_threads() (cgroup quota or CPUs)
  int64_t max_message_bytes = int64_t{64} << 20;
  /// Images whose header declares more pixels are refused before decoding.
  int64_t max_image_pixels = int64_t{64} << 20;
  int max_rpc_threads = 16;  // gRPC handler threads (bounded; excess calls get RESOURCE_EXHAUSTED)
  /// TLS of the TCP listeners, bearer tokens of the services, and whether plaintext TCP
  /// outside loopback is allowed (security.h).
  ServerSecurityFiles security;
  /// LoadModel by path only takes files whose canonical path is inside this folder; empty:
  /// paths are refused and parts must come as bytes.
  std::string model_root;
  /// Set: optimized graphs of the part files it loads are kept here and reused on the next load
  /// of the same file (runtime/session_cache.h); only for tiers on the machine that made them.
  std::string session_cache_dir;
  /// How this tier reaches its next hops (CA, client certificate, inference token).
  ClientSecurityFiles next_hop_security;
  /// The control protocol version Health reports; empty: this build's (protocol_version()).
  /// Only for testing that callers refuse another major (`serve --report-protocol-version`).
  std::string reported_protocol_version;
};

/// State shared by the two services of one tier.
struct TierState {
  TierState(const ServeOptions& options, int threads, ServerSecurity security,
            RegistryOptions registry_options)
      : options(options),
        threads(threads),
        security(std::move(security)),
        registry(std::move(registry_options)) {}

  ServeOptions options;
  int threads;
  ServerSecurity security;
  ModelRegistry registry;
  std::vector<std::string> bound_addresses;
  int64_t start_ns = 0;
  /// One part computes at a time: its intra-op threads already use the tier's CPUs, so the
  /// wait for this lock is the request's queueing time on the tier.
  std::mutex compute_mutex;
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stopping{false};
  std::function<void()> request_stop;
};

class TierServer {
 public:
  ~TierServer();
  /// Binds every address and starts serving; fails (naming the address) if one cannot be bound.
  static Result<std::unique_ptr<TierServer>> start(const ServeOptions& options);

  /// Addresses as bound, with chosen ports filled in ("127.0.0.1:41234", "unix:/run/t.sock").
  const std::vector<std::string>& addresses() const { return state_->bound_addresses; }
  const std::string& tier_name() const { return state_->options.tier_name; }
  int threads() const { return state_->threads; }

  /// Blocks until a Shutdown call, request_stop(), or `should_stop()` (polled every 100 ms)
  /// returns true; then stops accepting calls and lets in-flight ones finish (2 s at most).
  void wait(const std::function<bool()>& should_stop = nullptr);
  void request_stop();

 private:
  TierServer() = default;

  std::unique_ptr<TierState> state_;
  std::unique_ptr<class InferenceService> inference_;
  std::unique_ptr<class ControlService> control_;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool stopped_ = false;
};

/// Tier names become parameter keys ("<tier>.compute_ns"): letters, digits, '-' and '_' only.
Status check_tier_name(const std::string& name);

}  // namespace edgetier::tier
