/// The testbed's commands: bring tiers up with their limits and links (up), report their state
/// (status), measure the links (probe) and remove everything (down), each through the backend
/// of the mode (up) or of the recorded run (backend.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "testbed/presets.h"
#include "testbed/probe.h"
#include "testbed/state.h"
#include "testbed/teardown.h"

namespace edgetier::testbed {

enum class TestbedMode {
  kAuto,        // namespaces when running as root, else loopback
  kNamespaces,  // namespaces, veth + tc, cgroups (needs root)
  kLoopback,    // loopback, shaping in the tiers' transport, limits NOT enforced
  kRemote,      // tiers already running elsewhere, by address (TLS + tokens); nothing local
};
/// "auto", "namespaces", "loopback", "remote" (experiment.yaml's `network`, the state's).
std::string_view testbed_mode_keyword(TestbedMode mode);

struct UpOptions {
  std::string state_dir = default_state_dir();
  TestbedMode mode = TestbedMode::kAuto;
  /// Continue even when a probed link is further off its rate than config.probe_tolerance.
  bool allow_link_mismatch = false;
  /// The edgetier binary substituted for {exe} in the server command (default: this program).
  std::string exe;
  /// The folder the tiers may load part files from by path ({model_root}, their --model-root);
  /// empty: they load none by path and deploy must send bytes.
  std::string model_root;
  ProbeOptions probe;
  /// Polled between steps and while waiting; when it returns true, `up` tears down and fails
  /// with CANCELLED (SIGINT/SIGTERM handlers set it).
  std::function<bool()> is_cancelled;
};

/// The loud warning printed and recorded when limits cannot be enforced.
extern const char* const kUserspaceWarning;

/// The backend of options.mode (backend.h) brings the testbed up: it removes the previous run
/// recorded in options.state_dir, registers a new run id in the state file before creating
/// anything, then creates namespaces, cgroups and links (or loopback ports), starts one tier
/// process per tier, waits for their READY lines and probes every link. On any failure (or
/// cancellation) everything created is removed again.
Result<TestbedState> testbed_up(const TestbedConfig& config, const UpOptions& options);

/// Re-reads every tier's process and cgroup state (running, dead, oom) and saves it.
Result<TestbedState> testbed_status(const std::string& state_dir);
/// Updates `tier.state` / `tier.detail` from its process and memory cgroup; true if changed.
bool refresh_tier_state(TierRecord* tier);

/// Supervises the tiers this process started: reaps them and records deaths and OOM kills in
/// the state file as they happen, until `stop` returns true (then the tiers are stopped) or no
/// tier is left running. This is what keeps running after `testbed up` returns.
void supervise_tiers(TestbedState* state, const std::function<bool()>& stop);

/// Probes every link of the running testbed and records the figures in the state file.
Result<std::vector<LinkProbe>> testbed_probe(const std::string& state_dir,
                                             const ProbeOptions& options = {});

/// Removes the testbed recorded in `state_dir`, or the run `run_id` when given, or (all=true)
/// everything of every run.
Result<TeardownReport> testbed_down(const std::string& state_dir, const std::string& run_id = "",
                                    bool all = false);

/// Probe results against the configured rates: an error listing every link further off than
/// `tolerance` (a fraction, 0.10 = 10%).
Status check_probes(const std::vector<LinkProbe>& probes, double tolerance);

}  // namespace edgetier::testbed
