/// Load-mode figures (concurrency > 1 or an open-loop rate): p50/p95/p99 and throughput of every
/// measured strategy.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/result_set.h"

namespace edgetier {

struct LoadRow {
  StrategyKey key;
  int64_t n = 0;  // successful requests
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  /// Successful requests per second over the send window (first send to last reply); 0 when
  /// the window is empty or unknown.
  double throughput_rps = 0;
};

/// One row per strategy with samples, in the ResultSet's order (a stored run: strategy id).
std::vector<LoadRow> load_summary(const ResultSet& results);

/// [{"model", "scenario", "strategy", "n", "p50_ms", "p95_ms", "p99_ms", "throughput_rps"}].
nlohmann::json to_json(const std::vector<LoadRow>& rows);

}  // namespace edgetier
