/// Streaming range statistics of one tensor: min/max plus a fixed-size histogram of |x|.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgetier {

/// A clipping range [min, max] chosen for a tensor.
struct TensorRange {
  float min = 0.0f;
  float max = 0.0f;
};

/// Accumulates values batch by batch with memory fixed at construction (num_bins counters),
/// whatever the number of batches. The histogram covers |x| in [0, limit): when a larger value
/// arrives the limit doubles and adjacent bins merge pairwise, which rebins exactly, so no
/// first pass over the data is needed to learn the range.
class TensorHistogram {
 public:
  explicit TensorHistogram(int num_bins = 2048);

  void add(const float* values, size_t count);

  int64_t count() const { return count_; }
  float observed_min() const { return min_; }
  float observed_max() const { return max_; }
  /// Upper edge of the histogram (0 until a non-zero value was seen).
  double limit() const { return limit_; }
  /// Counts of non-zero |x| per bin; exact zeros are counted apart (zeros()).
  const std::vector<int64_t>& bins() const { return bins_; }
  int64_t zeros() const { return zeros_; }
  /// Bytes this object holds; constant after construction.
  size_t state_bytes() const { return sizeof(*this) + bins_.capacity() * sizeof(int64_t); }

  /// [observed min, observed max].
  TensorRange minmax_range() const;
  /// Clips |x| at the `percentile` (e.g. 99.99) of the absolute values.
  TensorRange percentile_range(double percentile) const;
  /// TensorRT-style entropy calibration: the |x| threshold whose `levels`-level quantization of
  /// the clipped distribution has the smallest KL divergence from the original.
  TensorRange entropy_range(int levels) const;

 private:
  void grow_to(double magnitude);
  /// Clamps the symmetric threshold `t` to the observed values (keeps a one-sided tensor
  /// one-sided).
  TensorRange clip(double t) const;

  std::vector<int64_t> bins_;
  double limit_ = 0.0;
  int64_t count_ = 0;
  // Exact zeros (half of a ReLU output) are quantized exactly by the zero point whatever the
  // range, so they are kept out of the bins: in the entropy search their spike would swamp the
  // divergence and force the smallest threshold.
  int64_t zeros_ = 0;
  float min_ = 0.0f;
  float max_ = 0.0f;
};

}  // namespace edgetier
