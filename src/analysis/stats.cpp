/// Descriptive statistics (the seeded bootstrap is core/bootstrap.cpp).
#include "analysis/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace edgetier::stats {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double mean(std::span<const double> values) {
  if (values.empty()) return kNaN;
  // A long double accumulator keeps sums of many millisecond values exact to far below 1 ns.
  long double sum = 0;
  for (double v : values) sum += v;
  return static_cast<double>(sum / values.size());
}

double stdev(std::span<const double> values) {
  if (values.empty()) return kNaN;
  if (values.size() == 1) return 0;
  const double m = mean(values);
  long double ss = 0;
  for (double v : values) ss += (v - m) * (v - m);
  return std::sqrt(static_cast<double>(ss / (values.size() - 1)));
}

Summary summarize_sorted(std::span<const double> sorted) {
  Summary s;
  s.n = sorted.size();
  if (sorted.empty()) {
    s.mean = s.stdev = s.min = s.max = s.p50 = s.p90 = s.p95 = s.p99 = kNaN;
    return s;
  }
  s.mean = mean(sorted);
  s.stdev = stdev(sorted);
  s.min = sorted.front();
  s.max = sorted.back();
  s.p50 = percentile_sorted(sorted, 50);
  s.p90 = percentile_sorted(sorted, 90);
  s.p95 = percentile_sorted(sorted, 95);
  s.p99 = percentile_sorted(sorted, 99);
  return s;
}

}  // namespace edgetier::stats
