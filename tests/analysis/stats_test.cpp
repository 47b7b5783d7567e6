/// Tests for descriptive statistics and the seeded percentile bootstrap.
#include "analysis/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace edgetier::stats {
namespace {

TEST(StatsDescriptive, MeanStdevAndMedianByHand) {
  const std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(v), 5.0);
  // Sum of squared deviations = 32, n - 1 = 7.
  EXPECT_DOUBLE_EQ(stdev(v), std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(median(v), 4.5);
  EXPECT_DOUBLE_EQ(median(std::vector<double>{3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(stdev(std::vector<double>{42}), 0.0);
}

TEST(StatsDescriptive, PercentileInterpolatesLinearly) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);
  // h = (n - 1) p = 19 * 0.95 = 18.05 -> v[18] + 0.05 (v[19] - v[18]) = 19.05.
  EXPECT_NEAR(percentile_sorted(v, 95), 19.05, 1e-12);
  EXPECT_DOUBLE_EQ(percentile_sorted(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile_sorted(v, 100), 20.0);
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{4, 1, 3, 2}, 50), 2.5);
  // h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (4 - 3).
  EXPECT_NEAR(percentile(std::vector<double>{4, 1, 3, 2}, 90), 3.7, 1e-12);
}

TEST(StatsDescriptive, EmptyInputIsNanNotACrash) {
  const std::vector<double> empty;
  EXPECT_TRUE(std::isnan(mean(empty)));
  EXPECT_TRUE(std::isnan(percentile(empty, 50)));
  const Summary s = summarize_sorted(empty);
  EXPECT_EQ(s.n, 0u);
  EXPECT_TRUE(std::isnan(s.p95));
}

TEST(StatsDescriptive, SummaryOfSortedValues) {
  std::vector<double> v;
  for (int i = 0; i <= 100; ++i) v.push_back(i);
  const Summary s = summarize_sorted(v);
  EXPECT_EQ(s.n, 101u);
  EXPECT_DOUBLE_EQ(s.min, 0);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p90, 90);
  EXPECT_DOUBLE_EQ(s.p95, 95);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.mean, 50);
}

/// The same resampling done the slow way: materialize, sort, take the percentile (or the mean
/// when `pct` is negative).
std::vector<double> naive_bootstrap(const std::vector<double>& sorted, double pct,
                                    const BootstrapOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<double> stats;
  std::vector<double> resample(sorted.size());
  for (int r = 0; r < options.resamples; ++r) {
    for (auto& x : resample) {
      x = sorted[static_cast<size_t>((static_cast<unsigned __int128>(rng()) * sorted.size()) >>
                                     64)];
    }
    std::sort(resample.begin(), resample.end());
    stats.push_back(pct < 0 ? mean(resample) : percentile_sorted(resample, pct));
  }
  std::sort(stats.begin(), stats.end());
  const double tail = (1 - options.confidence) / 2 * 100;
  return {percentile_sorted(stats, tail), percentile_sorted(stats, 100 - tail)};
}

TEST(StatsBootstrap, CountingResamplerMatchesSortingEveryResample) {
  std::mt19937_64 gen(7);
  std::lognormal_distribution<double> dist(1.0, 0.5);
  std::vector<double> v(257);
  for (auto& x : v) x = dist(gen);
  v[10] = v[11] = v[12];  // ties must not matter
  std::sort(v.begin(), v.end());
  BootstrapOptions options;
  options.resamples = 300;
  options.seed = 99;
  const std::vector<double> pcts = {50, 95, 95, 0, 100, 37.5};
  ConfidenceInterval mean_ci;
  const auto cis = bootstrap_percentile_cis(v, pcts, options, &mean_ci);
  ASSERT_EQ(cis.size(), pcts.size());
  const auto expected_mean = naive_bootstrap(v, -1, options);
  EXPECT_NEAR(mean_ci.low, expected_mean[0], 1e-12);
  EXPECT_NEAR(mean_ci.high, expected_mean[1], 1e-12);
  EXPECT_LT(mean_ci.low, mean(v));
  EXPECT_GT(mean_ci.high, mean(v));
  for (size_t i = 0; i < pcts.size(); ++i) {
    const auto expected = naive_bootstrap(v, pcts[i], options);
    EXPECT_DOUBLE_EQ(cis[i].low, expected[0]) << "pct " << pcts[i];
    EXPECT_DOUBLE_EQ(cis[i].high, expected[1]) << "pct " << pcts[i];
    EXPECT_DOUBLE_EQ(cis[i].level, 0.95);
  }
}

TEST(StatsBootstrap, DeterministicPerSeedAndBracketsTheEstimate) {
  std::vector<double> v;
  for (int i = 0; i < 500; ++i) v.push_back(1000 + (i * 7919) % 500);
  std::sort(v.begin(), v.end());
  const std::vector<double> pcts = {50, 95};
  BootstrapOptions a;
  const auto first = bootstrap_percentile_cis(v, pcts, a);
  const auto again = bootstrap_percentile_cis(v, pcts, a);
  EXPECT_EQ(first[0].low, again[0].low);
  EXPECT_EQ(first[1].high, again[1].high);
  BootstrapOptions b;
  b.seed = derive_seed(a.seed, "QE@E");
  EXPECT_NE(b.seed, a.seed);
  EXPECT_NE(derive_seed(a.seed, "Q@E"), b.seed);
  const auto other = bootstrap_percentile_cis(v, pcts, b);
  EXPECT_TRUE(other[0].low != first[0].low || other[0].high != first[0].high);
  for (size_t i = 0; i < pcts.size(); ++i) {
    const double estimate = percentile_sorted(v, pcts[i]);
    EXPECT_LE(first[i].low, estimate);
    EXPECT_GE(first[i].high, estimate);
    EXPECT_LT(first[i].low, first[i].high);
  }
}

TEST(StatsBootstrap, MedianIntervalCoversTheTrueMedianAboutNinetyFivePercent) {
  std::mt19937_64 gen(2024);
  std::normal_distribution<double> dist(0.0, 1.0);
  BootstrapOptions options;
  options.resamples = 400;
  const std::vector<double> pct = {50};
  int covered = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> v(101);
    for (auto& x : v) x = dist(gen);
    std::sort(v.begin(), v.end());
    options.seed = static_cast<uint64_t>(t);
    const auto ci = bootstrap_percentile_cis(v, pct, options)[0];
    covered += ci.low <= 0.0 && 0.0 <= ci.high;
  }
  EXPECT_GE(covered, 176);  // 88%
  EXPECT_LE(covered, 199);
}

TEST(StatsBootstrap, SingleValueAndEmptyInput) {
  const std::vector<double> one = {3.0};
  const std::vector<double> pct = {50, 95};
  const auto ci = bootstrap_percentile_cis(one, pct, {});
  EXPECT_DOUBLE_EQ(ci[1].low, 3.0);
  EXPECT_DOUBLE_EQ(ci[1].high, 3.0);
  const auto none = bootstrap_percentile_cis(std::vector<double>{}, pct, {});
  EXPECT_TRUE(std::isnan(none[0].low));
}

}  // namespace
}  // namespace edgetier::stats
