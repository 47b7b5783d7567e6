/// Tests for runs.timing_json: where a run's wall time went, summed over its invocations and
/// read back with the sum of its request times.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "experiment/test_util.h"
#include "store/reader.h"
#include "store/store.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

CampaignTiming timing(int64_t wall_ns, int64_t deploy_ns, int64_t build_beside_ns) {
  CampaignTiming t;
  t.wall_ns = wall_ns;
  t.phases_ns["deploy"] = deploy_ns;
  t.phases_ns["requests"] = wall_ns - deploy_ns;
  t.overlapped_ns["build"] = build_beside_ns;
  return t;
}

TEST(StoreTiming, InvocationsOfARunAddUpAndReadBackWithTheRequestSum) {
  TempDir dir;
  const std::string path = dir / "results.db";
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    auto run = (*store)->begin_run("x", "h", "", {});
    ASSERT_TRUE(run.ok());
    StrategyRow row;
    row.model = "m";
    row.ops = "I";
    row.placement = "M";
    row.scenario = "default";
    auto id = (*store)->upsert_strategy(*run, row);
    ASSERT_TRUE(id.ok());
    for (int i = 0; i < 3; ++i) {
      RequestRecord r;
      r.strategy_id = *id;
      r.request_index = i;
      r.end_to_end_ns = 1000 * (i + 1);  // 1000 + 2000 + 3000
      ASSERT_TRUE((*store)->add_request(*run, r).ok());
    }
    // Before the run ends nothing is recorded.
    auto runs = (*store)->runs();
    ASSERT_TRUE(runs.ok());
    EXPECT_FALSE(runs->front().timing.recorded);
    // A first invocation, then a resumed one: the figures add.
    ASSERT_TRUE((*store)->add_campaign_timing(*run, timing(10000, 3000, 500)).ok());
    ASSERT_TRUE((*store)->add_campaign_timing(*run, timing(5000, 1000, 250)).ok());
    EXPECT_FALSE((*store)->add_campaign_timing(*run + 1, timing(1, 1, 1)).ok());
  }
  auto stored = read_results_database(path);
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  const CampaignTiming& t = stored->run.timing;
  EXPECT_TRUE(t.recorded);
  EXPECT_EQ(t.wall_ns, 15000);
  EXPECT_EQ(t.phases_ns.at("deploy"), 4000);
  EXPECT_EQ(t.phases_ns.at("requests"), 11000);
  EXPECT_EQ(t.overlapped_ns.at("build"), 750);
  EXPECT_EQ(t.request_sum_ns, 6000);
  EXPECT_DOUBLE_EQ(t.overhead_ratio(), 2.5);
}

TEST(StoreTiming, MalformedTimingIsDataLossNamingTheKey) {
  EXPECT_TRUE(campaign_timing_of_json(nlohmann::json::object()).ok());
  EXPECT_FALSE(campaign_timing_of_json(nlohmann::json::object())->recorded);
  auto round = campaign_timing_of_json(campaign_timing_json(timing(7, 3, 1)));
  ASSERT_TRUE(round.ok()) << round.status().to_string();
  EXPECT_EQ(round->wall_ns, 7);
  EXPECT_EQ(round->phases_ns.at("deploy"), 3);

  auto no_wall = campaign_timing_of_json({{"phases_ns", nlohmann::json::object()}});
  EXPECT_EQ(no_wall.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(no_wall.status().message(), HasSubstr("wall_ns"));
  auto fraction = campaign_timing_of_json({{"wall_ns", 1}, {"phases_ns", {{"deploy", 1.5}}}});
  EXPECT_EQ(fraction.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(fraction.status().message(), HasSubstr("phases_ns.deploy"));
  auto negative = campaign_timing_of_json({{"wall_ns", -4}});
  EXPECT_EQ(negative.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(campaign_timing_of_json(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace edgetier
