/// Statistics for latency and accuracy: descriptive summaries, bootstrap CIs, rank tests, effect
/// sizes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bootstrap.h"
#include "core/percentile.h"
#include "core/status.h"

namespace edgetier::stats {

// ---------------------------------------------------------------------------------------------
// Descriptive (stats.cpp). Inputs must be non-empty; an empty input yields NaN, never a crash.

double mean(std::span<const double> values);
/// Sample standard deviation (n - 1 denominator); 0 for a single value.
double stdev(std::span<const double> values);
// Percentiles (type 7, as numpy and R) and the median: core/percentile.h.
using ::edgetier::median;
using ::edgetier::percentile;
using ::edgetier::percentile_sorted;

struct Summary {
  size_t n = 0;
  double mean = 0, stdev = 0, min = 0, max = 0;
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0;
};
Summary summarize_sorted(std::span<const double> sorted);

// ConfidenceInterval, BootstrapOptions, bootstrap_percentile_cis, median_ci, half_width_pct and
// derive_seed: core/bootstrap.h (the runner's stopping rule uses them too).

// ---------------------------------------------------------------------------------------------
// Hypothesis tests and effect sizes (stats_tests.cpp).

/// Average ranks (1-based, ties get the mean of their positions) of `values`; `tie_sizes`, when
/// given, receives the size of every tie group of two or more.
std::vector<double> average_ranks(std::span<const double> values,
                                  std::vector<int64_t>* tie_sizes = nullptr);

struct KruskalWallisResult {
  double h = 0;  // tie-corrected statistic
  double h_uncorrected = 0;
  double tie_correction = 1;  // 1 - sum(t^3 - t) / (N^3 - N)
  int df = 0;
  double p_value = 1;  // chi-square survival function, accurate down to ~1e-300
  size_t n_total = 0;
  std::vector<size_t> group_sizes;
  std::vector<double> mean_ranks;
};
/// Kruskal-Wallis H test with tie correction over two or more non-empty groups.
Result<KruskalWallisResult> kruskal_wallis(const std::vector<std::span<const double>>& groups);

enum class PAdjust { kNone, kHolm, kBonferroni };
Result<PAdjust> parse_p_adjust(std::string_view name);
std::string_view p_adjust_name(PAdjust adjust);
/// Family-wise adjusted p-values (Holm's step-down keeps them monotone), each capped at 1.
std::vector<double> adjust_p_values(std::span<const double> p_values, PAdjust adjust);

struct PairwiseComparison {
  size_t group_a = 0;
  size_t group_b = 0;
  double mean_rank_difference = 0;  // mean rank of a minus mean rank of b
  double t = 0;
  double p_value = 1;  // two-sided, unadjusted
  double p_adjusted = 1;
};
struct ConoverResult {
  KruskalWallisResult kruskal;
  double df = 0;  // N - k
  PAdjust adjust = PAdjust::kHolm;
  std::vector<PairwiseComparison> pairs;  // (0,1), (0,2), ..., (k-2,k-1)
};
/// Conover-Iman post-hoc test after Kruskal-Wallis: t statistics on mean-rank differences with
/// the tie-aware rank variance, p-values from Student t with N - k degrees of freedom.
Result<ConoverResult> conover_iman(const std::vector<std::span<const double>>& groups,
                                   PAdjust adjust);

enum class EffectMagnitude { kNegligible, kSmall, kMedium, kLarge };
std::string_view magnitude_name(EffectMagnitude magnitude);
/// negligible < 0.147 <= small < 0.33 <= medium < 0.474 <= large, on |delta|.
EffectMagnitude cliffs_magnitude(double delta);

struct CliffsDelta {
  double delta = 0;  // P(a > b) - P(a < b); negative when a tends to be smaller (faster)
  EffectMagnitude magnitude = EffectMagnitude::kNegligible;
  int64_t greater = 0;  // pairs with a > b
  int64_t less = 0;     // pairs with a < b
};
/// Cliff's delta of two ascending samples in O(n + m) by merging.
CliffsDelta cliffs_delta_sorted(std::span<const double> a_sorted, std::span<const double> b_sorted);
/// Cliff's delta of two unsorted non-empty samples in O(n log n + m log m).
Result<CliffsDelta> cliffs_delta(std::span<const double> a, std::span<const double> b);

struct ShapiroWilkResult {
  double w = 0;
  double p_value = 1;
  size_t n = 0;
};
/// Shapiro-Wilk normality test by Royston's algorithm AS R94 (1995), for 3 <= n <= 5000.
Result<ShapiroWilkResult> shapiro_wilk(std::span<const double> values);

enum class ZeroMethod {
  kWilcox,  // drop zero differences before ranking (Wilcoxon's original)
  kPratt,   // rank zeros with the rest, then drop their ranks (Pratt 1959)
};
struct WilcoxonOptions {
  ZeroMethod zero_method = ZeroMethod::kWilcox;
  bool continuity_correction = false;  // for the normal approximation
  /// The exact null distribution is used up to this many non-zero differences when there are
  /// neither ties nor zeros; otherwise the normal approximation with tie correction.
  size_t exact_max_n = 50;
};
struct WilcoxonResult {
  double w_plus = 0;     // rank sum of positive differences (x - y > 0)
  double w_minus = 0;    // rank sum of negative differences
  double statistic = 0;  // min(w_plus, w_minus)
  size_t n = 0;          // pairs
  size_t n_zero = 0;     // zero differences
  bool exact = false;
  double z = 0;        // normal approximation only
  double p_value = 1;  // two-sided
};
/// Wilcoxon signed-rank test of paired samples x and y (same length).
Result<WilcoxonResult> wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y,
                                            const WilcoxonOptions& options = {});

}  // namespace edgetier::stats
