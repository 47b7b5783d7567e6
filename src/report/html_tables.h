/// The HTML report's tables (summary, strategies, rank tests, accuracy tests), from report JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace edgetier::html {

/// Finds the recommendation of `model`/`scenario` in the `recommendation` section (may be null).
const nlohmann::json* find_recommendation(const nlohmann::json* recommendation,
                                          const std::string& model, const std::string& scenario);

/// One row per model and scenario: the recommended strategy (or the fastest Pareto strategy when
/// there is no recommendation), its latency, speedup and accuracy loss, and the Pareto front.
std::string summary_table(const nlohmann::json& analysis, const nlohmann::json* recommendation);

/// The recommendation of one scenario as a highlighted paragraph; "" without one.
std::string recommendation_box(const nlohmann::json* recommendation);

/// Every strategy of one scenario: latency percentiles with CIs, accuracy, loss, speedup and
/// Cliff's delta against Identity; Pareto strategies and the recommended one are marked.
std::string strategies_table(const nlohmann::json& scenario, const nlohmann::json* recommendation);

/// Kruskal-Wallis per group, each with its Conover-Iman pairs in a collapsible table.
std::string rank_tests(const nlohmann::json& scenario, const nlohmann::json& options);

/// The paired accuracy tests across models (Wilcoxon signed-rank); "" when there are none.
std::string accuracy_tests(const nlohmann::json& analysis);

/// The campaign section: wall time against the sum of the request times and one row per phase
/// (the document's `campaign`, report/campaign_text.h); "" without one.
std::string campaign_table(const nlohmann::json& campaign);

}  // namespace edgetier::html
