/// Tests for the order of a scenario's requests: schedules and which group member goes next
/// while variants are still being built.
#include "experiment/round_order.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace edgetier::runner {
namespace {

RoundMember finished() { return {true, true, true}; }
RoundMember started() { return {false, true, true}; }
RoundMember built() { return {false, false, true}; }
RoundMember building() { return {false, false, false}; }

TEST(RoundOrder, ABuiltOrStartedMemberIsMeasured) {
  EXPECT_EQ(round_step(built(), {built(), building()}, {}), RoundStep::kMeasure);
  EXPECT_EQ(round_step(started(), {started()}, {}), RoundStep::kMeasure);
}

TEST(RoundOrder, AMemberStillBuildingLetsTheOthersGoFirst) {
  EXPECT_EQ(round_step(building(), {building(), built()}, {}), RoundStep::kSkip);
  EXPECT_EQ(round_step(building(), {finished(), building(), started()}, {built()}),
            RoundStep::kSkip)
      << "the group's own members go before the next group's";
}

TEST(RoundOrder, OnlyBuildingMembersLeftGoAfterAReadyNextGroup) {
  EXPECT_EQ(round_step(building(), {finished(), building(), finished()}, {building(), built()}),
            RoundStep::kDefer);
  EXPECT_EQ(round_step(building(), {building(), building()}, {started()}), RoundStep::kDefer);
}

TEST(RoundOrder, NothingReadyAnywhereWaits) {
  EXPECT_EQ(round_step(building(), {building(), finished()}, {building()}), RoundStep::kWait);
  EXPECT_EQ(round_step(building(), {building()}, {}), RoundStep::kWait)
      << "the scenario's last group has no one to go before it";
  EXPECT_EQ(round_step(building(), {building()}, {finished()}), RoundStep::kWait)
      << "a finished member of the next group cannot go";
}

TEST(RoundOrder, SchedulesOnePassUntilStableOrEveryPassOfAFixedCount) {
  MeasurementSpec fixed;
  fixed.requests = 3;
  fixed.passes = 2;
  fixed.precision_pct.reset();
  ASSERT_FALSE(fixed.adaptive());
  const auto all = request_schedule(fixed);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.front(), (std::pair<int, int>{0, 0}));
  EXPECT_EQ(all[3], (std::pair<int, int>{1, 0}));
  EXPECT_EQ(planned_per_strategy(fixed), 6);
  MeasurementSpec stable;
  stable.precision_pct = 5;
  stable.max_requests = 7;
  ASSERT_TRUE(stable.adaptive());
  const auto once = request_schedule(stable);
  ASSERT_EQ(once.size(), 7u);
  EXPECT_EQ(once.back(), (std::pair<int, int>{0, 6}));
  EXPECT_EQ(planned_per_strategy(stable), 7);
}

TEST(RoundOrder, TheBuilderTakesTheNextGroupsQuickChainsBeforeASearch) {
  // Groups of 3: {0 slow, 1, 2}, {3, 4 slow, 5}, {6 slow}.
  const std::vector<bool> slow = {true, false, false, false, true, false, true};
  EXPECT_EQ(build_sequence(slow, 3), (std::vector<size_t>{1, 2, 3, 5, 0, 4, 6}));
  EXPECT_EQ(build_sequence({false, true}, 1), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(build_sequence({true, false}, 1), (std::vector<size_t>{1, 0}))
      << "group 1's quick chain before group 0's search";
  EXPECT_EQ(build_sequence({false, false, true}, 0), (std::vector<size_t>{0, 1, 2}))
      << "a group of 0 is one strategy at a time";
  EXPECT_TRUE(build_sequence({}, 4).empty());
}

TEST(RoundOrder, TheBuildSequenceTakesEveryStrategyOnce) {
  std::vector<bool> slow;
  for (int i = 0; i < 23; ++i) slow.push_back(i % 3 == 0 || i % 7 == 0);
  for (size_t group : {1, 2, 5, 10, 30}) {
    std::vector<size_t> order = build_sequence(slow, group);
    std::sort(order.begin(), order.end());
    std::vector<size_t> all(slow.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    EXPECT_EQ(order, all) << "groups of " << group;
  }
}

}  // namespace
}  // namespace edgetier::runner
