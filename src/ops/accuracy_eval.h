/// Accuracy of a model variant against its float reference on evaluation samples (top-1 / mIoU /
/// mAP).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "metrics/detection_outputs.h"
#include "metrics/sample.h"
#include "metrics/task_scorer.h"
#include "ops/calibration_data.h"
#include "runtime/preprocess.h"
#include "strategy/task.h"

namespace edgetier {

/// Reads `sample`'s mask as `height` x `width` class ids, with the image's preprocessing geometry.
using MaskLoader = std::function<Result<std::vector<uint8_t>>(
    const Sample& sample, const PreprocessSpec& spec, int64_t height, int64_t width)>;

struct EvalOptions {
  /// Unlabelled folder of images or .npy tensors, used when `samples` is empty: the metric is then
  /// agreement with the reference model's predictions (top-1 per image; mIoU of the per-pixel
  /// classes, the reference's taken as the truth).
  std::string data_dir;
  /// Labelled images (e.g. from experiment/datasets' load_dataset): the metric is top-1 against
  /// the labels, mIoU against the masks read by `load_mask`, or mAP against Sample::boxes.
  std::vector<Sample> samples;
  /// The task; unset: classify or segment by the first output's rank. Detection must be named:
  /// its outputs are found with `detection` (the model sidecar's "detection" block, null: the
  /// outputs recognised when unambiguous; `detection_hint` is the sidecar's path for errors).
  std::optional<Task> task;
  nlohmann::json detection = nullptr;
  std::string detection_hint;
  /// Labelled detection of a model answering dataset category ids (label_space category_id):
  /// the category id of each class index (experiment/detection_labels.h category_ids).
  std::vector<int64_t> category_ids;
  MaskLoader load_mask;
  int64_t ignore_index = -1;  // mask value left out of mIoU
  int64_t max_samples = 0;    // 0 = all
  std::optional<PreprocessSpec> preprocess;
  int intra_op_threads = 0;
  /// Samples whose float reference outputs are kept for output_error() (memory: this many outputs).
  int64_t error_samples = 16;
};

struct AccuracyResult {
  Task task = Task::kClassify;
  std::string metric;     // the task's primary metric id (metrics/metric.h): top1, miou or map
  bool labelled = false;  // against labels/masks (else against the reference's predictions)
  int64_t samples = 0;
  double reference = 0.0;  // reference metric in points (100 when the reference is the truth)
  double candidate = 0.0;
  double loss_points = 0.0;  // reference - candidate
};

nlohmann::json accuracy_to_json(const AccuracyResult& r);

/// The evaluation samples plus what the reference model scores on them, computed once.
/// Classification outputs ([N, classes]) are scored by top-1, segmentation outputs
/// ([N, classes, H, W]) by mIoU of the per-pixel argmax, detections (boxes mapped back to the
/// image through the preprocessing) by COCO mAP@[.5:.95], all through metrics/task_scorer.h;
/// without labels the reference's predictions are the truth (for detection: its boxes at the
/// block's score threshold, metrics/task_scorer.h add_reference).
class EvalSet {
 public:
  static Result<EvalSet> create(const onnx::ModelProto& reference, const EvalOptions& options);

  int64_t size() const { return static_cast<int64_t>(reader_ ? reader_->size() : 0); }
  Task task() const { return task_; }
  bool labelled() const { return labelled_; }
  /// The reference model's metric in points on all samples.
  double reference_metric() const { return reference_metric_; }

  /// Runs `candidate` (same input and first output as the reference; a detector: the same
  /// detection outputs) on every sample and compares.
  Result<AccuracyResult> score(const onnx::ModelProto& candidate) const;
  /// Mean over the kept samples of ||y - y_ref||^2 / ||y_ref||^2 of the first output (a raw
  /// detection head: that head, whose box rows in pixels outweigh the scores, so nodes of the
  /// box-regression tail rank first): a smooth measure for ranking small differences that top-1
  /// cannot see. Detectors with NMS in the graph answer a varying number of boxes: for them it is
  /// 1 - mAP/100 against the reference's boxes on the kept samples.
  Result<double> output_error(const onnx::ModelProto& candidate) const;

 private:
  TaskScorer new_scorer() const;
  Status add_prediction(size_t sample, const Tensor& output, TaskScorer* scorer) const;
  /// Detection: one sample's outputs (the detection outputs, in their order) scored.
  Status add_detections(size_t sample, const std::vector<Tensor>& outputs,
                        TaskScorer* scorer) const;
  /// The outputs a run fetches: the first output, or the detection outputs.
  const std::vector<std::string>& run_outputs() const { return run_outputs_; }

  EvalOptions options_;
  std::shared_ptr<const CalibrationDataReader> reader_;
  Task task_ = Task::kClassify;
  int64_t classes_ = 0;
  std::string output_name_;
  std::vector<std::string> run_outputs_;
  std::optional<DetectionOutputs> detection_;
  std::vector<ImageToInput> geometry_;  // detection: per sample, where the image landed
  bool labelled_ = false;
  double reference_metric_ = 100.0;
  std::vector<Prediction> reference_predictions_;  // unlabelled: class per item/pixel, or boxes
  std::vector<std::vector<float>> reference_outputs_;  // first error_samples samples
};

}  // namespace edgetier
