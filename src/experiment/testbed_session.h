/// The runner's handle on a testbed: brings tiers and links up for one scenario, reports what
/// was probed, notices dead or OOM-killed tiers and always tears down (RAII).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier {

// Plain types of its own, so the runner's other units need none of the testbed's headers.

struct SessionTier {
  std::string name;  // mobile | edge | cloud
  double cpus = 0;   // <= 0: unlimited
  int64_t memory_bytes = 0;
  int threads = 0;  // filled after up
};

struct SessionLink {
  std::string from, to;  // "mobile", "edge"
  double rate_mbit = 0;
  double delay_ms = 0;  // one way
  double jitter_ms = 0;
  double loss_pct = 0;
  // Filled after up from the probe:
  std::optional<double> achieved_rate_mbit;
  std::optional<double> rtt_ms;
};

struct SessionConfig {
  std::string preset = "default";  // testbed preset supplying the tier command and defaults
  std::string network = "auto";    // auto | namespaces | loopback
  std::vector<SessionTier> tiers;  // chain order
  std::vector<SessionLink> links;  // links[i] joins tiers[i] and tiers[i + 1]
  std::string state_dir;           // where the state file and sockets live
  std::string exe;                 // the edgetier binary the tiers run (default: this program)
  std::function<bool()> is_cancelled;
};

/// A tier that stopped running: "oom" or "dead", with the testbed's description.
struct TierFailure {
  std::string tier;
  bool oom = false;
  int64_t memory_bytes = 0;
  std::string detail;
};

class TestbedSession {
 public:
  /// Tears down any earlier testbed recorded in config.state_dir, then brings tiers and links
  /// up and probes the links.
  static Result<std::unique_ptr<TestbedSession>> up(const SessionConfig& config);
  ~TestbedSession();
  TestbedSession(const TestbedSession&) = delete;
  TestbedSession& operator=(const TestbedSession&) = delete;

  const std::string& run_id() const { return run_id_; }
  /// <state_dir>/testbed.json: what tier::load_testbed_state reads.
  std::string state_file() const;
  bool kernel() const { return kernel_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::vector<SessionTier>& tiers() const { return tiers_; }
  const std::vector<SessionLink>& links() const { return links_; }

  /// The first tier found dead or OOM-killed since up (nullopt: all running).
  std::optional<TierFailure> check_tiers();
  /// Removes everything of this run; idempotent.
  Status down();

 private:
  TestbedSession() = default;
  std::string state_dir_;
  std::string run_id_;
  bool kernel_ = false;
  bool down_ = false;
  std::vector<std::string> warnings_;
  std::vector<SessionTier> tiers_;
  std::vector<SessionLink> links_;
};

/// Removes a testbed an earlier (killed) run left in `state_dir`; fine when there is none.
Status teardown_previous_testbed(const std::string& state_dir);

/// Names of our namespaces, interfaces, cgroups and processes of `run_id` (empty: any run)
/// that still exist; empty when nothing is left.
std::string testbed_leftovers(const std::string& run_id);

}  // namespace edgetier
