/// Tests for the Pareto front over (latency, accuracy loss).
#include "analysis/pareto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace edgetier {
namespace {

TEST(Pareto, HandPickedFront) {
  // 0: fast, lossy; 1: slow, lossless; 2: dominated by 3; 3: middle; 4: dominated by 1.
  const std::vector<ParetoPoint> pts = {{2.9, 7.1}, {5.6, 0.0}, {4.4, 5.9}, {3.5, 0.4}, {8.9, 0.0}};
  EXPECT_EQ(pareto_front(pts), (std::vector<size_t>{0, 3, 1}));
}

TEST(Pareto, TiesDuplicatesAndNan) {
  // Equal latency: only the smaller loss survives; identical points both survive; NaN never.
  const std::vector<ParetoPoint> pts = {{1, 5}, {1, 3},   {2, 1},    {2, 1},
                                        {3, 1}, {NAN, 0}, {0.5, NAN}};
  EXPECT_EQ(pareto_front(pts), (std::vector<size_t>{1, 2, 3}));
  EXPECT_TRUE(pareto_front(std::vector<ParetoPoint>{}).empty());
}

TEST(Pareto, MatchesBruteForceDominance) {
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> d(0, 9);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<ParetoPoint> pts(30);
    for (auto& p : pts) p = {static_cast<double>(d(gen)), static_cast<double>(d(gen))};
    std::vector<size_t> expected;
    for (size_t i = 0; i < pts.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < pts.size(); ++j) {
        const bool no_worse = pts[j].latency_ms <= pts[i].latency_ms &&
                              pts[j].accuracy_loss_pts <= pts[i].accuracy_loss_pts;
        const bool better = pts[j].latency_ms < pts[i].latency_ms ||
                            pts[j].accuracy_loss_pts < pts[i].accuracy_loss_pts;
        dominated = dominated || (no_worse && better);
      }
      if (!dominated) expected.push_back(i);
    }
    auto front = pareto_front(pts);
    std::sort(front.begin(), front.end());
    EXPECT_EQ(front, expected);
  }
}

}  // namespace
}  // namespace edgetier
