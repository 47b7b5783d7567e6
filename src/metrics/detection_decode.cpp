/// Decoding of detection outputs into boxes and class-aware non-maximum suppression.
#include "metrics/detection_decode.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace edgetier {
namespace {

std::string describe(const Tensor& t) {
  return "'" + t.name + "' (" + std::string(dtype_name(t.dtype)) + " " + shape_to_string(t.shape) +
         ")";
}

/// The shape without leading axes of 1 beyond `rank` dimensions.
std::vector<int64_t> squeeze_leading(std::vector<int64_t> shape, size_t rank) {
  while (shape.size() > rank && shape.front() == 1) shape.erase(shape.begin());
  return shape;
}

bool valid_size(const Tensor& t) { return t.validate().ok(); }

}  // namespace

std::vector<DetectedBox> non_max_suppression(std::vector<DetectedBox> boxes, double iou_threshold,
                                             int max_detections) {
  std::stable_sort(boxes.begin(), boxes.end(),
                   [](const DetectedBox& a, const DetectedBox& b) { return a.score > b.score; });
  std::vector<DetectedBox> kept;
  for (const DetectedBox& b : boxes) {
    if (static_cast<int>(kept.size()) >= max_detections) break;
    bool suppressed = false;
    for (const DetectedBox& k : kept) {
      if (k.category == b.category && box_iou(b.box, k.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(b);
  }
  return kept;
}

Result<std::vector<DetectedBox>> decode_box_outputs(const Tensor& boxes, const Tensor& scores,
                                                    const Tensor& labels,
                                                    const DetectionDecodeOptions& options) {
  const auto bs = squeeze_leading(boxes.shape, 2);
  const auto ss = squeeze_leading(scores.shape, 1);
  const auto ls = squeeze_leading(labels.shape, 1);
  if (boxes.dtype != DType::kFloat32 || bs.size() != 2 || bs[1] != 4 || !valid_size(boxes)) {
    return invalid_argument("detection boxes " + describe(boxes) + " must be float32 [N, 4]");
  }
  const int64_t n = bs[0];
  if (scores.dtype != DType::kFloat32 || ss.size() != 1 || ss[0] != n || !valid_size(scores)) {
    return invalid_argument("detection scores " + describe(scores) + " must be float32 [" +
                            std::to_string(n) + "], one per box");
  }
  const bool wide = labels.dtype == DType::kInt64;
  if ((!wide && labels.dtype != DType::kInt32) || ls.size() != 1 || ls[0] != n ||
      !valid_size(labels)) {
    return invalid_argument("detection labels " + describe(labels) + " must be int64 [" +
                            std::to_string(n) + "], one per box");
  }
  const float* b = boxes.data_as<float>();
  const float* s = scores.data_as<float>();
  std::vector<DetectedBox> out;
  for (int64_t i = 0; i < n; ++i) {
    if (!(s[i] > options.score_threshold)) continue;
    const double x1 = b[4 * i], y1 = b[4 * i + 1], x2 = b[4 * i + 2], y2 = b[4 * i + 3];
    const int64_t label = wide ? labels.data_as<int64_t>()[i] : labels.data_as<int32_t>()[i];
    out.push_back({{x1, y1, std::max(0.0, x2 - x1), std::max(0.0, y2 - y1)}, label, s[i]});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const DetectedBox& a, const DetectedBox& c) { return a.score > c.score; });
  if (out.size() > static_cast<size_t>(options.max_detections)) {
    out.resize(static_cast<size_t>(options.max_detections));
  }
  return out;
}

Result<std::vector<DetectedBox>> decode_yolo_output(const Tensor& head,
                                                    const DetectionDecodeOptions& options) {
  const auto& s = head.shape;
  if (head.dtype != DType::kFloat32 || s.size() != 3 || s[0] != 1 || s[1] <= 0 || s[2] <= 0 ||
      !valid_size(head)) {
    return invalid_argument("YOLO output " + describe(head) +
                            " must be float32 [1, 4+C, A], [1, A, 4+C] or [1, A, 5+C]");
  }
  // Which axis holds the anchors, and whether there is an objectness column.
  bool channels_first = false, objectness = false;
  int64_t anchors = 0, width = 0;
  const int64_t c = options.num_classes;
  if (s[1] < s[2] && (c <= 0 || s[1] == 4 + c)) {
    channels_first = true, anchors = s[2], width = s[1];
  } else if (c > 0 && s[2] == 4 + c) {
    anchors = s[1], width = s[2];
  } else if (c > 0 && s[2] == 5 + c) {
    anchors = s[1], width = s[2], objectness = true;
  } else {
    return invalid_argument(
        "YOLO output " + describe(head) + " does not fit " +
        (c > 0 ? std::to_string(c) + " classes" : std::string("an unknown number of classes")) +
        ": expected [1, 4+C, A] with 4+C < A, or [1, A, 4+C] / [1, A, 5+C] with the classes known");
  }
  const int64_t first_class = objectness ? 5 : 4, classes = width - first_class;
  if (classes < 1) {
    return invalid_argument("YOLO output " + describe(head) + " has no class scores");
  }
  const float* v = head.data_as<float>();
  auto at = [&](int64_t anchor, int64_t k) {
    return static_cast<double>(channels_first ? v[k * anchors + anchor] : v[anchor * width + k]);
  };
  // Each anchor's best class. Channels first, a class's scores are one contiguous row: running
  // the rows keeps the reads sequential (walking an anchor's column strides the whole tensor and
  // is ~10x slower for an 8,400-anchor head). A NaN never becomes the best; a NaN first score
  // stays best and never passes the threshold.
  std::vector<float> best_score(static_cast<size_t>(anchors));
  std::vector<int32_t> best_class(static_cast<size_t>(anchors), 0);
  if (channels_first) {
    const float* row = v + first_class * anchors;
    std::copy(row, row + anchors, best_score.begin());
    for (int64_t k = 1; k < classes; ++k) {
      row = v + (first_class + k) * anchors;
      float* best = best_score.data();
      int32_t* best_k = best_class.data();
      const int32_t kk = static_cast<int32_t>(k);
      for (int64_t a = 0; a < anchors; ++a) {  // branch-free (a mask), so it vectorises
        const float r = row[a], b = best[a];
        const int32_t higher = -static_cast<int32_t>(r > b);
        best_k[a] = (kk & higher) | (best_k[a] & ~higher);
        best[a] = r > b ? r : b;
      }
    }
  } else {
    for (int64_t a = 0; a < anchors; ++a) {
      const float* scores = v + a * width + first_class;
      float best = scores[0];
      int32_t best_k = 0;
      for (int64_t k = 1; k < classes; ++k) {
        if (scores[k] > best) best = scores[k], best_k = static_cast<int32_t>(k);
      }
      best_score[static_cast<size_t>(a)] = best, best_class[static_cast<size_t>(a)] = best_k;
    }
  }
  std::vector<DetectedBox> candidates;
  for (int64_t a = 0; a < anchors; ++a) {
    double score = best_score[static_cast<size_t>(a)];
    if (objectness) score *= at(a, 4);
    if (!(score > options.score_threshold)) continue;  // NaN never passes
    const double cx = at(a, 0), cy = at(a, 1), w = at(a, 2), h = at(a, 3);
    if (!std::isfinite(cx) || !std::isfinite(cy) || !(w >= 0) || !(h >= 0)) continue;
    candidates.push_back({{cx - w / 2, cy - h / 2, w, h}, best_class[static_cast<size_t>(a)], score});
  }
  return non_max_suppression(std::move(candidates), options.iou_threshold, options.max_detections);
}

}  // namespace edgetier
