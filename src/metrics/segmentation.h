/// Segmentation metrics: per-pixel argmax of class logits and the confusion matrix behind mIoU
/// and pixel accuracy.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "metrics/metric.h"

namespace edgetier {

/// Per-pixel argmax over the channel axis of float [1, K, H, W] or [K, H, W] logits: H*W ids.
Result<std::vector<int32_t>> argmax_channels(const Tensor& logits);
/// The same for a batch, [N, K, H, W] (or [K, H, W]): N*H*W ids, image after image.
Result<std::vector<int32_t>> argmax_channels_batch(const Tensor& logits);

/// Confusion matrix over `num_classes` classes; truth pixels equal to `ignore_index` are skipped.
/// Every rate it returns is in points.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t num_classes, int64_t ignore_index = -1);
  /// `truth` and `pred` hold one class id per pixel. Truth values outside [0, K) other than the
  /// ignore index and predictions outside [0, K) are errors.
  Status add(const std::vector<uint8_t>& truth, const std::vector<int32_t>& pred);
  /// The same with class ids as wide as predictions (a reference model's predictions as truth).
  Status add_wide(const std::vector<int32_t>& truth, const std::vector<int32_t>& pred);
  /// argmax_channels(logits) against `truth`.
  Status add_logits(const Tensor& logits, const std::vector<uint8_t>& truth);
  Status merge(const ConfusionMatrix& other);

  int64_t num_classes() const { return k_; }
  int64_t images() const { return images_; }
  int64_t pixels() const;  // counted (not ignored) pixels
  int64_t at(int64_t truth, int64_t pred) const {
    return m_[static_cast<size_t>(truth * k_ + pred)];
  }
  /// IoU per class in points = 100 TP / (TP + FP + FN); -1 for classes absent from both truth
  /// and prediction.
  std::vector<double> iou_per_class() const;
  /// Mean IoU over classes present in truth or prediction (absent classes are left out); 0 when
  /// no pixel was counted.
  double mean_iou() const;
  double pixel_accuracy() const;
  std::vector<MetricValue> values() const;  // miou, pixel_acc

 private:
  template <typename T>
  Status count(const std::vector<T>& truth, const std::vector<int32_t>& pred);

  int64_t k_;
  int64_t ignore_;
  int64_t images_ = 0;
  std::vector<int64_t> m_;  // row = truth, column = prediction
};

}  // namespace edgetier
