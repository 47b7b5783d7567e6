/// Classification metrics: argmax and label rank of class scores, and the top-1/top-5 accumulator.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "metrics/metric.h"

namespace edgetier {

/// Index of the largest of `n` values `stride` apart, the first one on ties; NaN never wins (0 if
/// all are NaN); -1 when n == 0.
int64_t argmax(const float* values, int64_t n, int64_t stride = 1);
/// How many values are strictly larger than values[label] (a NaN label value ranks last).
int64_t label_rank(const float* values, int64_t n, int64_t label);
/// The class scores of a float [1, K] or [K] tensor (K >= 1).
Result<std::vector<float>> class_scores(const Tensor& logits);
/// The argmax class of every row of a float tensor whose last axis is the classes ([N, K], [K]).
Result<std::vector<int32_t>> argmax_rows(const Tensor& logits);

/// Top-k accuracy in points. Ties count in the label's favour (rank = number of strictly larger
/// scores).
class TopKAccuracy {
 public:
  Status add(const float* logits, int64_t num_classes, int64_t label);
  Status add(const Tensor& logits, int64_t label);
  int64_t count() const { return count_; }
  double top1() const { return points(top1_); }
  double top5() const { return points(top5_); }
  std::vector<MetricValue> values() const;  // top1, top5

 private:
  double points(int64_t hits) const {
    return count_ ? 100.0 * static_cast<double>(hits) / static_cast<double>(count_) : 0.0;
  }
  int64_t count_ = 0, top1_ = 0, top5_ = 0;
};

}  // namespace edgetier
