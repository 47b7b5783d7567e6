/// End-to-end tests of `edgetier recommend` on the study's data and with impossible limits.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace edgetier {
namespace {

const std::string kData = std::string(EDGETIER_SHARED_DIR) + "/paper-data";
const std::string kStudy = "recommend --samples " + kData + "/latency_samples.csv --accuracy " +
                           kData + "/accuracy_long.csv --bootstrap 200";

TEST(CliRecommend, StudyFindingsForResNet) {
  auto run = run_edgetier(kStudy + " --model ResNet --max-accuracy-loss 1 --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["feasible"], true);
  EXPECT_EQ(j["recommendations"][0]["recommended"]["ops"], "Q");
  EXPECT_EQ(j["recommendations"][0]["recommended"]["label"], "Q@E");

  run = run_edgetier(kStudy + " --model ResNet --max-accuracy-loss 15 --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["recommendations"][0]["recommended"]["label"], "QE@E");
  EXPECT_EQ(j["recommendations"][0]["runner_up"]["label"], "Q@E");
  const std::string reason = j["recommendations"][0]["reason"];
  EXPECT_EQ(reason.rfind("QE@E: p50 2.89 s, 1.95x faster than I@E (large effect", 0), 0u) << reason;

  run = run_edgetier(kStudy + " --model ResNet --max-accuracy-loss 15");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("ResNet: recommend QE@E: p50 2.89 s", 0), 0u) << run.out;
}

TEST(CliRecommend, ImpossibleLimitIsAnAnswerNotACrash) {
  auto run = run_edgetier(kStudy + " --model FCN --max-latency-ms 100 --max-accuracy-loss 0");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("FCN: Nothing meets p50 <= 100 ms and accuracy loss <= 0 pt for FCN; "
                          "closest: I@C (p50 3.77 s, 37.66x the limit; no miou loss).",
                          0),
            0u)
      << run.out;
  run = run_edgetier(kStudy + " --model FCN --max-latency-ms 100 --json");
  EXPECT_EQ(run.exit_code, 0);
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["feasible"], false);
  EXPECT_EQ(j["recommendations"][0]["closest"]["label"], "EE@C");
}

TEST(CliRecommend, NonsenseLimitsAreRejectedClearly) {
  auto run = run_edgetier(kStudy + " --max-latency-ms -5");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(
      run.err,
      "edgetier: error: --max-latency-ms -5 is impossible: a latency limit must be a positive "
      "number of milliseconds\n");
  run = run_edgetier(kStudy + " --max-accuracy-loss -1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--max-accuracy-loss -1 is impossible"), std::string::npos) << run.err;
  run = run_edgetier(kStudy + " --percentile 0");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("percentile 0 is outside (0, 100]"), std::string::npos) << run.err;
  run = run_edgetier(kStudy + " --max-latency-ms fast");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("max-latency-ms"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace edgetier
