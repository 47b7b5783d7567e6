/// Tests for Conv+BatchNormalization folding: exact equivalence, structure, and what it leaves
/// alone.
#include "ops/fold_batchnorm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <unordered_set>

#include "graph/builder.h"
#include "graph/fixtures.h"
#include "ops/initializers.h"
#include "ops/quant_test_util.h"

namespace edgetier {
namespace {

using testing::count_ops;
using testing::random_tensor;
using testing::relative_error;
using testing::run_first_output;

void expect_equivalent(const onnx::ModelProto& a, const onnx::ModelProto& b,
                       const std::vector<int64_t>& shape) {
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    const Tensor x = random_tensor("input", shape, seed);
    const Tensor ya = run_first_output(a, x), yb = run_first_output(b, x);
    ASSERT_EQ(ya.num_elements(), yb.num_elements());
    for (size_t i = 0; i < ya.num_elements(); ++i) {
      const float ref = ya.data_as<float>()[i];
      EXPECT_NEAR(yb.data_as<float>()[i], ref, 1e-5f * std::max(1.0f, std::fabs(ref)))
          << "element " << i;
    }
  }
}

TEST(FoldBatchNorm, ResidualModelIsEquivalentTo1e5) {
  const onnx::ModelProto model = fixtures::residual_model();
  onnx::ModelProto folded;
  int count = 0;
  ASSERT_TRUE(fold_batchnorm(model, {.folded_count = &count}, &folded).ok());
  EXPECT_EQ(count, count_ops(model, "BatchNormalization"));
  EXPECT_EQ(count_ops(folded, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(folded, "Conv"), count_ops(model, "Conv"));
  expect_equivalent(model, folded, {1, 3, 16, 16});
}

TEST(FoldBatchNorm, TinyResnetIsEquivalentAndKeepsOutputNames) {
  const onnx::ModelProto model = fixtures::tiny_resnet();
  onnx::ModelProto folded;
  ASSERT_TRUE(fold_batchnorm(model, {}, &folded).ok());
  EXPECT_EQ(count_ops(folded, "BatchNormalization"), 0);
  // The Conv takes over the BN's output name, so downstream names (and calibration keys) hold.
  std::unordered_set<std::string> bn_outputs, conv_outputs;
  for (const auto& n : model.graph().node()) {
    if (n.op_type() == "BatchNormalization") bn_outputs.insert(n.output(0));
  }
  for (const auto& n : folded.graph().node()) {
    if (n.op_type() == "Conv") conv_outputs.insert(n.output(0));
  }
  for (const auto& name : bn_outputs) EXPECT_TRUE(conv_outputs.count(name)) << name;
  // BN statistics are gone from the initializers.
  for (const auto& t : folded.graph().initializer())
    EXPECT_EQ(t.name().find("/bn_"), std::string::npos) << t.name();
  expect_equivalent(model, folded, {1, 3, 32, 32});
}

TEST(FoldBatchNorm, ConvWithoutBiasGetsOne) {
  GraphBuilder b("nobias");
  std::string x = b.input("input", {1, 3, 8, 8});
  x = b.batch_norm(b.conv(x, {.out_channels = 4, .bias = false}));
  b.output(x);
  const onnx::ModelProto model = *b.build();
  onnx::ModelProto folded;
  ASSERT_TRUE(fold_batchnorm(model, {}, &folded).ok());
  ASSERT_EQ(folded.graph().node_size(), 1);
  EXPECT_EQ(folded.graph().node(0).input_size(), 3);
  expect_equivalent(model, folded, {1, 3, 8, 8});
}

TEST(FoldBatchNorm, LeavesBatchNormWhoseConvOutputHasOtherReaders) {
  GraphBuilder b("shared");
  std::string x = b.input("input", {1, 3, 8, 8});
  const std::string c = b.conv(x, {.out_channels = 4});
  const std::string bn = b.batch_norm(c);
  b.output(b.add(bn, c));  // the Conv output is read twice: folding would change the Add
  const onnx::ModelProto model = *b.build();
  onnx::ModelProto folded;
  ASSERT_TRUE(fold_batchnorm(model, {}, &folded).ok());
  EXPECT_EQ(count_ops(folded, "BatchNormalization"), 1);
  expect_equivalent(model, folded, {1, 3, 8, 8});
}

TEST(FoldBatchNorm, RejectsUnfoldableWhenAllRequired) {
  GraphBuilder b("standalone");
  std::string x = b.input("input", {1, 3, 8, 8});
  b.output(b.batch_norm(b.relu(x)));  // a BN after a Relu has no Conv to fold into
  const onnx::ModelProto model = *b.build();
  onnx::ModelProto folded;
  folded.set_producer_name("untouched");
  Status st = fold_batchnorm(model, {.require_all = true}, &folded);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("does not follow a Conv"), std::string::npos) << st.message();
  EXPECT_EQ(folded.producer_name(), "untouched");  // nothing written on failure
  ASSERT_TRUE(fold_batchnorm(model, {}, &folded).ok());
  EXPECT_EQ(count_ops(folded, "BatchNormalization"), 1);
}

TEST(FoldBatchNorm, RejectsTrainingModeBatchNorm) {
  GraphBuilder b("training");
  std::string x = b.input("input", {1, 3, 8, 8});
  const std::string c = b.conv(x, {.out_channels = 4});
  const std::string bn = b.batch_norm(c);
  b.output(bn);
  onnx::ModelProto model = *b.build();
  for (auto& n : *model.mutable_graph()->mutable_node()) {
    if (n.op_type() == "BatchNormalization") set_node_attr_int(&n, "training_mode", 1);
  }
  onnx::ModelProto folded;
  Status st = fold_batchnorm(model, {.require_all = true}, &folded);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("training_mode"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace edgetier
