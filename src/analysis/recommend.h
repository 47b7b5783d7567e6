/// Picks the strategy to ship per model and scenario under latency and accuracy-loss limits.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analyze.h"
#include "analysis/result_set.h"

namespace edgetier {

struct RecommendOptions {
  /// Percentile, model and scenario filters, bootstrap and test settings.
  AnalysisOptions analysis;
  /// Feasible strategies have a latency percentile at or below this.
  std::optional<double> max_latency_ms;
  /// Feasible strategies lose at most this many accuracy points against Identity.
  std::optional<double> max_accuracy_loss_pts;
};

struct Candidate {
  std::string label;
  StrategyKey key;
  double latency_ms = 0;  // at the chosen percentile
  stats::ConfidenceInterval latency_ci_ms;
  std::optional<double> accuracy;
  std::optional<double> accuracy_loss_pts;
  std::optional<EffectVsReference> vs_reference;
  bool feasible = true;
  std::vector<std::string> violations;  // "p50 3.48 s > 1.00 s", "accuracy loss 7.13 pt > 1 pt"
  /// Sum of relative excesses: (latency - max) / max + (loss - budget) / max(budget, 1 pt);
  /// infinite when a limit cannot be checked (accuracy unknown). 0 when feasible.
  double violation_score = 0;
};

struct Recommendation {
  std::string model;
  std::string scenario;
  std::string metric;
  double percentile = 50;
  bool feasible = false;
  std::optional<Candidate> recommended;
  std::optional<Candidate> runner_up;
  std::optional<stats::CliffsDelta> vs_runner_up;  // recommended vs runner-up latency samples
  /// The recommended and the runner-up are statistically tied: their latency CIs overlap, or
  /// the post-hoc test between them is not significant. Both are shown as "tied"; the first is
  /// listed first only by the tie-break (accuracy, operators, tiers), not by its latency.
  bool tied = false;
  std::string tie_reason;  // "95% CIs of p50 overlap", "Conover-Iman p = 0.41 (Holm)"
  /// Feasible candidates: the recommended one first, then by ascending latency.
  std::vector<Candidate> ranked;
  /// Infeasible candidates, smallest violation first.
  std::vector<Candidate> infeasible;
  /// When nothing is feasible: the candidate with the smallest violation.
  std::optional<Candidate> closest;
  /// One sentence with the numbers and effect sizes behind the choice (or the infeasibility).
  std::string reason;
  /// Strategies the source planned but did not completely measure (from the analysis).
  std::vector<MissingStrategy> missing;
};

struct RecommendReport {
  std::string source;
  RecommendOptions options;
  std::vector<Recommendation> recommendations;
};

/// Validates the limits, analyses `results` and recommends per model and scenario.
///
/// Rule: among feasible strategies take the lowest latency percentile; strategies whose
/// latency samples are statistically indistinguishable from that fastest one (Cliff's delta
/// negligible) compete on smaller accuracy loss, then fewer operators, then fewer tiers. When
/// the recommended and the runner-up cannot be told apart (tie_reason) the recommendation says
/// "tied" and names both instead of a winner by noise.
/// Nothing feasible is not an error: the recommendation says so and names the closest strategy.
Result<RecommendReport> recommend(const ResultSet& results, const RecommendOptions& options);
/// Same, reusing an analysis of `results` made with `options.analysis`.
Result<RecommendReport> recommend(const ResultSet& results, const AnalysisReport& analysis,
                                  const RecommendOptions& options);

/// "2.89 s", "45.1 ms", "0.85 ms": three significant digits in a fitting unit.
std::string format_latency(double ms);

nlohmann::json to_json(const Candidate& candidate);
nlohmann::json to_json(const RecommendReport& report);

}  // namespace edgetier
