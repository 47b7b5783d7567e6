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

namespace edgetier::testbed {

enum class TierStatus { kStarting, kRunning, kDead, kOom };
std::string tier_status_name(TierStatus status);  // "starting", "running", "dead", "oom"

struct TierRecord {
  std::string name;
  pid_t pid = -1;
  int64_t start_ticks = -1;  // guards against a recycled pid
  std::string netns;         // empty without namespaces
  TierCgroup cgroup;         // empty directories without cgroups
  double cpus = 0;
  int64_t memory_bytes = 0;
  int threads = 1;      // ONNX Runtime intra-op threads = ceil(cpus)
  std::string listen;   // "10.77.0.2:50051": what the upstream neighbour dials
  std::string control;  // "unix:/tmp/edgetier-testbed/edge.sock"
  std::string log;      // the tier's stdout/stderr
  TierStatus state = TierStatus::kStarting;
  std::string detail;  // how it ended, for dead/oom
};

struct LinkRecord {
  std::string name;  // "mobile-edge"
  std::string from;
  std::string to;
  double rate_mbit = 0;
  double delay_ms = 0;
  double jitter_ms = 0;
  double loss_pct = 0;
  std::string shaping = "tc";            // "tc" | "userspace" (the tiers' forwarders pace)
  std::string delay_emulation = "none";  // "netem" | "userspace" | "none"
  std::string from_addr;                 // upstream end's address
  std::string to_addr;
  std::vector<std::string> devices;  // veth ends and ifb devices we made
  std::optional<LinkProbe> probe;
};

struct TestbedState {
  std::string run_id;              // 6 hex digits; every resource we make carries it
  bool root = false;               // false: loopback, user-space shaping, no CPU/memory limits
  std::string phase = "starting";  // starting | up | failed
  pid_t controller_pid = -1;       // the process that started and supervises the tiers
  int64_t controller_start_ticks = -1;
  std::string state_dir;
  std::string config_source;
  std::string cpu_cgroup = "none";  // v1 | v2 | none
  std::string memory_cgroup = "none";
  int64_t cpu_period_us = 0;
  int mtu = 0;
  int64_t created_unix_ms = 0;
  std::vector<std::string> warnings;
  std::vector<TierRecord> tiers;
  std::vector<LinkRecord> links;

  nlohmann::json to_json() const;
  static Result<TestbedState> from_json(const nlohmann::json& j);
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

}  // namespace edgetier::testbed
