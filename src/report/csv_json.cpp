/// Flat CSV tables of the report document.
#include "report/csv_json.h"

#include <set>
#include <string>
#include <vector>

#include "core/csv.h"

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

/// One column of a CSV table: its header and how a row's cell is read. Each table's columns
/// are one list of these, so a header and its cells cannot drift apart.
template <typename Row>
struct Column {
  const char* name;
  std::string (*get)(const Row&);
};

template <typename Row>
CsvTable table_of(const char* name, const std::vector<Column<Row>>& columns) {
  CsvTable t{name, {}, {}};
  for (const auto& c : columns) t.columns.push_back(c.name);
  return t;
}

template <typename Row>
std::vector<std::string> cells_of(const std::vector<Column<Row>>& columns, const Row& row) {
  std::vector<std::string> cells;
  cells.reserve(columns.size());
  for (const auto& c : columns) cells.push_back(c.get(row));
  return cells;
}

/// One strategy of one model/scenario section, with the sub-objects its cells come from.
struct StrategyCells {
  const json& sc;  // the scenario section
  const json& s;   // the strategy
  const json& k;   // its key
  const json& l;   // its latency statistics
  json vs, cliffs, normality;
};

const std::vector<Column<StrategyCells>>& strategy_columns() {
  using R = StrategyCells;
  static const std::vector<Column<R>> columns = {
      {"model", [](const R& r) { return at(r.sc, "model"); }},
      {"scenario", [](const R& r) { return at(r.sc, "scenario"); }},
      {"label", [](const R& r) { return at(r.s, "label"); }},
      {"ops", [](const R& r) { return at(r.k, "ops"); }},
      {"ops_name", [](const R& r) { return at(r.s, "ops_name"); }},
      {"placement", [](const R& r) { return at(r.k, "placement"); }},
      {"n", [](const R& r) { return at(r.l, "n"); }},
      {"failed_requests", [](const R& r) { return at(r.s, "failed_requests"); }},
      {"exit_rate_pct", [](const R& r) { return at(r.s, "exit_rate_pct"); }},
      {"mean_ms", [](const R& r) { return at(r.l, "mean_ms"); }},
      {"stdev_ms", [](const R& r) { return at(r.l, "stdev_ms"); }},
      {"min_ms", [](const R& r) { return at(r.l, "min_ms"); }},
      {"p50_ms", [](const R& r) { return at(r.l, "p50_ms"); }},
      {"p50_ci_low_ms", [](const R& r) { return at(r.l.value("p50_ci_ms", json()), "low"); }},
      {"p50_ci_high_ms", [](const R& r) { return at(r.l.value("p50_ci_ms", json()), "high"); }},
      {"p90_ms", [](const R& r) { return at(r.l, "p90_ms"); }},
      {"p95_ms", [](const R& r) { return at(r.l, "p95_ms"); }},
      {"p95_ci_low_ms", [](const R& r) { return at(r.l.value("p95_ci_ms", json()), "low"); }},
      {"p95_ci_high_ms", [](const R& r) { return at(r.l.value("p95_ci_ms", json()), "high"); }},
      {"p99_ms", [](const R& r) { return at(r.l, "p99_ms"); }},
      {"max_ms", [](const R& r) { return at(r.l, "max_ms"); }},
      {"percentile", [](const R& r) { return at(r.l, "percentile"); }},
      {"at_percentile_ms", [](const R& r) { return at(r.l, "at_percentile_ms"); }},
      {"at_percentile_ci_low_ms",
       [](const R& r) { return at(r.l.value("at_percentile_ci_ms", json()), "low"); }},
      {"at_percentile_ci_high_ms",
       [](const R& r) { return at(r.l.value("at_percentile_ci_ms", json()), "high"); }},
      {"metric", [](const R& r) { return at(r.sc, "metric"); }},
      {"accuracy", [](const R& r) { return at(r.s, "accuracy"); }},
      {"accuracy_loss_pts", [](const R& r) { return at(r.s, "accuracy_loss_pts"); }},
      {"reference", [](const R& r) { return at(r.vs, "reference"); }},
      {"speedup", [](const R& r) { return at(r.vs, "speedup"); }},
      {"speedup_p50", [](const R& r) { return at(r.vs, "speedup_p50"); }},
      {"latency_change_pct", [](const R& r) { return at(r.vs, "latency_change_pct"); }},
      {"cliffs_delta", [](const R& r) { return at(r.cliffs, "delta"); }},
      {"cliffs_magnitude", [](const R& r) { return at(r.cliffs, "magnitude"); }},
      {"shapiro_w", [](const R& r) { return at(r.normality, "w"); }},
      {"shapiro_p", [](const R& r) { return at(r.normality, "p_value"); }},
      {"pareto", [](const R& r) { return at(r.s, "pareto"); }},
      {"requests", [](const R& r) { return at(r.s, "requests"); }},
      {"precision_pct", [](const R& r) { return at(r.s, "precision_pct"); }},
      {"stop_reason", [](const R& r) { return at(r.s, "stop_reason"); }},
  };
  return columns;
}

CsvTable strategies_table(const json& analysis) {
  std::set<std::string> components;
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& s : sc.at("strategies")) {
      if (!s.contains("breakdown_p50_ms")) continue;
      for (const auto& [name, value] : s.at("breakdown_p50_ms").items()) components.insert(name);
    }
  }
  CsvTable t = table_of("strategies", strategy_columns());
  // One column per breakdown component the document has, after the fixed ones.
  for (const auto& c : components) t.columns.push_back("breakdown_" + c + "_p50_ms");
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& s : sc.at("strategies")) {
      StrategyCells r{sc,
                      s,
                      s.at("key"),
                      s.at("latency"),
                      s.value("vs_reference", json()),
                      json(),
                      s.value("normality", json())};
      r.cliffs = r.vs.is_object() ? r.vs.value("cliffs_delta", json()) : json();
      std::vector<std::string> row = cells_of(strategy_columns(), r);
      const json breakdown = s.value("breakdown_p50_ms", json::object());
      for (const auto& c : components) row.push_back(at(breakdown, c.c_str()));
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

/// One row of the tests table: a Kruskal-Wallis test, one post-hoc pair or an accuracy test.
struct TestCells {
  std::string model, scenario, family, held_fixed, test, a, b, statistic, df, p_value, p_adjusted,
      significant, cliffs_delta, cliffs_magnitude, note;
};

const std::vector<Column<TestCells>>& test_columns() {
  using R = TestCells;
  static const std::vector<Column<R>> columns = {
      {"model", [](const R& r) { return r.model; }},
      {"scenario", [](const R& r) { return r.scenario; }},
      {"family", [](const R& r) { return r.family; }},
      {"held_fixed", [](const R& r) { return r.held_fixed; }},
      {"test", [](const R& r) { return r.test; }},
      {"a", [](const R& r) { return r.a; }},
      {"b", [](const R& r) { return r.b; }},
      {"statistic", [](const R& r) { return r.statistic; }},
      {"df", [](const R& r) { return r.df; }},
      {"p_value", [](const R& r) { return r.p_value; }},
      {"p_adjusted", [](const R& r) { return r.p_adjusted; }},
      {"significant", [](const R& r) { return r.significant; }},
      {"cliffs_delta", [](const R& r) { return r.cliffs_delta; }},
      {"cliffs_magnitude", [](const R& r) { return r.cliffs_magnitude; }},
      {"note", [](const R& r) { return r.note; }},
  };
  return columns;
}

CsvTable tests_table(const json& analysis) {
  CsvTable t = table_of("tests", test_columns());
  auto add = [&t](const TestCells& r) { t.rows.push_back(cells_of(test_columns(), r)); };
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& test : sc.value("tests", json::array())) {
      const json& kw = test.at("kruskal_wallis");
      TestCells r;
      r.model = at(sc, "model");
      r.scenario = at(sc, "scenario");
      r.family = at(test, "kind");
      r.held_fixed = at(test, "held_fixed");
      r.test = "kruskal_wallis";
      r.a = joined(test.at("strategies"));
      r.statistic = at(kw, "h");
      r.df = at(kw, "df");
      r.p_value = at(kw, "p_value");
      r.significant = at(test, "significant");
      add(r);
      const json post = test.value("post_hoc", json::object());
      for (const auto& p : post.value("pairs", json::array())) {
        const json cliffs = p.value("cliffs_delta", json());
        TestCells pair;
        pair.model = r.model;
        pair.scenario = r.scenario;
        pair.family = r.family;
        pair.held_fixed = r.held_fixed;
        pair.test = at(post, "test");
        pair.a = at(p, "a");
        pair.b = at(p, "b");
        pair.statistic = at(p, "t");
        pair.p_value = at(p, "p_value");
        pair.p_adjusted = at(p, "p_adjusted");
        pair.significant = at(p, "significant");
        pair.cliffs_delta = at(cliffs, "delta");
        pair.cliffs_magnitude = at(cliffs, "magnitude");
        pair.note = "p_adjust=" + at(post, "p_adjust");
        add(pair);
      }
    }
  }
  for (const auto& a : analysis.value("accuracy_tests", json::array())) {
    const json w = a.value("wilcoxon", json());
    TestCells r;
    r.model = joined(a.at("models"));
    r.family = "accuracy";
    r.held_fixed = at(a, "reference");
    r.test = w.is_object() ? at(w, "test") : "wilcoxon_signed_rank";
    r.a = at(a, "ops");
    r.b = at(a, "reference");
    r.statistic = at(w, "statistic");
    r.p_value = at(w, "p_value");
    r.note = at(a, "note");
    add(r);
  }
  return t;
}

/// One strategy on a Pareto front, with its rank along it.
struct ParetoCells {
  const json& sc;
  const json& s;
  int rank;
};

const std::vector<Column<ParetoCells>>& pareto_columns() {
  using R = ParetoCells;
  static const std::vector<Column<R>> columns = {
      {"model", [](const R& r) { return at(r.sc, "model"); }},
      {"scenario", [](const R& r) { return at(r.sc, "scenario"); }},
      {"rank", [](const R& r) { return std::to_string(r.rank); }},
      {"label", [](const R& r) { return at(r.s, "label"); }},
      {"percentile", [](const R& r) { return at(r.s.at("latency"), "percentile"); }},
      {"latency_ms", [](const R& r) { return at(r.s.at("latency"), "at_percentile_ms"); }},
      {"metric", [](const R& r) { return at(r.sc, "metric"); }},
      {"accuracy", [](const R& r) { return at(r.s, "accuracy"); }},
      {"accuracy_loss_pts", [](const R& r) { return at(r.s, "accuracy_loss_pts"); }},
  };
  return columns;
}

CsvTable pareto_table(const json& analysis) {
  CsvTable t = table_of("pareto", pareto_columns());
  for (const auto& sc : analysis.at("scenarios")) {
    int rank = 0;
    for (const auto& label : sc.at("pareto_front")) {
      for (const auto& s : sc.at("strategies")) {
        if (s.at("label") != label) continue;
        t.rows.push_back(cells_of(pareto_columns(), ParetoCells{sc, s, ++rank}));
      }
    }
  }
  return t;
}

/// One model/scenario recommendation with the sub-objects its cells come from.
struct RecommendationCells {
  const json& r;
  const json& constraints;
  json rec, ci, vs;
};

const std::vector<Column<RecommendationCells>>& recommendation_columns() {
  using R = RecommendationCells;
  static const std::vector<Column<R>> columns = {
      {"model", [](const R& x) { return at(x.r, "model"); }},
      {"scenario", [](const R& x) { return at(x.r, "scenario"); }},
      {"metric", [](const R& x) { return at(x.r, "metric"); }},
      {"percentile", [](const R& x) { return at(x.r, "percentile"); }},
      {"feasible", [](const R& x) { return at(x.r, "feasible"); }},
      {"recommended", [](const R& x) { return at(x.rec, "label"); }},
      {"latency_ms", [](const R& x) { return at(x.rec, "latency_ms"); }},
      {"latency_ci_low_ms", [](const R& x) { return at(x.ci, "low"); }},
      {"latency_ci_high_ms", [](const R& x) { return at(x.ci, "high"); }},
      {"accuracy", [](const R& x) { return at(x.rec, "accuracy"); }},
      {"accuracy_loss_pts", [](const R& x) { return at(x.rec, "accuracy_loss_pts"); }},
      {"reference", [](const R& x) { return at(x.vs, "reference"); }},
      {"speedup", [](const R& x) { return at(x.vs, "speedup"); }},
      {"runner_up", [](const R& x) { return at(x.r.value("runner_up", json()), "label"); }},
      {"closest", [](const R& x) { return at(x.r.value("closest", json()), "label"); }},
      {"max_latency_ms", [](const R& x) { return at(x.constraints, "max_latency_ms"); }},
      {"max_accuracy_loss_pts",
       [](const R& x) { return at(x.constraints, "max_accuracy_loss_pts"); }},
      {"reason", [](const R& x) { return at(x.r, "reason"); }},
      {"tied", [](const R& x) { return at(x.r, "tied"); }},
      {"tied_with", [](const R& x) { return at(x.r, "tied_with"); }},
  };
  return columns;
}

CsvTable recommendation_table(const json& recommendation) {
  CsvTable t = table_of("recommendation", recommendation_columns());
  if (!recommendation.is_object()) return t;
  const json constraints = recommendation.value("constraints", json::object());
  for (const auto& r : recommendation.value("recommendations", json::array())) {
    RecommendationCells x{r, constraints, r.value("recommended", json()), json(), json()};
    x.ci = x.rec.is_object() ? x.rec.value("latency_ci_ms", json()) : json();
    x.vs = x.rec.is_object() ? x.rec.value("vs_reference", json()) : json();
    t.rows.push_back(cells_of(recommendation_columns(), x));
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

/// One heatmap cell of the what-if planner.
struct PlannerCells {
  const json& h;  // the heatmap
  const json& c;  // the cell
};

const std::vector<Column<PlannerCells>>& planner_columns() {
  using R = PlannerCells;
  static const std::vector<Column<R>> columns = {
      {"model", [](const R& r) { return at(r.h, "model"); }},
      {"scenario", [](const R& r) { return at(r.h, "scenario"); }},
      {"percentile", [](const R& r) { return at(r.h, "percentile"); }},
      {"mobile_edge_rate_mbit", [](const R& r) { return at(r.c, "mobile_edge_rate_mbit"); }},
      {"edge_cloud_rate_mbit", [](const R& r) { return at(r.c, "edge_cloud_rate_mbit"); }},
      {"strategy", [](const R& r) { return at(r.c, "strategy"); }},
      {"latency_ms", [](const R& r) { return at(r.c, "latency_ms"); }},
  };
  return columns;
}

CsvTable planner_table(const json& planner) {
  CsvTable t = table_of("planner", planner_columns());
  for (const auto& h : planner.value("heatmaps", json::array())) {
    for (const auto& c : h.value("cells", json::array())) {
      t.rows.push_back(cells_of(planner_columns(), PlannerCells{h, c}));
    }
  }
  return t;
}

/// The load section's rows (analysis/load.h): every field is a column.
CsvTable load_table(const json& load) {
  CsvTable t{"load",
             {"model", "scenario", "strategy", "n", "p50_ms", "p95_ms", "p99_ms", "throughput_rps"},
             {}};
  for (const auto& r : load) {
    std::vector<std::string> row;
    for (const auto& c : t.columns) row.push_back(at(r, c.c_str()));
    t.rows.push_back(std::move(row));
  }
  return t;
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
    if (report.contains("load") && report.at("load").is_array()) {
      tables.push_back(load_table(report.at("load")));
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
      out += csv_field(cells[i]);
    }
    out += "\n";
  };
  line(table.columns);
  for (const auto& row : table.rows) line(row);
  return out;
}

}  // namespace edgetier
