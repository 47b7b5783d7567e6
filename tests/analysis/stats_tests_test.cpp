/// Tests for the hypothesis tests and effect sizes: hand-computed cases and reference values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "analysis/stats.h"

namespace edgetier::stats {
namespace {

using Groups = std::vector<std::span<const double>>;

TEST(StatsRanks, AverageRanksWithTies) {
  std::vector<int64_t> ties;
  const auto r = average_ranks(std::vector<double>{10, 20, 10, 30, 20, 20}, &ties);
  // Sorted: 10 10 | 20 20 20 | 30 -> ranks 1.5, 4, 6.
  EXPECT_EQ(r, (std::vector<double>{1.5, 4, 1.5, 6, 4, 4}));
  EXPECT_EQ(ties, (std::vector<int64_t>{2, 3}));
}

TEST(StatsKruskalWallis, SeparatedGroupsByHand) {
  const std::vector<double> a = {1, 2, 3}, b = {4, 5, 6}, c = {7, 8, 9};
  auto r = kruskal_wallis(Groups{a, b, c});
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Rank sums 6, 15, 24: H = 12 / (9 * 10) * (36 + 225 + 576) / 3 - 30 = 7.2; df = 2 so
  // p = exp(-H / 2) = exp(-3.6).
  EXPECT_NEAR(r->h, 7.2, 1e-12);
  EXPECT_DOUBLE_EQ(r->tie_correction, 1.0);
  EXPECT_EQ(r->df, 2);
  EXPECT_NEAR(r->p_value, std::exp(-3.6), 1e-15);
  EXPECT_EQ(r->mean_ranks, (std::vector<double>{2, 5, 8}));
}

TEST(StatsKruskalWallis, TieCorrectionByHand) {
  const std::vector<double> a = {1, 1, 2}, b = {2, 3, 3};
  auto r = kruskal_wallis(Groups{a, b});
  ASSERT_TRUE(r.ok());
  // Ranks 1.5 1.5 3.5 | 3.5 5.5 5.5, sums 6.5 and 14.5:
  // H = 12 / 42 * (6.5^2 + 14.5^2) / 3 - 21 = 3.047619; three ties of 2:
  // C = 1 - 3 * (8 - 2) / (216 - 6) = 0.9142857; H / C = 3.333333.
  EXPECT_NEAR(r->h_uncorrected, 3.0476190476190, 1e-10);
  EXPECT_NEAR(r->tie_correction, 1 - 18.0 / 210.0, 1e-15);
  EXPECT_NEAR(r->h, 10.0 / 3.0, 1e-10);
  // chi-square(1) survival at 10/3 (scipy.stats.kruskal gives 0.06788915486182946).
  EXPECT_NEAR(r->p_value, 0.06788915486182946, 1e-12);
}

TEST(StatsKruskalWallis, MatchesReferenceWithUnequalGroupsAndTies) {
  const std::vector<double> a = {1, 2, 2, 3}, b = {2, 3, 3, 4, 4}, c = {4, 5, 5};
  auto r = kruskal_wallis(Groups{a, b, c});
  ASSERT_TRUE(r.ok());
  // Reference: scipy.stats.kruskal 1.10.
  EXPECT_NEAR(r->h, 7.605982905982906, 1e-10);
  EXPECT_NEAR(r->p_value, 0.022303950739720385, 1e-12);
}

TEST(StatsKruskalWallis, TinyPValuesDoNotUnderflow) {
  // Three fully separated groups of 500: mean ranks 250.5, 750.5, 1250.5, N = 1500, so
  // H = 12 / (N (N + 1)) * 500 * (250.5^2 + 750.5^2 + 1250.5^2) - 3 (N + 1) and, with df = 2,
  // p = exp(-H / 2) exactly: about 1e-290, the range of the study's p-values.
  std::vector<double> g[3];
  for (int i = 0; i < 1500; ++i) g[i / 500].push_back(i * 0.01);
  auto r = kruskal_wallis(Groups{g[0], g[1], g[2]});
  ASSERT_TRUE(r.ok());
  const double n = 1500;
  const double h =
      12 / (n * (n + 1)) * 500 * (250.5 * 250.5 + 750.5 * 750.5 + 1250.5 * 1250.5) - 3 * (n + 1);
  EXPECT_NEAR(r->h, h, 1e-9);
  EXPECT_GT(r->p_value, 0);
  EXPECT_NEAR(r->p_value / std::exp(-h / 2), 1.0, 1e-9);
  EXPECT_LT(r->p_value, 1e-280);
}

TEST(StatsKruskalWallis, RejectsDegenerateInput) {
  const std::vector<double> a = {1, 2}, empty, same = {4, 4};
  EXPECT_EQ(kruskal_wallis(Groups{a}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(kruskal_wallis(Groups{a, empty}).status().code(), StatusCode::kInvalidArgument);
  auto identical = kruskal_wallis(Groups{same, same});
  ASSERT_FALSE(identical.ok());
  EXPECT_NE(identical.status().message().find("identical"), std::string::npos);
}

TEST(StatsPAdjust, HolmAndBonferroniByHand) {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  EXPECT_EQ(adjust_p_values(p, PAdjust::kNone), p);
  const auto bonf = adjust_p_values(p, PAdjust::kBonferroni);
  EXPECT_NEAR(bonf[0], 0.04, 1e-15);
  EXPECT_NEAR(bonf[1], 0.16, 1e-15);
  EXPECT_NEAR(bonf[2], 0.12, 1e-15);
  EXPECT_NEAR(bonf[3], 0.02, 1e-15);
  // Holm: ascending 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> 0.02, 0.03, 0.06, max(0.06, 0.04).
  const auto holm = adjust_p_values(p, PAdjust::kHolm);
  EXPECT_NEAR(holm[3], 0.02, 1e-15);
  EXPECT_NEAR(holm[0], 0.03, 1e-15);
  EXPECT_NEAR(holm[2], 0.06, 1e-15);
  EXPECT_NEAR(holm[1], 0.06, 1e-15);
  EXPECT_EQ(adjust_p_values(std::vector<double>{0.6, 0.7}, PAdjust::kBonferroni)[1], 1.0);
  EXPECT_EQ(*parse_p_adjust("holm"), PAdjust::kHolm);
  EXPECT_FALSE(parse_p_adjust("fdr").ok());
}

TEST(StatsConover, SeparatedGroupsByHand) {
  const std::vector<double> a = {1, 2, 3}, b = {4, 5, 6}, c = {7, 8, 9};
  auto r = conover_iman(Groups{a, b, c}, PAdjust::kHolm);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // S^2 = N (N + 1) / 12 = 7.5, D = (N - 1 - H) / (N - k) = 0.8 / 6, B = 2 / 3:
  // se = sqrt(7.5 * 0.8 / 6 * 2 / 3) = sqrt(2 / 3); mean ranks 2, 5, 8; df = 6.
  EXPECT_EQ(r->df, 6);
  ASSERT_EQ(r->pairs.size(), 3u);
  const double se = std::sqrt(2.0 / 3.0);
  EXPECT_NEAR(r->pairs[0].t, 3 / se, 1e-12);  // (a, b)
  EXPECT_NEAR(r->pairs[1].t, 6 / se, 1e-12);  // (a, c)
  EXPECT_NEAR(r->pairs[2].t, 3 / se, 1e-12);  // (b, c)
  EXPECT_DOUBLE_EQ(r->pairs[0].mean_rank_difference, -3);
  // Two-sided Student t(6) tails (scipy.stats.t.sf reference values).
  EXPECT_NEAR(r->pairs[0].p_value, 0.01040172093546402, 1e-13);
  EXPECT_NEAR(r->pairs[1].p_value, 0.0003249746792710837, 1e-15);
  // Holm: 0.000325 * 3, then 0.0104 * 2 for both remaining pairs.
  EXPECT_NEAR(r->pairs[1].p_adjusted, 3 * 0.0003249746792710837, 1e-15);
  EXPECT_NEAR(r->pairs[0].p_adjusted, 2 * 0.01040172093546402, 1e-13);
  EXPECT_NEAR(r->pairs[2].p_adjusted, 2 * 0.01040172093546402, 1e-13);
  auto none = conover_iman(Groups{a, b, c}, PAdjust::kNone);
  EXPECT_DOUBLE_EQ(none->pairs[0].p_adjusted, none->pairs[0].p_value);
}

TEST(StatsConover, TiedWithinDistinctAcrossIsCertain) {
  const std::vector<double> a = {1, 1}, b = {2, 2};
  auto r = conover_iman(Groups{a, b}, PAdjust::kNone);
  ASSERT_TRUE(r.ok());
  // H / C = 3 = N - 1, so the rank variance left within groups is zero.
  EXPECT_NEAR(r->kruskal.h, 3.0, 1e-12);
  EXPECT_EQ(r->pairs[0].p_value, 0.0);
  const std::vector<double> one = {1}, two = {2};
  EXPECT_FALSE(conover_iman(Groups{one, two}, PAdjust::kNone).ok());  // N - k = 0
}

TEST(StatsCliffsDelta, HandComputedAndMagnitudes) {
  auto d = cliffs_delta(std::vector<double>{1, 2, 3}, std::vector<double>{2, 2, 4});
  ASSERT_TRUE(d.ok());
  // 1 < all three; 2 ties twice and < 4; 3 > 2, 2 and < 4: greater 2, less 5 -> -3 / 9.
  EXPECT_EQ(d->greater, 2);
  EXPECT_EQ(d->less, 5);
  EXPECT_NEAR(d->delta, -1.0 / 3.0, 1e-15);
  EXPECT_EQ(d->magnitude, EffectMagnitude::kMedium);
  EXPECT_EQ(cliffs_magnitude(0.1469), EffectMagnitude::kNegligible);
  EXPECT_EQ(cliffs_magnitude(-0.147), EffectMagnitude::kSmall);
  EXPECT_EQ(cliffs_magnitude(0.3299), EffectMagnitude::kSmall);
  EXPECT_EQ(cliffs_magnitude(0.33), EffectMagnitude::kMedium);
  EXPECT_EQ(cliffs_magnitude(0.474), EffectMagnitude::kLarge);
  EXPECT_EQ(cliffs_magnitude(-1.0), EffectMagnitude::kLarge);
  EXPECT_EQ(magnitude_name(EffectMagnitude::kLarge), "large");
  EXPECT_FALSE(cliffs_delta(std::vector<double>{}, std::vector<double>{1}).ok());
}

TEST(StatsCliffsDelta, MergeMatchesAllPairsCount) {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> dist(0, 40);  // many ties
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> a(50 + trial), b(70 - trial);
    for (auto& x : a) x = dist(gen);
    for (auto& x : b) x = dist(gen) + trial % 5;
    int64_t gt = 0, lt = 0;
    for (double x : a) {
      for (double y : b) {
        gt += x > y;
        lt += x < y;
      }
    }
    auto d = cliffs_delta(a, b);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->greater, gt);
    EXPECT_EQ(d->less, lt);
    EXPECT_DOUBLE_EQ(d->delta, static_cast<double>(gt - lt) / (a.size() * b.size()));
  }
}

TEST(StatsShapiroWilk, ThreeValuesExactByHand) {
  auto r = shapiro_wilk(std::vector<double>{1, 2, 4});
  ASSERT_TRUE(r.ok());
  // a = sqrt(1/2): W = (a (4 - 1))^2 / SS = 4.5 / (42 / 9) = 27 / 28;
  // p = 6 / pi * (asin(sqrt(W)) - pi / 3).
  const double w = 27.0 / 28.0;
  EXPECT_NEAR(r->w, w, 1e-12);
  EXPECT_NEAR(r->p_value, 6 / M_PI * (std::asin(std::sqrt(w)) - M_PI / 3), 1e-12);
  EXPECT_NEAR(r->p_value, 0.6368856, 3e-6);  // scipy.stats.shapiro (single precision)
}

TEST(StatsShapiroWilk, MatchesRoystonReferenceValues) {
  // Reference: scipy.stats.shapiro 1.10 (the same AS R94 algorithm, in single precision).
  struct Case {
    std::vector<double> x;
    double w, p;
  };
  std::vector<double> squares;
  for (int i = 1; i <= 100; ++i) squares.push_back(i * i);
  const std::vector<Case> cases = {
      {{2.1, 3.4, 1.9, 5.6, 4.0}, 0.9314290285110474, 0.6061474680900574},
      {{1, 1.1, 1.2, 10}, 0.6472584009170532, 0.0023339823819696903},
      {{148, 154, 158, 160, 161, 162, 166, 170, 182, 195}, 0.9080491662025452, 0.2678582966327667},
      {{6.1, 7.3, 5.9, 8.8, 6.6,  7.0, 9.4, 5.2, 6.8, 7.7,
        8.1, 6.3, 7.9, 5.5, 10.6, 6.9, 7.1, 8.4, 6.0, 12.2},
       0.9129219651222229,
       0.07247024029493332},
      {squares, 0.8961801528930664, 9.390373634232674e-07},
  };
  for (const auto& c : cases) {
    auto r = shapiro_wilk(c.x);
    ASSERT_TRUE(r.ok());
    EXPECT_NEAR(r->w, c.w, 2e-6) << "n = " << c.x.size();
    EXPECT_NEAR(r->p_value / c.p, 1.0, 2e-4) << "n = " << c.x.size();
  }
}

TEST(StatsShapiroWilk, NormalScoresLookNormalAndSkewDoesNot) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal(10, 2);
  std::exponential_distribution<double> expo(1.0);
  std::vector<double> a(2000), b(2000);
  for (auto& x : a) x = normal(gen);
  for (auto& x : b) x = expo(gen);
  auto ra = shapiro_wilk(a), rb = shapiro_wilk(b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_GT(ra->w, 0.998);
  EXPECT_GT(ra->p_value, 0.01);
  EXPECT_LT(rb->p_value, 1e-20);
  // Invariant to location and scale.
  for (auto& x : a) x = 3 * x - 7;
  EXPECT_NEAR(shapiro_wilk(a)->w, ra->w, 1e-12);
}

TEST(StatsShapiroWilk, RejectsOutOfRangeInput) {
  EXPECT_FALSE(shapiro_wilk(std::vector<double>{1, 2}).ok());
  EXPECT_FALSE(shapiro_wilk(std::vector<double>(5001, 1.0)).ok());
  auto same = shapiro_wilk(std::vector<double>{5, 5, 5, 5});
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.status().message().find("identical"), std::string::npos);
}

TEST(StatsWilcoxon, ExactSmallSampleByHand) {
  const std::vector<double> x = {1, -2, 3, 4, 5}, zero(5, 0.0);
  auto r = wilcoxon_signed_rank(x, zero);
  ASSERT_TRUE(r.ok());
  // Ranks 1..5, W+ = 13, W- = 2; subsets of {1..5} with sum <= 2: {}, {1}, {2}:
  // p = 2 * 3 / 32.
  EXPECT_TRUE(r->exact);
  EXPECT_EQ(r->w_plus, 13);
  EXPECT_EQ(r->w_minus, 2);
  EXPECT_DOUBLE_EQ(r->p_value, 0.1875);
  const std::vector<double> d10 = {1.5, -0.2, 3.1, 4.4, -5.0, 2.2, 0.7, 1.1, -0.9, 2.8};
  auto r10 = wilcoxon_signed_rank(d10, std::vector<double>(10, 0.0));
  EXPECT_TRUE(r10->exact);
  EXPECT_EQ(r10->statistic, 14);
  EXPECT_DOUBLE_EQ(r10->p_value, 0.193359375);  // 198 / 1024, as scipy's exact mode
}

TEST(StatsWilcoxon, NormalApproximationWithTiesAndZeros) {
  const std::vector<double> d = {0, 0, 1, -2, 2, 3, 3, -4, 5, 6, 7, -1, 2};
  const std::vector<double> zero(d.size(), 0.0);
  // Wilcox: 11 non-zero |d| ranked 1 1 | 2 2 2 | 3 3 | 4 5 6 7 -> 1.5, 4, 6.5, 8..11;
  // W- = 4 + 8 + 1.5 = 13.5, mean 33, var 126.5 - (6 + 24 + 6) / 48 = 125.75.
  auto w = wilcoxon_signed_rank(d, zero);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->exact);
  EXPECT_EQ(w->n_zero, 2u);
  EXPECT_DOUBLE_EQ(w->statistic, 13.5);
  EXPECT_NEAR(w->z, -19.5 / std::sqrt(125.75), 1e-12);
  EXPECT_NEAR(w->p_value, 0.08204812288416327, 1e-12);  // scipy.stats.wilcoxon
  WilcoxonOptions pratt;
  pratt.zero_method = ZeroMethod::kPratt;
  auto p = wilcoxon_signed_rank(d, zero, pratt);
  EXPECT_DOUBLE_EQ(p->statistic, 19.5);
  EXPECT_NEAR(p->p_value, 0.0853193081469314, 1e-12);
  WilcoxonOptions cc;
  cc.continuity_correction = true;
  EXPECT_NEAR(wilcoxon_signed_rank(d, zero, cc)->p_value, 0.09020140484291456, 1e-12);
}

TEST(StatsWilcoxon, RejectsBadPairs) {
  EXPECT_FALSE(wilcoxon_signed_rank(std::vector<double>{1, 2}, std::vector<double>{1}).ok());
  auto zeros = wilcoxon_signed_rank(std::vector<double>{1, 2}, std::vector<double>{1, 2});
  ASSERT_FALSE(zeros.ok());
  EXPECT_NE(zeros.status().message().find("zero"), std::string::npos);
}

}  // namespace
}  // namespace edgetier::stats
