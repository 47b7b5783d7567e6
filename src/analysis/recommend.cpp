/// Feasibility, ranking, tie-breaking and the one-sentence reason behind each recommendation.
#include "analysis/recommend.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <map>

namespace edgetier {

namespace {

std::string printf_string(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return buf;
}

std::string format_points(double pts) { return printf_string("%g pt", pts); }

/// "-7.13 pt top1", "no top1 loss", "top1 unknown".
std::string accuracy_phrase(const Candidate& c, const std::string& metric) {
  if (!c.accuracy_loss_pts) return metric.empty() ? "accuracy not measured" : metric + " unknown";
  if (std::fabs(*c.accuracy_loss_pts) < 0.005) return "no " + metric + " loss";
  return printf_string("%+.2f pt %s", -*c.accuracy_loss_pts, metric.c_str());
}

std::string effect_phrase(const stats::CliffsDelta& d) {
  return std::string(stats::magnitude_name(d.magnitude)) + " effect, Cliff's delta " +
         printf_string("%+.2f", d.delta);
}

int tier_count(const std::string& placement) { return static_cast<int>(placement.size()); }

Status validate_limits(const RecommendOptions& options) {
  if (options.max_latency_ms &&
      !(std::isfinite(*options.max_latency_ms) && *options.max_latency_ms > 0)) {
    return invalid_argument(printf_string(
        "--max-latency-ms %g is impossible: a latency limit must be a positive number of "
        "milliseconds",
        *options.max_latency_ms));
  }
  if (options.max_accuracy_loss_pts &&
      !(std::isfinite(*options.max_accuracy_loss_pts) && *options.max_accuracy_loss_pts >= 0 &&
        *options.max_accuracy_loss_pts <= 100)) {
    return invalid_argument(printf_string(
        "--max-accuracy-loss %g is impossible: the budget is in accuracy points, 0 to 100 "
        "(0 = no loss allowed)",
        *options.max_accuracy_loss_pts));
  }
  return ok_status();
}

std::string constraint_phrase(const RecommendOptions& options, const std::string& pname) {
  std::vector<std::string> parts;
  if (options.max_latency_ms)
    parts.push_back(pname + " <= " + format_latency(*options.max_latency_ms));
  if (options.max_accuracy_loss_pts) {
    parts.push_back("accuracy loss <= " + format_points(*options.max_accuracy_loss_pts));
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? " and " : "") + parts[i];
  return out;
}

Candidate make_candidate(const StrategyReport& s, const RecommendOptions& options,
                         const std::string& pname) {
  Candidate c;
  c.label = s.label;
  c.key = s.key;
  c.latency_ms = s.latency.at_percentile_ms;
  c.latency_ci_ms = s.latency.at_percentile_ci_ms;
  c.accuracy = s.accuracy;
  c.accuracy_loss_pts = s.accuracy_loss_pts;
  c.vs_reference = s.vs_reference;
  if (options.max_latency_ms && c.latency_ms > *options.max_latency_ms) {
    c.violations.push_back(pname + " " + format_latency(c.latency_ms) + " > " +
                           format_latency(*options.max_latency_ms));
    c.violation_score += (c.latency_ms - *options.max_latency_ms) / *options.max_latency_ms;
  }
  if (options.max_accuracy_loss_pts) {
    const double budget = *options.max_accuracy_loss_pts;
    if (!c.accuracy_loss_pts) {
      c.violations.push_back("accuracy unknown");
      c.violation_score = std::numeric_limits<double>::infinity();
    } else if (*c.accuracy_loss_pts > budget + 1e-9) {
      c.violations.push_back(printf_string("accuracy loss %.2f pt > %s", *c.accuracy_loss_pts,
                                           format_points(budget).c_str()));
      c.violation_score += (*c.accuracy_loss_pts - budget) / std::max(budget, 1.0);
    }
  }
  c.feasible = c.violations.empty();
  return c;
}

/// Sorted latency samples per strategy, loaded on first use.
class SampleCache {
 public:
  explicit SampleCache(const ResultSet& results) : results_(results) {}
  const std::vector<double>& get(const StrategyKey& key) {
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const StrategySamples* s = results_.find(key);
    return cache_[key] = s ? sorted_latency_ms(*s) : std::vector<double>{};
  }

 private:
  const ResultSet& results_;
  std::map<StrategyKey, std::vector<double>> cache_;
};

std::string feasible_reason(const Recommendation& r, const Candidate& fastest,
                            const std::optional<stats::CliffsDelta>& vs_fastest,
                            const std::string& why_not_fastest, const std::string& pname) {
  const Candidate& c = *r.recommended;
  std::string s = c.label + ": " + pname + " " + format_latency(c.latency_ms);
  if (c.vs_reference && c.vs_reference->reference != c.label) {
    const auto& e = *c.vs_reference;
    s += e.speedup >= 1
             ? printf_string(", %.2fx faster than %s", e.speedup, e.reference.c_str())
             : printf_string(", %.2fx slower than %s", 1 / e.speedup, e.reference.c_str());
    s += " (" + effect_phrase(e.cliffs) + ")";
  } else if (c.vs_reference) {
    s += ", the unmodified model";
  }
  s += ", " + accuracy_phrase(c, r.metric);
  if (c.label != fastest.label && vs_fastest) {
    s += "; as fast as " + fastest.label + " (" + pname + " " + format_latency(fastest.latency_ms) +
         ", " + effect_phrase(*vs_fastest) + ") with " + why_not_fastest;
  } else if (r.runner_up && r.vs_runner_up) {
    const Candidate& ru = *r.runner_up;
    s += "; runner-up " + ru.label + " (" + pname + " " + format_latency(ru.latency_ms) + ", " +
         accuracy_phrase(ru, r.metric) + ") is " +
         printf_string("%.2fx slower", ru.latency_ms / c.latency_ms);
    // A tail percentile can rank a strategy first that is slower on most requests: say so.
    if (r.vs_runner_up->delta > 0 &&
        r.vs_runner_up->magnitude != stats::EffectMagnitude::kNegligible) {
      s += " at " + pname + " but faster on most requests";
    }
    s += " (" + effect_phrase(*r.vs_runner_up) + ")";
  } else {
    s += "; the only feasible strategy";
  }
  return s + ".";
}

/// Why `a` and `b` are tied at the ranking percentile, or "" when they are not: their bootstrap
/// CIs overlap, or the scenario's post-hoc test compared them and found no significant
/// difference.
std::string tie_between(const ScenarioReport& sc, const Candidate& a, const Candidate& b,
                        const std::string& pname) {
  const auto& ca = a.latency_ci_ms;
  const auto& cb = b.latency_ci_ms;
  const bool finite = std::isfinite(ca.low) && std::isfinite(ca.high) && std::isfinite(cb.low) &&
                      std::isfinite(cb.high);
  if (finite && ca.low <= cb.high && cb.low <= ca.high) {
    return printf_string("their %.0f%% CIs of %s overlap: [%s, %s] and [%s, %s]",
                         ca.level * 100, pname.c_str(), format_latency(ca.low).c_str(),
                         format_latency(ca.high).c_str(), format_latency(cb.low).c_str(),
                         format_latency(cb.high).c_str());
  }
  for (const auto& test : sc.tests) {
    for (const auto& p : test.post_hoc) {
      const bool same = (p.a == a.label && p.b == b.label) || (p.a == b.label && p.b == a.label);
      if (same && !p.significant)
        return printf_string("Conover-Iman adjusted p = %.3g, not significant", p.p_adjusted);
    }
  }
  return "";
}

Recommendation recommend_scenario(const ScenarioReport& sc, const RecommendOptions& options,
                                  SampleCache* samples) {
  const std::string pname = percentile_name(options.analysis.percentile);
  Recommendation r;
  r.model = sc.model;
  r.scenario = sc.scenario;
  r.missing = sc.missing;
  r.metric = sc.metric;
  r.percentile = options.analysis.percentile;
  std::vector<Candidate> feasible;
  for (const auto& s : sc.strategies) {
    Candidate c = make_candidate(s, options, pname);
    (c.feasible ? feasible : r.infeasible).push_back(std::move(c));
  }
  std::stable_sort(
      r.infeasible.begin(), r.infeasible.end(),
      [](const Candidate& a, const Candidate& b) { return a.violation_score < b.violation_score; });
  const std::string where =
      sc.model + (sc.scenario == kDefaultScenario ? "" : " (" + sc.scenario + ")");
  if (feasible.empty()) {
    r.feasible = false;
    std::string limits = constraint_phrase(options, pname);
    if (sc.strategies.empty()) {
      r.reason = "No strategy of " + where + " has latency samples";
      r.reason += r.missing.empty() ? std::string(".")
                                    : "; " + std::to_string(r.missing.size()) +
                                          " planned strategies were not measured (listed below).";
      return r;
    }
    if (!r.infeasible.empty() && std::isfinite(r.infeasible.front().violation_score)) {
      r.closest = r.infeasible.front();
      const Candidate& c = *r.closest;
      std::string latency = pname + " " + format_latency(c.latency_ms);
      if (options.max_latency_ms && c.latency_ms > *options.max_latency_ms) {
        latency += printf_string(", %.2fx the limit", c.latency_ms / *options.max_latency_ms);
      }
      std::string accuracy = accuracy_phrase(c, r.metric);
      if (options.max_accuracy_loss_pts && c.accuracy_loss_pts &&
          *c.accuracy_loss_pts > *options.max_accuracy_loss_pts + 1e-9) {
        accuracy += printf_string(", %.2f pt over budget",
                                  *c.accuracy_loss_pts - *options.max_accuracy_loss_pts);
      }
      r.reason = "Nothing meets " + limits + " for " + where + "; closest: " + c.label + " (" +
                 latency + "; " + accuracy + ").";
    } else {
      r.reason = "Nothing meets " + limits + " for " + where + ": its accuracy is unknown " +
                 "(pass --accuracy CSV, or drop --max-accuracy-loss).";
    }
    return r;
  }
  r.feasible = true;
  std::stable_sort(feasible.begin(), feasible.end(), [](const Candidate& a, const Candidate& b) {
    return a.latency_ms < b.latency_ms;
  });
  const Candidate fastest = feasible.front();
  // Candidates indistinguishable from the fastest compete on accuracy, then simplicity.
  const auto& fastest_samples = samples->get(fastest.key);
  size_t best = 0;
  auto preference = [](const Candidate& c) {
    return std::make_tuple(c.accuracy_loss_pts.value_or(std::numeric_limits<double>::infinity()),
                           ops_complexity(c.key.ops), tier_count(c.key.placement), c.latency_ms);
  };
  for (size_t i = 1; i < feasible.size(); ++i) {
    const auto d = stats::cliffs_delta_sorted(samples->get(feasible[i].key), fastest_samples);
    if (d.magnitude != stats::EffectMagnitude::kNegligible) continue;
    if (preference(feasible[i]) < preference(feasible[best])) best = i;
  }
  std::string why_not_fastest;
  std::optional<stats::CliffsDelta> vs_fastest;
  if (best != 0) {
    const Candidate& c = feasible[best];
    vs_fastest = stats::cliffs_delta_sorted(samples->get(c.key), fastest_samples);
    const double lc = c.accuracy_loss_pts.value_or(INFINITY);
    const double lf = fastest.accuracy_loss_pts.value_or(INFINITY);
    why_not_fastest = lc < lf ? "less accuracy loss"
                      : ops_complexity(c.key.ops) < ops_complexity(fastest.key.ops)
                          ? "fewer operators"
                          : "fewer tiers";
  }
  r.ranked.push_back(feasible[best]);
  for (size_t i = 0; i < feasible.size(); ++i) {
    if (i != best) r.ranked.push_back(feasible[i]);
  }
  r.recommended = r.ranked.front();
  if (r.ranked.size() > 1) {
    r.runner_up = r.ranked[1];
    r.vs_runner_up = stats::cliffs_delta_sorted(samples->get(r.recommended->key),
                                                samples->get(r.runner_up->key));
  }
  r.reason = feasible_reason(r, fastest, vs_fastest, why_not_fastest, pname);
  if (r.runner_up) {
    r.tie_reason = tie_between(sc, *r.recommended, *r.runner_up, pname);
    r.tied = !r.tie_reason.empty();
    if (r.tied) {
      r.reason = "tied: " + r.recommended->label + " and " + r.runner_up->label +
                 " cannot be told apart (" + r.tie_reason + "). " + r.reason;
    }
  }
  return r;
}

}  // namespace

std::string format_latency(double ms) {
  if (std::isnan(ms)) return "n/a";
  const bool seconds = std::fabs(ms) >= 1000;
  const double v = seconds ? ms / 1000 : ms;
  const char* unit = seconds ? "s" : "ms";
  const double a = std::fabs(v);
  if (a >= 100) return printf_string("%.0f %s", v, unit);
  if (a >= 10) return printf_string("%.1f %s", v, unit);
  return printf_string("%.2f %s", v, unit);
}

Result<RecommendReport> recommend(const ResultSet& results, const RecommendOptions& options) {
  RETURN_IF_ERROR(validate_limits(options));
  ASSIGN_OR_RETURN(AnalysisReport analysis, analyze(results, options.analysis));
  return recommend(results, analysis, options);
}

Result<RecommendReport> recommend(const ResultSet& results, const AnalysisReport& analysis,
                                  const RecommendOptions& options) {
  RETURN_IF_ERROR(validate_limits(options));
  if (analysis.options.percentile != options.analysis.percentile) {
    return invalid_argument("the analysis ranks " + percentile_name(analysis.options.percentile) +
                            " but the recommendation asks for " +
                            percentile_name(options.analysis.percentile));
  }
  RecommendReport report;
  report.source = analysis.source;
  report.options = options;
  SampleCache samples(results);
  for (const auto& sc : analysis.scenarios) {
    report.recommendations.push_back(recommend_scenario(sc, options, &samples));
  }
  return report;
}

nlohmann::json to_json(const Candidate& c) {
  nlohmann::json j = {
      {"label", c.label},
      {"ops", c.key.ops},
      {"placement", c.key.placement},
      {"latency_ms", c.latency_ms},
      {"latency_ci_ms", to_json(c.latency_ci_ms)},
      {"accuracy", c.accuracy ? nlohmann::json(*c.accuracy) : nlohmann::json()},
      {"accuracy_loss_pts",
       c.accuracy_loss_pts ? nlohmann::json(*c.accuracy_loss_pts) : nlohmann::json()},
      {"feasible", c.feasible},
      {"violations", c.violations}};
  j["violation_score"] =
      std::isfinite(c.violation_score) ? nlohmann::json(c.violation_score) : nlohmann::json();
  j["vs_reference"] = c.vs_reference ? to_json(*c.vs_reference) : nlohmann::json();
  return j;
}

nlohmann::json to_json(const RecommendReport& report) {
  nlohmann::json recs = nlohmann::json::array();
  for (const auto& r : report.recommendations) {
    nlohmann::json ranked = nlohmann::json::array(), infeasible = nlohmann::json::array();
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& c : r.ranked) ranked.push_back(to_json(c));
    for (const auto& c : r.infeasible) infeasible.push_back(to_json(c));
    for (const auto& m : r.missing) missing.push_back(to_json(m));
    recs.push_back({{"model", r.model},
                    {"scenario", r.scenario},
                    {"metric", r.metric},
                    {"percentile", r.percentile},
                    {"feasible", r.feasible},
                    {"recommended", r.recommended ? to_json(*r.recommended) : nlohmann::json()},
                    {"runner_up", r.runner_up ? to_json(*r.runner_up) : nlohmann::json()},
                    {"vs_runner_up", r.vs_runner_up ? to_json(*r.vs_runner_up) : nlohmann::json()},
                    {"tied", r.tied},
                    {"tied_with", r.tied ? nlohmann::json(r.runner_up->label) : nlohmann::json()},
                    {"tie_reason", r.tied ? nlohmann::json(r.tie_reason) : nlohmann::json()},
                    {"closest", r.closest ? to_json(*r.closest) : nlohmann::json()},
                    {"ranked", ranked},
                    {"infeasible", infeasible},
                    {"missing_strategies", missing},
                    {"reason", r.reason}});
  }
  const auto& o = report.options;
  nlohmann::json constraints = {
      {"percentile", o.analysis.percentile},
      {"max_latency_ms", o.max_latency_ms ? nlohmann::json(*o.max_latency_ms) : nlohmann::json()},
      {"max_accuracy_loss_pts",
       o.max_accuracy_loss_pts ? nlohmann::json(*o.max_accuracy_loss_pts) : nlohmann::json()},
      {"model", o.analysis.model},
      {"scenario", o.analysis.scenario}};
  const bool all_feasible =
      std::all_of(report.recommendations.begin(), report.recommendations.end(),
                  [](const Recommendation& r) { return r.feasible; });
  return {{"schema_version", 1},
          {"source", report.source},
          {"constraints", constraints},
          {"feasible", all_feasible && !report.recommendations.empty()},
          {"recommendations", recs}};
}

}  // namespace edgetier
