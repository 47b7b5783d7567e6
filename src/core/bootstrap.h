/// Seeded percentile bootstrap of percentiles (the median's CI): shared by the runner's
/// stopping rule (experiment) and the analysis, which may not include each other.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace edgetier::stats {

struct ConfidenceInterval {
  double low = 0;
  double high = 0;
  double level = 0.95;
};

struct BootstrapOptions {
  int resamples = 1000;
  double confidence = 0.95;
  uint64_t seed = 20240326;
};

/// Percentile-bootstrap confidence intervals of several percentiles (0..100) of ascending
/// `sorted`, all from the same resamples; `mean_ci`, when given, receives the interval of the
/// mean from those resamples too. Deterministic for a given seed on every platform (mt19937_64
/// with a multiply-shift index draw). Each resample costs O(n): it counts how often each order
/// statistic was drawn instead of sorting.
std::vector<ConfidenceInterval> bootstrap_percentile_cis(std::span<const double> sorted,
                                                         std::span<const double> pcts,
                                                         const BootstrapOptions& options,
                                                         ConfidenceInterval* mean_ci = nullptr);
/// A seed derived from `base` and a name (FNV-1a), so each strategy gets its own stream
/// regardless of the order strategies are analysed in.
uint64_t derive_seed(uint64_t base, std::string_view name);

/// The percentile-bootstrap interval of the median of ascending `sorted` (NaN when empty).
ConfidenceInterval median_ci(std::span<const double> sorted, const BootstrapOptions& options);
/// Half the interval's width as a percentage of `center` (the precision "+-x%"); NaN when
/// either is not finite or center <= 0.
double half_width_pct(const ConfidenceInterval& ci, double center);

}  // namespace edgetier::stats
