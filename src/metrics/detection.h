/// Object detection metrics: COCO-style average precision (mAP@[.5:.95], mAP@0.5) over boxes.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "metrics/metric.h"

namespace edgetier {

/// An axis-aligned box in pixels: top-left corner and size, as COCO writes it ([x, y, w, h]).
struct Box {
  double x = 0, y = 0, w = 0, h = 0;
  double area() const { return w * h; }
};

/// One ground-truth object of an image.
struct TruthBox {
  Box box;
  int64_t category = 0;
  /// A crowd region: detections inside it are neither true nor false positives.
  bool crowd = false;
  /// The area that decides the object's size range (COCO's annotation "area"); < 0: the box's.
  double area = -1;
  double range_area() const { return area < 0 ? box.area() : area; }
};

/// One detection of an image.
struct DetectedBox {
  Box box;
  int64_t category = 0;
  double score = 0;
};

/// IoU of two boxes as COCO computes it for boxes; against a crowd region the denominator is the
/// detection's area alone (the part of the detection inside the crowd).
double box_iou(const Box& detection, const Box& truth, bool truth_is_crowd = false);

/// Object size ranges of COCO's evaluation, by area in pixels: all, small (< 32^2),
/// medium (32^2..96^2), large (> 96^2); the bounds belong to both neighbours, as in COCO.
enum class AreaRange { kAll = 0, kSmall = 1, kMedium = 2, kLarge = 3 };

/// COCO's average precision. Per image and category, detections sorted by score (the first 100
/// kept) are matched greedily, each to the unmatched ground truth of highest IoU >= threshold,
/// at the 10 thresholds .50:.05:.95; a detection matched to a crowd region or to an object
/// outside the size range, or unmatched and itself outside the range, is ignored. Over all
/// images, precision at each recall of 0:.01:1 is the best precision at that recall or beyond;
/// AP is its mean, mAP the mean over the categories that have ground truth. Values in points.
class DetectionAP {
 public:
  static constexpr int kIouThresholds = 10;
  static constexpr int kRecallPoints = 101;
  static constexpr int kMaxDetections = 100;

  /// One image: its detections and its ground truth (either may be empty). Boxes with a negative
  /// size or non-finite coordinates or scores are errors.
  Status add(const std::vector<DetectedBox>& detections, const std::vector<TruthBox>& truth);

  int64_t images() const { return images_; }
  /// mAP in points over the thresholds (iou_index < 0: all ten, mAP@[.5:.95]; 0: IoU .50;
  /// 5: IoU .75) for objects of `range`; -1 when no category has ground truth in that range.
  double map(AreaRange range = AreaRange::kAll, int iou_index = -1) const;
  /// AP of one category in points (same arguments); -1 when it has no ground truth there.
  double category_ap(int64_t category, AreaRange range = AreaRange::kAll, int iou_index = -1) const;
  /// map, map50 (-1 is stored as 0: no ground truth at all means nothing was found).
  std::vector<MetricValue> values() const;

 private:
  /// One image's detections of one category in one size range, after matching.
  struct ImageEval {
    int64_t category;
    AreaRange range;
    std::vector<double> scores;  // sorted, at most kMaxDetections
    std::vector<std::array<bool, kIouThresholds>> matched, ignored;  // per detection
    int64_t counted_truth = 0;  // ground truth that is neither crowd nor outside the range
  };
  /// Precision at the recall points for each threshold, or empty when no ground truth counts.
  std::vector<std::array<double, kRecallPoints>> precision(int64_t category, AreaRange range) const;

  int64_t images_ = 0;
  std::vector<ImageEval> evals_;     // in the order the images were added
  std::vector<int64_t> categories_;  // sorted, every category seen in truth or detections
};

}  // namespace edgetier
