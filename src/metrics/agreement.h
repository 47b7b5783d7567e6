/// Agreement with a reference model's predictions on unlabelled data, in points.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "metrics/metric.h"
#include "strategy/task.h"

namespace edgetier {

/// How often a variant's predictions equal the reference's (Identity's) on the same inputs:
/// per image for classification, per pixel for segmentation.
class Agreement {
 public:
  void add(int64_t pred, int64_t reference);
  Status add(const std::vector<int32_t>& pred, const std::vector<int32_t>& reference);
  int64_t count() const { return count_; }
  int64_t images() const { return images_; }
  /// Points: 100 * agreeing / compared; 0 before anything was compared.
  double rate() const {
    return count_ ? 100.0 * static_cast<double>(agree_) / static_cast<double>(count_) : 0.0;
  }
  /// The task's agreement metric: agree_top1 (classify) or agree_pixel (segment).
  MetricValue value(Task task) const;

 private:
  int64_t count_ = 0, agree_ = 0, images_ = 0;
};

}  // namespace edgetier
