/// Accuracy metrics as streaming accumulators: top-1/top-5 from logits, mIoU and pixel accuracy
/// from a confusion matrix, agreement with reference predictions (unlabeled data).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgetier {

/// One row of the accuracy table. Values are percentages, as the study reports them.
struct MetricValue {
  std::string metric;  // top1 | top5 | miou | pixel_acc | agree_top1 | agree_pixel
  double value = 0;
  int64_t n = 0;  // images (classification) or images (segmentation) behind the value
};

/// Index of the largest value, the first one on ties; NaN never wins (0 if all are NaN); -1 when
/// n == 0.
int64_t argmax(const float* values, int64_t n);
/// How many values are strictly larger than values[label] (a NaN label value ranks last).
int64_t label_rank(const float* values, int64_t n, int64_t label);
/// Per-pixel argmax over the channel axis of float [1, K, H, W] or [K, H, W] logits: H*W ids.
Result<std::vector<int32_t>> argmax_channels(const Tensor& logits);
/// The class scores of a float [1, K] or [K] tensor (K >= 1).
Result<std::vector<float>> class_scores(const Tensor& logits);

/// Top-k accuracy. Ties count in the label's favour (rank = number of strictly larger scores).
class TopKAccuracy {
 public:
  Status add(const float* logits, int64_t num_classes, int64_t label);
  Status add(const Tensor& logits, int64_t label);
  int64_t count() const { return count_; }
  double top1() const { return count_ ? static_cast<double>(top1_) / count_ : 0.0; }
  double top5() const { return count_ ? static_cast<double>(top5_) / count_ : 0.0; }
  std::vector<MetricValue> values() const;  // top1, top5 in percent

 private:
  int64_t count_ = 0, top1_ = 0, top5_ = 0;
};

/// Confusion matrix over `num_classes` classes; mask pixels equal to `ignore_index` are skipped.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t num_classes, int64_t ignore_index = -1);
  /// `truth` and `pred` hold one class id per pixel. Truth values outside [0, K) other than the
  /// ignore index and predictions outside [0, K) are errors.
  Status add(const std::vector<uint8_t>& truth, const std::vector<int32_t>& pred);
  /// argmax_channels(logits) against `truth`.
  Status add_logits(const Tensor& logits, const std::vector<uint8_t>& truth);
  Status merge(const ConfusionMatrix& other);

  int64_t num_classes() const { return k_; }
  int64_t images() const { return images_; }
  int64_t pixels() const;  // counted (not ignored) pixels
  int64_t at(int64_t truth, int64_t pred) const {
    return m_[static_cast<size_t>(truth * k_ + pred)];
  }
  /// IoU per class = TP / (TP + FP + FN); -1 for classes absent from both truth and prediction.
  std::vector<double> iou_per_class() const;
  /// Mean IoU over classes present in truth or prediction (absent classes are left out).
  double mean_iou() const;
  double pixel_accuracy() const;
  std::vector<MetricValue> values() const;  // miou, pixel_acc in percent

 private:
  int64_t k_;
  int64_t ignore_;
  int64_t images_ = 0;
  std::vector<int64_t> m_;  // row = truth, column = prediction
};

/// How often a variant's predictions equal the reference's (Identity's) on the same inputs:
/// per image for classification, per pixel for segmentation.
class Agreement {
 public:
  void add(int64_t pred, int64_t reference);
  Status add(const std::vector<int32_t>& pred, const std::vector<int32_t>& reference);
  int64_t count() const { return count_; }
  int64_t images() const { return images_; }
  double rate() const { return count_ ? static_cast<double>(agree_) / count_ : 0.0; }
  /// agree_top1 (classification) or agree_pixel (segmentation), in percent.
  MetricValue value(bool segmentation) const;

 private:
  int64_t count_ = 0, agree_ = 0, images_ = 0;
};

}  // namespace edgetier
