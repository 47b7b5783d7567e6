// The seeded percentile bootstrap of the median against cases worked out by hand.
#include "core/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace edgetier::stats {
namespace {

TEST(BootstrapTest, MedianOfTwoValuesSpansBoth) {
  // Resamples of {1, 3}: {1,1} (median 1) and {3,3} (median 3) a quarter of the time each,
  // {1,3} (median 2) half of it. With 1000 resamples about 250 medians are 1, so the 2.5% and
  // 97.5% points of the medians are 1 and 3.
  const std::vector<double> sorted = {1, 3};
  const ConfidenceInterval ci = median_ci(sorted, {});
  EXPECT_DOUBLE_EQ(ci.low, 1);
  EXPECT_DOUBLE_EQ(ci.high, 3);
  EXPECT_DOUBLE_EQ(ci.level, 0.95);
  // Half of [1, 3] is 1, i.e. 50% of the median 2.
  EXPECT_DOUBLE_EQ(half_width_pct(ci, 2), 50);
}

TEST(BootstrapTest, ConstantSampleHasAZeroWidthInterval) {
  const std::vector<double> sorted(25, 4.5);
  const ConfidenceInterval ci = median_ci(sorted, {});
  EXPECT_DOUBLE_EQ(ci.low, 4.5);
  EXPECT_DOUBLE_EQ(ci.high, 4.5);
  EXPECT_DOUBLE_EQ(half_width_pct(ci, 4.5), 0);
}

TEST(BootstrapTest, SameSeedSameIntervalAndItHoldsTheMedian) {
  std::vector<double> sorted;
  for (int i = 1; i <= 101; ++i) sorted.push_back(i);
  BootstrapOptions o;
  o.seed = 7;
  const ConfidenceInterval a = median_ci(sorted, o);
  const ConfidenceInterval b = median_ci(sorted, o);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  // The median is 51; its order statistic's spread over resamples is about +-1.96 * sqrt(n)/2.
  EXPECT_LT(a.low, 51);
  EXPECT_GT(a.high, 51);
  EXPECT_GT(a.low, 40);
  EXPECT_LT(a.high, 62);
}

TEST(BootstrapTest, HalfWidthIsUndefinedWithoutAPositiveCenter) {
  EXPECT_TRUE(std::isnan(half_width_pct({1, 2, 0.95}, 0)));
  EXPECT_TRUE(std::isnan(half_width_pct({NAN, 2, 0.95}, 1)));
  EXPECT_TRUE(std::isnan(median_ci(std::vector<double>{}, {}).low));
}

}  // namespace
}  // namespace edgetier::stats
