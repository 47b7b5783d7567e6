/// Accuracy of a model variant against its float reference on an evaluation folder (top-1 / mIoU).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ops/calibration_data.h"
#include "runtime/preprocess.h"

namespace edgetier {

struct EvalOptions {
  /// Folder of images or .npy tensors. An optional `labels.txt` (or labels.csv) beside them
  /// holds one "relative/path label" (or "path,label") line per image for classification; with
  /// it the metric is top-1 accuracy against the labels, without it agreement with the reference.
  std::string data_dir;
  int64_t max_samples = 0;  // 0 = all
  std::optional<PreprocessSpec> preprocess;
  int intra_op_threads = 0;
  /// Samples whose float reference outputs are kept for output_error() (memory: this many outputs).
  int64_t error_samples = 16;
};

enum class EvalTask { kClassification, kSegmentation };

struct AccuracyResult {
  EvalTask task = EvalTask::kClassification;
  std::string metric;     // "top1" or "miou"
  bool labelled = false;  // against labels (else against the reference's predictions)
  int64_t samples = 0;
  double reference = 0.0;  // reference metric in points (100 when the reference is the truth)
  double candidate = 0.0;
  double loss_points = 0.0;  // reference - candidate
};

nlohmann::json accuracy_to_json(const AccuracyResult& r);

/// The evaluation samples plus the reference model's predictions, computed once. Classification
/// outputs ([N, classes]) are scored by top-1, segmentation outputs ([N, classes, H, W]) by mIoU
/// over the per-pixel argmax.
class EvalSet {
 public:
  static Result<EvalSet> create(const onnx::ModelProto& reference, const EvalOptions& options);

  int64_t size() const { return static_cast<int64_t>(reference_predictions_.size()); }
  EvalTask task() const { return task_; }

  /// Runs `candidate` (same inputs and first output as the reference) on the first `limit`
  /// samples (0 = all) and compares.
  Result<AccuracyResult> score(const onnx::ModelProto& candidate, int64_t limit = 0) const;
  /// Mean over the kept samples of ||y - y_ref||^2 / ||y_ref||^2 of the first output: a smooth
  /// measure for ranking small differences that top-1 cannot see.
  Result<double> output_error(const onnx::ModelProto& candidate) const;

 private:
  EvalOptions options_;
  std::shared_ptr<const CalibrationDataReader> reader_;
  EvalTask task_ = EvalTask::kClassification;
  int64_t classes_ = 0;
  std::string output_name_;
  std::vector<std::vector<int32_t>> reference_predictions_;  // per sample: class per item/pixel
  std::vector<int32_t> labels_;                              // per sample, -1 if unlabelled
  bool labelled_ = false;
  std::vector<std::vector<float>> reference_outputs_;  // first error_samples samples
};

}  // namespace edgetier
