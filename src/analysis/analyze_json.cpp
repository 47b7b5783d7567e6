/// JSON form of the AnalysisReport (`edgetier analyze --json`); field names carry their units.
#include "analysis/analyze.h"

#include <cmath>

namespace edgetier {

namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json key_json(const StrategyKey& key) {
  return {{"model", key.model},
          {"ops", key.ops},
          {"placement", key.placement},
          {"scenario", key.scenario}};
}

nlohmann::json kruskal_json(const stats::KruskalWallisResult& k) {
  return {{"h", k.h},
          {"h_uncorrected", k.h_uncorrected},
          {"tie_correction", k.tie_correction},
          {"df", k.df},
          {"p_value", k.p_value},
          {"n_total", k.n_total},
          {"group_sizes", k.group_sizes},
          {"mean_ranks", k.mean_ranks}};
}

nlohmann::json options_json(const AnalysisOptions& o) {
  return {{"percentile", o.percentile},
          {"bootstrap_resamples", o.bootstrap.resamples},
          {"confidence", o.bootstrap.confidence},
          {"seed", o.bootstrap.seed},
          {"p_adjust", std::string(stats::p_adjust_name(o.p_adjust))},
          {"alpha", o.alpha},
          {"model", o.model},
          {"scenario", o.scenario},
          {"reference_ops", o.reference_ops}};
}

}  // namespace

nlohmann::json to_json(const stats::ConfidenceInterval& ci) {
  return {{"low", ci.low}, {"high", ci.high}, {"level", ci.level}};
}

nlohmann::json to_json(const stats::CliffsDelta& d) {
  return {{"delta", d.delta}, {"magnitude", std::string(stats::magnitude_name(d.magnitude))}};
}

nlohmann::json to_json(const EffectVsReference& e) {
  return {{"reference", e.reference},
          {"speedup", e.speedup},
          {"speedup_p50", e.speedup_p50},
          {"latency_change_pct", e.latency_change_pct},
          {"cliffs_delta", to_json(e.cliffs)}};
}

nlohmann::json to_json(const StrategyReport& s) {
  const LatencyStats& l = s.latency;
  nlohmann::json latency = {{"n", l.n},
                            {"mean_ms", l.mean_ms},
                            {"stdev_ms", l.stdev_ms},
                            {"min_ms", l.min_ms},
                            {"max_ms", l.max_ms},
                            {"p50_ms", l.p50_ms},
                            {"p90_ms", l.p90_ms},
                            {"p95_ms", l.p95_ms},
                            {"p99_ms", l.p99_ms},
                            {"mean_ci_ms", to_json(l.mean_ci_ms)},
                            {"p50_ci_ms", to_json(l.p50_ci_ms)},
                            {"p95_ci_ms", to_json(l.p95_ci_ms)},
                            {"percentile", l.percentile},
                            {"at_percentile_ms", l.at_percentile_ms},
                            {"at_percentile_ci_ms", to_json(l.at_percentile_ci_ms)}};
  nlohmann::json j = {{"label", s.label},
                      {"key", key_json(s.key)},
                      {"ops_name", s.ops_name},
                      {"latency", latency},
                      {"failed_requests", s.failed_requests},
                      {"exit_rate_pct", optional_number(s.exit_rate_pct)},
                      {"accuracy", optional_number(s.accuracy)},
                      {"accuracy_loss_pts", optional_number(s.accuracy_loss_pts)},
                      {"pareto", s.pareto},
                      {"precision_pct", std::isfinite(s.precision_pct)
                                            ? nlohmann::json(s.precision_pct)
                                            : nlohmann::json(nullptr)},
                      {"requests", static_cast<int64_t>(l.n) + s.failed_requests},
                      {"stop_reason", s.stop_reason.empty() ? nlohmann::json(nullptr)
                                                            : nlohmann::json(s.stop_reason)}};
  j["normality"] = s.normality ? nlohmann::json{{"test", "shapiro_wilk"},
                                                {"w", s.normality->w},
                                                {"p_value", s.normality->p_value}}
                               : nlohmann::json(nullptr);
  j["breakdown_p50_ms"] = s.breakdown_p50_ms;
  j["bytes_p50"] = s.bytes_p50;
  j["vs_reference"] = s.vs_reference ? to_json(*s.vs_reference) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json to_json(const MissingStrategy& m) {
  return {{"label", m.key.label()},
          {"ops", m.key.ops},
          {"placement", m.key.placement},
          {"status", m.status},
          {"kind", m.kind()},
          {"reason", m.reason},
          {"requests_stored", m.requests_stored},
          {"requests_planned",
           m.requests_planned ? nlohmann::json(*m.requests_planned) : nlohmann::json(nullptr)}};
}

nlohmann::json to_json(const AnalysisReport& report) {
  nlohmann::json scenarios = nlohmann::json::array();
  for (const auto& sc : report.scenarios) {
    nlohmann::json strategies = nlohmann::json::array();
    for (const auto& s : sc.strategies) strategies.push_back(to_json(s));
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& m : sc.missing) missing.push_back(to_json(m));
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& t : sc.tests) {
      nlohmann::json pairs = nlohmann::json::array();
      for (const auto& p : t.post_hoc) {
        pairs.push_back({{"a", p.a},
                         {"b", p.b},
                         {"mean_rank_difference", p.mean_rank_difference},
                         {"t", p.t},
                         {"p_value", p.p_value},
                         {"p_adjusted", p.p_adjusted},
                         {"significant", p.significant},
                         {"cliffs_delta", to_json(p.effect)}});
      }
      tests.push_back({{"kind", t.kind},
                       {"held_fixed", t.held_fixed},
                       {"strategies", t.strategies},
                       {"kruskal_wallis", kruskal_json(t.kruskal)},
                       {"significant", t.significant},
                       {"post_hoc",
                        {{"test", "conover_iman"},
                         {"p_adjust", std::string(stats::p_adjust_name(report.options.p_adjust))},
                         {"pairs", pairs}}}});
    }
    scenarios.push_back({{"model", sc.model},
                         {"scenario", sc.scenario},
                         {"metric", sc.metric},
                         {"reference_accuracy", optional_number(sc.reference_accuracy)},
                         {"strategies", strategies},
                         {"pareto_front", sc.pareto_front},
                         {"tests", tests},
                         {"notes", sc.notes},
                         {"missing_strategies", missing}});
  }
  nlohmann::json acc = nlohmann::json::array();
  for (const auto& t : report.accuracy_tests) {
    nlohmann::json w = nullptr;
    if (t.wilcoxon) {
      w = {{"test", "wilcoxon_signed_rank"},
           {"w_plus", t.wilcoxon->w_plus},
           {"w_minus", t.wilcoxon->w_minus},
           {"statistic", t.wilcoxon->statistic},
           {"n", t.wilcoxon->n},
           {"n_zero", t.wilcoxon->n_zero},
           {"exact", t.wilcoxon->exact},
           {"z", t.wilcoxon->exact ? nlohmann::json(nullptr) : nlohmann::json(t.wilcoxon->z)},
           {"p_value", t.wilcoxon->p_value}};
    }
    acc.push_back({{"ops", t.ops},
                   {"reference", t.reference},
                   {"models", t.models},
                   {"metrics", t.metrics},
                   {"reference_values", t.reference_values},
                   {"values", t.values},
                   {"wilcoxon", w},
                   {"note", t.note}});
  }
  nlohmann::json searches = nlohmann::json::array();
  for (const auto& q : report.quantize_searches) {
    searches.push_back({{"model", q.model},
                        {"ops", q.ops},
                        {"max_accuracy_loss", q.max_accuracy_loss},
                        {"float_nodes", q.float_nodes},
                        {"float_node_count", q.float_nodes.size()},
                        {"metric", q.metric},
                        {"labelled", q.labelled},
                        {"samples", q.samples},
                        {"initial_loss_points", q.initial_loss_points},
                        {"loss_points", q.loss_points}});
  }
  return {{"schema_version", AnalysisReport::kSchemaVersion},
          {"source", report.source},
          {"options", options_json(report.options)},
          {"total_samples", report.total_samples},
          {"scenarios", scenarios},
          {"accuracy_tests", acc},
          {"quantize_searches", searches},
          {"warnings", report.warnings}};
}

}  // namespace edgetier
