/// Tests for shape inference and dynamic-dimension resolution.
#include "graph/shapes.h"

#include <gtest/gtest.h>

#include "graph/builder.h"
#include "graph/fixtures.h"

namespace edgetier {
namespace {

onnx::ModelProto dynamic_batch_model() {
  GraphBuilder b("dynamic");
  std::string x = b.input("image", {1, 3, 8, 8});
  x = b.gemm(b.flatten(b.global_avg_pool(b.relu(b.conv(x, {.out_channels = 4})))), 5);
  b.output(x);
  auto model = b.build();
  EXPECT_TRUE(model.ok());
  // Make the batch dimension symbolic, as exporters do with dynamic_axes.
  auto* dim = model->mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
  dim->set_dim_param("batch");
  auto* out_dim = model->mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
  out_dim->set_dim_param("batch");
  return *model;
}

TEST(Shapes, ResolvesDynamicBatchFromConcreteInputShape) {
  auto shapes = infer_shapes(dynamic_batch_model(), {{"image", {4, 3, 8, 8}}});
  ASSERT_TRUE(shapes.ok()) << shapes.status().to_string();
  bool found_output = false;
  for (const auto& [name, info] : *shapes) {
    if (info.shape == std::vector<int64_t>{4, 5}) found_output = true;
  }
  EXPECT_TRUE(found_output);
}

TEST(Shapes, DefaultsSymbolicBatchToOne) {
  auto shapes = infer_shapes(dynamic_batch_model());
  ASSERT_TRUE(shapes.ok());
  EXPECT_EQ(shapes->at("image").shape, (std::vector<int64_t>{1, 3, 8, 8}));
}

TEST(Shapes, RejectsUnknownInputNameWithSuggestion) {
  auto shapes = infer_shapes(dynamic_batch_model(), {{"imag", {1, 3, 8, 8}}});
  ASSERT_FALSE(shapes.ok());
  EXPECT_EQ(shapes.status().code(), StatusCode::kNotFound);
  EXPECT_NE(shapes.status().message().find("nearest: 'image'"), std::string::npos) << shapes.status().message();
}

TEST(Shapes, RejectsWrongRankAndFixedDimMismatch) {
  auto rank = infer_shapes(dynamic_batch_model(), {{"image", {1, 3, 8}}});
  ASSERT_FALSE(rank.ok());
  EXPECT_NE(rank.status().message().find("rank"), std::string::npos);
  auto fixed = infer_shapes(dynamic_batch_model(), {{"image", {1, 4, 8, 8}}});
  ASSERT_FALSE(fixed.ok());
  EXPECT_NE(fixed.status().message().find("fixed to 3"), std::string::npos) << fixed.status().message();
}

TEST(Shapes, ParsesInputShapeArguments) {
  InputShapes shapes;
  EXPECT_TRUE(parse_input_shape_arg("input=1x3x224x224", &shapes).ok());
  EXPECT_EQ(shapes["input"], (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_FALSE(parse_input_shape_arg("1x3x224x224", &shapes).ok());
  EXPECT_FALSE(parse_input_shape_arg("input=1x-3", &shapes).ok());
}

TEST(Shapes, SideBranchInt64ShapesAreInferred) {
  auto shapes = infer_shapes(fixtures::side_branch_model());
  ASSERT_TRUE(shapes.ok());
  int int64_tensors = 0;
  for (const auto& [name, info] : *shapes) int64_tensors += info.dtype == DType::kInt64;
  EXPECT_GE(int64_tensors, 3);
}

}  // namespace
}  // namespace edgetier
