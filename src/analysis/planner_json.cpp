/// JSON of the what-if planner's grid and validation (schema in planner.h).
#include <cmath>

#include "analysis/analyze.h"
#include "analysis/planner.h"

namespace edgetier {

namespace {

using json = nlohmann::json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json optional_number(const std::optional<double>& v) {
  return v ? number_or_null(*v) : json(nullptr);
}

json strategy_json(const StrategyModel& s) {
  json links = json::array();
  for (const auto& l : s.links) {
    links.push_back({{"link", l.link}, {"bytes_up", l.bytes_up}, {"bytes_down", l.bytes_down}});
  }
  json cut = nullptr;
  if (s.cut) {
    const CutOption& at = s.cut->options[s.cut->measured];
    cut = {{"tensors", at.tensors},
           {"bytes", at.bytes},
           {"lower_tier", s.cut->lower_tier},
           {"upper_tier", s.cut->upper_tier},
           {"cost_source", s.cut->cost_source},
           {"flops_window", {s.cut->min_flops_share, s.cut->max_flops_share}},
           {"candidates", s.cut->options.size()}};
  }
  return {{"strategy", s.label},
          {"ops", s.ops},
          {"placement", s.placement},
          {"fixed_ms", s.fixed_ms},
          {"fixed_breakdown_ms", s.fixed_breakdown_ms},
          {"requests", s.requests},
          {"scenarios", s.scenarios},
          {"links", links},
          {"accuracy_loss_pts", optional_number(s.accuracy_loss_pts)},
          {"cut", cut},
          {"cut_note", s.cut_note}};
}

json cut_json(const StrategyModel& s, size_t index) {
  const CutOption& o = s.cut->options[index];
  return {{"tensors", o.tensors}, {"bytes", o.bytes}};
}

json link_settings_json(const LinkSettings& settings) {
  json out = json::object();
  for (const auto& [link, s] : settings) {
    out[link] = {{"rate_mbit", s.rate_mbit}, {"rtt_ms", s.rtt_ms}};
  }
  return out;
}

}  // namespace

json to_json(const LinkModel& l) {
  return {{"link", l.link},
          {"overhead_ms", l.overhead_ms},
          {"rate_factor", l.rate_factor},
          {"burst_bytes", l.burst_bytes},
          {"points", l.points},
          {"configured", l.configured},
          {"burst_min_bytes", l.burst_min_bytes},
          {"burst_ms", l.burst_ms},
          {"crossing_ms", l.crossing_ms},
          {"scenarios", l.scenarios},
          {"method", l.method}};
}

json planner_to_json(const PlanReport& report) {
  json link_models = json::array();
  for (const auto& l : report.link_models) link_models.push_back(to_json(l));
  json models = json::array(), heatmaps = json::array();
  for (const auto& mp : report.models) {
    json strategies = json::array(), missing = json::array();
    for (const auto& s : mp.strategies) strategies.push_back(strategy_json(s));
    for (const auto& m : mp.missing) missing.push_back(to_json(m));
    models.push_back({{"model", mp.model},
                      {"strategies", strategies},
                      {"missing_strategies", missing},
                      {"notes", mp.notes}});
    for (double rtt : report.rtt_ms) {
      json cells = json::array();
      for (const auto& cell : mp.cells) {
        if (cell.rtt_ms != rtt) continue;
        json predictions = json::array();
        for (size_t i = 0; i < cell.predictions.size(); ++i) {
          const StrategyPrediction& p = cell.predictions[i];
          const StrategyModel& s = mp.strategies[i];
          json best_cut = nullptr;
          if (p.best_cut) {
            best_cut = cut_json(s, *p.best_cut);
            best_cut["latency_ms"] = *p.best_cut_latency_ms;
          }
          predictions.push_back({{"strategy", s.label},
                                 {"latency_ms", p.latency_ms},
                                 {"interval_ms", {p.low_ms, p.high_ms}},
                                 {"best_cut", best_cut},
                                 {"accuracy_loss_pts", optional_number(s.accuracy_loss_pts)},
                                 {"eligible", p.eligible}});
        }
        json c = {{"mobile_edge_rate_mbit", cell.links.at("mobile-edge").rate_mbit},
                  {"edge_cloud_rate_mbit", cell.links.at("edge-cloud").rate_mbit},
                  {"rtt_ms", cell.rtt_ms},
                  {"strategy", nullptr},
                  {"latency_ms", nullptr},
                  {"cut", nullptr},
                  {"predictions", predictions}};
        if (cell.best) {
          const StrategyPrediction& p = cell.predictions[*cell.best];
          const StrategyModel& s = mp.strategies[*cell.best];
          c["strategy"] = s.label;
          c["latency_ms"] = p.best_latency_ms();
          if (p.best_cut) c["cut"] = cut_json(s, *p.best_cut);
        }
        cells.push_back(std::move(c));
      }
      char scenario[48] = "";
      if (report.rtt_ms.size() > 1) std::snprintf(scenario, sizeof(scenario), "RTT %g ms", rtt);
      heatmaps.push_back({{"model", mp.model},
                          {"scenario", scenario},
                          {"percentile", 50},
                          {"rtt_ms", rtt},
                          {"cells", cells}});
    }
  }
  json grid = {{"rtt_ms", report.rtt_ms}};
  for (const auto& [link, rates] : report.rates_mbit) {
    grid[link == "mobile-edge" ? "mobile_edge_rate_mbit" : "edge_cloud_rate_mbit"] = rates;
  }
  return {{"schema_version", 1},
          {"source", report.source},
          {"percentile", 50},
          {"grid", grid},
          {"max_accuracy_loss_pts", optional_number(report.max_accuracy_loss_pts)},
          {"link_models", link_models},
          {"models", models},
          {"heatmaps", heatmaps},
          {"warnings", report.warnings}};
}

json validation_to_json(const ValidationReport& report) {
  json scenarios = json::array();
  for (const auto& v : report.scenarios) {
    json rows = json::array();
    for (const auto& r : v.rows) {
      rows.push_back({{"model", r.model},
                      {"strategy", r.strategy},
                      {"measured_ms", number_or_null(r.measured_ms)},
                      {"predicted_ms", number_or_null(r.predicted_ms)},
                      {"error_pct", number_or_null(r.error_pct)},
                      {"interval_ms", {number_or_null(r.low_ms), number_or_null(r.high_ms)}},
                      {"requests", r.requests},
                      {"in_sample", r.in_sample},
                      {"excluded", r.excluded}});
    }
    scenarios.push_back({{"scenario", v.scenario},
                         {"links", link_settings_json(v.links)},
                         {"trained_on", v.trained_on},
                         {"mdape_pct", number_or_null(v.mdape_pct)},
                         {"rows", rows}});
  }
  json link_models = json::array();
  for (const auto& l : report.link_models) link_models.push_back(to_json(l));
  return {{"schema_version", 1},
          {"source", report.source},
          {"method", report.method},
          {"mdape_pct", number_or_null(report.mdape_pct)},
          {"predictions", report.predictions},
          {"excluded", report.excluded},
          {"excluded_mdape_pct", number_or_null(report.excluded_mdape_pct)},
          {"p90_ape_pct", number_or_null(report.p90_ape_pct)},
          {"interval_coverage_pct", number_or_null(report.interval_coverage_pct)},
          {"scenarios", scenarios},
          {"link_models", link_models},
          {"notes", report.notes},
          {"warnings", report.warnings}};
}

}  // namespace edgetier
