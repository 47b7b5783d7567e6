/// The runner's handle on a testbed: brings tiers and links up for one scenario through the
/// backend of the spec's `network`, reports what was probed, notices dead or OOM-killed tiers and
/// always tears down (RAII).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "testbed/backend.h"
#include "testbed/state.h"
#include "testbed/topology.h"
#include "tier/deploy.h"

namespace edgetier {

struct SessionConfig {
  std::string preset = "default";        // the spec's testbed preset (for the state's source)
  std::string network = "auto";          // auto | namespaces | loopback (backend.h)
  std::vector<testbed::TierSpec> tiers;  // chain order, enabled tiers only
  std::vector<testbed::LinkSpec> links;  // links[i] joins tiers[i] and tiers[i + 1]
  std::string state_dir;                 // where the state file and sockets live
  std::string exe;  // the edgetier binary the tiers run (default: this program)
  std::string model_root;  // the folder the tiers load variant parts from by path
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

  const std::string& run_id() const { return state_.run_id; }
  /// <state_dir>/testbed.json.
  std::string state_file() const;
  bool kernel() const { return state_.root; }
  const std::vector<std::string>& warnings() const { return state_.warnings; }
  /// As brought up: threads resolved, links with their probes.
  const std::vector<testbed::TierRecord>& tiers() const { return state_.tiers; }
  const std::vector<testbed::LinkRecord>& links() const { return state_.links; }
  /// How the device app and deploy reach the tiers.
  const tier::TestbedEndpoints& endpoints() const { return endpoints_; }

  /// The first tier found dead or OOM-killed since up (nullopt: all running).
  std::optional<TierFailure> check_tiers();
  /// The links get `links`' settings in place and are probed again (tiers keep running with
  /// what they have loaded). UNIMPLEMENTED when the backend or the change does not allow it.
  Status reshape(const std::vector<testbed::LinkSpec>& links);
  /// Removes everything of this run; idempotent.
  Status down();

 private:
  TestbedSession() = default;
  std::unique_ptr<testbed::TestbedBackend> backend_;
  std::string state_dir_;
  testbed::TestbedState state_;
  tier::TestbedEndpoints endpoints_;
  bool down_ = false;
};

/// Removes a testbed an earlier (killed) run left in `state_dir`; fine when there is none.
Status teardown_previous_testbed(const std::string& state_dir);

/// Names of our namespaces, interfaces, cgroups and processes of `run_id` (empty: any run)
/// that still exist; empty when nothing is left.
std::string testbed_leftovers(const std::string& run_id);

}  // namespace edgetier
