/// Detection outputs decoded into boxes: torchvision-style boxes/scores/labels and raw YOLO heads
/// with class-aware non-maximum suppression.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "metrics/detection.h"

namespace edgetier {

struct DetectionDecodeOptions {
  /// Classes of a raw YOLO head; needed only for [1, A, K] heads (K = 4 + C without objectness,
  /// 5 + C with it); 0 = unknown.
  int64_t num_classes = 0;
  double score_threshold = 0.25;  // kept when the score is above it
  double iou_threshold = 0.45;    // NMS: a box is dropped above this IoU with a kept one
  int max_detections = 100;
};

/// Torchvision-style outputs: boxes float [N, 4] (x1, y1, x2, y2), scores float [N] and labels
/// int64/int32 [N] (a leading batch axis of 1 is allowed). Boxes are taken as they are (the
/// model already suppressed); only the score threshold and the maximum apply.
Result<std::vector<DetectedBox>> decode_box_outputs(const Tensor& boxes, const Tensor& scores,
                                                    const Tensor& labels,
                                                    const DetectionDecodeOptions& options = {});

/// A raw YOLO head, float: [1, 4 + C, A] (channels first, as YOLOv8 exports; told apart by
/// 4 + C < A), [1, A, 4 + C] or [1, A, 5 + C] (YOLOv5: objectness times the class score).
/// Rows are cx, cy, w, h in input pixels; each anchor keeps its best class; then class-aware
/// NMS. Errors name the output and its shape.
Result<std::vector<DetectedBox>> decode_yolo_output(const Tensor& head,
                                                    const DetectionDecodeOptions& options = {});

/// Class-aware NMS: by score (ties in the given order), dropping a box whose IoU with a kept box
/// of its category exceeds `iou_threshold`; at most `max_detections` kept.
std::vector<DetectedBox> non_max_suppression(std::vector<DetectedBox> boxes, double iou_threshold,
                                             int max_detections);

}  // namespace edgetier
