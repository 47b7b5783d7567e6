/// Terminal printers of the what-if planner's grid and validation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/planner.h"

namespace edgetier {

/// The fitted link models, then per model and RTT a matrix of the best strategy (and its
/// predicted median) per bandwidth pair, the cuts the best partitioned strategies move to, and
/// the strategies that could not be predicted.
std::string format_plan(const PlanReport& report);

/// Per scenario a table of measured vs predicted medians with the error, each scenario's and the
/// overall median absolute percentage error.
std::string format_validation(const ValidationReport& report);

/// `edgetier run`'s predicted scenarios (cli/run_predicted.h JSON): per scenario and model each
/// strategy's predicted median with its p10..p90, the best one, and the validation figure.
std::string format_predicted_scenarios(const nlohmann::json& predicted);

}  // namespace edgetier
