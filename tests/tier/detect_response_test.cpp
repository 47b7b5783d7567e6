/// Detection responses: a raw head decoded with NMS, torchvision-style triples, boxes mapped to
/// the image through the geometry parameter, and tiers (one and a chain of two) answering with
/// detections, or raw outputs when asked.
#include <gtest/gtest.h>

#include "graph/detector_fixtures.h"
#include "graph/model_io.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/protocol.h"
#include "tier/response.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

constexpr int64_t kDeadlineMs = 20000;
constexpr int64_t kSize = 32;  // the fixture detectors' input side

DetectionOutputs yolo_block(int64_t classes) {
  DetectionOutputs d;
  d.format = DetectionFormat::kYolo;
  d.outputs = {"output0"};
  d.decode.num_classes = classes;
  return d;
}

PreprocessSpec letterbox_preprocess() {
  PreprocessSpec p = PreprocessSpec::for_input("input", kSize, kSize);
  p.letterbox = true;
  p.resize_shorter = 0;
  p.center_crop = false;
  return p;
}

// [1, A = 3, 4 + 2] (anchors in rows): anchors 0 and 1 overlap with class 0 (1 is dropped by
// NMS), anchor 2 scores under the threshold.
Tensor raw_head() {
  const std::vector<float> v = {10, 10, 8, 6, 0.9f, 0.1f,   //
                                11, 10, 8, 6, 0.8f, 0.2f,   //
                                30, 30, 4, 4, 0.1f, 0.2f};  //
  return Tensor::from_vector("output0", DType::kFloat32, {1, 3, 6}, v);
}

TEST(DetectResponse, DecodesARawHeadWithNmsAndMapsBoxesToTheImage) {
  const DetectionOutputs block = yolo_block(2);
  DetectResponse detect;
  detect.outputs = &block;
  ImageToInput g;  // a 64x64 image shrunk to half, padded 2 px at the top
  g.image_width = 64;
  g.image_height = 64;
  g.scale_x = g.scale_y = 0.5;
  g.offset_y = 2;
  detect.geometry = g;
  int64_t decode_ns = -1;
  detect.decode_ns = &decode_ns;
  auto shaped = task_response({raw_head()}, Task::kDetect, detect);
  ASSERT_TRUE(shaped.ok()) << shaped.status().to_string();
  ASSERT_EQ(shaped->size(), 3u);
  const Tensor& boxes = (*shaped)[0];
  const Tensor& scores = (*shaped)[1];
  const Tensor& labels = (*shaped)[2];
  EXPECT_EQ(boxes.name, kDetectionsBoxes);
  EXPECT_EQ(scores.name, kDetectionsScores);
  EXPECT_EQ(labels.name, kDetectionsLabels);
  ASSERT_EQ(boxes.shape, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(labels.dtype, DType::kInt64);
  EXPECT_EQ(labels.data_as<int64_t>()[0], 0);
  EXPECT_FLOAT_EQ(scores.data_as<float>()[0], 0.9f);
  // Input box x 6..14, y 7..13 -> image x 12..28, y (7-2)*2..(13-2)*2 = 10..22.
  const float* b = boxes.data_as<float>();
  EXPECT_FLOAT_EQ(b[0], 12);
  EXPECT_FLOAT_EQ(b[1], 10);
  EXPECT_FLOAT_EQ(b[2], 28);
  EXPECT_FLOAT_EQ(b[3], 22);
  EXPECT_GE(decode_ns, 0);
}

TEST(DetectResponse, RecognisesBoxesScoresAndLabelsAndKeepsTheModelsLabels) {
  Tensor boxes = Tensor::from_vector<float>("boxes", DType::kFloat32, {2, 4}, {1, 2, 5, 6, 0, 0, 3, 3});
  Tensor scores = Tensor::from_vector<float>("scores", DType::kFloat32, {2}, {0.3f, 0.7f});
  Tensor labels = Tensor::from_vector<int64_t>("labels", DType::kInt64, {2}, {17, 3});
  auto shaped = task_response({boxes, scores, labels}, Task::kDetect);  // no block: recognised
  ASSERT_TRUE(shaped.ok()) << shaped.status().to_string();
  ASSERT_EQ((*shaped)[0].shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ((*shaped)[2].data_as<int64_t>()[0], 3);  // best score first
  EXPECT_EQ((*shaped)[2].data_as<int64_t>()[1], 17);
  EXPECT_FLOAT_EQ((*shaped)[0].data_as<float>()[4], 1);  // 17's box, in input pixels
  EXPECT_FLOAT_EQ((*shaped)[0].data_as<float>()[7], 6);
}

TEST(DetectResponse, AnOutputOfNoKnownFormatIsOneLineNamingIt) {
  Tensor odd = Tensor::from_vector<float>("logits", DType::kFloat32, {1, 4}, {1, 2, 3, 4});
  auto shaped = task_response({odd}, Task::kDetect);
  ASSERT_FALSE(shaped.ok());
  EXPECT_EQ(shaped.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = shaped.status().message();
  EXPECT_NE(m.find("'logits'"), std::string::npos) << m;
  EXPECT_NE(m.find("response=raw"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST(DetectResponse, GeometryParameterRoundTripsAndMalformedIsRefused) {
  ImageToInput g;
  g.image_width = 640;
  g.image_height = 480;
  g.scale_x = g.scale_y = 0.05;
  g.offset_y = 4.000000000001;
  inference::ModelInferRequest request;
  auto none = image_geometry_from_request(request);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  set_string_param(request.mutable_parameters(), std::string(kImageGeometryParam),
                   image_geometry_to_param(g));
  auto back = image_geometry_from_request(request);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->image_width, 640);
  EXPECT_EQ((*back)->image_height, 480);
  EXPECT_DOUBLE_EQ((*back)->scale_x, 0.05);
  EXPECT_DOUBLE_EQ((*back)->offset_y, 4.000000000001);
  set_string_param(request.mutable_parameters(), std::string(kImageGeometryParam), "640,480,0");
  auto bad = image_geometry_from_request(request);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("image_geometry"), std::string::npos);
}

/// What the app should receive: the parts run in process, decoded at the block's thresholds,
/// mapped through the preprocessing's geometry.
std::vector<DetectedBox> expected_detections(const std::vector<std::string>& paths,
                                             const std::string& image,
                                             const DetectionOutputs& block) {
  ImageToInput g;
  auto x = decode_and_preprocess(image, letterbox_preprocess(), &g);
  EXPECT_TRUE(x.ok());
  auto outputs = tier_test::run_in_process(paths, {*x});
  auto boxes = decode_detections(outputs, block);
  EXPECT_TRUE(boxes.ok());
  map_boxes_to_image(*boxes, g);
  std::stable_sort(boxes->begin(), boxes->end(),
                   [](const DetectedBox& a, const DetectedBox& b) { return a.score > b.score; });
  return *boxes;
}

void expect_detections(const std::vector<Tensor>& outputs, const std::vector<DetectedBox>& want) {
  ASSERT_EQ(outputs.size(), 3u);
  ASSERT_EQ(outputs[0].name, kDetectionsBoxes);
  ASSERT_EQ(outputs[0].shape, (std::vector<int64_t>{static_cast<int64_t>(want.size()), 4}));
  ASSERT_FALSE(want.empty());
  for (size_t i = 0; i < want.size(); ++i) {
    const float* b = outputs[0].data_as<float>() + 4 * i;
    EXPECT_FLOAT_EQ(b[0], static_cast<float>(want[i].box.x)) << i;
    EXPECT_FLOAT_EQ(b[3], static_cast<float>(want[i].box.y + want[i].box.h)) << i;
    EXPECT_FLOAT_EQ(outputs[1].data_as<float>()[i], static_cast<float>(want[i].score)) << i;
    EXPECT_EQ(outputs[2].data_as<int64_t>()[i], want[i].category) << i;
  }
}

struct DetectorChain {
  TempDir dir;
  std::vector<std::unique_ptr<LocalTier>> tiers;
  TestbedEndpoints endpoints;
  std::unique_ptr<TierClient> entry;
  std::vector<std::string> paths;

  DetectorChain(const std::vector<std::string>& names, const std::vector<onnx::ModelProto>& parts,
                const DetectionOutputs& block) {
    for (const auto& name : names) {
      tiers.push_back(tier_test::start_tier(dir, name));
      if (!tiers.back()) return;
      endpoints.tiers.push_back({name, tiers.back()->address(), tiers.back()->address(), ""});
    }
    const std::string variant = dir.file("det");
    std::filesystem::create_directories(variant);
    paths = tier_test::save_parts(parts, variant);
    auto read = read_variant_dir(variant);
    if (!read.ok()) return;
    read->preprocess = letterbox_preprocess();
    read->detection = block;
    DeployOptions options;
    options.placement = names.size() == 1 ? "E" : "ME";
    if (!deploy_variant(endpoints, *read, options).ok()) return;
    auto connected = TierClient::connect(tiers.front()->address());
    if (connected.ok()) entry = std::move(connected).value();
  }
};

TEST(DetectResponse, TierAnswersWithDetectionsInImagePixelsOrRawWhenAsked) {
  const DetectionOutputs block = yolo_block(3);
  DetectorChain bed({"edge"}, {fixtures::output0_detector(kSize, 3)}, block);
  ASSERT_TRUE(bed.entry);
  const std::string image = tier_test::encode_test_image(80, 48, ".png", 3);
  auto detected = bed.entry->infer_image("det", image, kDeadlineMs, Task::kDetect);
  ASSERT_TRUE(detected.ok()) << detected.status().to_string();
  expect_detections(detected->outputs, expected_detections(bed.paths, image, block));
  EXPECT_GT(detected->breakdown.hops[0].postprocess_ns, 0);
  EXPECT_LE(detected->breakdown.accounted_ns(), detected->breakdown.end_to_end_ns);
  auto raw = bed.entry->infer_image("det", image, kDeadlineMs);
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  ASSERT_EQ(raw->outputs.size(), 1u);
  EXPECT_EQ(raw->outputs[0].name, "output0");
  EXPECT_EQ(raw->outputs[0].shape, (std::vector<int64_t>{1, 7, 64}));
  EXPECT_EQ(raw->breakdown.hops[0].postprocess_ns, 0);
}

// The first tier measures where the image landed; the last maps the boxes with it.
TEST(DetectResponse, LastTierOfAChainMapsBoxesWithTheFirstTiersGeometry) {
  const DetectionOutputs block = yolo_block(3);
  DetectorChain bed({"mobile", "edge"}, fixtures::output0_detector_parts(kSize, 3), block);
  ASSERT_TRUE(bed.entry);
  const std::string image = tier_test::encode_test_image(40, 96, ".jpg", 4);
  auto detected = bed.entry->infer_image("det", image, kDeadlineMs, Task::kDetect);
  ASSERT_TRUE(detected.ok()) << detected.status().to_string();
  expect_detections(detected->outputs, expected_detections(bed.paths, image, block));
  ASSERT_EQ(detected->breakdown.hops.size(), 2u);
  EXPECT_EQ(detected->breakdown.hops[0].postprocess_ns, 0);
  EXPECT_GT(detected->breakdown.hops[1].postprocess_ns, 0);
}

}  // namespace
}  // namespace edgetier::tier
