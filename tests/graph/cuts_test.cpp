/// Tests for cut and skip enumeration, checked against an independent brute-force reachability.
#include "graph/cuts.h"

#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

#include "graph/fixtures.h"

namespace edgetier {
namespace {

/// Independent of graph/cuts: true if some graph output is reachable from a graph input
/// without passing through any tensor in `removed` (plain fixed-point over the node list).
bool connected_without(const onnx::GraphProto& g, const std::set<std::string>& removed) {
  std::unordered_set<std::string> reached;
  std::unordered_set<std::string> inits;
  for (const auto& init : g.initializer()) inits.insert(init.name());
  for (const auto& in : g.input()) {
    if (!inits.count(in.name()) && !removed.count(in.name())) reached.insert(in.name());
  }
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& node : g.node()) {
      bool any = false;
      for (const auto& in : node.input()) any = any || reached.count(in);
      if (!any) continue;
      for (const auto& out : node.output()) {
        if (!removed.count(out) && reached.insert(out).second) changed = true;
      }
    }
  }
  for (const auto& out : g.output()) {
    if (reached.count(out.name())) return true;
  }
  return false;
}

struct Analysed {
  onnx::ModelProto model;
  CutAnalysis analysis;
};

Analysed analyse(onnx::ModelProto model) {
  Analysed a{std::move(model), {}};
  auto view = GraphView::build(a.model.graph());
  EXPECT_TRUE(view.ok()) << view.status().to_string();
  auto shapes = infer_shapes(a.model);
  EXPECT_TRUE(shapes.ok()) << shapes.status().to_string();
  auto cuts = analyze_cuts(*view, *shapes);
  EXPECT_TRUE(cuts.ok()) << cuts.status().to_string();
  a.analysis = *cuts;
  return a;
}

/// Every cut must separate inputs from outputs, and every tensor in it must be needed above it
/// (consumed by a node after the cut position, or be a graph output): nothing is sent for nothing.
void expect_cuts_separate_and_are_needed(const Analysed& a) {
  ASSERT_FALSE(a.analysis.cuts.empty());
  auto view = GraphView::build(a.model.graph());
  ASSERT_TRUE(view.ok());
  for (const auto& cut : a.analysis.cuts) {
    auto names = cut.names();
    std::set<std::string> removed(names.begin(), names.end());
    EXPECT_FALSE(connected_without(a.model.graph(), removed)) << "cut at " << cut.position << " leaks";
    for (const auto& t : names) {
      bool needed = view->is_graph_output(t);
      for (int c : view->consumers(t)) needed = needed || view->topo_position(c) >= cut.position;
      EXPECT_TRUE(needed) << "cut at " << cut.position << " carries " << t << " which nothing above reads";
    }
  }
}

/// Brute force: every activation tensor whose removal alone disconnects inputs from outputs.
std::set<std::string> brute_force_single_cuts(const onnx::ModelProto& model) {
  std::set<std::string> result;
  std::set<std::string> outputs;
  for (const auto& out : model.graph().output()) outputs.insert(out.name());
  for (const auto& node : model.graph().node()) {
    for (const auto& t : node.output()) {
      if (outputs.count(t)) continue;
      if (!connected_without(model.graph(), {t})) result.insert(t);
    }
  }
  return result;
}

std::set<std::string> reported_single_cuts(const Analysed& a) {
  std::set<std::string> result;
  for (const auto& cut : a.analysis.cuts) {
    if (cut.single()) result.insert(cut.tensors[0].name);
  }
  return result;
}

TEST(Cuts, ChainModelEveryActivationIsASingleCut) {
  Analysed a = analyse(fixtures::chain_model());
  expect_cuts_separate_and_are_needed(a);
  EXPECT_EQ(reported_single_cuts(a), brute_force_single_cuts(a.model));
  // conv, relu, conv, relu, gap, flatten: every intermediate tensor (gemm's output is the output).
  EXPECT_EQ(a.analysis.cuts.size(), 6u);
  for (const auto& cut : a.analysis.cuts) EXPECT_TRUE(cut.single());
}

TEST(Cuts, ResidualModelHasSingleAndMultiTensorCuts) {
  Analysed a = analyse(fixtures::residual_model());
  expect_cuts_separate_and_are_needed(a);
  EXPECT_EQ(reported_single_cuts(a), brute_force_single_cuts(a.model));
  int multi = 0;
  for (const auto& cut : a.analysis.cuts) multi += cut.tensors.size() == 2;
  EXPECT_GT(multi, 0) << "cuts inside a residual block carry the branch and the skip tensor";
}

TEST(Cuts, BytesAndFlopsAreConsistent) {
  Analysed a = analyse(fixtures::chain_model());
  const auto& first = a.analysis.cuts.front();
  EXPECT_EQ(first.bytes, 1 * 8 * 16 * 16 * 4);  // conv output 1x8x16x16 float
  for (const auto& cut : a.analysis.cuts) {
    EXPECT_EQ(cut.flops_before + cut.flops_after, a.analysis.total_flops);
    EXPECT_GT(cut.flops_before, 0);
  }
  for (size_t i = 1; i < a.analysis.cuts.size(); ++i) {
    EXPECT_GE(a.analysis.cuts[i].flops_before, a.analysis.cuts[i - 1].flops_before);
  }
}

TEST(Cuts, SideBranchInt64TensorRidesAlongEveryMiddleCut) {
  Analysed a = analyse(fixtures::side_branch_model());
  expect_cuts_separate_and_are_needed(a);
  EXPECT_TRUE(brute_force_single_cuts(a.model).empty());
  int with_int64 = 0;
  for (const auto& cut : a.analysis.cuts) {
    for (const auto& t : cut.tensors) with_int64 += t.dtype == DType::kInt64;
  }
  EXPECT_GT(with_int64, 0);
}

TEST(Cuts, SeparatesNamesTheBypassPath) {
  onnx::ModelProto model = fixtures::residual_model();
  auto view = GraphView::build(model.graph());
  ASSERT_TRUE(view.ok());
  // The first conv inside the first block is bypassed by the skip connection.
  std::string inner;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Conv" && !inner.empty()) {
      inner = view->node(i).output(0);
      break;
    }
    if (view->node(i).op_type() == "Conv") inner = "stem";
  }
  std::vector<std::string> bypass;
  EXPECT_FALSE(separates(*view, {inner}, &bypass));
  ASSERT_GE(bypass.size(), 2u);
  EXPECT_EQ(bypass.front(), "input");
  EXPECT_TRUE(view->is_graph_output(bypass.back()));
}

TEST(Skips, ResNetStyleSkipsInsideLastStage) {
  Analysed a = analyse(fixtures::tiny_resnet());
  ASSERT_FALSE(a.analysis.skips.empty());
  auto view = GraphView::build(a.model.graph());
  ASSERT_TRUE(view.ok());
  auto shapes = infer_shapes(a.model);
  ASSERT_TRUE(shapes.ok());
  int last_stage = 0;
  for (const auto& skip : a.analysis.skips) {
    EXPECT_EQ(shapes->at(skip.from).shape, shapes->at(skip.to).shape);
    EXPECT_GT(skip.nodes, 0);
    // Region check: nothing inside reads a tensor from outside the region except `from` and weights.
    std::unordered_set<std::string> inside = {skip.from};
    for (int n : skip.node_indices) {
      for (const auto& in : view->node(n).input()) {
        EXPECT_TRUE(inside.count(in) || view->is_initializer(in)) << in << " enters the skipped region";
      }
      for (const auto& out : view->node(n).output()) inside.insert(out);
    }
    if (skip.shape == std::vector<int64_t>{1, 64, 4, 4} && skip.nodes >= 7) ++last_stage;
  }
  EXPECT_GT(last_stage, 0) << "a whole-block skip inside the last stage (64 channels at 4x4)";
}

}  // namespace
}  // namespace edgetier
