/// `edgetier run`'s predicted scenarios: the planner's cells at each one's link settings.
#include "cli/run_predicted.h"

#include "analysis/planner.h"
#include "store/reader.h"

namespace edgetier::cli {

Result<nlohmann::json> predict_unmeasured(const std::string& results_path, int64_t run_id,
                                          const std::vector<ScenarioSpec>& scenarios) {
  std::vector<const ScenarioSpec*> predicted;
  size_t measured = 0;
  for (const auto& s : scenarios) {
    if (s.measured) {
      ++measured;
    } else {
      predicted.push_back(&s);
    }
  }
  if (predicted.empty()) return nlohmann::json(nullptr);
  ResultsDbOptions read;
  read.run_id = run_id;
  ASSIGN_OR_RETURN(StoredRun run, read_results_database(results_path, read));
  nlohmann::json out = {{"validation", nullptr},
                        {"scenarios", nlohmann::json::array()},
                        {"warnings", nlohmann::json::array()}};
  if (measured >= 2) {
    auto v = validate_planner(run, PlannerOptions{});
    if (v.ok()) {
      out["validation"] = {{"method", v->method},
                           {"mdape_pct", v->mdape_pct},
                           {"predictions", v->predictions},
                           {"excluded", v->excluded}};
    } else {
      out["warnings"].push_back("validation: " + v.status().message());
    }
  } else {
    out["warnings"].push_back(
        "one measured scenario: the predictions are not validated (measure a second one to "
        "check them by leaving each out)");
  }
  for (const ScenarioSpec* s : predicted) {
    PlannerOptions options;
    for (const auto& l : s->links) options.rates_mbit[l.name()] = {l.rate_mbit};
    // One RTT shared by every link (the spec refuses others for a predicted scenario).
    options.rtt_ms = {s->links.empty() ? 0.0 : s->links.front().rtt_ms()};
    ASSIGN_OR_RETURN(PlanReport plan, plan_grid(run, options));
    nlohmann::json links = nlohmann::json::object();
    for (const auto& l : s->links)
      links[l.name()] = {{"rate_mbit", l.rate_mbit}, {"rtt_ms", l.rtt_ms()}};
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : plan.models) {
      if (m.cells.empty()) continue;
      const PlanCell& cell = m.cells.front();  // the grid is this scenario's one setting
      nlohmann::json strategies = nlohmann::json::array();
      for (size_t i = 0; i < m.strategies.size() && i < cell.predictions.size(); ++i) {
        const StrategyPrediction& p = cell.predictions[i];
        nlohmann::json j = {{"strategy", m.strategies[i].label},
                            {"latency_ms", p.latency_ms},
                            {"interval_ms", {p.low_ms, p.high_ms}}};
        if (p.best_cut_latency_ms) j["moved_cut_latency_ms"] = *p.best_cut_latency_ms;
        strategies.push_back(std::move(j));
      }
      models.push_back(
          {{"model", m.model},
           {"best", cell.best ? nlohmann::json(m.strategies[*cell.best].label) : nullptr},
           {"strategies", strategies}});
    }
    out["scenarios"].push_back({{"scenario", s->name}, {"links", links}, {"models", models}});
    for (const auto& w : plan.warnings) out["warnings"].push_back(w);
  }
  return out;
}

}  // namespace edgetier::cli
