/// Tests for decoding detection outputs: torchvision-style triples, the three raw YOLO layouts,
/// class-aware NMS and the refusals.
#include "metrics/detection_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace edgetier {
namespace {

using ::testing::HasSubstr;

// Anchors as rows {cx, cy, w, h, [obj,] class scores...}.
using Rows = std::vector<std::vector<float>>;

Tensor rows_tensor(const Rows& rows, bool channels_first) {
  const int64_t a = static_cast<int64_t>(rows.size()), k = static_cast<int64_t>(rows[0].size());
  std::vector<float> v(static_cast<size_t>(a * k));
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      v[static_cast<size_t>(channels_first ? j * a + i : i * k + j)] =
          rows[static_cast<size_t>(i)][static_cast<size_t>(j)];
    }
  }
  return Tensor::from_vector<float>(
      "head", DType::kFloat32,
      channels_first ? std::vector<int64_t>{1, k, a} : std::vector<int64_t>{1, a, k}, v);
}

// Two classes. Anchor 0 and 1 overlap (IoU 0.81) on class 0: 1 is suppressed. Anchor 2 overlaps
// 0 as much but is class 1: kept. Anchor 3 scores 0.2: dropped. Then padding anchors below the
// threshold so that 4 + C < A.
Rows yolo_rows() {
  Rows r = {{50, 50, 20, 20, 0.9f, 0.1f},
            {51, 51, 20, 20, 0.8f, 0.1f},
            {50, 50, 20, 20, 0.1f, 0.7f},
            {10, 10, 4, 4, 0.2f, 0.1f}};
  for (int i = 0; i < 4; ++i) r.push_back({0, 0, 1, 1, 0.0f, 0.0f});
  return r;
}

void expect_yolo_result(const std::vector<DetectedBox>& d) {
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].category, 0);
  EXPECT_NEAR(d[0].score, 0.9, 1e-6);
  EXPECT_DOUBLE_EQ(d[0].box.x, 40);  // cx - w / 2
  EXPECT_DOUBLE_EQ(d[0].box.w, 20);
  EXPECT_EQ(d[1].category, 1);
  EXPECT_NEAR(d[1].score, 0.7, 1e-6);
}

TEST(DetectionDecode, YoloChannelsFirstAndLast) {
  auto first = decode_yolo_output(rows_tensor(yolo_rows(), true));
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  expect_yolo_result(*first);
  DetectionDecodeOptions o;
  o.num_classes = 2;
  auto last = decode_yolo_output(rows_tensor(yolo_rows(), false), o);
  ASSERT_TRUE(last.ok()) << last.status().to_string();
  expect_yolo_result(*last);
  auto unknown = decode_yolo_output(rows_tensor(yolo_rows(), false));
  ASSERT_FALSE(unknown.ok()) << "[1, A, K] needs the classes";
  EXPECT_THAT(unknown.status().message(), HasSubstr("'head'"));
}

TEST(DetectionDecode, YoloWithObjectness) {
  // Score = objectness x class score: 0.9 x 0.5 passes, 0.2 x 0.9 does not.
  Rows r = {{50, 50, 20, 20, 0.9f, 0.5f, 0.1f}, {20, 20, 10, 10, 0.2f, 0.9f, 0.1f}};
  DetectionDecodeOptions o;
  o.num_classes = 2;
  auto d = decode_yolo_output(rows_tensor(r, false), o);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d->size(), 1u);
  EXPECT_NEAR((*d)[0].score, 0.45, 1e-6);
  EXPECT_EQ((*d)[0].category, 0);
}

TEST(DetectionDecode, NmsIsClassAwareAndKeepsAtMostTheMaximum) {
  std::vector<DetectedBox> boxes;
  for (int i = 0; i < 150; ++i) {
    boxes.push_back({{i * 30.0, 0, 10, 10}, i % 3, 0.5 + i * 0.001});  // none overlap
  }
  boxes.push_back({{0, 0, 10, 10}, 0, 0.4});  // same box as the first, same class: suppressed
  boxes.push_back({{0, 0, 10, 10}, 1, 0.4});  // other class: not suppressed by it
  const auto kept = non_max_suppression(boxes, 0.45, 1000);
  EXPECT_EQ(kept.size(), 151u);
  const auto capped = non_max_suppression(boxes, 0.45, 100);
  ASSERT_EQ(capped.size(), 100u);
  EXPECT_NEAR(capped.front().score, 0.649, 1e-9) << "best first";
  // IoU exactly at the threshold is kept (suppression is above it).
  const auto edge =
      non_max_suppression({{{0, 0, 10, 10}, 0, 0.9}, {{0, 0, 10, 4.5}, 0, 0.8}}, 0.45, 100);
  EXPECT_EQ(edge.size(), 2u);
}

TEST(DetectionDecode, TorchvisionStyleTriples) {
  Tensor boxes = Tensor::from_vector<float>("boxes", DType::kFloat32, {3, 4},
                                            {10, 20, 30, 60, 0, 0, 5, 5, 1, 1, 2, 2});
  Tensor scores = Tensor::from_vector<float>("scores", DType::kFloat32, {3}, {0.9f, 0.1f, 0.6f});
  Tensor labels = Tensor::from_vector<int64_t>("labels", DType::kInt64, {3}, {3, 1, 7});
  auto d = decode_box_outputs(boxes, scores, labels);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].category, 3);
  EXPECT_DOUBLE_EQ((*d)[0].box.w, 20);  // x2 - x1
  EXPECT_DOUBLE_EQ((*d)[0].box.h, 40);
  EXPECT_EQ((*d)[1].category, 7);
  Tensor short_scores = Tensor::from_vector<float>("scores", DType::kFloat32, {2}, {0.9f, 0.1f});
  auto bad = decode_box_outputs(boxes, short_scores, labels);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'scores'"));
  EXPECT_FALSE(decode_box_outputs(scores, scores, labels).ok());
}

TEST(DetectionDecode, RefusesOtherShapes) {
  Tensor flat = Tensor::from_vector<float>("y", DType::kFloat32, {1, 10}, std::vector<float>(10));
  auto d = decode_yolo_output(flat);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("'y'"));
  DetectionDecodeOptions o;
  o.num_classes = 3;
  EXPECT_FALSE(decode_yolo_output(rows_tensor(yolo_rows(), false), o).ok()) << "K fits neither";
}

// The channels-first path picks each anchor's best class row by row; it must choose exactly what
// the anchor-by-anchor path chooses on the transposed head (ties to the lower class, NaN scores
// never best), over a head large enough for the vectorised loop and its remainder.
TEST(DetectionDecode, ChannelsFirstRowPassEqualsTheTransposedHead) {
  const int64_t anchors = 1003, classes = 7, width = 4 + classes;
  std::vector<float> first(static_cast<size_t>(width * anchors)), last(first.size());
  uint32_t state = 12345;
  auto next = [&] { return (state = state * 1664525u + 1013904223u) >> 8; };
  for (int64_t a = 0; a < anchors; ++a) {
    for (int64_t k = 0; k < width; ++k) {
      float v = k < 4 ? static_cast<float>(next() % 600) + (k >= 2 ? 2.0f : 0.0f)
                      : static_cast<float>(next() % 1000) / 1000.0f;
      if (k >= 4 && next() % 50 == 0) v = std::nanf("");
      if (k == 6 && a % 13 == 0) v = first[static_cast<size_t>(5 * anchors + a)];  // a tie
      first[static_cast<size_t>(k * anchors + a)] = v;
      last[static_cast<size_t>(a * width + k)] = v;
    }
  }
  DetectionDecodeOptions o;
  o.num_classes = classes;
  o.score_threshold = 0.5;
  o.max_detections = 1000;
  o.iou_threshold = 1.0;  // keep every candidate: compare the decode, not NMS
  auto a = decode_yolo_output(
      Tensor::from_vector<float>("y", DType::kFloat32, {1, width, anchors}, first), o);
  auto b = decode_yolo_output(
      Tensor::from_vector<float>("y", DType::kFloat32, {1, anchors, width}, last), o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_GT(a->size(), 100u);
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].category, (*b)[i].category) << i;
    EXPECT_EQ((*a)[i].score, (*b)[i].score) << i;
    EXPECT_EQ((*a)[i].box.x, (*b)[i].box.x) << i;
  }
}

}  // namespace
}  // namespace edgetier
