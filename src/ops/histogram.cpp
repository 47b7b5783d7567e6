/// Streaming |x| histogram with exact pairwise rebinning, and the three range estimators.
#include "ops/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgetier {

TensorHistogram::TensorHistogram(int num_bins)
    : bins_(static_cast<size_t>(std::max(2, num_bins + num_bins % 2))) {}

void TensorHistogram::grow_to(double magnitude) {
  if (limit_ == 0.0) {
    // A power of two keeps later doublings exact in binary floating point.
    limit_ = std::exp2(std::ceil(std::log2(magnitude)));
    if (limit_ <= magnitude) limit_ *= 2.0;
    return;
  }
  const size_t n = bins_.size();
  while (limit_ <= magnitude) {
    for (size_t j = 0; j < n / 2; ++j) bins_[j] = bins_[2 * j] + bins_[2 * j + 1];
    std::fill(bins_.begin() + static_cast<std::ptrdiff_t>(n / 2), bins_.end(), 0);
    limit_ *= 2.0;
  }
}

void TensorHistogram::add(const float* values, size_t count) {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  size_t finite = 0;
  for (size_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (!std::isfinite(v)) continue;  // NaN/Inf would poison every range; they carry no scale
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++finite;
  }
  if (finite == 0) return;
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  count_ += static_cast<int64_t>(finite);
  const double magnitude =
      std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
  if (magnitude > 0.0 && magnitude >= limit_) grow_to(magnitude);
  const size_t n = bins_.size();
  if (limit_ == 0.0) {  // only zeros so far
    zeros_ += static_cast<int64_t>(finite);
    return;
  }
  const double per_unit = static_cast<double>(n) / limit_;
  for (size_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (v == 0.0f) {
      ++zeros_;
      continue;
    }
    if (!std::isfinite(v)) continue;
    const size_t bin = static_cast<size_t>(std::fabs(static_cast<double>(v)) * per_unit);
    ++bins_[std::min(bin, n - 1)];
  }
}

TensorRange TensorHistogram::minmax_range() const { return {min_, max_}; }

TensorRange TensorHistogram::clip(double t) const {
  TensorRange r;
  r.min = static_cast<float>(std::max(static_cast<double>(min_), -t));
  r.max = static_cast<float>(std::min(static_cast<double>(max_), t));
  return r;
}

TensorRange TensorHistogram::percentile_range(double percentile) const {
  if (count_ == 0 || limit_ == 0.0) return minmax_range();
  const double target = percentile / 100.0 * static_cast<double>(count_);
  const double width = limit_ / static_cast<double>(bins_.size());
  double cumulative = static_cast<double>(zeros_);
  for (size_t k = 0; k < bins_.size(); ++k) {
    cumulative += static_cast<double>(bins_[k]);
    if (cumulative >= target) return clip(static_cast<double>(k + 1) * width);
  }
  return minmax_range();
}

TensorRange TensorHistogram::entropy_range(int levels) const {
  if (count_ == 0 || limit_ == 0.0) return minmax_range();
  size_t used = bins_.size();
  while (used > 0 && bins_[used - 1] == 0) --used;
  const size_t q_levels = static_cast<size_t>(std::max(2, levels));
  if (used <= q_levels)
    return minmax_range();  // fewer populated bins than levels: no clipping helps
  const double width = limit_ / static_cast<double>(bins_.size());

  // Suffix sums give the outlier mass beyond each candidate threshold in O(1).
  std::vector<double> suffix(used + 1, 0.0);
  for (size_t k = used; k-- > 0;) suffix[k] = suffix[k + 1] + static_cast<double>(bins_[k]);

  // Candidate thresholds at most ~512 apart keep the search O(bins * 512) per tensor.
  const size_t step = std::max<size_t>(1, (used - q_levels) / 512);
  double best_divergence = std::numeric_limits<double>::infinity();
  size_t best = used;
  std::vector<double> p, q;
  for (size_t i = q_levels; i <= used; i += step) {
    // P: the first i bins with everything beyond folded into the last one.
    p.assign(bins_.begin(), bins_.begin() + static_cast<std::ptrdiff_t>(i));
    p[i - 1] += suffix[i];
    // Q: the first i bins merged into q_levels levels, then spread back over the non-empty bins.
    q.assign(i, 0.0);
    for (size_t j = 0; j < q_levels; ++j) {
      const size_t start = j * i / q_levels;
      const size_t stop = (j + 1) * i / q_levels;
      double mass = 0.0;
      size_t nonzero = 0;
      for (size_t k = start; k < stop; ++k) {
        mass += static_cast<double>(bins_[k]);
        nonzero += bins_[k] != 0;
      }
      if (nonzero == 0) continue;
      for (size_t k = start; k < stop; ++k) {
        if (bins_[k] != 0) q[k] = mass / static_cast<double>(nonzero);
      }
    }
    double p_sum = 0.0, q_sum = 0.0;
    for (size_t k = 0; k < i; ++k) {
      p_sum += p[k];
      q_sum += q[k];
    }
    if (p_sum <= 0.0 || q_sum <= 0.0) continue;
    double divergence = 0.0;
    for (size_t k = 0; k < i && std::isfinite(divergence); ++k) {
      if (p[k] <= 0.0) continue;
      const double pk = p[k] / p_sum;
      const double qk = q[k] / q_sum;
      divergence =
          qk > 0.0 ? divergence + pk * std::log(pk / qk) : std::numeric_limits<double>::infinity();
    }
    if (divergence < best_divergence) {
      best_divergence = divergence;
      best = i;
    }
  }
  return clip(static_cast<double>(best) * width);
}

}  // namespace edgetier
