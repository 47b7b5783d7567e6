/// Builds the AnalysisReport: per-strategy latency and accuracy, effects vs Identity, rank tests,
/// Pareto front and the paired accuracy tests.
#include "analysis/analyze.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "analysis/pareto.h"
#include "core/strings.h"
#include "strategy/chain.h"
#include "strategy/placement.h"
#include "strategy/strategy.h"

namespace edgetier {

namespace {

/// Display order (strategy/): a name that does not parse goes after every known one.
int placement_rank(const std::string& placement) {
  auto p = parse_placement(placement);
  return p.ok() ? p->rank() : static_cast<int>(all_placements().size());
}

int ops_rank(const std::string& ops) {
  auto chain = parse_op_chain(ops);
  return chain.ok() ? chain->rank() : static_cast<int>(standard_op_chains().size());
}

/// Per-strategy working data kept alongside the report while analysing one scenario.
struct Work {
  const StrategySamples* samples = nullptr;
  std::vector<double> sorted_ms;
};

std::string format_compact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

/// The reference strategy label for `key`: I on the same placement when measured, else I on the
/// tier the request enters.
std::string reference_label_for(const StrategyKey& key, const std::string& reference_ops,
                                const std::map<std::string, size_t>& index) {
  const std::string same = strategy_label(reference_ops, key.placement);
  if (index.count(same)) return same;
  const std::string entry = strategy_label(reference_ops, key.placement.substr(0, 1));
  if (index.count(entry)) return entry;
  return "";
}

void run_group_tests(const AnalysisOptions& options, const std::vector<Work>& work,
                     ScenarioReport* report) {
  // Group strategies sharing ops (across tiers) or placement (across operators); groups keep
  // the display order, which is the order strategies are already in.
  auto add_tests = [&](const std::string& kind, auto key_of) {
    std::vector<std::string> keys;
    for (const auto& s : report->strategies) {
      if (std::find(keys.begin(), keys.end(), key_of(s)) == keys.end()) keys.push_back(key_of(s));
    }
    for (const auto& fixed : keys) {
      std::vector<size_t> members;
      for (size_t i = 0; i < report->strategies.size(); ++i) {
        if (key_of(report->strategies[i]) == fixed) members.push_back(i);
      }
      if (members.size() < 2) continue;
      std::vector<std::span<const double>> groups;
      for (size_t i : members) groups.emplace_back(work[i].sorted_ms);
      GroupTestReport test;
      test.kind = kind;
      test.held_fixed = fixed;
      for (size_t i : members) test.strategies.push_back(report->strategies[i].label);
      auto conover = stats::conover_iman(groups, options.p_adjust);
      if (!conover.ok()) {
        report->notes.push_back(kind + " " + fixed + ": not tested: " + conover.status().message());
        continue;
      }
      test.kruskal = conover->kruskal;
      test.significant = test.kruskal.p_value < options.alpha;
      for (const auto& pair : conover->pairs) {
        PairwiseReport p;
        p.a = report->strategies[members[pair.group_a]].label;
        p.b = report->strategies[members[pair.group_b]].label;
        p.mean_rank_difference = pair.mean_rank_difference;
        p.t = pair.t;
        p.p_value = pair.p_value;
        p.p_adjusted = pair.p_adjusted;
        p.significant = pair.p_adjusted < options.alpha;
        p.effect = stats::cliffs_delta_sorted(work[members[pair.group_a]].sorted_ms,
                                              work[members[pair.group_b]].sorted_ms);
        test.post_hoc.push_back(p);
      }
      report->tests.push_back(std::move(test));
    }
  };
  add_tests("across_tiers", [](const StrategyReport& s) { return s.key.ops; });
  add_tests("across_operators", [](const StrategyReport& s) { return s.key.placement; });
}

ScenarioReport analyze_scenario(const ResultSet& results, const AnalysisOptions& options,
                                const std::string& model, const std::string& scenario) {
  ScenarioReport report;
  report.model = model;
  report.scenario = scenario;
  report.metric = results.primary_metric(model).value_or("");
  if (!report.metric.empty()) {
    report.reference_accuracy = results.accuracy(model, options.reference_ops, report.metric);
  }

  std::vector<const StrategySamples*> members;
  for (const auto& s : results.strategies()) {
    if (s.key.model == model && s.key.scenario == scenario) members.push_back(&s);
  }
  std::sort(members.begin(), members.end(), [](const StrategySamples* a, const StrategySamples* b) {
    return strategy_order_less(a->key, b->key);
  });

  for (const auto& m : results.missing()) {
    if (m.key.model == model && m.key.scenario == scenario) report.missing.push_back(m);
  }
  std::stable_sort(report.missing.begin(), report.missing.end(),
                   [](const MissingStrategy& a, const MissingStrategy& b) {
                     return strategy_order_less(a.key, b.key);
                   });

  std::vector<Work> work;
  std::map<std::string, size_t> index;
  const std::vector<double> pcts = {50, 95, options.percentile};
  size_t not_normal = 0, normality_tested = 0;
  for (const StrategySamples* s : members) {
    if (s->latency_ns.empty()) {
      report.notes.push_back(s->key.label() + ": no successful requests (" +
                             std::to_string(s->failed_requests) + " failed)");
      continue;
    }
    Work w{s, sorted_latency_ms(*s)};
    StrategyReport r;
    r.key = s->key;
    r.label = s->key.label();
    r.ops_name = ops_display_name(s->key.ops);
    r.failed_requests = s->failed_requests;
    if (s->exit_decisions > 0) {
      r.exit_rate_pct =
          100.0 * static_cast<double>(s->exits_taken) / static_cast<double>(s->exit_decisions);
    }
    const stats::Summary sum = stats::summarize_sorted(w.sorted_ms);
    LatencyStats& l = r.latency;
    l.n = sum.n;
    l.mean_ms = sum.mean;
    l.stdev_ms = sum.stdev;
    l.min_ms = sum.min;
    l.max_ms = sum.max;
    l.p50_ms = sum.p50;
    l.p90_ms = sum.p90;
    l.p95_ms = sum.p95;
    l.p99_ms = sum.p99;
    l.percentile = options.percentile;
    l.at_percentile_ms = stats::percentile_sorted(w.sorted_ms, options.percentile);
    stats::BootstrapOptions boot = options.bootstrap;
    boot.seed = stats::derive_seed(options.bootstrap.seed, model + "/" + scenario + "/" + r.label);
    const auto cis = stats::bootstrap_percentile_cis(w.sorted_ms, pcts, boot, &l.mean_ci_ms);
    l.p50_ci_ms = cis[0];
    l.p95_ci_ms = cis[1];
    l.at_percentile_ci_ms = cis[2];
    r.precision_pct = stats::half_width_pct(l.p50_ci_ms, l.p50_ms);
    r.stop_reason = s->stop_reason;
    if (auto sw = stats::shapiro_wilk(w.sorted_ms); sw.ok()) {
      r.normality = *sw;
      ++normality_tested;
      not_normal += sw->p_value < options.alpha;
    }
    for (const auto& [name, values_ns] : s->breakdown_ns) {
      std::vector<double> ms;
      ms.reserve(values_ns.size());
      for (int64_t v : values_ns) ms.push_back(static_cast<double>(v) * 1e-6);
      if (!ms.empty()) r.breakdown_p50_ms[name] = stats::median(ms);
    }
    for (const auto& [name, values] : s->bytes) {
      std::vector<double> v(values.begin(), values.end());
      if (!v.empty()) r.bytes_p50[name] = stats::median(v);
    }
    if (!report.metric.empty()) {
      r.accuracy = results.accuracy(model, s->key.ops, report.metric);
      if (r.accuracy && report.reference_accuracy) {
        r.accuracy_loss_pts = *report.reference_accuracy - *r.accuracy;
      }
    }
    index[r.label] = report.strategies.size();
    report.strategies.push_back(std::move(r));
    work.push_back(std::move(w));
  }

  // Effects against the reference chain on the same tier.
  for (size_t i = 0; i < report.strategies.size(); ++i) {
    StrategyReport& r = report.strategies[i];
    const std::string ref = reference_label_for(r.key, options.reference_ops, index);
    if (ref.empty()) continue;
    const size_t j = index[ref];
    const StrategyReport& rr = report.strategies[j];
    EffectVsReference e;
    e.reference = ref;
    e.speedup = rr.latency.at_percentile_ms / r.latency.at_percentile_ms;
    e.speedup_p50 = rr.latency.p50_ms / r.latency.p50_ms;
    e.latency_change_pct = (r.latency.at_percentile_ms - rr.latency.at_percentile_ms) /
                           rr.latency.at_percentile_ms * 100;
    e.cliffs = stats::cliffs_delta_sorted(work[i].sorted_ms, work[j].sorted_ms);
    r.vs_reference = e;
  }

  // Pareto front over strategies whose accuracy loss is known; without any accuracy data the
  // front is simply the fastest strategies.
  std::vector<ParetoPoint> points;
  bool any_loss = false;
  for (const auto& r : report.strategies) any_loss = any_loss || r.accuracy_loss_pts.has_value();
  for (const auto& r : report.strategies) {
    const double loss = any_loss ? r.accuracy_loss_pts.value_or(NAN) : 0.0;
    points.push_back({r.latency.at_percentile_ms, loss});
  }
  for (size_t i : pareto_front(points)) {
    report.strategies[i].pareto = true;
    report.pareto_front.push_back(report.strategies[i].label);
  }
  if (report.strategies.empty()) {
    // Nothing measured (an interrupted run): `missing` says what is absent.
  } else if (!any_loss) {
    report.notes.push_back("no accuracy data for " + model +
                           ": the Pareto front ranks latency only (pass --accuracy)");
  } else {
    for (const auto& r : report.strategies) {
      if (!r.accuracy_loss_pts) {
        report.notes.push_back(r.label + ": accuracy unknown; left out of the Pareto front");
      }
    }
  }
  if (normality_tested > 0) {
    report.notes.push_back("Shapiro-Wilk: " + std::to_string(not_normal) + " of " +
                           std::to_string(normality_tested) +
                           " latency samples are not normal (p < " + format_compact(options.alpha) +
                           "), so the tests are rank-based");
  }
  run_group_tests(options, work, &report);
  return report;
}

std::vector<AccuracyTestReport> accuracy_tests(const ResultSet& results,
                                               const AnalysisOptions& options,
                                               const std::vector<std::string>& models) {
  std::vector<std::string> chains;
  auto add_chain = [&](const std::string& ops) {
    if (ops != options.reference_ops &&
        std::find(chains.begin(), chains.end(), ops) == chains.end()) {
      chains.push_back(ops);
    }
  };
  for (const auto& row : results.accuracy_rows()) add_chain(row.ops);
  std::sort(chains.begin(), chains.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(ops_rank(a), a) < std::make_pair(ops_rank(b), b);
  });
  std::vector<AccuracyTestReport> out;
  for (const auto& ops : chains) {
    AccuracyTestReport t;
    t.ops = ops;
    t.reference = options.reference_ops;
    for (const auto& model : models) {
      const auto metric = results.primary_metric(model);
      if (!metric) continue;
      const auto ref = results.accuracy(model, options.reference_ops, *metric);
      const auto value = results.accuracy(model, ops, *metric);
      if (!ref || !value) continue;
      t.models.push_back(model);
      t.metrics.push_back(*metric);
      t.reference_values.push_back(*ref);
      t.values.push_back(*value);
    }
    if (t.models.empty()) continue;
    auto w = stats::wilcoxon_signed_rank(t.reference_values, t.values);
    if (w.ok()) {
      t.wilcoxon = *w;
      if (w->exact) {
        const double floor_p =
            std::min(1.0, 2.0 / std::ldexp(1.0, static_cast<int>(t.models.size())));
        if (floor_p >= options.alpha) {
          t.note = "with " + std::to_string(t.models.size()) +
                   " paired models the smallest possible two-sided p is " + format_compact(floor_p);
        }
      }
    } else {
      t.note = w.status().message();
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

bool strategy_order_less(const StrategyKey& a, const StrategyKey& b) {
  auto rank = [](const StrategyKey& k) {
    return std::make_tuple(k.model, k.scenario, placement_rank(k.placement), k.placement,
                           ops_rank(k.ops), k.ops);
  };
  return rank(a) < rank(b);
}

std::vector<double> sorted_latency_ms(const StrategySamples& samples) {
  std::vector<double> ms;
  ms.reserve(samples.latency_ns.size());
  for (int64_t v : samples.latency_ns) ms.push_back(static_cast<double>(v) * 1e-6);
  std::sort(ms.begin(), ms.end());
  return ms;
}

std::string percentile_name(double pct) {
  std::string name = "p";
  name += format_compact(pct);
  return name;
}

const StrategyReport* ScenarioReport::find(const std::string& label) const {
  for (const auto& s : strategies) {
    if (s.label == label) return &s;
  }
  return nullptr;
}

const ScenarioReport* AnalysisReport::find(const std::string& model,
                                           const std::string& scenario) const {
  for (const auto& s : scenarios) {
    if (s.model == model && s.scenario == scenario) return &s;
  }
  return nullptr;
}

Status validate_analysis_options(const ResultSet& results, const AnalysisOptions& options) {
  if (!(options.percentile > 0 && options.percentile <= 100)) {
    return invalid_argument("percentile " + format_compact(options.percentile) +
                            " is outside (0, 100]; use e.g. 50 for the median or 95");
  }
  if (!(options.alpha > 0 && options.alpha < 1)) {
    return invalid_argument("alpha " + format_compact(options.alpha) + " is outside (0, 1)");
  }
  if (options.bootstrap.resamples < 1 || options.bootstrap.resamples > 1000000) {
    return invalid_argument("bootstrap resamples " + std::to_string(options.bootstrap.resamples) +
                            " is outside 1..1000000");
  }
  if (!(options.bootstrap.confidence > 0 && options.bootstrap.confidence < 1)) {
    return invalid_argument("confidence level " + format_compact(options.bootstrap.confidence) +
                            " is outside (0, 1); use e.g. 0.95");
  }
  if (results.empty()) {
    if (results.missing().empty()) return invalid_argument("no latency samples to analyse");
    std::map<std::string, int> kinds;
    for (const auto& m : results.missing()) ++kinds[m.kind()];
    std::string list;
    for (const auto& [kind, n] : kinds) {
      list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
    }
    return failed_precondition("no latency samples to analyse in " + results.source + ": " +
                               std::to_string(results.missing().size()) + " strategies without " +
                               "requests (" + list + "); finish the run with `edgetier run " +
                               "--resume`");
  }
  const std::vector<std::string> models = results.models();
  if (!options.model.empty() &&
      std::find(models.begin(), models.end(), options.model) == models.end()) {
    return not_found("model '" + options.model + "' is not in the results; nearest: '" +
                     nearest_name(options.model, models) + "'");
  }
  if (!options.scenario.empty()) {
    std::vector<std::string> scenarios;
    for (const auto& m : models) {
      if (!options.model.empty() && m != options.model) continue;
      for (const auto& s : results.scenarios(m)) {
        if (std::find(scenarios.begin(), scenarios.end(), s) == scenarios.end())
          scenarios.push_back(s);
      }
    }
    if (std::find(scenarios.begin(), scenarios.end(), options.scenario) == scenarios.end()) {
      return not_found("scenario '" + options.scenario + "' is not in the results; nearest: '" +
                       nearest_name(options.scenario, scenarios) + "'");
    }
  }
  return ok_status();
}

Result<AnalysisReport> analyze(const ResultSet& results, const AnalysisOptions& options) {
  RETURN_IF_ERROR(validate_analysis_options(results, options));
  AnalysisReport report;
  report.source = results.source;
  report.options = options;
  report.warnings = results.warnings;
  std::vector<std::string> models;
  for (const auto& model : results.models()) {
    if (!options.model.empty() && model != options.model) continue;
    models.push_back(model);
    for (const auto& scenario : results.scenarios(model)) {
      if (!options.scenario.empty() && scenario != options.scenario) continue;
      report.scenarios.push_back(analyze_scenario(results, options, model, scenario));
      for (const auto& s : report.scenarios.back().strategies) report.total_samples += s.latency.n;
    }
    if (results.scenarios(model).empty()) {
      report.warnings.push_back("model " + model + " has accuracy rows but no latency samples");
    }
  }
  report.accuracy_tests = accuracy_tests(results, options, models);
  for (const auto& q : results.quantize_searches) {
    if (std::find(models.begin(), models.end(), q.model) != models.end())
      report.quantize_searches.push_back(q);
  }
  return report;
}

}  // namespace edgetier
