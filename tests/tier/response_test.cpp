/// Task-shaped responses: top-k classes with probabilities, class masks, the request parameter,
/// and a tier answering with a mask instead of its logits.
#include "tier/response.h"

#include <gtest/gtest.h>

#include <cmath>

#include "graph/fixtures.h"
#include "metrics/classification.h"
#include "metrics/segmentation.h"
#include "tier/client.h"
#include "tier/protocol.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

constexpr int64_t kDeadlineMs = 20000;

Tensor logits(std::vector<int64_t> shape, const std::vector<float>& values) {
  return Tensor::from_vector("out", DType::kFloat32, std::move(shape), values);
}

TEST(TaskResponse, ClassifyGivesTopFiveIdsAndSoftmaxProbabilities) {
  const std::vector<float> v = {0.5f, 3.0f, -1.0f, 2.0f, 3.0f, 0.0f, 1.0f};
  auto shaped = task_response({logits({1, 7}, v)}, Task::kClassify);
  ASSERT_TRUE(shaped.ok()) << shaped.status().to_string();
  ASSERT_EQ(shaped->size(), 2u);
  const Tensor& ids = (*shaped)[0];
  const Tensor& scores = (*shaped)[1];
  EXPECT_EQ(ids.name, "out_classes");
  EXPECT_EQ(ids.dtype, DType::kInt64);
  EXPECT_EQ(ids.shape, (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(scores.name, "out_scores");
  EXPECT_EQ(scores.dtype, DType::kFloat32);
  // Best first; the tie between classes 1 and 4 goes to the lower id.
  const std::vector<int64_t> expected_ids = {1, 4, 3, 6, 0};
  double sum_exp = 0;
  for (float x : v) sum_exp += std::exp(x);
  for (size_t i = 0; i < expected_ids.size(); ++i) {
    EXPECT_EQ(ids.data_as<int64_t>()[i], expected_ids[i]) << i;
    EXPECT_NEAR(scores.data_as<float>()[i],
                std::exp(v[static_cast<size_t>(expected_ids[i])]) / sum_exp, 1e-6)
        << i;
  }
}

TEST(TaskResponse, ClassifyKeepsProbabilitiesAFinalSoftmaxMade) {
  auto shaped = task_response({logits({1, 3}, {0.2f, 0.7f, 0.1f})}, Task::kClassify);
  ASSERT_TRUE(shaped.ok());
  const Tensor& ids = (*shaped)[0];
  const Tensor& scores = (*shaped)[1];
  ASSERT_EQ(ids.shape, (std::vector<int64_t>{1, 3}));  // fewer than five classes: all of them
  EXPECT_EQ(ids.data_as<int64_t>()[0], 1);
  EXPECT_FLOAT_EQ(scores.data_as<float>()[0], 0.7f);
  EXPECT_FLOAT_EQ(scores.data_as<float>()[2], 0.1f);
}

TEST(TaskResponse, ClassifyRanksNaNLastAndShapesEveryRow) {
  const float nan = std::nanf("");
  auto shaped = task_response({logits({2, 3}, {nan, 1.0f, 2.0f, 5.0f, 4.0f, nan})},
                              Task::kClassify);
  ASSERT_TRUE(shaped.ok());
  const Tensor& ids = (*shaped)[0];
  ASSERT_EQ(ids.shape, (std::vector<int64_t>{2, 3}));
  const std::vector<int64_t> expected = {2, 1, 0, 0, 1, 2};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(ids.data_as<int64_t>()[i], expected[i]);
  EXPECT_EQ((*shaped)[1].data_as<float>()[2], 0.0f);  // a NaN score has probability 0
}

TEST(TaskResponse, SegmentGivesTheArgmaxMaskAsUint8) {
  // [1, K=3, H=2, W=2]: pixel p's class is the channel with the largest value.
  const std::vector<float> v = {0, 9, 0, 1,  //
                                5, 0, 0, 2,  //
                                1, 0, 7, 3};
  const Tensor out = logits({1, 3, 2, 2}, v);
  auto shaped = task_response({out}, Task::kSegment);
  ASSERT_TRUE(shaped.ok()) << shaped.status().to_string();
  ASSERT_EQ(shaped->size(), 1u);
  const Tensor& mask = (*shaped)[0];
  EXPECT_EQ(mask.name, "out_mask");
  EXPECT_EQ(mask.dtype, DType::kUInt8);
  EXPECT_EQ(mask.shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(mask.data, (std::vector<uint8_t>{1, 0, 2, 2}));
  auto argmax = argmax_channels(out);
  ASSERT_TRUE(argmax.ok());
  for (size_t i = 0; i < argmax->size(); ++i) EXPECT_EQ(mask.data[i], (*argmax)[i]);
}

TEST(TaskResponse, SegmentWithMoreThan256ClassesGivesInt32Ids) {
  std::vector<float> v(300, 0.0f);
  v[299] = 1.0f;
  auto shaped = task_response({logits({1, 300, 1, 1}, v)}, Task::kSegment);
  ASSERT_TRUE(shaped.ok());
  EXPECT_EQ((*shaped)[0].dtype, DType::kInt32);
  EXPECT_EQ((*shaped)[0].data_as<int32_t>()[0], 299);
}

TEST(TaskResponse, NonFloatOutputsPassUnchanged) {
  const Tensor count = Tensor::from_vector("count", DType::kInt64, {1}, std::vector<int64_t>{4});
  auto shaped = task_response({count}, Task::kSegment);
  ASSERT_TRUE(shaped.ok());
  ASSERT_EQ(shaped->size(), 1u);
  EXPECT_EQ((*shaped)[0].name, "count");
  EXPECT_EQ((*shaped)[0].data, count.data);
}

TEST(TaskResponse, RejectsAnOutputThatDoesNotFitTheTask) {
  auto flat = task_response({logits({1, 4}, {1, 2, 3, 4})}, Task::kSegment);
  ASSERT_FALSE(flat.ok());
  EXPECT_EQ(flat.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(flat.status().message().find("'out'"), std::string::npos);
  EXPECT_NE(flat.status().message().find("response=raw"), std::string::npos);
  auto empty = task_response({logits({1, 0}, {})}, Task::kClassify);
  EXPECT_FALSE(empty.ok());
}

TEST(TaskResponse, ParsesDetectionResponseValues) {
  EXPECT_EQ(parse_response("detection")->value(), Task::kDetect);
  EXPECT_EQ(parse_response("detect")->value(), Task::kDetect);
}

TEST(TaskResponse, ParsesResponseValues) {
  EXPECT_FALSE(parse_response("raw")->has_value());
  EXPECT_EQ(parse_response("classify")->value(), Task::kClassify);
  EXPECT_EQ(parse_response("segmentation")->value(), Task::kSegment);
  auto bad = parse_response("boxes");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "'boxes'; expected one of raw, classify, segment, detect");
}

TEST(TaskResponse, ReadsTheRequestParameter) {
  inference::ModelInferRequest request;
  auto absent = response_task(request);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  auto* params = request.mutable_parameters();
  set_string_param(params, std::string(kResponseParam), "raw");
  EXPECT_FALSE(response_task(request)->has_value());
  set_string_param(params, std::string(kResponseParam), "segment");
  EXPECT_EQ(response_task(request)->value(), Task::kSegment);
  set_string_param(params, std::string(kResponseParam), "mask");
  auto bad = response_task(request);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'mask'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("raw, classify, segment, detect"), std::string::npos);
  set_int_param(params, std::string(kResponseParam), 3);
  EXPECT_FALSE(response_task(request).ok());
}

// A tier with `model` loaded as "m" (image entry) and a client to it.
struct OneModelTier {
  TempDir dir;
  std::unique_ptr<LocalTier> tier;
  std::unique_ptr<TierClient> client;

  explicit OneModelTier(const onnx::ModelProto& model) {
    const auto paths = tier_test::save_parts({model}, dir.path());
    tier = tier_test::start_tier(dir, "edge");
    if (!tier) return;
    auto connected = TierClient::connect(tier->address());
    if (!connected.ok()) return;
    control::LoadModelRequest load;
    load.set_model_name("m");
    load.add_parts()->set_path(paths[0]);
    load.set_preprocess_json(preprocess_to_json(tier_test::small_preprocess()).dump());
    if (!(*connected)->load_model(load).ok()) return;
    client = std::move(connected).value();
  }
};

// A segmenter's tier answers with the mask of its logits; the bytes down shrink to about one
// byte per pixel, and a bad value is refused before any compute.
TEST(TaskResponse, TierAnswersWithAMaskWhenAsked) {
  OneModelTier bed(fixtures::tiny_segmenter());
  ASSERT_TRUE(bed.client);
  const std::string image = tier_test::encode_test_image(40, 30, ".png", 5);
  auto raw = bed.client->infer_image("m", image, kDeadlineMs);
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  auto masked = bed.client->infer_image("m", image, kDeadlineMs, Task::kSegment);
  ASSERT_TRUE(masked.ok()) << masked.status().to_string();
  ASSERT_EQ(raw->outputs.size(), 1u);
  ASSERT_EQ(masked->outputs.size(), 1u);
  const Tensor& logits_out = raw->outputs[0];
  const Tensor& mask = masked->outputs[0];
  ASSERT_EQ(logits_out.shape.size(), 4u);
  EXPECT_EQ(mask.name, logits_out.name + "_mask");
  EXPECT_EQ(mask.dtype, DType::kUInt8);
  EXPECT_EQ(mask.shape, (std::vector<int64_t>{1, logits_out.shape[2], logits_out.shape[3]}));
  auto expected = argmax_channels(logits_out);
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(mask.data.size(), expected->size());
  for (size_t i = 0; i < expected->size(); ++i) ASSERT_EQ(mask.data[i], (*expected)[i]) << i;
  const int64_t pixels = logits_out.shape[2] * logits_out.shape[3];
  const int64_t raw_down = raw->breakdown.links[0].bytes_down;
  const int64_t mask_down = masked->breakdown.links[0].bytes_down;
  EXPECT_GE(raw_down, pixels * logits_out.shape[1] * 4);
  EXPECT_GE(mask_down, pixels);
  EXPECT_LT(mask_down, raw_down / 2);

  inference::ModelInferRequest bad;
  bad.set_model_name("m");
  add_image_input(&bad, kImageInputName, image);
  set_string_param(bad.mutable_parameters(), std::string(kResponseParam), "boxes");
  auto refused = bed.client->infer_request(std::move(bad), kDeadlineMs);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("'boxes'"), std::string::npos);
}

// A classifier's tier answers with its top classes, best first, as the raw logits rank them.
TEST(TaskResponse, TierAnswersWithTopClassesWhenAsked) {
  OneModelTier bed(tier_test::split_chain(1)[0]);
  ASSERT_TRUE(bed.client);
  const std::string image = tier_test::encode_test_image(40, 30, ".jpg", 6);
  auto raw = bed.client->infer_image("m", image, kDeadlineMs);
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  auto top = bed.client->infer_image("m", image, kDeadlineMs, Task::kClassify);
  ASSERT_TRUE(top.ok()) << top.status().to_string();
  ASSERT_EQ(top->outputs.size(), 2u);
  const Tensor& scores = raw->outputs[0];
  const Tensor& ids = top->outputs[0];
  ASSERT_EQ(ids.shape, (std::vector<int64_t>{1, kResponseTopK}));
  const float* v = scores.data_as<float>();
  for (int i = 0; i + 1 < kResponseTopK; ++i) {
    EXPECT_GE(v[ids.data_as<int64_t>()[i]], v[ids.data_as<int64_t>()[i + 1]]);
  }
  EXPECT_EQ(ids.data_as<int64_t>()[0],
            argmax(v, static_cast<int64_t>(scores.num_elements())));
}

}  // namespace
}  // namespace edgetier::tier
