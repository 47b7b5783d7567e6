/// Tests for ops/early_exit and ops/trunk: exact equivalence, removed regions, rejections.
#include "ops/early_exit.h"

#include <gtest/gtest.h>

#include <set>

#include "graph/cuts.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "ops/ops_test_util.h"
#include "ops/partition.h"
#include "ops/qdq_fixture.h"
#include "ops/trunk.h"

namespace edgetier {
namespace {

using namespace edgetier::testing;

SessionOptions exact_settings() {
  SessionOptions so = one_thread();
  so.graph_opt_level = GraphOptLevel::kDisabled;
  return so;
}

StageTrunk trunk_of(const onnx::ModelProto& model) {
  auto view = GraphView::build(model.graph());
  auto shapes = infer_shapes(model);
  auto analysis = analyze_cuts(*view, *shapes);
  auto trunk = last_stage_trunk(*view, *shapes, *analysis);
  EXPECT_TRUE(trunk.ok()) << trunk.status().to_string();
  return trunk.ok() ? *trunk : StageTrunk{};
}

std::set<std::string> node_names(const onnx::ModelProto& m) {
  std::set<std::string> names;
  for (const auto& n : m.graph().node()) names.insert(n.name());
  return names;
}

onnx::ModelProto exit_model(const onnx::ModelProto& model, const EarlyExitOptions& options,
                            EarlyExitReport* report) {
  onnx::ModelProto out;
  Status st = early_exit(model, options, &out, report);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return out;
}

TEST(Trunk, FindsTheLastStageBlocksOfATinyResnet) {
  const auto model = fixtures::tiny_resnet();
  const StageTrunk trunk = trunk_of(model);
  // Stage 4: conv -> bn -> relu (downsampling entry), then two residual blocks, each body ending
  // at its Add and followed by a Relu.
  ASSERT_EQ(trunk.block_ends.size(), 2u);
  auto view = GraphView::build(model.graph());
  for (int e : trunk.block_ends)
    EXPECT_EQ(view->node(view->producer(trunk.tensors[e])).op_type(), "Add");
  EXPECT_EQ(view->node(view->producer(trunk.head_input())).op_type(), "Relu");
  EXPECT_EQ(view->consumers(trunk.head_input()).size(), 1u);
  EXPECT_EQ(view->node(view->consumers(trunk.head_input())[0]).op_type(), "GlobalAveragePool");
  auto one = skip_last_blocks(trunk, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->first, trunk.tensors[trunk.block_ends[0]]);
  EXPECT_EQ(one->second, trunk.tensors[trunk.block_ends[1]]);
  auto two = skip_last_blocks(trunk, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->first, trunk.tensors.front());
}

TEST(Trunk, rejects_more_blocks_than_the_stage_has) {
  const StageTrunk trunk = trunk_of(fixtures::tiny_resnet());
  auto three = skip_last_blocks(trunk, 3);
  EXPECT_EQ(three.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(three.status().message().find("has 2 skippable block(s)"), std::string::npos)
      << three.status().message();
  EXPECT_FALSE(skip_last_blocks(trunk, 0).ok());
}

TEST(Trunk, rejects_models_without_residual_stages) {
  const auto model = fixtures::chain_model();
  auto view = GraphView::build(model.graph());
  auto shapes = infer_shapes(model);
  auto analysis = analyze_cuts(*view, *shapes);
  auto trunk = last_stage_trunk(*view, *shapes, *analysis);
  // Not a bad request: early exits just do not apply to this graph (the chains are skipped).
  EXPECT_EQ(trunk.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(trunk.status().message().find("no skippable region"), std::string::npos);
}

TEST(EarlyExit, SkipLastRemovesExactlyTheRegionAndKeepsTheInterface) {
  const auto model = fixtures::tiny_resnet();
  EarlyExitOptions options;
  options.skip_last = 1;
  EarlyExitReport report;
  const auto exited = exit_model(model, options, &report);
  // The removed nodes are exactly the analysed skip candidate's region.
  auto view = GraphView::build(model.graph());
  auto analysis = analyze_cuts(*view, *infer_shapes(model));
  const SkipCandidate* skip = nullptr;
  for (const auto& s : analysis->skips) {
    if (s.from == report.from && s.to == report.to) skip = &s;
  }
  ASSERT_NE(skip, nullptr) << report.from << " -> " << report.to;
  std::vector<std::string> expected;
  for (int i : skip->node_indices) expected.push_back(view->node(i).name());
  EXPECT_EQ(report.removed_nodes, expected);
  EXPECT_EQ(report.removed_nodes.size(), 7u);  // relu + (conv, bn, relu, conv, bn, add)
  EXPECT_EQ(exited.graph().node_size(), model.graph().node_size() - 7);
  const auto before = node_names(model), after = node_names(exited);
  for (const auto& n : report.removed_nodes) {
    EXPECT_TRUE(before.count(n));
    EXPECT_FALSE(after.count(n)) << n;
  }
  // Weights of the removed convs and norms are gone too.
  EXPECT_EQ(exited.graph().initializer_size(), model.graph().initializer_size() - 2 * 2 - 2 * 4);
  EXPECT_EQ(exited.graph().output(0).name(), model.graph().output(0).name());
  EXPECT_EQ(infer_shapes(exited)->at(exited.graph().output(0).name()).shape,
            infer_shapes(model)->at(model.graph().output(0).name()).shape);
}

TEST(EarlyExit, EqualsTheModelWithTheRegionShortCircuited) {
  // EE(x) must equal upper_TO(lower_FROM(x)): the part above TO fed with FROM's value.
  const auto model = fixtures::tiny_resnet();
  for (int blocks : {1, 2}) {
    EarlyExitOptions options;
    options.skip_last = blocks;
    EarlyExitReport report;
    const auto exited = exit_model(model, options, &report);
    std::vector<onnx::ModelProto> below, above;
    ASSERT_TRUE(partition(model, {{{report.from}}}, &below).ok());
    ASSERT_TRUE(partition(model, {{{report.to}}}, &above).ok());
    const auto inputs = random_inputs(model, 21);
    auto from_value = run_model(below[0], inputs, exact_settings());
    ASSERT_EQ(from_value.size(), 1u);
    from_value[0].name = report.to;
    const auto expected = run_model(above[1], from_value, exact_settings());
    std::string why;
    EXPECT_TRUE(bit_identical(expected, run_model(exited, inputs, exact_settings()), &why)) << why;
    // And it differs from the full model (the blocks did something).
    EXPECT_FALSE(bit_identical(run_model(model, inputs, exact_settings()), expected, &why));
  }
}

TEST(EarlyExit, ExplicitSkipToAGraphOutputKeepsTheOutputName) {
  GraphBuilder b("to_output");
  const std::string in = b.input("input", {1, 4, 8, 8});
  const std::string a = b.relu(b.conv(in, {.out_channels = 4}));
  const std::string out = b.relu(b.conv(a, {.out_channels = 4}));
  b.output(out);
  auto model = b.build();
  ASSERT_TRUE(model.ok());
  EarlyExitOptions options;
  options.from = a;
  options.to = out;
  EarlyExitReport report;
  const auto exited = exit_model(*model, options, &report);
  EXPECT_EQ(report.removed_nodes.size(), 2u);
  ASSERT_EQ(exited.graph().output(0).name(), out);
  int identities = 0;
  for (const auto& n : exited.graph().node()) identities += n.op_type() == "Identity";
  EXPECT_EQ(identities, 1);
  const auto inputs = random_inputs(*model, 3);
  std::vector<onnx::ModelProto> below;
  ASSERT_TRUE(partition(*model, {{{a}}}, &below).ok());
  auto expected = run_model(below[0], inputs, exact_settings());
  expected[0].name = out;
  std::string why;
  EXPECT_TRUE(bit_identical(expected, run_model(exited, inputs, exact_settings()), &why)) << why;
}

TEST(EarlyExit, SkipLastOnAQdqModelFindsTheSameBlocks) {
  // Q/DQ pairs make every int8 twin a single-tensor cut; they must not hide the stage's blocks.
  const auto model = fixtures::tiny_resnet();
  const auto qdq = to_qdq(model);
  for (int blocks : {1, 2}) {
    EarlyExitOptions options;
    options.skip_last = blocks;
    EarlyExitReport float_report, qdq_report;
    exit_model(model, options, &float_report);
    const auto exited = exit_model(qdq, options, &qdq_report);
    EXPECT_EQ(qdq_report.from, float_report.from);
    EXPECT_EQ(qdq_report.to, float_report.to);
    EXPECT_GT(qdq_report.removed_nodes.size(), float_report.removed_nodes.size());  // + Q/DQ
    const auto out = run_model(exited, random_inputs(qdq, 3), exact_settings());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 10}));
  }
}

Status try_skip(const onnx::ModelProto& model, const std::string& from, const std::string& to,
                onnx::ModelProto* out) {
  EarlyExitOptions options;
  options.from = from;
  options.to = to;
  return early_exit(model, options, out);
}

TEST(EarlyExit, rejects_unknown_names_with_the_nearest) {
  const auto model = fixtures::tiny_resnet();
  onnx::ModelProto out;
  const Status st = try_skip(model, "/Add_5/Add_outpt_0", "/Add_7/Add_output_0", &out);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("nearest: '/Add_5/Add_output_0'"), std::string::npos) << st.message();
  EXPECT_EQ(out.graph().node_size(), 0) << "nothing written on error";
}

TEST(EarlyExit, rejects_a_skip_whose_shapes_differ) {
  const auto model = fixtures::tiny_resnet();
  const StageTrunk trunk = trunk_of(model);
  onnx::ModelProto out;
  // The stem output (8 channels, 32x32) vs the last stage (64 channels, 4x4).
  auto view = GraphView::build(model.graph());
  const std::string stem = view->node(view->topo_order()[2]).output(0);
  const Status st = try_skip(model, stem, trunk.head_input(), &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("the shapes differ"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("1x8x32x32"), std::string::npos) << st.message();
  EXPECT_EQ(out.graph().node_size(), 0);
}

TEST(EarlyExit, rejects_regions_entered_or_left_elsewhere) {
  const auto model = fixtures::residual_model();
  auto view = GraphView::build(model.graph());
  std::vector<int> adds;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Add") adds.push_back(i);
  }
  ASSERT_EQ(adds.size(), 2u);
  onnx::ModelProto out;
  // Entered: from block 1's conv branch to its Add, which also reads the block input.
  const std::string inner = view->node(adds[0]).input(0);
  Status st = try_skip(model, inner, view->node(adds[0]).output(0), &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("entered from outside"), std::string::npos) << st.message();
  // Left: from block 1's input to block 2's conv branch; block 2's Add reads block 1's output.
  const std::string block1_in = view->node(adds[0]).input(1);
  const std::string block2_branch = view->node(adds[1]).input(0);
  st = try_skip(model, block1_in, block2_branch, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("the region is left before"), std::string::npos) << st.message();
  // Reversed: TO before FROM.
  st = try_skip(model, view->node(adds[1]).output(0), view->node(adds[0]).output(0), &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("is not computed from"), std::string::npos) << st.message();
  st = try_skip(model, block1_in, block1_in, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.graph().node_size(), 0);
}

TEST(EarlyExit, rejects_missing_skip) {
  onnx::ModelProto out;
  // No FROM:TO and no --skip-last: chosen automatically where the graph has a region...
  EXPECT_TRUE(early_exit(fixtures::tiny_resnet(), EarlyExitOptions{}, &out).ok());
  // ...and refused where it has none, as not applicable rather than a bad request.
  EXPECT_EQ(early_exit(fixtures::chain_model(), EarlyExitOptions{}, &out).code(),
            StatusCode::kFailedPrecondition);
  EarlyExitOptions half;
  half.from = "x";
  EXPECT_EQ(early_exit(fixtures::tiny_resnet(), half, &out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgetier
