// The measure-until-stable stopping rule on synthetic sample sequences fed round by round.
#include "experiment/stopping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "experiment/spec.h"

namespace edgetier {
namespace {

/// Feeds `next()` in rounds of `round` (each request taking `request_s` seconds) until the rule
/// stops; returns the last check and the number of requests sent.
template <typename Next>
std::pair<StopCheck, int64_t> run_rounds(const StopRule& rule, int round, double request_s,
                                         Next next) {
  std::vector<double> ms;
  int64_t sent = 0;
  while (true) {
    for (int i = 0; i < round; ++i) {
      ms.push_back(next());
      ++sent;
    }
    StopCheck c = check_stop(ms, sent, sent * request_s, rule);
    if (c.reason != StopReason::kContinue) return {c, sent};
    if (sent > 100000) return {c, sent};  // a broken rule must not hang the test
  }
}

StopRule rule(double precision_pct, int64_t min_requests, int64_t max_requests,
              double max_seconds) {
  StopRule r;
  r.precision_pct = precision_pct;
  r.min_requests = min_requests;
  r.max_requests = max_requests;
  r.max_seconds = max_seconds;
  r.bootstrap.seed = 11;
  return r;
}

TEST(StoppingTest, StopsOnPrecisionOnceTheMedianSettles) {
  // 10 ms +-2% uniform noise: the median's CI is well within +-5% after a few rounds.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> noise(9.8, 10.2);
  auto [c, sent] = run_rounds(rule(5, 20, 1000, 1e9), 10, 0.01, [&] { return noise(rng); });
  EXPECT_EQ(c.reason, StopReason::kPrecision);
  EXPECT_EQ(sent, 20);  // the floor, not earlier
  EXPECT_LE(c.precision_pct, 5);
  EXPECT_NEAR(c.median_ms, 10, 0.2);
  EXPECT_LE(c.median_ci_ms.low, c.median_ms);
  EXPECT_GE(c.median_ci_ms.high, c.median_ms);
}

TEST(StoppingTest, NoisySamplesHitMaxRequests) {
  // Latencies spread over two orders of magnitude never get within +-1% in 60 requests.
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> spread(1, 100);
  auto [c, sent] = run_rounds(rule(1, 10, 60, 1e9), 10, 0.01, [&] { return spread(rng); });
  EXPECT_EQ(c.reason, StopReason::kMaxRequests);
  EXPECT_EQ(sent, 60);
  EXPECT_GT(c.precision_pct, 1);
}

TEST(StoppingTest, SlowStrategyHitsMaxSecondsBeforeTheFloor) {
  // 1 s per request and a 3 s budget: the time cap ends it after 3 requests even though the
  // floor asks for 20 (a cap is a cap: a slow strategy must not hold the run up).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> spread(500, 1500);
  auto [c, sent] = run_rounds(rule(5, 20, 1000, 3), 1, 1.0, [&] { return spread(rng); });
  EXPECT_EQ(c.reason, StopReason::kMaxSeconds);
  EXPECT_EQ(sent, 3);
}

TEST(StoppingTest, MinRequestsIsAFloorForPrecision) {
  // Identical latencies are perfectly precise from the second request on; the floor of 30
  // still holds, checked round by round.
  const StopRule r = rule(5, 30, 1000, 1e9);
  std::vector<double> ms;
  for (int n = 1; n <= 30; ++n) {
    ms.push_back(7.0);
    const StopCheck c = check_stop(ms, n, n * 0.007, r);
    if (n < 30) {
      EXPECT_EQ(c.reason, StopReason::kContinue) << "after " << n;
    } else {
      EXPECT_EQ(c.reason, StopReason::kPrecision);
      EXPECT_DOUBLE_EQ(c.precision_pct, 0);
    }
  }
}

TEST(StoppingTest, FailedRequestsCountTowardsTheCapNotThePrecision) {
  // Two answers among 50 sent: the CI has two samples, the cap counts all 50.
  const std::vector<double> ms = {10, 10};
  const StopCheck c = check_stop(ms, 50, 1, rule(5, 20, 50, 1e9));
  EXPECT_EQ(c.reason, StopReason::kMaxRequests);
  const StopCheck none = check_stop(std::vector<double>{}, 3, 1, rule(5, 2, 50, 1e9));
  EXPECT_EQ(none.reason, StopReason::kContinue);
  EXPECT_TRUE(std::isnan(none.precision_pct));
}

TEST(StoppingTest, RuleComesFromTheSpecAndNamesAreStable) {
  MeasurementSpec m;
  m.precision_pct = 2.5;
  m.min_requests = 7;
  m.max_requests = 70;
  m.max_seconds = 12;
  const StopRule r = stop_rule(m, 99);
  EXPECT_DOUBLE_EQ(r.precision_pct, 2.5);
  EXPECT_EQ(r.min_requests, 7);
  EXPECT_EQ(r.max_requests, 70);
  EXPECT_DOUBLE_EQ(r.max_seconds, 12);
  EXPECT_EQ(r.bootstrap.seed, 99u);
  EXPECT_EQ(stop_reason_name(StopReason::kPrecision), "precision");
  EXPECT_EQ(stop_reason_name(StopReason::kMaxRequests), "max_requests");
  EXPECT_EQ(stop_reason_name(StopReason::kMaxSeconds), "max_seconds");
  EXPECT_EQ(stop_reason_name(StopReason::kFixed), "fixed");
}

}  // namespace
}  // namespace edgetier
