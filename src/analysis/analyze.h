/// The analysis of a ResultSet: the one report schema (AnalysisReport) every printer reads.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/result_set.h"
#include "analysis/stats.h"
#include "strategy/chain.h"

namespace edgetier {

struct AnalysisOptions {
  /// The latency percentile (0-100] that ranks strategies: Pareto front, speedups,
  /// recommendations. 50 (the median) is what the study reports.
  double percentile = 50;
  stats::BootstrapOptions bootstrap;
  stats::PAdjust p_adjust = stats::PAdjust::kHolm;
  double alpha = 0.05;
  std::string model;     // analyse only this model ("" = all)
  std::string scenario;  // analyse only this scenario ("" = all)
  std::string reference_ops = identity_chain_name();
};

/// Latency of one strategy in milliseconds.
struct LatencyStats {
  size_t n = 0;
  double mean_ms = 0, stdev_ms = 0, min_ms = 0, max_ms = 0;
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0;
  stats::ConfidenceInterval mean_ci_ms, p50_ci_ms, p95_ci_ms;
  double percentile = 50;  // AnalysisOptions::percentile
  double at_percentile_ms = 0;
  stats::ConfidenceInterval at_percentile_ci_ms;
};

/// A strategy against the reference chain (I) on the same tier: I@E for QE@E; for a multi-tier
/// placement the reference runs on the tier the request enters (I@M for P@ME, I@E for P@EC).
struct EffectVsReference {
  std::string reference;  // "I@E"
  double speedup = 1;     // reference latency / this latency at the percentile; > 1 = faster
  double speedup_p50 = 1;
  double latency_change_pct = 0;  // (this - reference) / reference * 100 at the percentile
  stats::CliffsDelta cliffs;      // this vs reference: negative = this tends to be faster
};

struct StrategyReport {
  StrategyKey key;
  std::string label;     // "QE@E"
  std::string ops_name;  // "Quantized Early Exit"
  LatencyStats latency;
  /// Shapiro-Wilk on the latency samples; absent when n is outside 3..5000 or values are constant.
  std::optional<stats::ShapiroWilkResult> normality;
  std::map<std::string, double> breakdown_p50_ms;  // median of each breakdown component
  std::map<std::string, double> bytes_p50;         // median of each byte count (per link)
  int64_t failed_requests = 0;
  /// Dynamic early exit: share of requests the early head answered, percent.
  std::optional<double> exit_rate_pct;
  std::optional<double> accuracy;           // primary metric, percent
  std::optional<double> accuracy_loss_pts;  // reference accuracy minus this, in points
  std::optional<EffectVsReference> vs_reference;
  bool pareto = false;
  /// The precision the measurement achieved: half the median's CI (latency.p50_ci_ms) as % of
  /// the median; NaN when it cannot be computed.
  double precision_pct = 0;
  /// Why its measurement stopped (StrategySamples::stop_reason); "" when the source does not say.
  std::string stop_reason;
};

/// One post-hoc pair: Conover-Iman p-values plus Cliff's delta of a vs b.
struct PairwiseReport {
  std::string a;
  std::string b;
  double mean_rank_difference = 0;
  double t = 0;
  double p_value = 1;
  double p_adjusted = 1;
  bool significant = false;  // p_adjusted < alpha
  stats::CliffsDelta effect;
};

/// Kruskal-Wallis over strategies that share the operators (across tiers) or the placement
/// (across operators), then Conover-Iman between every pair.
struct GroupTestReport {
  std::string kind;        // "across_tiers" or "across_operators"
  std::string held_fixed;  // the ops ("I") for across_tiers, the placement ("E") otherwise
  std::vector<std::string> strategies;
  stats::KruskalWallisResult kruskal;
  bool significant = false;
  std::vector<PairwiseReport> post_hoc;
};

/// Everything about one model under one network scenario.
struct ScenarioReport {
  std::string model;
  std::string scenario;
  std::string metric;  // primary accuracy metric; "" without accuracy data
  std::optional<double> reference_accuracy;
  std::vector<StrategyReport> strategies;  // by placement (M, E, C, ME, ...), then ops
  std::vector<std::string> pareto_front;   // labels, ascending latency
  std::vector<GroupTestReport> tests;
  std::vector<std::string> notes;
  /// Strategies of this model and scenario the source planned but did not completely measure
  /// (infeasible, failed, not measured, incomplete), in display order. Incomplete ones with
  /// samples are in `strategies` too.
  std::vector<MissingStrategy> missing;

  const StrategyReport* find(const std::string& label) const;
};

/// Paired accuracy of a chain against the reference across models (the study's Wilcoxon test).
struct AccuracyTestReport {
  std::string ops;
  std::string reference;
  std::vector<std::string> models;
  std::vector<std::string> metrics;  // each model's primary metric
  std::vector<double> reference_values;
  std::vector<double> values;
  std::optional<stats::WilcoxonResult> wilcoxon;
  std::string note;
};

struct AnalysisReport {
  static constexpr int kSchemaVersion = 1;
  std::string source;
  AnalysisOptions options;
  size_t total_samples = 0;
  std::vector<ScenarioReport> scenarios;
  std::vector<AccuracyTestReport> accuracy_tests;
  /// Q chains quantized to an accuracy budget (the models analysed): nodes kept in float, loss.
  std::vector<QuantizeSearchRecord> quantize_searches;
  std::vector<std::string> warnings;

  const ScenarioReport* find(const std::string& model, const std::string& scenario) const;
};

/// Runs every statistic over `results`. Fails on bad options or when the filters match nothing.
Result<AnalysisReport> analyze(const ResultSet& results, const AnalysisOptions& options);

/// "p50", "p95", "p99.9".
std::string percentile_name(double pct);
/// Checks percentile, alpha, bootstrap settings and that the model/scenario filters exist.
Status validate_analysis_options(const ResultSet& results, const AnalysisOptions& options);
/// Strategy display order: placement M, E, C, ME, EC, MC, MEC then ops I, Q, EE, QE, P, QP,
/// EEP, QEP, then anything else by name.
bool strategy_order_less(const StrategyKey& a, const StrategyKey& b);

/// Latencies of `samples` in milliseconds, ascending.
std::vector<double> sorted_latency_ms(const StrategySamples& samples);

nlohmann::json to_json(const stats::ConfidenceInterval& ci);
nlohmann::json to_json(const stats::CliffsDelta& delta);
nlohmann::json to_json(const EffectVsReference& effect);
nlohmann::json to_json(const StrategyReport& strategy);
/// {"label", "ops", "placement", "status", "kind", "reason", "requests_stored",
/// "requests_planned" (null when unknown)}.
nlohmann::json to_json(const MissingStrategy& missing);
nlohmann::json to_json(const AnalysisReport& report);

}  // namespace edgetier
