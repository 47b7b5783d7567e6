/// The terminal table of the report document's load section (`edgetier run` in load mode).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace edgetier {

/// "\nLoad summary\n" and one row per entry of `load` (analysis/load.h to_json): model,
/// scenario, strategy, n, p50/p95/p99 in ms and requests per second.
std::string format_load_summary(const nlohmann::json& load);

}  // namespace edgetier
