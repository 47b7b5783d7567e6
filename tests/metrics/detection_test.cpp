/// Tests for COCO-style mAP: hand-computed cases and a fixture whose numbers come from
/// scripts/coco_map_reference.py (an implementation of COCO's published rules in Python).
#include "metrics/detection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/json_reader.h"
#include "metrics/task_scorer.h"

namespace edgetier {
namespace {

const std::string kData = std::string(EDGETIER_SOURCE_DIR) + "/tests/data/detection/";

TruthBox truth(double x, double y, double w, double h, int64_t cat = 1, bool crowd = false) {
  return {{x, y, w, h}, cat, crowd};
}
DetectedBox det(double x, double y, double w, double h, double score, int64_t cat = 1) {
  return {{x, y, w, h}, cat, score};
}

TEST(DetectionAP, OnePerfectDetectionIsAHundred) {
  DetectionAP ap;
  ASSERT_TRUE(ap.add({det(10, 10, 50, 40, 0.9)}, {truth(10, 10, 50, 40)}).ok());
  EXPECT_DOUBLE_EQ(ap.map(), 100.0);
  EXPECT_DOUBLE_EQ(ap.map(AreaRange::kAll, 0), 100.0);
  const auto v = ap.values();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].metric, "map");
  EXPECT_DOUBLE_EQ(v[0].value, 100.0);
  EXPECT_EQ(v[1].metric, "map50");
  EXPECT_EQ(v[1].n, 1);
}

TEST(DetectionAP, AFalsePositiveCostsOnlyWhenRankedFirst) {
  // Ranked first: precision 0 then 1/2 at recall 1, made monotone: 0.5 at every recall point.
  DetectionAP first;
  ASSERT_TRUE(
      first.add({det(200, 200, 20, 20, 0.9), det(0, 0, 20, 20, 0.8)}, {truth(0, 0, 20, 20)}).ok());
  EXPECT_DOUBLE_EQ(first.map(), 50.0);
  // Ranked after the true positive: recall 1 is reached at precision 1.
  DetectionAP after;
  ASSERT_TRUE(
      after.add({det(200, 200, 20, 20, 0.7), det(0, 0, 20, 20, 0.8)}, {truth(0, 0, 20, 20)}).ok());
  EXPECT_DOUBLE_EQ(after.map(), 100.0);
}

TEST(DetectionAP, IouThresholdsCountSeparately) {
  // IoU 0.62: a match at .50, .55 and .60, a miss at the seven higher thresholds.
  DetectionAP ap;
  ASSERT_TRUE(ap.add({det(0, 0, 10, 6.2, 0.9)}, {truth(0, 0, 10, 10)}).ok());
  EXPECT_NEAR(ap.map(), 30.0, 1e-12);
  EXPECT_DOUBLE_EQ(ap.map(AreaRange::kAll, 0), 100.0);
  EXPECT_DOUBLE_EQ(ap.map(AreaRange::kAll, 5), 0.0);
  // One detection matches one object: the duplicate is a false positive after it.
  DetectionAP dup;
  ASSERT_TRUE(
      dup.add({det(0, 0, 10, 10, 0.9), det(0, 0, 10, 10, 0.8)}, {truth(0, 0, 10, 10)}).ok());
  EXPECT_DOUBLE_EQ(dup.map(), 100.0);
  EXPECT_NEAR(box_iou({0, 0, 10, 6.2}, {0, 0, 10, 10}), 0.62, 1e-12);
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
}

TEST(DetectionAP, CategoriesWithoutGroundTruthAreLeftOut) {
  DetectionAP ap;
  // Category 1 found; category 2 missed (AP 0); category 3 only detected (left out).
  ASSERT_TRUE(ap.add({det(0, 0, 30, 30, 0.9, 1), det(50, 50, 30, 30, 0.9, 3)},
                     {truth(0, 0, 30, 30, 1), truth(100, 100, 30, 30, 2)})
                  .ok());
  EXPECT_DOUBLE_EQ(ap.category_ap(1), 100.0);
  EXPECT_DOUBLE_EQ(ap.category_ap(2), 0.0);
  EXPECT_DOUBLE_EQ(ap.category_ap(3), -1.0);
  EXPECT_DOUBLE_EQ(ap.map(), 50.0);
  DetectionAP none;
  ASSERT_TRUE(none.add({det(0, 0, 5, 5, 0.5)}, {}).ok());
  EXPECT_DOUBLE_EQ(none.map(), -1.0);
  EXPECT_DOUBLE_EQ(none.values()[0].value, 0.0) << "nothing to find is stored as 0";
}

TEST(DetectionAP, ADetectionInACrowdRegionIsIgnored) {
  // The crowd IoU is the part of the detection inside the region: 1 for a box inside it.
  EXPECT_DOUBLE_EQ(box_iou({110, 110, 20, 20}, {100, 100, 100, 100}, true), 1.0);
  EXPECT_NEAR(box_iou({110, 110, 20, 20}, {100, 100, 100, 100}, false), 0.04, 1e-12);
  DetectionAP ap;
  // Two detections inside the crowd (it may be matched again), ranked before the true positive.
  ASSERT_TRUE(
      ap.add({det(110, 110, 20, 20, 0.95), det(150, 150, 20, 20, 0.94), det(0, 0, 20, 20, 0.9)},
             {truth(0, 0, 20, 20), truth(100, 100, 100, 100, 1, true)})
          .ok());
  EXPECT_DOUBLE_EQ(ap.map(), 100.0);
  // Without the crowd flag the region is an object missed and the two boxes are false positives.
  DetectionAP plain;
  ASSERT_TRUE(
      plain
          .add({det(110, 110, 20, 20, 0.95), det(150, 150, 20, 20, 0.94), det(0, 0, 20, 20, 0.9)},
               {truth(0, 0, 20, 20), truth(100, 100, 100, 100)})
          .ok());
  // Precision 1/3 at recall 1/2, nothing beyond: 51 of 101 recall points at 1/3.
  EXPECT_NEAR(plain.map(), 100.0 * (51.0 / 101.0) / 3.0, 1e-9);
}

TEST(DetectionAP, AreaRangesCountOnlyTheirObjects) {
  DetectionAP ap;
  // A small object found, a large one missed, and a false positive of medium size.
  ASSERT_TRUE(ap.add({det(0, 0, 10, 10, 0.9), det(200, 0, 50, 50, 0.1)},
                     {truth(0, 0, 10, 10), truth(100, 100, 100, 100)})
                  .ok());
  EXPECT_DOUBLE_EQ(ap.map(AreaRange::kSmall), 100.0) << "the medium false positive is ignored";
  EXPECT_DOUBLE_EQ(ap.map(AreaRange::kMedium), -1.0) << "no medium object";
  EXPECT_DOUBLE_EQ(ap.map(AreaRange::kLarge), 0.0) << "the small match is ignored, not false";
  // All: recall 1/2 at precision 1, then a false positive: 51 of 101 recall points.
  EXPECT_NEAR(ap.map(), 100.0 * 51.0 / 101.0, 1e-9);
  // The annotation's area, not the box's, decides the range.
  DetectionAP by_area;
  TruthBox t = truth(0, 0, 40, 40);
  t.area = 900;  // small, although the box is 1600
  ASSERT_TRUE(by_area.add({det(0, 0, 40, 40, 0.9)}, {t}).ok());
  EXPECT_DOUBLE_EQ(by_area.map(AreaRange::kSmall), 100.0);
  EXPECT_DOUBLE_EQ(by_area.map(AreaRange::kMedium), -1.0);
}

TEST(DetectionAP, OnlyTheHundredBestDetectionsOfAnImageCount) {
  std::vector<DetectedBox> dets;
  for (int i = 0; i < 100; ++i) dets.push_back(det(500, 500, 10, 10, 0.5));
  dets.push_back(det(0, 0, 10, 10, 0.4));  // the true positive, 101st
  DetectionAP ap;
  ASSERT_TRUE(ap.add(dets, {truth(0, 0, 10, 10)}).ok());
  EXPECT_DOUBLE_EQ(ap.map(), 0.0);
}

TEST(DetectionAP, RejectsBadBoxes) {
  DetectionAP ap;
  auto bad = ap.add({det(0, 0, -1, 5, 0.5)}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.message(), ::testing::HasSubstr("detection box"));
  EXPECT_FALSE(ap.add({}, {truth(0, 0, 5, std::nan(""))}).ok());
  EXPECT_FALSE(ap.add({det(0, 0, 1, 1, INFINITY)}, {}).ok());
  EXPECT_EQ(ap.images(), 0);
}

// The committed fixture against the committed numbers of scripts/coco_map_reference.py.
TEST(DetectionAP, MatchesTheReferenceOnTheFixture) {
  auto gt = read_json_file(kData + "instances_fixture.json");
  auto dt = read_json_file(kData + "detections_fixture.json");
  auto expected = read_json_file(kData + "expected_map.json");
  ASSERT_TRUE(gt.ok() && dt.ok() && expected.ok());
  auto box_of = [](const nlohmann::json& b) {
    return Box{b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>()};
  };
  std::map<int64_t, std::vector<TruthBox>> truths;
  std::map<int64_t, std::vector<DetectedBox>> dets;
  for (const auto& img : (*gt)["images"]) truths[img["id"].get<int64_t>()];
  for (const auto& a : (*gt)["annotations"]) {
    truths[a["image_id"].get<int64_t>()].push_back(
        {box_of(a["bbox"]), a["category_id"].get<int64_t>(), a["iscrowd"].get<int>() != 0,
         a["area"].get<double>()});
  }
  for (const auto& d : *dt) {
    dets[d["image_id"].get<int64_t>()].push_back(
        {box_of(d["bbox"]), d["category_id"].get<int64_t>(), d["score"].get<double>()});
  }
  DetectionAP ap;
  for (const auto& [id, t] : truths) ASSERT_TRUE(ap.add(dets[id], t).ok()) << id;
  const auto& e = *expected;
  EXPECT_NEAR(ap.map(), e["map"].get<double>(), 1e-9);
  EXPECT_NEAR(ap.map(AreaRange::kAll, 0), e["map50"].get<double>(), 1e-9);
  EXPECT_NEAR(ap.map(AreaRange::kAll, 5), e["map75"].get<double>(), 1e-9);
  EXPECT_NEAR(ap.map(AreaRange::kSmall), e["map_small"].get<double>(), 1e-9);
  EXPECT_NEAR(ap.map(AreaRange::kMedium), e["map_medium"].get<double>(), 1e-9);
  EXPECT_NEAR(ap.map(AreaRange::kLarge), e["map_large"].get<double>(), 1e-9);
  for (const auto& [cat, value] : e["category_ap"].items()) {
    EXPECT_NEAR(ap.category_ap(std::stoll(cat)), value.get<double>(), 1e-9) << cat;
  }
}

TEST(TaskScorer, DetectScoresBoxesAgainstLabelsAndTheReference) {
  TaskScorer labels(Task::kDetect, MetricSource::kLabels);
  Truth t;
  t.boxes = {truth(0, 0, 20, 20), truth(50, 50, 20, 20, 2)};
  ASSERT_TRUE(labels.add_boxes({det(0, 0, 20, 20, 0.9)}, t).ok());
  EXPECT_DOUBLE_EQ(labels.primary(), 50.0);
  EXPECT_EQ(labels.values()[0].metric, "map");
  // A raw YOLO head, [1, 4 + 2 classes, 8 anchors], channels first: one box of class 0 at
  // centre (20, 20), 20 x 20; the other anchors score 0.
  std::vector<float> head(6 * 8, 0.0f);
  for (int k = 0; k < 4; ++k) head[static_cast<size_t>(k * 8)] = 20.0f;
  head[4 * 8] = 0.9f;
  TaskScorer decoded(Task::kDetect, MetricSource::kLabels, 2);
  Truth one;
  one.boxes = {truth(10, 10, 20, 20, 0)};
  ASSERT_TRUE(
      decoded.add(Tensor::from_vector<float>("y", DType::kFloat32, {1, 6, 8}, head), one).ok());
  EXPECT_DOUBLE_EQ(decoded.primary(), 100.0);
  Tensor flat = Tensor::from_vector<float>("boxes", DType::kFloat32, {1, 4}, {0, 0, 1, 1});
  EXPECT_EQ(labels.add(flat, t).code(), StatusCode::kInvalidArgument);

  TaskScorer ref(Task::kDetect, MetricSource::kReference);
  Prediction pred, reference;
  pred.boxes = {det(0, 0, 20, 20, 0.9)};
  reference.boxes = {det(0, 0, 20, 20, 0.8), det(40, 40, 10, 10, 0.3)};
  ASSERT_TRUE(ref.add_reference(pred, reference).ok());
  EXPECT_DOUBLE_EQ(ref.primary(), 100.0 * 51.0 / 101.0);
  ASSERT_EQ(ref.values().size(), 1u);
  EXPECT_EQ(ref.values()[0].metric, "agree_map");
  EXPECT_FALSE(TaskScorer(Task::kClassify, MetricSource::kLabels).add_boxes({}, t).ok());
}

// Against the reference, its boxes above the objects threshold are the truth; a reference that
// finds nothing above it on the whole set (an untrained detector) is compared on all its boxes,
// so that it agrees with itself at 100; nothing on either side is full agreement.
TEST(Detection, AgreementTakesTheReferencesConfidentBoxesElseAllItsBoxes) {
  Prediction low_only;
  low_only.boxes = {det(0, 0, 20, 20, 0.2), det(40, 40, 10, 10, 0.1)};
  TaskScorer itself(Task::kDetect, MetricSource::kReference);
  itself.set_objects_score_threshold(0.25);
  ASSERT_TRUE(itself.add_reference(low_only, low_only).ok());
  EXPECT_DOUBLE_EQ(itself.primary(), 100.0);

  // One confident box in the set: the low ones are no longer objects, so a prediction of the
  // low box alone finds none of them.
  Prediction confident, low_box;
  confident.boxes = {det(60, 60, 20, 20, 0.9)};
  low_box.boxes = {det(0, 0, 20, 20, 0.2)};
  TaskScorer mixed(Task::kDetect, MetricSource::kReference);
  mixed.set_objects_score_threshold(0.25);
  ASSERT_TRUE(mixed.add_reference(low_box, low_only).ok());
  ASSERT_TRUE(mixed.add_reference(Prediction{}, confident).ok());
  EXPECT_DOUBLE_EQ(mixed.primary(), 0.0);
  TaskScorer lower(Task::kDetect, MetricSource::kReference);
  lower.set_objects_score_threshold(0.15);  // now the 0.2 box is an object and is found
  ASSERT_TRUE(lower.add_reference(low_box, low_only).ok());
  EXPECT_DOUBLE_EQ(lower.primary(), 100.0);

  TaskScorer empty(Task::kDetect, MetricSource::kReference);
  ASSERT_TRUE(empty.add_reference(Prediction{}, Prediction{}).ok());
  EXPECT_DOUBLE_EQ(empty.primary(), 100.0);
  ASSERT_TRUE(empty.add_reference(low_box, Prediction{}).ok());
  EXPECT_DOUBLE_EQ(empty.primary(), 0.0);
}

}  // namespace
}  // namespace edgetier
