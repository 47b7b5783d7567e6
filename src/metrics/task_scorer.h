/// One model's outputs scored for its task: the one place that knows which accumulator a task
/// uses, shared by the experiment runner, ops/accuracy_eval (EvalSet) and ops/verify.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "metrics/agreement.h"
#include "metrics/classification.h"
#include "metrics/detection.h"
#include "metrics/detection_decode.h"
#include "metrics/metric.h"
#include "metrics/segmentation.h"
#include "strategy/task.h"

namespace edgetier {

/// A model output reduced to what predictions are compared by: the class of every row
/// (classify) or of every pixel (segment), image after image; the boxes of one image (detect).
struct Prediction {
  std::vector<int32_t> classes;
  int64_t num_classes = 0;  // K of the output the classes were taken from
  std::vector<DetectedBox> boxes = {};
};

/// One image's output: classify [1, K] or [K]; segment [1, K, H, W] or [K, H, W]; detect: a raw
/// YOLO head (metrics/detection_decode.h; [1, A, K] heads need the classes, see TaskScorer).
/// Torchvision-style triples are decoded with decode_box_outputs and scored with add_boxes.
Result<Prediction> predict(const Tensor& output, Task task);
/// A batch: classify [N, K] (any rank, the last axis holds the classes); segment [N, K, H, W].
Result<Prediction> predict_batch(const Tensor& output, Task task);

/// What a labelled image is scored against.
struct Truth {
  int64_t label = -1;         // classify: class index
  std::vector<uint8_t> mask;  // segment: one class id per output pixel
  std::vector<TruthBox> boxes = {};  // detect: the image's objects
};

class TaskScorer {
 public:
  /// `num_classes` sizes the confusion matrix (segment, labelled) and tells a YOLO head's layout
  /// (detect); `ignore_index` is the mask value left out.
  TaskScorer(Task task, MetricSource source, int64_t num_classes = 0, int64_t ignore_index = -1);

  Task task() const { return task_; }
  MetricSource source() const { return source_; }
  /// A labelled image (source kLabels): its single-image output against its truth.
  Status add(const Tensor& output, const Truth& truth);
  /// A labelled image of a detection model whose boxes are already decoded.
  Status add_boxes(const std::vector<DetectedBox>& boxes, const Truth& truth);
  /// An unlabelled image (source kReference): a prediction against the reference model's.
  /// Detection: both sides' boxes as they are scored (metrics/detection_outputs.h
  /// detections_for_scoring); the reference's boxes scoring above the objects threshold are the
  /// objects the prediction should find.
  Status add_reference(const Prediction& pred, const Prediction& reference);
  /// Detection against the reference: the score above which the reference's boxes are objects,
  /// what an app receives (the detection block's own threshold; default DetectionDecodeOptions').
  void set_objects_score_threshold(double score) { objects_score_threshold_ = score; }

  /// What is stored: top1, top5 | miou, pixel_acc | map, map50 (labels); agree_top1 |
  /// agree_pixel | agree_map (reference).
  std::vector<MetricValue> values() const;
  /// The task's primary labelled metric (top1 | miou | map) in points; against the reference,
  /// with the reference's predictions taken as the truth (top-1 agreement | mIoU | mAP vs the
  /// reference).
  double primary() const;

 private:
  Task task_;
  MetricSource source_;
  TopKAccuracy topk_;
  ConfusionMatrix confusion_;
  Agreement agreement_;
  std::optional<ConfusionMatrix> reference_confusion_;  // segment vs the reference, sized lazily
  int64_t num_classes_;    // detect: tells a YOLO head's layout (0 = unknown)
  DetectionAP detection_;  // detect: against labels, or against the reference's objects
  // Detect against the reference: a detector that finds nothing above its threshold on the whole
  // set (an untrained one) is compared on all its scored boxes instead, so that agreement still
  // says whether the variant finds the same boxes; nothing on either side is full agreement.
  DetectionAP detection_all_boxes_;
  double objects_score_threshold_ = DetectionDecodeOptions{}.score_threshold;
  int64_t predicted_boxes_ = 0;
};

}  // namespace edgetier
