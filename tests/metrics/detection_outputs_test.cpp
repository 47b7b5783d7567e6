/// Tests for detection output blocks: reading and refusing them, recognising formats from a
/// model's outputs, decoding by name and mapping boxes back through the preprocessing.
#include "metrics/detection_outputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(DetectionOutputsFromJson, ReadsBothFormatsAndRoundTrips) {
  auto yolo = detection_outputs_from_json(
      json::parse(R"({"format": "yolo", "outputs": ["output0"], "num_classes": 10,
                      "score_threshold": 0.3, "iou_threshold": 0.5, "max_detections": 50})"),
      "m.json");
  ASSERT_TRUE(yolo.ok()) << yolo.status().to_string();
  EXPECT_EQ(yolo->format, DetectionFormat::kYolo);
  EXPECT_EQ(yolo->outputs, std::vector<std::string>{"output0"});
  EXPECT_EQ(yolo->decode.num_classes, 10);
  EXPECT_DOUBLE_EQ(yolo->decode.score_threshold, 0.3);
  EXPECT_DOUBLE_EQ(yolo->decode.iou_threshold, 0.5);
  EXPECT_EQ(yolo->decode.max_detections, 50);
  auto again = detection_outputs_from_json(detection_outputs_to_json(*yolo), "again");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(detection_outputs_to_json(*again), detection_outputs_to_json(*yolo));

  auto boxes = detection_outputs_from_json(
      json::parse(R"({"format": "boxes", "outputs": ["b", "s", "l"], "label_space": "category_id"})"),
      "m.json");
  ASSERT_TRUE(boxes.ok()) << boxes.status().to_string();
  EXPECT_EQ(boxes->format, DetectionFormat::kBoxes);
  EXPECT_EQ(boxes->label_space, LabelSpace::kCategoryId);
  // The exporters' defaults.
  EXPECT_DOUBLE_EQ(boxes->decode.score_threshold, 0.25);
  EXPECT_DOUBLE_EQ(boxes->decode.iou_threshold, 0.45);
  EXPECT_EQ(boxes->decode.max_detections, 100);
}

TEST(DetectionOutputsFromJson, RefusesBadBlocksNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"outputs": ["a"]})", "detection.format: is missing"},
      {R"({"format": "ssd", "outputs": ["a"]})", "detection.format: is 'ssd'"},
      {R"({"format": "yolo", "outputs": ["a", "b"]})", "needs 1 (the head)"},
      {R"({"format": "boxes", "outputs": ["a"]})", "needs 3 (boxes, scores, labels)"},
      {R"({"format": "yolo", "outputs": ["a"], "score_threshold": 1.5})",
       "detection.score_threshold: must be between 0 and 1"},
      {R"({"format": "yolo", "outputs": ["a"], "max_detections": 0})", "must be >= 1"},
      {R"({"format": "yolo", "outputs": ["a"], "num_classes": -2})", "must be >= 0"},
      {R"({"format": "yolo", "outputs": ["a"], "label_space": "coco"})", "label_space: is 'coco'"},
      {R"({"format": "yolo", "outputs": ["a"], "nms": 0.5})", "nms"},
  };
  for (const auto& [text, want] : cases) {
    auto d = detection_outputs_from_json(json::parse(text), "models/x.json");
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_THAT(d.status().message(), HasSubstr("models/x.json")) << text;
    EXPECT_THAT(d.status().message(), HasSubstr(want)) << text;
  }
}

TEST(ResolveDetectionOutputs, RecognisesUnambiguousFormats) {
  auto yolo = resolve_detection_outputs({{"output0", DType::kFloat32, {1, 14, 252}}}, json(), "");
  ASSERT_TRUE(yolo.ok()) << yolo.status().to_string();
  EXPECT_EQ(yolo->format, DetectionFormat::kYolo);
  EXPECT_EQ(yolo->outputs, std::vector<std::string>{"output0"});

  // Torchvision's order is boxes, scores, labels; any order is recognised by role.
  auto tv = resolve_detection_outputs({{"labels", DType::kInt64, {-1}},
                                       {"boxes", DType::kFloat32, {-1, 4}},
                                       {"scores", DType::kFloat32, {-1}}},
                                      json(), "");
  ASSERT_TRUE(tv.ok()) << tv.status().to_string();
  EXPECT_EQ(tv->format, DetectionFormat::kBoxes);
  EXPECT_EQ(tv->outputs, (std::vector<std::string>{"boxes", "scores", "labels"}));
}

TEST(ResolveDetectionOutputs, RefusesModelsMatchingNoFormatNamingTheOutputs) {
  // A classifier's logits, and two raw heads (which one holds the detections is not knowable).
  for (const std::vector<TensorInfo>& outputs :
       {std::vector<TensorInfo>{{"logits", DType::kFloat32, {1, 10}}},
        std::vector<TensorInfo>{{"p3", DType::kFloat32, {1, 14, 64}},
                                {"p4", DType::kFloat32, {1, 14, 16}}}}) {
    auto d = resolve_detection_outputs(outputs, json(), "models/m.json");
    ASSERT_FALSE(d.ok());
    EXPECT_THAT(d.status().message(), HasSubstr("match no known detection format"));
    EXPECT_THAT(d.status().message(), HasSubstr("'" + outputs[0].name + "' float32"));
    EXPECT_THAT(d.status().message(), HasSubstr("\"detection\" block"));
    EXPECT_THAT(d.status().message(), HasSubstr("models/m.json"));
  }
}

TEST(ResolveDetectionOutputs, ChecksADeclaredBlockAgainstTheModel) {
  const std::vector<TensorInfo> two_heads = {{"p3", DType::kFloat32, {1, 14, 64}},
                                             {"p4", DType::kFloat32, {1, 14, 16}}};
  auto ok = resolve_detection_outputs(
      two_heads, json::parse(R"({"format": "yolo", "outputs": ["p4"], "num_classes": 10})"), "m.json");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->outputs, std::vector<std::string>{"p4"});

  auto missing = resolve_detection_outputs(
      two_heads, json::parse(R"({"format": "yolo", "outputs": ["p5"]})"), "m.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("'p5' is not an output of the model"));
  EXPECT_THAT(missing.status().message(), HasSubstr("'p3' float32 1x14x64"));

  auto wrong = resolve_detection_outputs(
      {{"b", DType::kFloat32, {-1, 4}}, {"s", DType::kFloat32, {-1}}, {"l", DType::kFloat32, {-1}}},
      json::parse(R"({"format": "boxes", "outputs": ["b", "s", "l"]})"), "m.json");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("detection.outputs[2] 'l' is float32"));
  EXPECT_THAT(wrong.status().message(), HasSubstr("labels int64 [N]"));
}

TEST(DecodeDetections, FindsOutputsByNameAndDecodes) {
  DetectionOutputs spec;
  spec.format = DetectionFormat::kBoxes;
  spec.outputs = {"boxes", "scores", "labels"};
  std::vector<Tensor> outputs = {
      Tensor::from_vector<int64_t>("labels", DType::kInt64, {2}, {3, 7}),
      Tensor::from_vector<float>("boxes", DType::kFloat32, {2, 4}, {10, 20, 30, 60, 0, 0, 5, 5}),
      Tensor::from_vector<float>("scores", DType::kFloat32, {2}, {0.9f, 0.1f})};
  auto boxes = decode_detections(outputs, spec);
  ASSERT_TRUE(boxes.ok()) << boxes.status().to_string();
  ASSERT_EQ(boxes->size(), 1u);  // 0.1 is under the 0.25 threshold
  EXPECT_EQ((*boxes)[0].category, 3);
  EXPECT_DOUBLE_EQ((*boxes)[0].box.w, 20);
  EXPECT_DOUBLE_EQ((*boxes)[0].box.h, 40);

  outputs.pop_back();
  auto missing = decode_detections(outputs, spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("detection output 'scores' is missing"));
  EXPECT_THAT(missing.status().message(), HasSubstr("'labels', 'boxes'"));
}

TEST(MapBoxesToImage, UndoesTheGeometryAndClips) {
  // A 200x100 image letterboxed into 64x64: scale 0.32, padded 16 rows at the top.
  ImageToInput g;
  g.image_width = 200, g.image_height = 100;
  g.scale_x = g.scale_y = 0.32;
  g.offset_y = 16;
  std::vector<DetectedBox> boxes = {
      {{16, 24, 16, 8}, 1, 0.9},   // image (50, 25) 50x25
      {{-4, 40, 10, 10}, 2, 0.8},  // crosses the left edge: clipped to x = 0
      {{10, 2, 10, 10}, 3, 0.7},   // entirely in the top padding: dropped
  };
  map_boxes_to_image(boxes, g);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_NEAR(boxes[0].box.x, 50, 1e-9);
  EXPECT_NEAR(boxes[0].box.y, 25, 1e-9);
  EXPECT_NEAR(boxes[0].box.w, 50, 1e-9);
  EXPECT_NEAR(boxes[0].box.h, 25, 1e-9);
  EXPECT_NEAR(boxes[1].box.x, 0, 1e-9);
  EXPECT_NEAR(boxes[1].box.w, 6 / 0.32, 1e-9);
  EXPECT_EQ(boxes[1].category, 2);
}

TEST(DetectionsForScoring, KeepsLowScoresAndMapsToTheImage) {
  DetectionOutputs spec;
  spec.format = DetectionFormat::kBoxes;
  spec.outputs = {"boxes", "scores", "labels"};
  const std::vector<Tensor> outputs = {
      Tensor::from_vector<float>("boxes", DType::kFloat32, {2, 4}, {10, 20, 30, 60, 0, 0, 5, 5}),
      Tensor::from_vector<float>("scores", DType::kFloat32, {2}, {0.9f, 0.01f}),
      Tensor::from_vector<int64_t>("labels", DType::kInt64, {2}, {3, 7})};
  ImageToInput g;  // a 2x downscale
  g.image_width = 200, g.image_height = 200;
  g.scale_x = g.scale_y = 0.5;
  auto boxes = detections_for_scoring(outputs, spec, g);
  ASSERT_TRUE(boxes.ok()) << boxes.status().to_string();
  ASSERT_EQ(boxes->size(), 2u);  // 0.01 is above kMapScoreThreshold
  EXPECT_DOUBLE_EQ((*boxes)[0].box.x, 20);
  EXPECT_DOUBLE_EQ((*boxes)[0].box.h, 80);
  EXPECT_EQ((*boxes)[1].category, 7);
  // The app's threshold is the block's: the spec given is unchanged.
  EXPECT_DOUBLE_EQ(spec.decode.score_threshold, 0.25);
}

}  // namespace
}  // namespace edgetier
