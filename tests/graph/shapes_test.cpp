/// Tests for shape inference and dynamic-dimension resolution.
#include "graph/shapes.h"

#include <gtest/gtest.h>

#include <algorithm>

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

// x -> Relu -> Reshape(shape initializer) -> Clip(min omitted, max initializer) -> y, by hand:
// the tests below break it in ways the builder would not write.
onnx::ModelProto reshape_clip_model() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("reshape_clip");
  auto value = [](onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  };
  value(g->add_input(), "x", {1, 2, 2, 2});
  value(g->add_output(), "z", {1, 8});
  onnx::TensorProto* shape = g->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(2);
  shape->add_int64_data(1);
  shape->add_int64_data(8);
  onnx::TensorProto* max = g->add_initializer();
  max->set_name("max");
  max->set_data_type(onnx::TensorProto::FLOAT);
  max->add_float_data(6.0f);
  auto node = [&](const std::string& op, const std::string& name, std::vector<std::string> inputs,
                  const std::string& output) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(output);
  };
  node("Relu", "relu", {"x"}, "r");
  node("Reshape", "reshape", {"r", "shape"}, "y");
  node("Clip", "clip", {"y", "", "max"}, "z");
  return model;
}

// The fuzzer's SEGV: ONNX's shape inference dereferences the type of each input a node names;
// one that refers to nothing (or is empty where the operator needs it) has none.
TEST(Shapes, RefusesInputsThatReferToNothingNamingNodeAndInput) {
  onnx::ModelProto model = reshape_clip_model();
  EXPECT_TRUE(run_shape_inference(&model).ok());  // the omitted Clip min is fine

  onnx::ModelProto ghost = reshape_clip_model();
  ghost.mutable_graph()->mutable_node(1)->set_input(1, "ghost");
  Status st = run_shape_inference(&ghost);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("node 'reshape' (Reshape): input 1 'ghost' is not a graph input, "
                              "an initializer or any node's output"),
            std::string::npos)
      << st.message();

  onnx::ModelProto empty = reshape_clip_model();
  empty.mutable_graph()->mutable_node(1)->set_input(1, "");
  st = run_shape_inference(&empty);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("node 'reshape' (Reshape): input 1 has an empty name, but the "
                              "operator requires it"),
            std::string::npos)
      << st.message();

  onnx::ModelProto unnamed = reshape_clip_model();
  unnamed.mutable_graph()->mutable_node(0)->clear_name();
  unnamed.mutable_graph()->mutable_node(0)->set_input(0, "");
  st = run_shape_inference(&unnamed);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("node 'Relu#0' (Relu): input 0 has an empty name"), std::string::npos)
      << st.message();
  EXPECT_FALSE(infer_shapes(ghost).ok());
}

// Regression (fuzz/corpus/model/conv_stride_zero.onnx): ONNX's Conv and pool shape inference
// divides by each stride, so a stride of 0 killed the process with SIGFPE.
TEST(Shapes, RefusesStridesAndDilationsBelowOne) {
  for (const char* name : {"strides", "dilations"}) {
    onnx::ModelProto model = fixtures::chain_model();
    onnx::NodeProto* conv = nullptr;
    for (auto& n : *model.mutable_graph()->mutable_node()) {
      if (n.op_type() == "Conv" && conv == nullptr) conv = &n;
    }
    ASSERT_NE(conv, nullptr);
    auto* attrs = conv->mutable_attribute();
    attrs->erase(std::remove_if(attrs->begin(), attrs->end(),
                                [&](const onnx::AttributeProto& a) { return a.name() == name; }),
                 attrs->end());
    onnx::AttributeProto* a = conv->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    a->add_ints(1);
    a->add_ints(0);
    Status st = run_shape_inference(&model);
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("(Conv): attribute '" + std::string(name) +
                                "' holds 0; each value must be at least 1"),
              std::string::npos)
        << st.message();
  }
}

}  // namespace
}  // namespace edgetier
