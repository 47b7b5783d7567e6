/// Tests for the measurement's side of the background builds: waiting for a variant, the time
/// waited counted as the campaign's "build", and a builder that stopped before building it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "experiment/runner_internal.h"

namespace edgetier::runner {
namespace {

void publish(RunContext* c, const std::string& key, const std::string& dir) {
  std::lock_guard<std::mutex> lock(c->variants_mu);
  BuiltVariant v;
  v.dir = dir;
  c->variants[key] = v;
  c->variants_cv.notify_all();
}

void end_builds(RunContext* c, Status st) {
  std::lock_guard<std::mutex> lock(c->variants_mu);
  c->builds_done = true;
  c->builds_status = st;
  c->variants_cv.notify_all();
}

TEST(RunnerPipeline, MeasurementWaitsForAVariantAndCountsTheWaitAsBuild) {
  RunContext c;
  CampaignClock clock;
  c.clock = &clock;
  publish(&c, "m/I", "/v/I");
  auto ready = c.variant("m/I");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ((*ready)->dir, "/v/I");
  EXPECT_EQ(clock.timing().phases_ns.count("build"), 0u) << "nothing was waited for";

  std::thread builder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    publish(&c, "m/Q", "/v/Q");
  });
  auto waited = c.variant("m/Q");
  builder.join();
  ASSERT_TRUE(waited.ok()) << waited.status().to_string();
  EXPECT_EQ((*waited)->dir, "/v/Q");
  EXPECT_GE(clock.timing().phases_ns.at("build"), 50'000'000);
}

TEST(RunnerPipeline, ABuilderThatStoppedAnswersWithWhyItStopped) {
  RunContext c;
  CampaignClock clock;
  c.clock = &clock;
  std::thread builder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    end_builds(&c, cancelled("stopped while building variants"));
  });
  auto v = c.variant("m/QE");
  builder.join();
  EXPECT_EQ(v.status().code(), StatusCode::kCancelled);

  RunContext done;
  done.clock = &clock;
  end_builds(&done, Status());
  auto missing = done.variant("m/EE");
  EXPECT_EQ(missing.status().code(), StatusCode::kInternal);
  EXPECT_NE(missing.status().message().find("m/EE"), std::string::npos);
}

TEST(RunnerPipeline, WaitsForWhicheverOfSeveralVariantsIsBuiltFirst) {
  RunContext c;
  CampaignClock clock;
  c.clock = &clock;
  EXPECT_FALSE(c.variant_ready("m/Q"));
  std::thread builder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    publish(&c, "m/P", "/v/P");  // the builder's order, not the one asked first
  });
  EXPECT_TRUE(c.wait_for_any({"m/Q", "m/P"}));
  builder.join();
  EXPECT_TRUE(c.variant_ready("m/P"));
  EXPECT_FALSE(c.variant_ready("m/Q"));
  EXPECT_GE(clock.timing().phases_ns.at("build"), 40'000'000) << "waiting is build time";
  end_builds(&c, Status());
  EXPECT_TRUE(c.variant_ready("m/Q")) << "after the builder ended, nothing is waited for";
  EXPECT_TRUE(c.wait_for_any({"m/Q"}));
}

TEST(RunnerPipeline, CampaignClockKeepsWorkBesideTheMeasurementApart) {
  CampaignClock clock(monotonic_ns() - 1'000'000'000);
  clock.add("deploy", 300);
  clock.add("deploy", 200);
  clock.add("build", 700, /*overlapped=*/true);
  {
    auto timed = clock.time("store");
  }
  const CampaignTiming t = clock.timing();
  EXPECT_TRUE(t.recorded);
  EXPECT_GE(t.wall_ns, 1'000'000'000);
  EXPECT_EQ(t.phases_ns.at("deploy"), 500);
  EXPECT_EQ(t.phases_ns.count("build"), 0u);
  EXPECT_EQ(t.overlapped_ns.at("build"), 700);
  EXPECT_GE(t.phases_ns.at("store"), 0);
}

}  // namespace
}  // namespace edgetier::runner
