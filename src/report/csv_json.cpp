/// Flat CSV tables of the report document.
#include "report/csv_json.h"

#include <set>

namespace edgetier {

using nlohmann::json;

namespace {

/// A JSON value as one CSV cell: numbers in shortest round-trip form, null as empty.
std::string cell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// `j[key]` as a cell; empty when `j` is not an object or has no such key.
std::string at(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it == j.end() ? "" : cell(*it);
}

std::string joined(const json& list) {
  std::string out;
  for (const auto& v : list) {
    if (!out.empty()) out += ';';
    out += cell(v);
  }
  return out;
}

const json& analysis_of(const json& report) {
  return report.contains("analysis") ? report.at("analysis") : report;
}

CsvTable strategies_table(const json& analysis) {
  std::set<std::string> components;
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& s : sc.at("strategies")) {
      if (!s.contains("breakdown_p50_ms")) continue;
      for (const auto& [name, value] : s.at("breakdown_p50_ms").items()) components.insert(name);
    }
  }
  CsvTable t{"strategies",
             {"model",
              "scenario",
              "label",
              "ops",
              "ops_name",
              "placement",
              "n",
              "failed_requests",
              "exit_rate_pct",
              "mean_ms",
              "stdev_ms",
              "min_ms",
              "p50_ms",
              "p50_ci_low_ms",
              "p50_ci_high_ms",
              "p90_ms",
              "p95_ms",
              "p95_ci_low_ms",
              "p95_ci_high_ms",
              "p99_ms",
              "max_ms",
              "percentile",
              "at_percentile_ms",
              "at_percentile_ci_low_ms",
              "at_percentile_ci_high_ms",
              "metric",
              "accuracy",
              "accuracy_loss_pts",
              "reference",
              "speedup",
              "speedup_p50",
              "latency_change_pct",
              "cliffs_delta",
              "cliffs_magnitude",
              "shapiro_w",
              "shapiro_p",
              "pareto"},
             {}};
  for (const auto& c : components) t.columns.push_back("breakdown_" + c + "_p50_ms");
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& s : sc.at("strategies")) {
      const json& k = s.at("key");
      const json& l = s.at("latency");
      const json vs = s.value("vs_reference", json());
      const json cliffs = vs.is_object() ? vs.value("cliffs_delta", json()) : json();
      const json normality = s.value("normality", json());
      std::vector<std::string> row = {at(sc, "model"),
                                      at(sc, "scenario"),
                                      at(s, "label"),
                                      at(k, "ops"),
                                      at(s, "ops_name"),
                                      at(k, "placement"),
                                      at(l, "n"),
                                      at(s, "failed_requests"),
                                      at(s, "exit_rate_pct"),
                                      at(l, "mean_ms"),
                                      at(l, "stdev_ms"),
                                      at(l, "min_ms"),
                                      at(l, "p50_ms"),
                                      at(l.value("p50_ci_ms", json()), "low"),
                                      at(l.value("p50_ci_ms", json()), "high"),
                                      at(l, "p90_ms"),
                                      at(l, "p95_ms"),
                                      at(l.value("p95_ci_ms", json()), "low"),
                                      at(l.value("p95_ci_ms", json()), "high"),
                                      at(l, "p99_ms"),
                                      at(l, "max_ms"),
                                      at(l, "percentile"),
                                      at(l, "at_percentile_ms"),
                                      at(l.value("at_percentile_ci_ms", json()), "low"),
                                      at(l.value("at_percentile_ci_ms", json()), "high"),
                                      at(sc, "metric"),
                                      at(s, "accuracy"),
                                      at(s, "accuracy_loss_pts"),
                                      at(vs, "reference"),
                                      at(vs, "speedup"),
                                      at(vs, "speedup_p50"),
                                      at(vs, "latency_change_pct"),
                                      at(cliffs, "delta"),
                                      at(cliffs, "magnitude"),
                                      at(normality, "w"),
                                      at(normality, "p_value"),
                                      at(s, "pareto")};
      const json breakdown = s.value("breakdown_p50_ms", json::object());
      for (const auto& c : components) row.push_back(at(breakdown, c.c_str()));
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

CsvTable tests_table(const json& analysis) {
  CsvTable t{"tests",
             {"model", "scenario", "family", "held_fixed", "test", "a", "b", "statistic", "df",
              "p_value", "p_adjusted", "significant", "cliffs_delta", "cliffs_magnitude", "note"},
             {}};
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& test : sc.value("tests", json::array())) {
      const json& kw = test.at("kruskal_wallis");
      t.rows.push_back({at(sc, "model"), at(sc, "scenario"), at(test, "kind"),
                        at(test, "held_fixed"), "kruskal_wallis", joined(test.at("strategies")), "",
                        at(kw, "h"), at(kw, "df"), at(kw, "p_value"), "", at(test, "significant"),
                        "", "", ""});
      const json post = test.value("post_hoc", json::object());
      for (const auto& p : post.value("pairs", json::array())) {
        const json cliffs = p.value("cliffs_delta", json());
        t.rows.push_back({at(sc, "model"), at(sc, "scenario"), at(test, "kind"),
                          at(test, "held_fixed"), at(post, "test"), at(p, "a"), at(p, "b"),
                          at(p, "t"), "", at(p, "p_value"), at(p, "p_adjusted"),
                          at(p, "significant"), at(cliffs, "delta"), at(cliffs, "magnitude"),
                          "p_adjust=" + at(post, "p_adjust")});
      }
    }
  }
  for (const auto& a : analysis.value("accuracy_tests", json::array())) {
    const json w = a.value("wilcoxon", json());
    t.rows.push_back({joined(a.at("models")), "", "accuracy", at(a, "reference"),
                      w.is_object() ? at(w, "test") : "wilcoxon_signed_rank", at(a, "ops"),
                      at(a, "reference"), at(w, "statistic"), "", at(w, "p_value"), "", "", "", "",
                      at(a, "note")});
  }
  return t;
}

CsvTable pareto_table(const json& analysis) {
  CsvTable t{"pareto",
             {"model", "scenario", "rank", "label", "percentile", "latency_ms", "metric",
              "accuracy", "accuracy_loss_pts"},
             {}};
  for (const auto& sc : analysis.at("scenarios")) {
    int rank = 0;
    for (const auto& label : sc.at("pareto_front")) {
      for (const auto& s : sc.at("strategies")) {
        if (s.at("label") != label) continue;
        t.rows.push_back({at(sc, "model"), at(sc, "scenario"), std::to_string(++rank), cell(label),
                          at(s.at("latency"), "percentile"),
                          at(s.at("latency"), "at_percentile_ms"), at(sc, "metric"),
                          at(s, "accuracy"), at(s, "accuracy_loss_pts")});
      }
    }
  }
  return t;
}

CsvTable recommendation_table(const json& recommendation) {
  CsvTable t{
      "recommendation",
      {"model", "scenario", "metric", "percentile", "feasible", "recommended", "latency_ms",
       "latency_ci_low_ms", "latency_ci_high_ms", "accuracy", "accuracy_loss_pts", "reference",
       "speedup", "runner_up", "closest", "max_latency_ms", "max_accuracy_loss_pts", "reason"},
      {}};
  if (!recommendation.is_object()) return t;
  const json constraints = recommendation.value("constraints", json::object());
  for (const auto& r : recommendation.value("recommendations", json::array())) {
    const json rec = r.value("recommended", json());
    const json ci = rec.is_object() ? rec.value("latency_ci_ms", json()) : json();
    const json vs = rec.is_object() ? rec.value("vs_reference", json()) : json();
    t.rows.push_back({at(r, "model"), at(r, "scenario"), at(r, "metric"), at(r, "percentile"),
                      at(r, "feasible"), at(rec, "label"), at(rec, "latency_ms"), at(ci, "low"),
                      at(ci, "high"), at(rec, "accuracy"), at(rec, "accuracy_loss_pts"),
                      at(vs, "reference"), at(vs, "speedup"),
                      at(r.value("runner_up", json()), "label"),
                      at(r.value("closest", json()), "label"), at(constraints, "max_latency_ms"),
                      at(constraints, "max_accuracy_loss_pts"), at(r, "reason")});
  }
  return t;
}

CsvTable boxes_table(const json& boxes) {
  CsvTable t{"latency_boxes",
             {"model", "scenario", "label", "ops", "placement", "n", "min_ms", "q1_ms", "median_ms",
              "q3_ms", "max_ms", "whisker_low_ms", "whisker_high_ms", "outliers_total"},
             {}};
  for (const auto& b : boxes) {
    std::vector<std::string> row;
    for (const auto& c : t.columns) row.push_back(at(b, c.c_str()));
    t.rows.push_back(std::move(row));
  }
  return t;
}

CsvTable planner_table(const json& planner) {
  CsvTable t{"planner",
             {"model", "scenario", "percentile", "mobile_edge_rate_mbit", "edge_cloud_rate_mbit",
              "strategy", "latency_ms"},
             {}};
  for (const auto& h : planner.value("heatmaps", json::array())) {
    for (const auto& c : h.value("cells", json::array())) {
      t.rows.push_back({at(h, "model"), at(h, "scenario"), at(h, "percentile"),
                        at(c, "mobile_edge_rate_mbit"), at(c, "edge_cloud_rate_mbit"),
                        at(c, "strategy"), at(c, "latency_ms")});
    }
  }
  return t;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Result<std::vector<CsvTable>> report_csv_tables(const json& report) {
  // The document may come from a file: a wrongly typed field surfaces as a json exception.
  try {
    const json& analysis = analysis_of(report);
    if (!analysis.is_object() || !analysis.contains("scenarios")) {
      return invalid_argument(
          "report JSON has no analysis 'scenarios' array; pass the output of "
          "`edgetier report --json`");
    }
    std::vector<CsvTable> tables = {strategies_table(analysis), tests_table(analysis),
                                    pareto_table(analysis),
                                    recommendation_table(report.value("recommendation", json()))};
    if (report.contains("latency_distributions") && report.at("latency_distributions").is_array()) {
      tables.push_back(boxes_table(report.at("latency_distributions")));
    }
    if (report.contains("planner") && report.at("planner").is_object()) {
      tables.push_back(planner_table(report.at("planner")));
    }
    return tables;
  } catch (const json::exception& e) {
    return invalid_argument(std::string("report JSON: ") + e.what());
  }
}

std::string to_csv(const CsvTable& table) {
  std::string out;
  auto line = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += csv_cell(cells[i]);
    }
    out += "\n";
  };
  line(table.columns);
  for (const auto& row : table.rows) line(row);
  return out;
}

}  // namespace edgetier
