/// Shared inputs of the report tests: the study's results plus a synthetic model with a latency
/// breakdown, and a synthetic what-if planner grid.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/result_set.h"
#include "core/status.h"

namespace edgetier::testing {

/// The study's latency samples and accuracy (../shared/paper-data).
Status load_study_results(ResultSet* results);

/// Adds model "TinyNet" under scenario "lan" with no accuracy rows: I@E, Q@E and P@ME, 60
/// requests each with queue/compute/serialize/transfer_mobile_edge breakdown components, seeded.
void add_breakdown_model(ResultSet* results);

/// A planner section with one 6x6 bandwidth heatmap for `model` (the study's sweep values).
nlohmann::json synthetic_planner(const std::string& model);

}  // namespace edgetier::testing
