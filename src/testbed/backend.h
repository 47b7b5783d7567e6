/// The testbed backends: one interface (up -> endpoints, check, probe, down) with one
/// implementation per way of providing tiers, chosen by an explicit factory from the mode or the
/// spec keyword (`network: auto | namespaces | loopback | remote`).
///
/// Backends today (each in its own files):
///   namespaces  namespace_backend.cpp: one network namespace and cgroup per tier, veth pairs
///               shaped by tc (needs root)
///   loopback    loopback_backend.cpp: tiers as plain processes on 127.0.0.1, links emulated by
///               the tiers' transport, CPU/memory limits NOT enforced
///   remote      remote_backend.cpp: tiers already running elsewhere (`edgetier serve` on each
///               device), given by address with their TLS and token files; nothing local is
///               created, deploy uploads the parts' bytes, each link is measured by the tier
///               that sends on it (ProbeLink), and `down` forgets the run (it never stops tiers)
///   auto        namespaces as root, else loopback (resolved by the factory, not a backend)
///
/// Adding a backend is one new file plus a keyword:
///   1. <name>_backend.cpp: a class deriving from TestbedBackend (mode, up, check, probe, down)
///      and a `make_<name>_backend()` declared at the bottom of this header.
///   2. the keyword: one row in kModes (backend.cpp: keyword <-> TestbedMode), the TestbedMode
///      value (testbed.h), and one `case` in make_backend. The spec parser takes its keywords from
///      network_keywords(), so experiment.yaml accepts the keyword with no other change.
/// No static self-registration: the factory is a switch, so every backend is visible there.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "testbed/testbed.h"
#include "tier/deploy.h"

namespace edgetier::testbed {

/// What `up` returns: the recorded state (also in <state_dir>/testbed.json) and how to reach
/// the tiers (endpoints_from_state of that state).
struct UpResult {
  TestbedState state;
  tier::TestbedEndpoints endpoints;
};

class TestbedBackend {
 public:
  virtual ~TestbedBackend() = default;
  virtual TestbedMode mode() const = 0;
  std::string_view keyword() const { return testbed_mode_keyword(mode()); }

  /// Removes the previous run recorded in options.state_dir, brings the tiers and links of
  /// `config` up, records them and returns how to reach them. On failure (or cancellation)
  /// everything created is removed again.
  virtual Result<UpResult> up(const TestbedConfig& config, const UpOptions& options) = 0;
  /// Re-reads every tier's state (running, dead, oom: killed over its memory limit), saves it
  /// when it changed and returns it.
  virtual Result<TestbedState> check(const std::string& state_dir) = 0;
  /// Measures every link of the running testbed and records the figures.
  virtual Result<std::vector<LinkProbe>> probe(const std::string& state_dir,
                                               const ProbeOptions& options) = 0;
  /// Gives the running testbed's links new settings in place (same links, same tiers) and
  /// probes them again, instead of a tear-down and bring-up. UNIMPLEMENTED when this backend
  /// or these links cannot (reshape_refusal says why): the caller brings a new testbed up.
  virtual Result<UpResult> reshape(const std::string& state_dir,
                                   const std::vector<LinkSpec>& links,
                                   const ProbeOptions& options);
  /// Removes the run `run_id` (empty: the one recorded in `state_dir`).
  virtual Result<TeardownReport> down(const std::string& state_dir, const std::string& run_id) = 0;
};

/// Why the running links cannot take `wanted` in place, or empty when they can: tc must shape
/// every link (user-space pacing and the remote network are fixed when the tiers start), the
/// links must be the same ones in the same order, a delay the tiers' forwarders emulate is
/// fixed at their start, and new delay/jitter/loss needs `netem`.
std::string reshape_refusal(const std::vector<LinkRecord>& running,
                            const std::vector<LinkSpec>& wanted, bool netem);

/// "auto", "namespaces", "loopback", "remote": the keywords of experiment.yaml's `network`.
std::vector<std::string> network_keywords();
/// The keyword's mode; an unknown keyword is an error naming it and the nearest keyword.
Result<TestbedMode> parse_testbed_mode(std::string_view keyword);

/// The backend for `mode`; kAuto is namespaces when `root`, else loopback.
Result<std::unique_ptr<TestbedBackend>> make_backend(TestbedMode mode, bool root);
/// The same with root = this process runs as root.
Result<std::unique_ptr<TestbedBackend>> make_backend(TestbedMode mode);
/// From a spec keyword (see parse_testbed_mode).
Result<std::unique_ptr<TestbedBackend>> make_backend(std::string_view keyword);
/// The backend that brought up the run recorded in `state` (its `network`).
Result<std::unique_ptr<TestbedBackend>> backend_for_state(const TestbedState& state);

// The backends (each defined in its own file; call make_backend instead).
std::unique_ptr<TestbedBackend> make_namespace_backend();
std::unique_ptr<TestbedBackend> make_loopback_backend();
std::unique_ptr<TestbedBackend> make_remote_backend();

}  // namespace edgetier::testbed
