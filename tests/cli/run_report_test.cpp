/// Tests for `edgetier run`'s closing report (cli/run_report.h): the runner only stores, and the
/// analysis tables, load summary and report.html come from the stored run through build_report;
/// the runner's sources include nothing from analysis/ or report/.
#include "cli/run_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "analysis/db_fixture.h"
#include "test_util.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;

const std::vector<testdb::ScenarioDef> kScenarios = {{"default", 200, 10, 0}};

RunSummary stored_run(const std::string& dir, const std::string& status) {
  const std::string path = dir + "/results.db";
  auto store = ResultStore::open(path);
  EXPECT_TRUE(store.ok()) << store.status().to_string();
  testdb::StrategyDef m{.ops = "I", .placement = "M", .fixed_ms = 30};
  m.compute_ms["mobile"] = 25;
  testdb::StrategyDef e{.ops = "Q", .placement = "E", .fixed_ms = 8, .mobile_edge_up = 20000};
  e.compute_ms["edge"] = 6;
  testdb::RunOptions options;
  options.run_status = status;
  RunSummary run;
  run.run_id = testdb::write_run(**store, kScenarios, {m, e}, options);
  EXPECT_TRUE((*store)->record_accuracy(run.run_id, "net", "I", {"top1", 80.0, 200}).ok());
  EXPECT_TRUE((*store)->record_accuracy(run.run_id, "net", "Q", {"top1", 79.5, 200}).ok());
  run.status = status;
  run.results_path = path;
  run.output_dir = dir;
  run.strategies = 2;
  run.requests = *(*store)->count_requests(run.run_id);
  return run;
}

TEST(RunReport, AnalysesTheStoredRunThroughTheReportDocument) {
  TempDir dir;
  const RunSummary run = stored_run(dir.path(), "done");
  auto report = cli::report_run(run, /*load_summary=*/true);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  // The analysis and recommendation tables, then the load summary.
  EXPECT_THAT(report->text, HasSubstr("Q@E"));
  EXPECT_THAT(report->text, HasSubstr("I@M"));
  EXPECT_THAT(report->text, HasSubstr("\nLoad summary\n"));
  EXPECT_LT(report->text.find("Q@E"), report->text.find("Load summary"));
  const nlohmann::json& j = report->json;
  EXPECT_EQ(j["run"]["run_id"], run.run_id);
  EXPECT_EQ(j["run"]["status"], "done");
  EXPECT_EQ(j["run"]["requests"], 10);
  EXPECT_EQ(j["run"]["report"], dir.path() + "/report.html");
  EXPECT_EQ(j["analysis"]["scenarios"].size(), 1u);
  EXPECT_EQ(j["recommendation"]["recommendations"].size(), 1u);
  ASSERT_EQ(j["load"].size(), 2u);
  EXPECT_EQ(j["load"][0]["strategy"], "I@M");
  EXPECT_EQ(j["load"][0]["n"], 5);
  EXPECT_GT(j["load"][0]["throughput_rps"].get<double>(), 0);
  EXPECT_NEAR(j["load"][1]["p50_ms"].get<double>(), 8.8, 0.1);
  // report.html is the same document `edgetier report` renders (with the latency boxes).
  EXPECT_EQ(report->report_path, dir.path() + "/report.html");
  const std::string html = read_file(report->report_path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Q@E"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(report->report_path + ".tmp"));

  auto closed = cli::report_run(run, /*load_summary=*/false);
  ASSERT_TRUE(closed.ok());
  EXPECT_THAT(closed->text, ::testing::Not(HasSubstr("Load summary")));
  EXPECT_FALSE(closed->json.contains("load"));
}

TEST(RunReport, AnInterruptedRunIsNotAnalysed) {
  TempDir dir;
  const RunSummary run = stored_run(dir.path(), "interrupted");
  auto report = cli::report_run(run, false);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_TRUE(report->text.empty());
  EXPECT_EQ(report->json["run"]["status"], "interrupted");
  EXPECT_FALSE(report->json["run"].contains("report"));
  EXPECT_FALSE(report->json.contains("analysis"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/report.html"));
}

TEST(RunReport, RunWithoutSamplesSaysWhyInsteadOfFailing) {
  TempDir dir;
  RunSummary run = stored_run(dir.path(), "done");
  {
    auto store = ResultStore::open(run.results_path);
    ASSERT_TRUE(store.ok());
    run.run_id = *(*store)->begin_run("empty", "h", "", {}, testdb::spec_facts(5));
    StrategyRow row;
    row.model = "net";
    row.ops = "I";
    row.placement = "M";
    row.scenario = "default";
    ASSERT_TRUE((*store)->upsert_strategy(run.run_id, row).ok());
    ASSERT_TRUE((*store)->finish_run(run.run_id, "done").ok());
  }
  auto report = cli::report_run(run, false);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_THAT(report->text, HasSubstr("analysis: "));
  EXPECT_THAT(report->text, HasSubstr("no latency samples"));
  EXPECT_EQ(report->json["run"]["report"], "");
}

// The one-way flow itself (the runner sees no analysis or report, analysis no runner) is enforced
// by the build: cmake/check_layers.cmake, tested by the LayerCheck test.

}  // namespace
}  // namespace edgetier
