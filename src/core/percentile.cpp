/// Type-7 percentiles over sorted copies.
#include "core/percentile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace edgetier {

double percentile_sorted(std::span<const double> sorted, double pct) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  pct = std::clamp(pct, 0.0, 100.0);
  const double h = (sorted.size() - 1) * pct / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

double percentile(std::span<const double> values, double pct) {
  std::vector<double> copy(values.begin(), values.end());
  std::sort(copy.begin(), copy.end());
  return percentile_sorted(copy, pct);
}

double median(std::span<const double> values) { return percentile(values, 50); }

}  // namespace edgetier
