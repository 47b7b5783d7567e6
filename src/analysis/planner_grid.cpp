/// The planner's grid (best strategy and cut per link setting), its validation against the
/// measured scenarios, and parsing of its command-line values.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "analysis/planner.h"
#include "analysis/stats.h"
#include "core/strings.h"

namespace edgetier {

namespace {

Result<double> parse_number(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    return invalid_argument(where + ": '" + text + "' is not a number");
  }
  return v;
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

Status check_link_name(const std::string& link, const std::string& what) {
  const auto& links = planner_links();
  if (std::find(links.begin(), links.end(), link) != links.end()) return ok_status();
  return invalid_argument(what + ": unknown link '" + link + "'; nearest: '" +
                          nearest_name(link, links) + "' (links: mobile-edge, edge-cloud)");
}

/// Distinct values, ascending.
std::vector<double> distinct(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::vector<std::string> models_of(const PlannerFit& fit) {
  std::vector<std::string> out;
  auto add = [&](const std::string& m) {
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  };
  for (const auto& s : fit.strategies) add(s.model);
  for (const auto& m : fit.missing) add(m.key.model);
  return out;
}

Status check_model_filter(const StoredRun& run, const std::string& model) {
  if (model.empty()) return ok_status();
  std::vector<std::string> models;
  for (const auto& s : run.strategies) {
    if (std::find(models.begin(), models.end(), s.row.model) == models.end())
      models.push_back(s.row.model);
  }
  if (std::find(models.begin(), models.end(), model) != models.end()) return ok_status();
  return not_found("model '" + model + "' is not in " + run.source() + "; nearest: '" +
                   nearest_name(model, models) + "'");
}

/// "no strategy has ok requests ... (3 not measured, 1 infeasible)".
Status nothing_to_fit(const StoredRun& run, const PlannerFit& fit) {
  std::map<std::string, int> kinds;
  for (const auto& m : fit.missing) ++kinds[m.kind()];
  std::string list;
  for (const auto& [kind, n] : kinds)
    list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
  return failed_precondition("no strategy of " + run.source() +
                             " has successful requests to fit the planner on" +
                             (list.empty() ? std::string() : " (" + list + ")") +
                             "; finish the run with `edgetier run --resume`");
}

/// Index of the best eligible prediction: lowest latency, then fewer operators, then fewer tiers.
std::optional<size_t> pick_best(const std::vector<StrategyModel>& strategies,
                                const std::vector<StrategyPrediction>& predictions) {
  std::optional<size_t> best;
  auto rank = [&](size_t i) {
    return std::make_tuple(predictions[i].best_latency_ms(), ops_complexity(strategies[i].ops),
                           strategies[i].placement.size());
  };
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (!predictions[i].eligible) continue;
    if (!best || rank(i) < rank(*best)) best = i;
  }
  return best;
}

StrategyPrediction predict(const StrategyModel& s, const std::vector<LinkModel>& links,
                           const LinkSettings& setting, const std::optional<double>& max_loss) {
  StrategyPrediction p;
  const LatencyPrediction at = predict_latency(s, links, setting);
  p.latency_ms = at.median_ms;
  p.low_ms = at.low_ms;
  p.high_ms = at.high_ms;
  if (s.cut) {
    size_t best = s.cut->measured;
    double best_ms = p.latency_ms;
    for (size_t c = 0; c < s.cut->options.size(); ++c) {
      const double ms = predict_latency_ms(s, links, setting, c);
      if (ms < best_ms - 1e-9) {
        best = c;
        best_ms = ms;
      }
    }
    p.best_cut = best;
    p.best_cut_latency_ms = best_ms;
  }
  if (max_loss) {
    p.eligible = s.accuracy_loss_pts && *s.accuracy_loss_pts <= *max_loss + 1e-9;
  }
  return p;
}

LinkSettings scenario_setting(const StoredRun& run, const std::string& scenario,
                              std::vector<std::string>* notes) {
  LinkSettings out;
  for (const auto& l : planner_links()) {
    const LinkRecord* rec = run.link(scenario, l);
    if (!rec) {
      notes->push_back("scenario " + scenario + " has no configured " + l +
                       " link; predicted as unshaped");
      out[l] = {};
      continue;
    }
    out[l] = {rec->configured_rate_mbit, rec->configured_rtt_ms};
  }
  return out;
}

double measured_median_ms(const StoredRun& run, const StrategyModel& s, const std::string& scenario,
                          int64_t* n) {
  std::vector<double> ms;
  for (const auto& st : run.strategies) {
    if (st.row.model != s.model || st.row.ops != s.ops || st.row.placement != s.placement ||
        st.row.scenario != scenario) {
      continue;
    }
    for (const auto& r : st.requests) {
      if (r.outcome == "ok") ms.push_back(static_cast<double>(r.end_to_end_ns) * 1e-6);
    }
  }
  *n = static_cast<int64_t>(ms.size());
  return ms.empty() ? NAN : stats::median(ms);
}

}  // namespace

Status parse_link_values(const std::string& arg, const std::string& what,
                         std::map<std::string, std::vector<double>>* out) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos) {
    return invalid_argument(what + " '" + arg + "': expected LINK=VALUE[,VALUE...], e.g. " +
                            "mobile-edge=1,10,50");
  }
  const std::string link = arg.substr(0, eq);
  RETURN_IF_ERROR(check_link_name(link, what));
  std::vector<double>& values = (*out)[link];
  values.clear();
  for (const auto& item : split(arg.substr(eq + 1), ',')) {
    ASSIGN_OR_RETURN(double v, parse_number(item, what + " " + link));
    if (!(v > 0)) {
      return invalid_argument(what + " " + link + ": rate " + format_number(v) +
                              " Mbit/s is not positive; give rates above 0");
    }
    values.push_back(v);
  }
  values = distinct(values);
  return ok_status();
}

Status parse_rtt_values(const std::string& arg, std::vector<double>* out) {
  for (const auto& item : split(arg, ',')) {
    ASSIGN_OR_RETURN(double v, parse_number(item, "--rtt-ms"));
    if (v < 0) {
      return invalid_argument("--rtt-ms: " + format_number(v) + " ms is negative; use 0 or more");
    }
    out->push_back(v);
  }
  *out = distinct(*out);
  return ok_status();
}

Status parse_name_path(const std::string& arg, const std::string& what,
                       std::map<std::string, std::string>* out) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    return invalid_argument(what + " '" + arg + "': expected MODEL=PATH");
  }
  (*out)[arg.substr(0, eq)] = arg.substr(eq + 1);
  return ok_status();
}

Result<PlanReport> plan_grid(const StoredRun& run, const PlannerOptions& options) {
  for (const auto& [link, rates] : options.rates_mbit) {
    RETURN_IF_ERROR(check_link_name(link, "--bandwidth"));
    for (double r : rates) {
      if (!(r > 0) || !std::isfinite(r))
        return invalid_argument("--bandwidth " + link + ": rate " + format_number(r) +
                                " Mbit/s is not positive");
    }
  }
  for (double r : options.rtt_ms) {
    if (!(r >= 0) || !std::isfinite(r))
      return invalid_argument("--rtt-ms: " + format_number(r) + " ms is negative");
  }
  RETURN_IF_ERROR(check_model_filter(run, options.model));
  ASSIGN_OR_RETURN(ResultSet results, to_result_set(run));
  ASSIGN_OR_RETURN(PlannerFit fit, fit_planner(run, results, {}, options));
  if (fit.strategies.empty()) return nothing_to_fit(run, fit);

  PlanReport report;
  report.source = run.source();
  report.warnings = run.warnings;
  report.link_models = fit.links;
  report.max_accuracy_loss_pts = options.max_accuracy_loss_pts;
  for (const auto& l : planner_links()) {
    if (auto it = options.rates_mbit.find(l); it != options.rates_mbit.end()) {
      report.rates_mbit[l] = distinct(it->second);
      continue;
    }
    std::vector<double> measured;
    for (const auto& rec : run.links) {
      if (rec.link == l) measured.push_back(rec.configured_rate_mbit);
    }
    if (measured.empty()) {
      return invalid_argument("the run recorded no rate for link " + l + "; pass --bandwidth " + l +
                              "=RATE[,RATE...]");
    }
    report.rates_mbit[l] = distinct(measured);
  }
  report.rtt_ms = distinct(options.rtt_ms);
  if (report.rtt_ms.empty()) {
    std::vector<double> measured;
    for (const auto& rec : run.links) measured.push_back(rec.configured_rtt_ms);
    report.rtt_ms = distinct(measured);
    if (report.rtt_ms.empty()) report.rtt_ms = {0};
  }

  for (const auto& model : models_of(fit)) {
    ModelPlan mp;
    mp.model = model;
    for (const auto& s : fit.strategies) {
      if (s.model == model) mp.strategies.push_back(s);
    }
    for (const auto& m : fit.missing) {
      if (m.key.model == model) mp.missing.push_back(m);
    }
    for (const auto& n : fit.notes) {
      if (n.rfind(model + " ", 0) == 0) mp.notes.push_back(n);
    }
    for (double rtt : report.rtt_ms) {
      for (double ec : report.rates_mbit["edge-cloud"]) {
        for (double me : report.rates_mbit["mobile-edge"]) {
          PlanCell cell;
          cell.rtt_ms = rtt;
          cell.links["mobile-edge"] = {me, rtt};
          cell.links["edge-cloud"] = {ec, rtt};
          for (const auto& s : mp.strategies) {
            cell.predictions.push_back(
                predict(s, fit.links, cell.links, options.max_accuracy_loss_pts));
          }
          cell.best = pick_best(mp.strategies, cell.predictions);
          mp.cells.push_back(std::move(cell));
        }
      }
    }
    report.models.push_back(std::move(mp));
  }
  for (const auto& n : fit.notes) {
    const bool per_model =
        std::any_of(report.models.begin(), report.models.end(),
                    [&](const ModelPlan& m) { return n.rfind(m.model + " ", 0) == 0; });
    if (!per_model) report.warnings.push_back(n);
  }
  return report;
}

Result<ValidationReport> validate_planner(const StoredRun& run, const PlannerOptions& options) {
  RETURN_IF_ERROR(check_model_filter(run, options.model));
  ASSIGN_OR_RETURN(ResultSet results, to_result_set(run));
  PlannerOptions opts = options;
  opts.move_cuts = false;  // validation predicts the measured cuts
  ASSIGN_OR_RETURN(PlannerFit all, fit_planner(run, results, {}, opts));
  if (all.strategies.empty()) return nothing_to_fit(run, all);

  ValidationReport report;
  report.source = run.source();
  report.warnings = run.warnings;
  report.link_models = all.links;
  report.notes = all.notes;
  std::vector<std::string> measured;
  for (const auto& sc : run.scenarios()) {
    const bool has =
        std::any_of(all.strategies.begin(), all.strategies.end(), [&](const StrategyModel& s) {
          return std::find(s.scenarios.begin(), s.scenarios.end(), sc) != s.scenarios.end();
        });
    if (has) measured.push_back(sc);
  }
  report.method = measured.size() > 1 ? "leave-one-scenario-out" : "in-sample";
  if (measured.size() == 1) {
    report.notes.push_back("only one scenario (" + measured.front() +
                           ") was measured: it is predicted from its own data, which checks the "
                           "model's consistency, not its extrapolation");
  }
  std::vector<double> all_errors;
  size_t inside = 0;
  std::vector<double> repeat_errors;
  for (const auto& sc : measured) {
    ScenarioValidation v;
    v.scenario = sc;
    v.links = scenario_setting(run, sc, &report.notes);
    std::vector<std::string> others;
    for (const auto& o : measured) {
      if (o != sc) others.push_back(o);
    }
    std::optional<PlannerFit> loo;
    if (!others.empty()) {
      ASSIGN_OR_RETURN(PlannerFit f, fit_planner(run, results, others, opts));
      loo = std::move(f);
    }
    ASSIGN_OR_RETURN(PlannerFit self, fit_planner(run, results, {sc}, opts));
    v.trained_on = others.empty() ? std::vector<std::string>{sc} : others;
    std::vector<LinkModel> links = self.links;
    if (loo) {
      for (size_t i = 0; i < links.size(); ++i) {
        if (loo->links[i].points > 0) {
          links[i] = loo->links[i];
        } else if (links[i].points > 0) {
          report.notes.push_back("scenario " + sc + ": link " + links[i].link +
                                 " was crossed only here; its transfer model is fitted on " + sc +
                                 " itself");
        }
      }
    }
    std::vector<double> errors;
    // The settings of the scenarios it is predicted from, per link.
    auto link_changed = [&](const std::string& link) {
      for (const auto& o : v.trained_on) {
        const LinkRecord* a = run.link(o, link);
        const LinkSetting& b = v.links[link];
        if (!a || a->configured_rate_mbit != b.rate_mbit || a->configured_rtt_ms != b.rtt_ms)
          return true;
      }
      return false;
    };
    for (const auto& own : self.strategies) {
      const StrategyModel* model = nullptr;
      if (loo) {
        for (const auto& s : loo->strategies) {
          if (s.model == own.model && s.ops == own.ops && s.placement == own.placement) model = &s;
        }
      }
      ValidationRow row;
      row.model = own.model;
      row.strategy = own.label;
      row.in_sample = model == nullptr;
      if (!model) model = &own;
      row.measured_ms = measured_median_ms(run, own, sc, &row.requests);
      const LatencyPrediction p = predict_latency(*model, links, v.links);
      row.predicted_ms = p.median_ms;
      row.low_ms = p.low_ms;
      row.high_ms = p.high_ms;
      row.error_pct = (row.predicted_ms - row.measured_ms) / row.measured_ms * 100;
      row.excluded = !row.in_sample && std::none_of(own.links.begin(), own.links.end(),
                                                    [&](const LinkLoad& l) {
                                                      return link_changed(l.link);
                                                    });
      if (row.excluded) {
        ++report.excluded;
        repeat_errors.push_back(std::fabs(row.error_pct));
      } else {
        errors.push_back(std::fabs(row.error_pct));
        inside += row.measured_ms >= row.low_ms && row.measured_ms <= row.high_ms ? 1 : 0;
      }
      v.rows.push_back(std::move(row));
    }
    v.mdape_pct = errors.empty() ? NAN : stats::median(errors);
    all_errors.insert(all_errors.end(), errors.begin(), errors.end());
    report.scenarios.push_back(std::move(v));
  }
  report.predictions = all_errors.size();
  report.mdape_pct = all_errors.empty() ? NAN : stats::median(all_errors);
  report.p90_ape_pct = all_errors.empty() ? NAN : stats::percentile(all_errors, 90);
  report.interval_coverage_pct =
      all_errors.empty() ? NAN
                         : 100.0 * static_cast<double>(inside) /
                               static_cast<double>(all_errors.size());
  report.excluded_mdape_pct = repeat_errors.empty() ? NAN : stats::median(repeat_errors);
  if (report.excluded > 0) {
    char repeat[96];
    std::snprintf(repeat, sizeof(repeat), "; their own median error, %.1f%%, is how well the "
                  "measurement repeats", report.excluded_mdape_pct);
    report.notes.push_back(std::to_string(report.excluded) +
                           " prediction(s) left out of the error figure: they cross no link "
                           "whose rate or RTT differs from the scenarios they are predicted "
                           "from (on one tier, or only on links that stayed), so they test "
                           "the measurement's repeatability, not the link model" + std::string(repeat));
  }
  return report;
}

}  // namespace edgetier
