/// CSV tables of the report document: columns, one row per item, quoting, full precision.
#include "report/csv_json.h"

#include <gtest/gtest.h>

#include "report/report_data.h"
#include "report/report_fixtures.h"

namespace edgetier {
namespace {

using nlohmann::json;

const CsvTable* find(const std::vector<CsvTable>& tables, const std::string& name) {
  for (const auto& t : tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

size_t column(const CsvTable& t, const std::string& name) {
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name << " in " << t.name;
  return 0;
}

TEST(ReportCsv, TablesCarryTheReportData) {
  ResultSet results;
  ASSERT_TRUE(testing::load_study_results(&results).ok());
  testing::add_breakdown_model(&results);
  ReportOptions options;
  options.recommend.analysis.bootstrap.resamples = 100;
  const json planner = testing::synthetic_planner("ResNet");
  auto report = build_report(results, options, &planner);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  auto tables = report_csv_tables(*report);
  ASSERT_TRUE(tables.ok()) << tables.status().to_string();
  for (const char* name :
       {"strategies", "tests", "pareto", "recommendation", "latency_boxes", "planner"}) {
    EXPECT_NE(find(*tables, name), nullptr) << name;
  }
  const CsvTable& s = *find(*tables, "strategies");
  EXPECT_EQ(s.rows.size(), 72u + 3u);
  for (const auto& row : s.rows) EXPECT_EQ(row.size(), s.columns.size());
  // The first study row is I@M of ResNet with the analysis' exact median.
  const json& first = (*report)["analysis"]["scenarios"][0]["strategies"][0];
  EXPECT_EQ(s.rows[0][column(s, "label")], "I@M");
  EXPECT_EQ(std::stod(s.rows[0][column(s, "p50_ms")]), first["latency"]["p50_ms"].get<double>());
  EXPECT_EQ(s.rows[0][column(s, "pareto")], "false");
  EXPECT_EQ(s.rows[0][column(s, "breakdown_compute_p50_ms")], "");  // the study has none
  EXPECT_NE(s.rows.back()[column(s, "breakdown_compute_p50_ms")], "");
  EXPECT_EQ(s.rows.back()[column(s, "accuracy")], "");  // TinyNet has no accuracy

  const CsvTable& pareto = *find(*tables, "pareto");
  ASSERT_GE(pareto.rows.size(), 3u);
  EXPECT_EQ(pareto.rows[0][column(pareto, "label")], "QE@E");
  EXPECT_EQ(pareto.rows[0][column(pareto, "rank")], "1");
  const CsvTable& tests = *find(*tables, "tests");
  size_t kruskal = 0, wilcoxon = 0;
  for (const auto& row : tests.rows) {
    kruskal += row[column(tests, "test")] == "kruskal_wallis";
    wilcoxon += row[column(tests, "test")] == "wilcoxon_signed_rank";
  }
  EXPECT_GE(kruskal, 4u * 12u);
  EXPECT_GE(wilcoxon, 1u);
  EXPECT_EQ(find(*tables, "planner")->rows.size(), 36u);
  EXPECT_EQ(find(*tables, "recommendation")->rows.size(), 5u);
}

TEST(ReportCsv, EveryRowHasOneCellPerColumn) {
  ResultSet results;
  ASSERT_TRUE(testing::load_study_results(&results).ok());
  testing::add_breakdown_model(&results);
  ReportOptions options;
  options.recommend.analysis.bootstrap.resamples = 100;
  options.load_summary = true;
  const json planner = testing::synthetic_planner("ResNet");
  auto report = build_report(results, options, &planner);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  auto tables = report_csv_tables(*report);
  ASSERT_TRUE(tables.ok()) << tables.status().to_string();
  ASSERT_NE(find(*tables, "load"), nullptr);
  for (const auto& t : *tables) {
    EXPECT_FALSE(t.rows.empty()) << t.name;
    for (const auto& row : t.rows) EXPECT_EQ(row.size(), t.columns.size()) << t.name;
  }
}

TEST(ReportCsv, QuotesCellsThatNeedIt) {
  CsvTable t{"t", {"a", "b"}, {{"plain", "with, comma"}, {"say \"hi\"", "two\nlines"}}};
  EXPECT_EQ(to_csv(t), "a,b\nplain,\"with, comma\"\n\"say \"\"hi\"\"\",\"two\nlines\"\n");
}

TEST(ReportCsv, RejectsDocumentsWithoutAnalysis) {
  auto tables = report_csv_tables(json{{"title", "x"}});
  ASSERT_FALSE(tables.ok());
  EXPECT_EQ(tables.status().code(), StatusCode::kInvalidArgument);
  auto typed = report_csv_tables(json{{"scenarios", json::array({{{"strategies", 3}}})}});
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.status().message().find("report JSON"), std::string::npos);
}

}  // namespace
}  // namespace edgetier
