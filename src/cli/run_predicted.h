/// `edgetier run`'s predicted scenarios (`measure: false`): the what-if planner fitted on the
/// run's measured scenarios fills each predicted scenario's cells, validated by leaving each
/// measured scenario out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "experiment/spec.h"

namespace edgetier::cli {

/// For every scenario of `scenarios` with measured == false, the planner's prediction of each
/// strategy's median (and p10..p90) at its link rates and RTT, and the best strategy per model;
/// with the leave-one-scenario-out error over the measured scenarios. JSON:
///   {"validation": {"method", "mdape_pct", "predictions", "excluded"} | null,
///    "scenarios": [{"scenario", "links": {"mobile-edge": {"rate_mbit", "rtt_ms"}, ...},
///                   "models": [{"model", "best": "I@C" | null,
///                               "strategies": [{"strategy", "latency_ms",
///                                               "interval_ms": [p10, p90]}]}]}],
///    "warnings": [...]}
/// Null when every scenario was measured.
Result<nlohmann::json> predict_unmeasured(const std::string& results_path, int64_t run_id,
                                          const std::vector<ScenarioSpec>& scenarios);

}  // namespace edgetier::cli
