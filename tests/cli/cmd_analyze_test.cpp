/// End-to-end tests of `edgetier analyze` on the study's data and on bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace edgetier {
namespace {

const std::string kData = std::string(EDGETIER_SHARED_DIR) + "/paper-data";
const std::string kStudy =
    "--samples " + kData + "/latency_samples.csv --accuracy " + kData + "/accuracy_long.csv";

TEST(CliAnalyze, StudyDataAsJson) {
  const auto run = run_edgetier("analyze " + kStudy + " --json --model ResNet --bootstrap 200");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["schema_version"], 1);
  ASSERT_EQ(j["scenarios"].size(), 1u);
  const auto& sc = j["scenarios"][0];
  EXPECT_EQ(sc["model"], "ResNet");
  EXPECT_EQ(sc["strategies"].size(), 18u);
  EXPECT_EQ(sc["pareto_front"], nlohmann::json({"QE@E", "Q@E", "I@E"}));
  EXPECT_EQ(j["options"]["bootstrap_resamples"], 200);
  bool found = false;
  for (const auto& t : sc["tests"]) {
    if (t["kind"] == "across_tiers" && t["held_fixed"] == "I") {
      found = true;
      const double p = t["kruskal_wallis"]["p_value"];
      EXPECT_NEAR(p / 6.737e-253, 1.0, 1e-3);
    }
  }
  EXPECT_TRUE(found);
}

TEST(CliAnalyze, StudyDataAsTable) {
  const auto run = run_edgetier("analyze " + kStudy + " --percentile 95 --bootstrap 100");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("ResNet  (speedup and Pareto front on p95"), std::string::npos);
  EXPECT_NE(run.out.find("DUC  ("), std::string::npos);
  EXPECT_NE(run.out.find("p = 6.7e-253"), std::string::npos);
  EXPECT_NE(run.out.find("Accuracy vs I"), std::string::npos);
}

TEST(CliAnalyze, BadRowIsNamedByLine) {
  TempDir dir;
  const std::string csv = dir.file("bad.csv");
  write_file(csv, "latency_s,placement,model,strategy\n1.0,Edge,m,I\n1.x,Edge,m,I\n");
  const auto run = run_edgetier("analyze --samples " + csv);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "edgetier: error: " + csv + ":3: latency_s '1.x' is not a number\n");
  EXPECT_TRUE(run.out.empty());
}

TEST(CliAnalyze, MissingOrWrongInputsAreExplained) {
  auto run = run_edgetier("analyze");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("no results given; pass a results database or --samples CSV"),
            std::string::npos)
      << run.err;
  run = run_edgetier("analyze /nonexistent/results.db");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("does not exist"), std::string::npos) << run.err;
  run = run_edgetier("analyze " + kData + "/latency_samples.csv");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("looks like a CSV file"), std::string::npos) << run.err;
  run = run_edgetier("analyze " + kStudy + " --model Resnet");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("nearest: 'ResNet'"), std::string::npos) << run.err;
  run = run_edgetier("analyze " + kStudy + " --p-adjust fdr");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("expected none, holm or bonferroni"), std::string::npos) << run.err;
}

TEST(CliAnalyze, CorruptResultsDatabaseIsRefused) {
  TempDir dir;
  const std::string db = dir.file("results.db");
  write_file(db, std::string("SQLite format 3\0", 16) + std::string(84, '\0'));
  auto run = run_edgetier("analyze " + db);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("is not an edgetier results database"), std::string::npos) << run.err;
  run = run_edgetier("analyze " + dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("is not an edgetier results database"), std::string::npos) << run.err;
  run = run_edgetier("analyze --run 2 --samples " + kData + "/latency_samples.csv");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--run selects a run of a results database"), std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace edgetier
