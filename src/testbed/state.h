/// The testbed state file (<state-dir>/testbed.json): what `up` created and how to reach it.
/// Deploy and request code read tiers[].control (unix socket of the tier's services) and
/// tiers[].listen (the TCP address its upstream neighbour dials).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "testbed/cgroups.h"
#include "testbed/probe.h"
#include "testbed/topology.h"

namespace edgetier::testbed {

enum class TierStatus { kStarting, kRunning, kDead, kOom };
std::string tier_status_name(TierStatus status);  // "starting", "running", "dead", "oom"

/// A tier as `up` made it: its spec (threads resolved, see tier_threads) and what exists.
struct TierRecord : TierSpec {
  pid_t pid = -1;
  int64_t start_ticks = -1;  // guards against a recycled pid
  std::string netns;         // empty without namespaces
  TierCgroup cgroup;         // empty directories without cgroups
  std::string listen;        // "10.77.0.2:50051": what the upstream neighbour dials
  std::string control;       // "unix:/tmp/edgetier-testbed/edge.sock"
  std::string client;        // where the device app reaches it; empty: control
  std::string log;           // the tier's stdout/stderr
  TierStatus state = TierStatus::kStarting;
  std::string detail;  // how it ended, for dead/oom
};

/// A link as `up` made it: its spec and how it is shaped, where its ends are, its probe.
struct LinkRecord : LinkSpec {
  std::string shaping = "tc";            // "tc" | "userspace" (the tiers' forwarders pace)
  std::string delay_emulation = "none";  // "netem" | "userspace" | "none"
  std::string from_addr;                 // upstream end's address
  std::string to_addr;
  std::vector<std::string> devices;  // veth ends and ifb devices we made
  std::optional<LinkProbe> probe;
  /// The tiers' forwarders emulate this link (rate_mbit, delay_ms) in user space. Where tc
  /// shapes the rate and only the delay is missing, pacing again at the same rate in front of
  /// tbf leaves the rate unchanged.
  bool userspace() const { return shaping == "userspace" || delay_emulation == "userspace"; }
};

struct TestbedState {
  std::string run_id;                // 6 hex digits; every resource we make carries it
  bool root = false;                 // false: loopback, user-space shaping, no CPU/memory limits
  std::string network = "loopback";  // the backend that made it: namespaces | loopback
  std::string phase = "starting";    // starting | up | failed
  pid_t controller_pid = -1;         // the process that started and supervises the tiers
  int64_t controller_start_ticks = -1;
  std::string state_dir;
  std::string config_source;
  std::string cpu_cgroup = "none";  // v1 | v2 | none
  std::string memory_cgroup = "none";
  int64_t cpu_period_us = 0;
  int mtu = 0;
  int64_t created_unix_ms = 0;
  /// The run's control token (mode 0600, made by `up`): the tiers require it on control calls
  /// over TCP and the run's clients send it. Empty in hand-written files: no token.
  std::string token_file;
  /// The folder the tiers load part files from by path (their --model-root); empty: none.
  std::string model_root;
  std::vector<std::string> warnings;
  std::vector<TierRecord> tiers;
  std::vector<LinkRecord> links;

  nlohmann::json to_json() const;
  /// `require_run` false accepts a hand-written file that only lists tiers (and links) to
  /// reach, as `deploy --testbed` and `request --testbed` take; every lifecycle command needs
  /// the run id.
  static Result<TestbedState> from_json(const nlohmann::json& j, bool require_run = true);
  const TierRecord* find_tier(const std::string& name) const;
};

/// /tmp/edgetier-testbed.
std::string default_state_dir();
/// <dir>/testbed.json.
std::string state_file_path(const std::string& dir);
/// Written to a temporary file and renamed, so a reader (or a crash) never sees half of it.
Status write_state(const std::string& dir, const TestbedState& state);
/// NOT_FOUND when there is no state file (no testbed was brought up from `dir`).
Result<TestbedState> read_state(const std::string& dir);
/// The state file at `path` (errors name the file and, for a malformed one, the key).
Result<TestbedState> read_state_file(const std::string& path, bool require_run = true);

}  // namespace edgetier::testbed
