/// Testbed configurations: the built-in presets (defined here once) and tiers.yaml loading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/strings.h"
#include "testbed/topology.h"

namespace edgetier::testbed {

/// CFS period for CPU quotas, chosen with bench_testbed (0.5 vs 1.0 CPU, 1-thread ~50 ms
/// inference). The kernel's (and Docker's) 100 ms period lets a short request that arrives at an
/// idle tier finish on the fresh quota (0.5 CPU measured only 1.29x slower than 1.0 CPU); the
/// shorter the period, the smaller that head start, but the quota is charged at scheduler ticks,
/// so periods that are not a multiple of the tick misbehave (10 ms on a 250 Hz kernel: a 1.0-CPU
/// tier got 0.90 of a CPU). 8 ms (a multiple of 1 ms and 4 ms ticks) measured 1.93-1.98x when
/// saturated and 1.91-2.02x for sequential requests. On a 100 Hz kernel use 20000 or more.
constexpr int64_t kDefaultCpuPeriodUs = 8000;
constexpr int kDefaultTierPort = 50051;

struct TestbedConfig {
  std::string source;           // "preset default" or the file it came from
  std::vector<TierSpec> tiers;  // in chain order: client -> tiers[0] -> tiers[1] -> ...
  std::vector<LinkSpec> links;  // links[i] joins tiers[i] and tiers[i + 1]
  int64_t cpu_period_us = kDefaultCpuPeriodUs;
  int port = kDefaultTierPort;  // TCP port of every tier (each has its own namespace)
  /// The tier command; placeholders {exe} {tier} {listen} {unix} {threads} {state_dir}
  /// {token_file} (the run's control token) {model_root} (UpOptions::model_root).
  std::vector<std::string> server_command;
  int ready_timeout_ms = 30000;
  double probe_tolerance = 0.10;  // `up` refuses links whose rate is further off than this
};

/// `{exe} serve --tier {tier} --listen {listen} --listen unix:{unix} --threads {threads}
/// --token-file {token_file} --model-root {model_root} --insecure
/// --session-cache {state_dir}/sessions`.
std::vector<std::string> default_server_command();
/// The folder of optimized graphs the default server command gives the tiers of a testbed
/// whose state is in `state_dir` (serve --session-cache).
std::string tier_session_cache_dir(const std::string& state_dir);

struct HostResources {
  int cpus = 1;              // CPUs this process may run on
  int64_t memory_bytes = 0;  // MemTotal
};
HostResources detect_host_resources();

/// Share of host memory the default presets split between the tiers.
constexpr double kMemoryBudgetFraction = 0.5;

/// The named testbeds, at fixed sizes (what an experiment spec's `testbed: NAME` starts from):
///   default    Mobile/Edge/Cloud 0.5/1/2 CPUs and 1/2/4 GiB (fits a 2-core machine: requests
///              are sequential, so one tier computes at a time); 200 and 10 Mbit/s
///   study      the study's containers: 4/8/16 CPUs, 4/16/64 GiB; 200 and 1 Mbit/s
///   unlimited  no CPU/memory limits, unshaped links (rate 0)
struct PresetTopology {
  std::string name;
  std::vector<TierSpec> tiers;  // chain order
  std::vector<LinkSpec> links;  // links[i] joins tiers[i] and tiers[i + 1]
};
Result<PresetTopology> preset_topology(std::string_view name);
std::vector<std::string> topology_preset_names();  // default, study, unlimited

/// `edgetier testbed up --preset NAME` (default, study): the study's container ratios fitted to
/// this host (CPUs 1:2:4 with Cloud on every host CPU, memory 1:4:16 of half the host's memory)
/// and the preset's links.
Result<TestbedConfig> preset_config(const std::string& name, const HostResources& host);
std::vector<std::string> preset_names();

/// Reads a tiers.yaml file (format in presets.cpp); unknown keys are errors naming the key's
/// path and the nearest valid key.
Result<TestbedConfig> load_testbed_config(const std::string& path);
Result<TestbedConfig> parse_testbed_config(const std::string& yaml_text, const std::string& label);
Status validate_testbed_config(const TestbedConfig& config);
/// True when the tiers are given by address (the remote backend's configuration).
bool is_remote_config(const TestbedConfig& config);
/// A remote configuration without links gets one per neighbouring pair (rate 0: unknown).
void fill_remote_links(TestbedConfig* config);

}  // namespace edgetier::testbed
