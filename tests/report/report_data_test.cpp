/// The report document: Tukey box summaries of the samples and the assembled sections.
#include "report/report_data.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "report/report_fixtures.h"
#include "test_util.h"

namespace edgetier {
namespace {

using nlohmann::json;

void add_ms(ResultSet* results, const StrategyKey& key, const std::vector<double>& ms) {
  for (double v : ms) results->add_latency(key, static_cast<int64_t>(v * 1e6));
}

TEST(LatencyDistributions, TukeyBoxWithOutliers) {
  ResultSet results;
  // 1..11 ms plus two far values: q1 = 4, q3 = 10 (linear interpolation over 13 values), IQR 6,
  // so the fences are -5 and 19: 40 and 50 are outliers and the upper whisker ends at 11.
  add_ms(&results, {"m", "I", "E", "s"}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 40, 50});
  const json d = latency_distributions_json(results, AnalysisOptions{}, 100);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["label"], "I@E");
  EXPECT_EQ(d[0]["n"], 13);
  EXPECT_DOUBLE_EQ(d[0]["q1_ms"].get<double>(), 4);
  EXPECT_DOUBLE_EQ(d[0]["median_ms"].get<double>(), 7);
  EXPECT_DOUBLE_EQ(d[0]["q3_ms"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(d[0]["whisker_low_ms"].get<double>(), 1);
  EXPECT_DOUBLE_EQ(d[0]["whisker_high_ms"].get<double>(), 11);
  EXPECT_EQ(d[0]["outliers_ms"], json({40.0, 50.0}));
  EXPECT_EQ(d[0]["outliers_total"], 2);
  EXPECT_DOUBLE_EQ(d[0]["max_ms"].get<double>(), 50);
}

TEST(LatencyDistributions, ThinsOutliersKeepingTheExtremes) {
  ResultSet results;
  std::vector<double> ms(200, 10.0);  // IQR 0: every other value is an outlier
  for (int i = 0; i < 50; ++i) ms.push_back(1000.0 + i);
  add_ms(&results, {"m", "Q", "E", "s"}, ms);
  const json d = latency_distributions_json(results, AnalysisOptions{}, 5);
  EXPECT_EQ(d[0]["outliers_total"], 50);
  ASSERT_EQ(d[0]["outliers_ms"].size(), 5u);
  EXPECT_DOUBLE_EQ(d[0]["outliers_ms"][0].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(d[0]["outliers_ms"][4].get<double>(), 1049);
}

TEST(LatencyDistributions, FollowsTheAnalysisOrderAndFilters) {
  ResultSet results;
  add_ms(&results, {"b", "QE", "E", "s"}, {1, 2, 3});
  add_ms(&results, {"b", "I", "M", "s"}, {4, 5, 6});
  add_ms(&results, {"a", "I", "E", "s"}, {7, 8, 9});
  const json all = latency_distributions_json(results, AnalysisOptions{}, 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["label"], "I@M");  // model b first (first seen), placement M before E
  EXPECT_EQ(all[1]["label"], "QE@E");
  EXPECT_EQ(all[2]["model"], "a");
  AnalysisOptions only_a;
  only_a.model = "a";
  EXPECT_EQ(latency_distributions_json(results, only_a, 10).size(), 1u);
}

TEST(BuildReport, AssemblesEverySectionOfTheStudy) {
  ResultSet results;
  ASSERT_TRUE(testing::load_study_results(&results).ok());
  ReportOptions options;
  options.recommend.analysis.bootstrap.resamples = 100;
  options.recommend.max_accuracy_loss_pts = 1.0;
  const json planner = testing::synthetic_planner("ResNet");
  auto report = build_report(results, options, &planner);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ((*report)["schema"], "edgetier-report");
  EXPECT_EQ((*report)["analysis"]["scenarios"].size(), 4u);
  EXPECT_EQ((*report)["latency_distributions"].size(), 72u);
  EXPECT_EQ((*report)["planner"], planner);
  // With at most 1 pt accuracy loss, ResNet's recommendation is quantization on the edge.
  const json& rec = (*report)["recommendation"]["recommendations"][0];
  EXPECT_EQ(rec["model"], "ResNet");
  EXPECT_EQ(rec["recommended"]["label"], "Q@E");
  // A bad option is an error, not an empty report.
  options.recommend.analysis.model = "NoSuchModel";
  EXPECT_FALSE(build_report(results, options).ok());
}

TEST(WriteReportFiles, WritesHtmlAndCsvAndReportsUnwritablePaths) {
  ResultSet results;
  testing::add_breakdown_model(&results);
  auto report = build_report(results, ReportOptions{});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  TempDir dir;
  ASSERT_TRUE(write_report_files(*report, dir.file("r.html"), dir.file("csv/nested")).ok());
  EXPECT_NE(read_file(dir.file("r.html")).find("TinyNet"), std::string::npos);
  for (const char* name : {"strategies", "tests", "pareto", "recommendation", "latency_boxes"}) {
    EXPECT_FALSE(read_file(dir.file("csv/nested/") + name + ".csv").empty()) << name;
  }
  Status bad = write_report_files(*report, dir.file("missing/dir/r.html"), "");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("missing/dir/r.html"), std::string::npos);
}

TEST(WriteReportFiles, ReplacesFilesAtomically) {
  ResultSet results;
  testing::add_breakdown_model(&results);
  auto report = build_report(results, ReportOptions{});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  TempDir dir;
  write_file(dir.file("r.html"), "old");
  ASSERT_TRUE(write_report_files(*report, dir.file("r.html"), dir.file("csv")).ok());
  EXPECT_EQ(read_file(dir.file("r.html")).rfind("<!DOCTYPE html>", 0), 0u);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();  // no temporary left behind
  }
  // A path that cannot be replaced (a folder) leaves neither it nor a temporary changed.
  std::filesystem::create_directories(dir.file("folder.html/x"));
  EXPECT_FALSE(write_report_files(*report, dir.file("folder.html"), "").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("folder.html/x")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("folder.html.tmp")));
}

TEST(BuildReport, LoadSectionOnRequestWithItsCsvTable) {
  ResultSet results;
  const StrategyKey key{"m", "I", "M", "default"};
  for (int i = 1; i <= 4; ++i) {
    results.add_latency(key, i * 1000000);
    results.add_sent_window(key, (i - 1) * 250000000LL, (i - 1) * 250000000LL + i * 1000000);
  }
  auto plain = build_report(results, ReportOptions{});
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_FALSE(plain->contains("load"));
  ReportOptions options;
  options.load_summary = true;
  auto report = build_report(results, options);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  const json& load = (*report)["load"];
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(load[0]["strategy"], "I@M");
  EXPECT_EQ(load[0]["n"], 4);
  EXPECT_DOUBLE_EQ(load[0]["p50_ms"].get<double>(), 2.5);
  // 4 requests from 0 to 0.754 s.
  EXPECT_NEAR(load[0]["throughput_rps"].get<double>(), 4 / 0.754, 1e-9);
  TempDir dir;
  ASSERT_TRUE(write_report_files(*report, "", dir.file("csv")).ok());
  EXPECT_EQ(read_file(dir.file("csv/load.csv")).substr(0, 75),
            "model,scenario,strategy,n,p50_ms,p95_ms,p99_ms,throughput_rps\nm,default,I@M");
}

}  // namespace
}  // namespace edgetier
