/// Tests for ops/partition: exact equivalence over every cut, structure, and rejected cuts.
#include "ops/partition.h"

#include <gtest/gtest.h>

#include <set>

#include "core/strings.h"
#include "graph/cuts.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/ops_test_util.h"
#include "ops/qdq_fixture.h"

namespace edgetier {
namespace {

using namespace edgetier::testing;

struct NamedModel {
  const char* name;
  onnx::ModelProto model;
};

std::vector<NamedModel> all_fixtures() {
  return {{"chain", fixtures::chain_model()},
          {"residual", fixtures::residual_model()},
          {"side_branch", fixtures::side_branch_model()},
          {"tiny_resnet", fixtures::tiny_resnet()}};
}

CutAnalysis cuts_of(const onnx::ModelProto& model) {
  auto view = GraphView::build(model.graph());
  auto shapes = infer_shapes(model);
  auto cuts = analyze_cuts(*view, *shapes);
  EXPECT_TRUE(cuts.ok()) << cuts.status().to_string();
  return *cuts;
}

/// The equivalence setting: 1 thread and no graph rewrites, so whole model and parts run the
/// very same kernels on the very same tensors. (With ORT_ENABLE_ALL, fusions and the NCHWc
/// layout change where a cut splits a fusable pattern, so only a tolerance holds there.)
SessionOptions exact_settings() {
  SessionOptions so = one_thread();
  so.graph_opt_level = GraphOptLevel::kDisabled;
  return so;
}

std::vector<onnx::ModelProto> split(const onnx::ModelProto& model,
                                    std::vector<std::vector<std::string>> cuts) {
  std::vector<onnx::ModelProto> parts;
  Status st = partition(model, {std::move(cuts)}, &parts);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return parts;
}

std::vector<std::string> io_names(
    const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& list) {
  std::vector<std::string> names;
  for (const auto& vi : list) names.push_back(vi.name());
  return names;
}

int count_op(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

TEST(Partition, EverySingleTensorCutOfEveryFixtureIsBitIdentical) {
  int checked = 0;
  for (auto& f : all_fixtures()) {
    const auto inputs = random_inputs(f.model, 7);
    const auto whole = run_model(f.model, inputs, exact_settings());
    for (const auto& cut : cuts_of(f.model).cuts) {
      const auto parts = split(f.model, {cut.names()});
      ASSERT_EQ(parts.size(), 2u);
      std::string why;
      EXPECT_TRUE(bit_identical(whole, run_parts(parts, inputs, exact_settings()), &why))
          << f.name << " cut " << cut.names()[0] << ": " << why;
      ++checked;
    }
  }
  EXPECT_GE(checked, 45);  // chain 6, residual 9, tiny_resnet 30 single-tensor cuts
}

TEST(Partition, EverySingleTensorCutOfTheDemoModelsIsBitIdentical) {
  for (const char* name : {"demo_classifier", "demo_segmenter"}) {
    auto model = load_model(std::string(EDGETIER_SOURCE_DIR) + "/models/" + name + ".onnx");
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    const auto inputs = random_inputs(*model, 17);
    const auto whole = run_model(*model, inputs, exact_settings());
    int checked = 0;
    for (const auto& cut : cuts_of(*model).cuts) {
      if (!cut.single()) continue;
      const auto parts = split(*model, {cut.names()});
      std::string why;
      EXPECT_TRUE(bit_identical(whole, run_parts(parts, inputs, exact_settings()), &why))
          << name << " cut " << cut.names()[0] << ": " << why;
      ++checked;
    }
    EXPECT_GE(checked, 15) << name;
  }
}

TEST(Partition, EveryMultiTensorCutIsBitIdenticalWithoutRewrites) {
  int checked = 0;
  for (auto& f : all_fixtures()) {
    const auto inputs = random_inputs(f.model, 11);
    const auto whole = run_model(f.model, inputs, exact_settings());
    for (const auto& cut : cuts_of(f.model).cuts) {
      if (cut.single()) continue;
      const auto parts = split(f.model, {cut.names()});
      std::string why;
      EXPECT_TRUE(bit_identical(whole, run_parts(parts, inputs, exact_settings()), &why))
          << f.name << " cut " << cut.names()[0] << "...: " << why;
      ++checked;
    }
  }
  EXPECT_GE(checked, 50);
}

TEST(Partition, AllCutsStayWithinToleranceWithFullOptimisation) {
  SessionOptions so = one_thread();  // ORT_ENABLE_ALL: what the tiers run
  for (auto& f : all_fixtures()) {
    const auto inputs = random_inputs(f.model, 3);
    const auto whole = run_model(f.model, inputs, so);
    for (const auto& cut : cuts_of(f.model).cuts) {
      const auto out = run_parts(split(f.model, {cut.names()}), inputs, so);
      EXPECT_LE(max_relative_diff(whole, out), 1e-5) << f.name << " cut " << cut.names()[0];
    }
  }
}

TEST(Partition, ThreePartSplitsChainByNameAndMatch) {
  const auto model = fixtures::tiny_resnet();
  const auto analysis = cuts_of(model);
  std::vector<Cut> singles;
  for (const auto& c : analysis.cuts) {
    if (c.single()) singles.push_back(c);
  }
  ASSERT_GE(singles.size(), 6u);
  const auto inputs = random_inputs(model, 5);
  const auto whole = run_model(model, inputs, exact_settings());
  const auto whole_all = run_model(model, inputs);
  for (size_t a = 0; a + 3 < singles.size(); a += 3) {
    const size_t b = singles.size() - 1 - a / 3;
    if (b <= a) break;
    const auto parts = split(model, {singles[a].names(), singles[b].names()});
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(io_names(parts[0].graph().output()), io_names(parts[1].graph().input()));
    EXPECT_EQ(io_names(parts[1].graph().output()), io_names(parts[2].graph().input()));
    std::string why;
    EXPECT_TRUE(bit_identical(whole, run_parts(parts, inputs, exact_settings()), &why)) << why;
    EXPECT_LE(max_relative_diff(whole_all, run_parts(parts, inputs)), 1e-5);
  }
}

TEST(Partition, ThreePartSplitWithMultiTensorCutsPassesTensorsThroughTheMiddle) {
  // Cut 1 at a block input x; cut 2 inside the block: {mid-block tensor, x}. The middle part
  // must hand x on untouched (input and output of the same name).
  const auto model = fixtures::residual_model();
  const auto analysis = cuts_of(model);
  const Cut* multi = nullptr;
  for (const auto& c : analysis.cuts) {
    if (!c.single() && c.tensors.size() == 2) {
      multi = &c;
      break;
    }
  }
  ASSERT_NE(multi, nullptr);
  // The residual input is the member of the cut that an earlier single cut also names.
  std::string x;
  for (const auto& c : analysis.cuts) {
    if (c.single() && c.position < multi->position &&
        (c.names()[0] == multi->names()[0] || c.names()[0] == multi->names()[1])) {
      x = c.names()[0];
    }
  }
  ASSERT_FALSE(x.empty());
  const auto parts = split(model, {{x}, multi->names()});
  ASSERT_EQ(parts.size(), 3u);
  const auto mid_in = io_names(parts[1].graph().input());
  const auto mid_out = io_names(parts[1].graph().output());
  EXPECT_EQ(mid_in, std::vector<std::string>{x});
  EXPECT_NE(std::find(mid_out.begin(), mid_out.end(), x), mid_out.end()) << "x passes through";
  const auto inputs = random_inputs(model, 9);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(model, inputs, exact_settings()),
                            run_parts(parts, inputs, exact_settings()), &why))
      << why;
}

TEST(Partition, PartsKeepTheOriginalNamesAndSplitTheNodes) {
  const auto model = fixtures::chain_model();
  const auto analysis = cuts_of(model);
  ASSERT_FALSE(analysis.cuts.empty());
  const auto& cut = analysis.cuts[analysis.cuts.size() / 2];
  const auto parts = split(model, {cut.names()});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(io_names(parts[0].graph().input()), std::vector<std::string>{"input"});
  EXPECT_EQ(io_names(parts[0].graph().output()), cut.names());
  EXPECT_EQ(io_names(parts[1].graph().input()), cut.names());
  EXPECT_EQ(io_names(parts[1].graph().output()), io_names(model.graph().output()));
  EXPECT_EQ(parts[0].graph().node_size() + parts[1].graph().node_size(), model.graph().node_size());
  EXPECT_EQ(parts[0].graph().node_size(), cut.position);
  // Initializers go only where they are read.
  for (const auto& part : parts) {
    std::set<std::string> read;
    for (const auto& node : part.graph().node())
      read.insert(node.input().begin(), node.input().end());
    for (const auto& init : part.graph().initializer())
      EXPECT_TRUE(read.count(init.name())) << init.name();
  }
  EXPECT_EQ(parts[0].graph().initializer_size() + parts[1].graph().initializer_size(),
            model.graph().initializer_size());
  EXPECT_EQ(parts[0].opset_import_size(), model.opset_import_size());
}

TEST(Partition, GraphOutputsComputedBelowTheCutAreCarriedToTheEnd) {
  // side_branch's second output (an int64 size from Shape(input)) does not depend on the conv
  // path, so a cut at one conv tensor leaves it below: it must ride through part 1.
  const auto model = fixtures::side_branch_model();
  auto view = GraphView::build(model.graph());
  std::string conv_out;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Conv") {
      conv_out = view->node(i).output(0);
      break;
    }
  }
  const auto parts = split(model, {{conv_out}});
  ASSERT_EQ(parts.size(), 2u);
  const std::string size_output = model.graph().output(1).name();
  EXPECT_EQ(io_names(parts[0].graph().output()), (std::vector<std::string>{conv_out, size_output}));
  EXPECT_EQ(io_names(parts[1].graph().input()), (std::vector<std::string>{conv_out, size_output}));
  EXPECT_EQ(io_names(parts[1].graph().output()), io_names(model.graph().output()));
  EXPECT_EQ(count_op(parts[1], "Shape"), 0) << "the int64 branch ran below the cut";
  const auto inputs = random_inputs(model, 1);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(model, inputs, exact_settings()),
                            run_parts(parts, inputs, exact_settings()), &why))
      << why;
}

TEST(Partition, ConstantSubgraphsAreCopiedIntoEveryPartThatReadsThem) {
  // A Reshape target computed from a weight's shape (Shape -> Concat), read on both sides.
  GraphBuilder b("constants");
  std::string x = b.input("input", {1, 4, 8, 8});
  const std::string w = b.initializer("probe", {1, 256});
  const std::string w_shape = b.node("Shape", {w})[0];  // [1, 256]: constant
  b.set_shape(w_shape, {2}, DType::kInt64);
  x = b.relu(b.conv(x, {.out_channels = 4}));
  const std::string flat = b.node("Reshape", {x, w_shape})[0];
  b.set_shape(flat, {1, 256});
  const std::string mid = b.relu(flat);
  const std::string again = b.node("Reshape", {b.relu(mid), w_shape})[0];
  b.set_shape(again, {1, 256});
  b.output(b.gemm(again, 10));
  auto model = b.build();
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const auto parts = split(*model, {{mid}});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(count_op(parts[0], "Shape"), 1);
  EXPECT_EQ(count_op(parts[1], "Shape"), 1);
  for (const auto& p : parts) {
    for (const auto& in : p.graph().input())
      EXPECT_NE(in.name(), w_shape) << "constants never cross";
  }
  const auto inputs = random_inputs(*model, 2);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(*model, inputs, exact_settings()),
                            run_parts(parts, inputs, exact_settings()), &why))
      << why;
}

TEST(Partition, QdqModelsAreCutAtTheFloatNameAndShipInt8) {
  const auto float_model = fixtures::residual_model();
  const auto model = to_qdq(float_model);
  const auto qdq_shapes = infer_shapes(model);
  ASSERT_TRUE(qdq_shapes.ok()) << qdq_shapes.status().to_string();
  const auto inputs = random_inputs(model, 4);
  const auto whole = run_model(model, inputs, exact_settings());
  const auto whole_all = run_model(model, inputs);
  int checked = 0;
  for (const auto& cut : cuts_of(float_model).cuts) {
    if (!cut.single()) continue;
    const auto parts = split(model, {cut.names()});
    ASSERT_EQ(parts.size(), 2u);
    const auto& boundary = parts[0].graph().output(0);
    if (qdq_shapes->count(cut.names()[0] + "_quantized")) {
      EXPECT_EQ(boundary.name(), cut.names()[0] + "_quantized");
      EXPECT_EQ(boundary.type().tensor_type().elem_type(), onnx::TensorProto::UINT8);
    } else {
      EXPECT_EQ(boundary.name(), cut.names()[0]) << "no QuantizeLinear reads it: stays float";
    }
    std::string why;
    EXPECT_TRUE(bit_identical(whole, run_parts(parts, inputs, exact_settings()), &why)) << why;
    EXPECT_LE(max_relative_diff(whole_all, run_parts(parts, inputs)), 1e-5);
    ++checked;
  }
  EXPECT_GE(checked, 5);
  // Without the QDQ rule the float tensor crosses instead.
  const Cut first = cuts_of(float_model).cuts.front();
  std::vector<onnx::ModelProto> parts;
  PartitionOptions keep_float{{first.names()}, /*quantized_boundary=*/false};
  ASSERT_TRUE(partition(model, keep_float, &parts).ok());
  EXPECT_EQ(parts[0].graph().output(0).name(), first.names()[0]);
}

// --- rejections ---

Status try_split(const onnx::ModelProto& model, std::vector<std::vector<std::string>> cuts,
                 std::vector<onnx::ModelProto>* parts) {
  return partition(model, {std::move(cuts)}, parts);
}

TEST(Partition, rejects_unknown_tensor_with_the_nearest_name) {
  const auto model = fixtures::chain_model();
  std::vector<onnx::ModelProto> parts;
  const Status st = try_split(model, {{"/Relu_0/Relu_outpt_0"}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("'/Relu_0/Relu_outpt_0' not found"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("nearest: '/Relu_0/Relu_output_0'"), std::string::npos)
      << st.message();
  EXPECT_TRUE(parts.empty());
}

TEST(Partition, rejects_a_cut_that_a_path_bypasses_and_names_the_path) {
  // Inside a residual block, the conv branch alone is bypassed by the identity connection.
  const auto model = fixtures::residual_model();
  auto view = GraphView::build(model.graph());
  std::string inner;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Add") {
      inner = view->node(i).input(0);
      break;
    }
  }
  std::vector<onnx::ModelProto> parts;
  const Status st = try_split(model, {{inner}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("does not separate"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("input -> "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(" avoids it"), std::string::npos) << st.message();
  EXPECT_TRUE(parts.empty());
}

TEST(Partition, rejects_weights_and_constants_in_a_cut) {
  const auto model = fixtures::chain_model();
  std::vector<onnx::ModelProto> parts;
  const Status st = try_split(model, {{model.graph().initializer(0).name()}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("is a weight"), std::string::npos) << st.message();
}

TEST(Partition, rejects_cuts_out_of_order) {
  const auto model = fixtures::chain_model();
  const auto analysis = cuts_of(model);
  std::vector<onnx::ModelProto> parts;
  const Status st =
      try_split(model, {analysis.cuts.back().names(), analysis.cuts.front().names()}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("out of order"), std::string::npos) << st.message();
  EXPECT_TRUE(parts.empty());
}

TEST(Partition, rejects_empty_parts) {
  const auto model = fixtures::chain_model();
  std::vector<onnx::ModelProto> parts;
  Status st = try_split(model, {{"input"}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("leaves nothing below"), std::string::npos) << st.message();
  st = try_split(model, {{model.graph().output(0).name()}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("leaves nothing above"), std::string::npos) << st.message();
  st = try_split(model, {{}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  st = try_split(model, {}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(parts.empty());
}

TEST(Partition, rejects_a_cut_tensor_nothing_above_reads) {
  const auto model =
      fixtures::chain_model();  // relu0 -> conv1 -> relu1: relu0 is only read below relu1
  std::vector<onnx::ModelProto> parts;
  const Status st = try_split(model, {{"/Relu_0/Relu_output_0", "/Relu_1/Relu_output_0"}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("nothing above the cut reads '/Relu_0/Relu_output_0'"),
            std::string::npos)
      << st.message();
}

TEST(Partition, rejects_a_cut_missing_a_tensor_read_above_it) {
  // a -> t -> b, out = b + t: the cut {a, b} separates, but the Add above also reads t.
  GraphBuilder builder("between");
  const std::string in = builder.input("input", {1, 4, 8, 8});
  const std::string a = builder.relu(builder.conv(in, {.out_channels = 4}));
  const std::string t = builder.relu(builder.conv(a, {.out_channels = 4}));
  const std::string bt = builder.conv(t, {.out_channels = 4});
  builder.output(builder.add(bt, t));
  auto model = builder.build();
  ASSERT_TRUE(model.ok());
  std::vector<onnx::ModelProto> parts;
  const Status st = try_split(*model, {{a, bt}}, &parts);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      st.message().find("reads '" + t + "', which is computed below the cut but is not part of it"),
      std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("add '" + t + "' to the cut"), std::string::npos);
  // With t listed the split works and is exact.
  ASSERT_TRUE(try_split(*model, {{bt, t}}, &parts).ok());
  const auto inputs = random_inputs(*model, 1);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(*model, inputs, exact_settings()),
                            run_parts(parts, inputs, exact_settings()), &why))
      << why;
}

}  // namespace
}  // namespace edgetier
