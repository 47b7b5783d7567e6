/// User-space link emulation: hold times follow rate and delay; deadlines are respected.
#include "tier/shaper.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace edgetier::tier {
namespace {

TEST(LinkShaper, InactiveDoesNotHold) {
  LinkShaper shaper;
  auto held = shaper.transmit(LinkShaper::Direction::kUp, 10 << 20);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, 0);
}

TEST(LinkShaper, IdealTimeIsSerialisationPlusDelay) {
  LinkShaper shaper({.rate_mbit = 8, .delay_ms = 5});
  // 100,000 bytes at 8 Mbit/s = 100 ms, plus 5 ms.
  EXPECT_EQ(shaper.ideal_ns(100000), 105000000);
}

TEST(LinkShaper, HoldsAtLeastTheIdealTime) {
  LinkShaper shaper({.rate_mbit = 80, .delay_ms = 2});
  auto held = shaper.transmit(LinkShaper::Direction::kUp, 100000);  // 10 ms + 2 ms
  ASSERT_TRUE(held.ok());
  EXPECT_GE(*held, 12000000);
  EXPECT_LT(*held, 12000000 + 200000000);  // generous: shared CI machines oversleep
}

TEST(LinkShaper, BackToBackMessagesQueueOnTheSameDirection) {
  LinkShaper shaper({.rate_mbit = 80, .delay_ms = 0});
  Stopwatch watch;
  ASSERT_TRUE(shaper.transmit(LinkShaper::Direction::kDown, 50000).ok());  // 5 ms
  ASSERT_TRUE(shaper.transmit(LinkShaper::Direction::kDown, 50000).ok());  // 5 ms more
  EXPECT_GE(watch.elapsed_ns(), 10000000);
}

TEST(LinkShaper, RejectsMessagesThatCannotArriveBeforeTheDeadline) {
  LinkShaper shaper({.rate_mbit = 1, .delay_ms = 0});
  const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(20);
  Stopwatch watch;
  auto held = shaper.transmit(LinkShaper::Direction::kUp, 1000000, deadline);  // 8 s needed
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(watch.elapsed_ms(), 1000.0);
}

}  // namespace
}  // namespace edgetier::tier
