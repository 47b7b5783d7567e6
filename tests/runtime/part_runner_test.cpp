/// Tests for runtime/part_runner: chaining by name, exit confidence, policy JSON, bad chains.
#include "runtime/part_runner.h"

#include <gtest/gtest.h>

#include <cmath>

#include "graph/fixtures.h"
#include "ops/ops_test_util.h"
#include "ops/partition.h"

namespace edgetier {
namespace {

using namespace edgetier::testing;

TEST(ExitConfidence, MaxSoftmaxOfKnownLogits) {
  const Tensor t =
      Tensor::from_vector<float>("logits", DType::kFloat32, {1, 3}, {0.0f, std::log(3.0f), 0.0f});
  auto c = exit_confidence(t, "max_softmax");
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(*c, 3.0 / 5.0, 1e-6);
  // A batch counts its least confident row.
  const Tensor two =
      Tensor::from_vector<float>("logits", DType::kFloat32, {2, 2}, {0.0f, 0.0f, 10.0f, 0.0f});
  EXPECT_NEAR(*exit_confidence(two, "max_softmax"), 0.5, 1e-9);
}

TEST(ExitConfidence, MeanPixelMaxSoftmax) {
  // Two classes, two pixels: pixel 0 certain (logit gap 100), pixel 1 a coin flip.
  const Tensor t =
      Tensor::from_vector<float>("map", DType::kFloat32, {1, 2, 1, 2}, {100.0f, 0.0f, 0.0f, 0.0f});
  auto c = exit_confidence(t, "mean_pixel_max_softmax");
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(*c, (1.0 + 0.5) / 2.0, 1e-9);
}

TEST(ExitConfidence, rejects_wrong_dtypes_shapes_and_measures) {
  const Tensor ints = Tensor::from_vector<int64_t>("x", DType::kInt64, {1, 2}, {1, 2});
  EXPECT_EQ(exit_confidence(ints, "max_softmax").status().code(), StatusCode::kInvalidArgument);
  const Tensor flat = Tensor::from_vector<float>("x", DType::kFloat32, {1, 4}, {1, 2, 3, 4});
  EXPECT_EQ(exit_confidence(flat, "mean_pixel_max_softmax").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(exit_confidence(flat, "entropy").status().code(), StatusCode::kInvalidArgument);
}

TEST(ExitPolicyJson, RoundTripsAndRejectsUnknownOrMissingKeys) {
  ExitPolicy p{1, "logits", "max_softmax", 0.75};
  auto back = exit_policy_from_json(exit_policy_to_json(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->exit_part, 1);
  EXPECT_EQ(back->output, "logits");
  EXPECT_DOUBLE_EQ(back->threshold, 0.75);
  auto j = exit_policy_to_json(p);
  j["treshold"] = 0.5;
  auto bad = exit_policy_from_json(j);
  EXPECT_NE(bad.status().message().find("unknown key 'treshold'"), std::string::npos);
  j = exit_policy_to_json(p);
  j.erase("measure");
  EXPECT_NE(exit_policy_from_json(j).status().message().find("missing key 'measure'"),
            std::string::npos);
  j = exit_policy_to_json(p);
  j["measure"] = "entropy";
  EXPECT_FALSE(exit_policy_from_json(j).ok());
}

TEST(PartRunner, ChainsPartsByNameAndReportsPerPartTime) {
  const auto model = fixtures::residual_model();
  std::vector<onnx::ModelProto> parts;
  ASSERT_TRUE(
      partition(model, {{{"/Relu_0/Relu_output_0"}, {"/Relu_2/Relu_output_0"}}}, &parts).ok());
  std::vector<std::string> bytes;
  for (const auto& p : parts) bytes.push_back(bytes_of(p));
  auto runner = PartRunner::from_bytes(bytes, {"a", "b", "c"}, one_thread());
  ASSERT_TRUE(runner.ok()) << runner.status().to_string();
  EXPECT_EQ((*runner)->num_parts(), 3u);
  ASSERT_EQ((*runner)->inputs().size(), 1u);
  EXPECT_EQ((*runner)->inputs()[0].name, "input");
  auto r = (*runner)->run(random_inputs(model, 1));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->outputs.size(), 1u);
  for (int64_t ns : r->part_ns) EXPECT_GT(ns, 0);
}

TEST(PartRunner, rejects_parts_that_do_not_chain) {
  const auto model = fixtures::residual_model();
  std::vector<onnx::ModelProto> parts;
  ASSERT_TRUE(partition(model, {{{"/Relu_0/Relu_output_0"}}}, &parts).ok());
  // Parts out of order: the caller feeds the first part's input (the cut tensor), and then the
  // lower part needs 'input', which no earlier part produces.
  auto swapped =
      PartRunner::from_bytes({bytes_of(parts[1]), bytes_of(parts[0]), bytes_of(parts[1])},
                             {"upper", "lower", "upper2"}, one_thread());
  EXPECT_EQ(swapped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(swapped.status().message().find("needs tensor 'input'"), std::string::npos)
      << swapped.status().message();
  // A policy must leave parts on both sides of the exit part.
  ExitPolicy policy{1, "nothing", "max_softmax", 0.5};
  auto two = PartRunner::from_bytes({bytes_of(parts[0]), bytes_of(parts[1])}, {"a", "b"},
                                    one_thread(), policy);
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(two.status().message().find("needs parts before and after it"), std::string::npos);
  // Missing caller input at run time.
  auto ok =
      PartRunner::from_bytes({bytes_of(parts[0]), bytes_of(parts[1])}, {"a", "b"}, one_thread());
  ASSERT_TRUE(ok.ok());
  auto r = (*ok)->run({});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'input'"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace edgetier
