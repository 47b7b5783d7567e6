/// Tests for `edgetier run`'s predicted scenarios (cli/run_predicted.h): the planner fitted on
/// the stored run fills a scenario with measure: false at its link rates, near the truth the
/// fixture's requests follow, validated on the measured scenarios.
#include "cli/run_predicted.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/db_fixture.h"
#include "report/planner_text.h"
#include "test_util.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;

ScenarioSpec scenario(const std::string& name, double me_mbit, double ec_mbit, bool measured) {
  ScenarioSpec s;
  s.name = name;
  s.links = {{.from = "mobile", .to = "edge", .rate_mbit = me_mbit},
             {.from = "edge", .to = "cloud", .rate_mbit = ec_mbit}};
  s.measured = measured;
  return s;
}

struct Stored {
  std::string path;
  int64_t run_id = 0;
};

const testdb::StrategyDef kEdge{.ops = "I", .placement = "E", .fixed_ms = 8,
                                .mobile_edge_up = 20000};
const testdb::StrategyDef kCloud{.ops = "I", .placement = "C", .fixed_ms = 5,
                                 .mobile_edge_up = 20000, .edge_cloud_up = 60000};

Stored stored_run(const std::string& dir, const std::vector<testdb::ScenarioDef>& scenarios) {
  Stored s;
  s.path = dir + "/results.db";
  auto store = ResultStore::open(s.path);
  EXPECT_TRUE(store.ok()) << store.status().to_string();
  testdb::RunOptions options;
  s.run_id = testdb::write_run(**store, scenarios, {kEdge, kCloud}, options);
  return s;
}

TEST(RunPredicted, FillsAScenarioItDidNotMeasureNearTheTruthAndValidatesOnTheMeasured) {
  TempDir dir;
  const Stored run = stored_run(dir.path(), {{"slow", 200, 5, 0}, {"fast", 200, 50, 0}});
  const std::vector<ScenarioSpec> spec = {scenario("slow", 200, 5, true),
                                          scenario("fast", 200, 50, true),
                                          scenario("mid", 200, 20, false)};
  auto predicted = cli::predict_unmeasured(run.path, run.run_id, spec);
  ASSERT_TRUE(predicted.ok()) << predicted.status().to_string();
  const nlohmann::json& j = *predicted;
  ASSERT_EQ(j["scenarios"].size(), 1u) << j.dump();
  const auto& mid = j["scenarios"][0];
  EXPECT_EQ(mid["scenario"], "mid");
  EXPECT_DOUBLE_EQ(mid["links"]["edge-cloud"]["rate_mbit"].get<double>(), 20);
  ASSERT_EQ(mid["models"].size(), 1u);
  const auto& net = mid["models"][0];
  const testdb::ScenarioDef truth_mid{"mid", 200, 20, 0};
  std::map<std::string, double> got;
  for (const auto& s : net["strategies"]) {
    got[s["strategy"]] = s["latency_ms"].get<double>();
    EXPECT_LE(s["interval_ms"][0].get<double>(), s["latency_ms"].get<double>()) << s.dump();
    EXPECT_GE(s["interval_ms"][1].get<double>(), s["latency_ms"].get<double>()) << s.dump();
  }
  ASSERT_TRUE(got.count("I@E") && got.count("I@C")) << net.dump();
  const double cloud_truth = testdb::truth_latency_ms(kCloud, truth_mid, {}, {});
  const double edge_truth = testdb::truth_latency_ms(kEdge, truth_mid, {}, {});
  EXPECT_NEAR(got["I@C"], cloud_truth, 0.05 * cloud_truth);
  EXPECT_NEAR(got["I@E"], edge_truth, 0.05 * edge_truth);
  // 60 kB over 20 Mbit/s is 24 ms: the edge wins at this setting.
  EXPECT_EQ(net["best"], "I@E");
  ASSERT_TRUE(j["validation"].is_object()) << j.dump();
  EXPECT_EQ(j["validation"]["method"], "leave-one-scenario-out");
  EXPECT_LT(j["validation"]["mdape_pct"].get<double>(), 5.0);

  const std::string text = format_predicted_scenarios(j);
  EXPECT_THAT(text, HasSubstr("scenario mid (mobile-edge 200 Mbit/s, edge-cloud 20 Mbit/s)"));
  EXPECT_THAT(text, HasSubstr("leave-one-scenario-out"));
  EXPECT_THAT(text, HasSubstr("best"));
}

TEST(RunPredicted, NothingWhenEveryScenarioWasMeasuredAndUnvalidatedWithOneMeasured) {
  TempDir dir;
  const Stored run = stored_run(dir.path(), {{"slow", 200, 5, 0}});
  auto none = cli::predict_unmeasured(run.path, run.run_id, {scenario("slow", 200, 5, true)});
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_TRUE(none->is_null());
  auto one = cli::predict_unmeasured(
      run.path, run.run_id, {scenario("slow", 200, 5, true), scenario("x", 200, 10, false)});
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  EXPECT_TRUE((*one)["validation"].is_null());
  EXPECT_THAT((*one)["warnings"].dump(), HasSubstr("not validated"));
  ASSERT_EQ((*one)["scenarios"].size(), 1u);
}

}  // namespace
}  // namespace edgetier
