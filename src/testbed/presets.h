/// Testbed configurations: the built-in presets (default, study) and tiers.yaml loading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/strings.h"

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

struct TierSpec {
  std::string name;
  double cpus = 0;           // CPU quota; <= 0: unlimited
  int64_t memory_bytes = 0;  // <= 0: unlimited
};

struct LinkSpec {
  std::string from;  // upstream tier (nearer the client)
  std::string to;    // downstream tier
  double rate_mbit = 0;
  double delay_ms = 0;  // one way
  double jitter_ms = 0;
  double loss_pct = 0;
  std::string name() const { return from + "-" + to; }
};

struct TestbedConfig {
  std::string source;           // "preset default" or the file it came from
  std::vector<TierSpec> tiers;  // in chain order: client -> tiers[0] -> tiers[1] -> ...
  std::vector<LinkSpec> links;  // links[i] joins tiers[i] and tiers[i + 1]
  int64_t cpu_period_us = kDefaultCpuPeriodUs;
  int port = kDefaultTierPort;  // TCP port of every tier (each has its own namespace)
  /// The tier command; placeholders {exe} {tier} {listen} {unix} {threads} {state_dir}.
  std::vector<std::string> server_command;
  int ready_timeout_ms = 30000;
  double probe_tolerance = 0.10;  // `up` refuses links whose rate is further off than this
};

/// `{exe} serve --tier {tier} --listen {listen} --listen unix:{unix} --threads {threads}`.
std::vector<std::string> default_server_command();

struct HostResources {
  int cpus = 1;              // CPUs this process may run on
  int64_t memory_bytes = 0;  // MemTotal
};
HostResources detect_host_resources();

/// Share of host memory the default presets split between the tiers.
constexpr double kMemoryBudgetFraction = 0.5;

/// "default": CPUs Mobile:Edge:Cloud = 1:2:4 with Cloud on every host CPU, memory 1:4:16 of
/// half the host's memory, Mobile-Edge 200 Mbit/s, Edge-Cloud 10 Mbit/s.
/// "study": the same tiers with the study's rates (Mobile-Edge 200, Edge-Cloud 1 Mbit/s).
Result<TestbedConfig> preset_config(const std::string& name, const HostResources& host);
std::vector<std::string> preset_names();

/// Reads a tiers.yaml file (format in presets.cpp); unknown keys are errors naming the key's
/// path and the nearest valid key.
Result<TestbedConfig> load_testbed_config(const std::string& path);
Result<TestbedConfig> parse_testbed_config(const std::string& yaml_text, const std::string& label);
Status validate_testbed_config(const TestbedConfig& config);

/// "512MiB", "4g", "1.5GiB", "1000000" -> bytes (k/m/g are powers of 1024 as in Docker).
/// ONNX Runtime intra-op threads for a CPU quota: ceil(cpus), at least 1.
int threads_for_cpus(double cpus);

}  // namespace edgetier::testbed
