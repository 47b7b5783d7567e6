/// Tests for ops/exit_select: which blocks an automatic exit skips on each kind of architecture.
#include "ops/exit_select.h"

#include <gtest/gtest.h>

#include "graph/cuts.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "ops/early_exit.h"
#include "ops/ops_test_util.h"

namespace edgetier {
namespace {

using namespace edgetier::testing;

Result<ExitChoice> choose(const onnx::ModelProto& model, ExitSelectOptions o = {}) {
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model));
  ASSIGN_OR_RETURN(CutAnalysis analysis, analyze_cuts(view, shapes));
  return choose_exit(view, shapes, analysis, o);
}

std::string producer_op(const onnx::ModelProto& model, const std::string& tensor) {
  for (const auto& n : model.graph().node()) {
    for (const auto& o : n.output()) {
      if (o == tensor) return n.op_type();
    }
  }
  return "";
}

/// The head every fixture ends with: pool, flatten, 10 logits.
void classifier_head(GraphBuilder& b, const std::string& x) {
  b.output(b.gemm(b.flatten(b.global_avg_pool(x)), 10));
}

/// A stage whose only same-shape block is its last (like MobileNetV2's or ShuffleNet's last
/// stage), after an earlier stage of two residual blocks.
onnx::ModelProto one_block_last_stage() {
  GraphBuilder b("one_block_last_stage");
  std::string x = b.relu(b.conv(b.input("input", {1, 3, 16, 16}), {.out_channels = 8}));
  x = b.residual_block(x, 8);
  x = b.residual_block(x, 8);
  x = b.relu(b.conv(x, {.out_channels = 16, .stride = 2}));  // the last stage's entry
  x = b.residual_block(x, 16);
  classifier_head(b, x);
  return *b.build();
}

/// SqueezeNet's Fire module: squeeze 1x1 to a narrow tensor, expand 1x1 and 3x3, concatenate
/// back to the input's width. The squeeze output is a single-tensor cut inside the block.
std::string fire(GraphBuilder& b, const std::string& x, int64_t squeeze, int64_t expand) {
  const std::string s = b.relu(b.conv(x, {.out_channels = squeeze, .kernel = 1}));
  const std::string e1 = b.relu(b.conv(s, {.out_channels = expand, .kernel = 1}));
  const std::string e3 = b.relu(b.conv(s, {.out_channels = expand, .kernel = 3}));
  return b.concat({e1, e3});
}

onnx::ModelProto squeeze_net_like() {
  GraphBuilder b("fire");
  std::string x = b.relu(b.conv(b.input("input", {1, 3, 16, 16}), {.out_channels = 16}));
  x = fire(b, x, 4, 8);   // 16 -> 16 channels
  x = fire(b, x, 4, 8);   // 16 -> 16: a same-shape block
  x = fire(b, x, 8, 16);  // 16 -> 32
  x = fire(b, x, 8, 16);  // 32 -> 32: the deepest same-shape block
  classifier_head(b, x);
  return *b.build();
}

/// VGG-like: no branches, same-shape 3x3 convs.
onnx::ModelProto plain_convs() {
  GraphBuilder b("plain");
  std::string x = b.relu(b.conv(b.input("input", {1, 3, 16, 16}), {.out_channels = 8}));
  x = b.relu(b.conv(x, {.out_channels = 8}));
  x = b.max_pool(x);
  x = b.relu(b.conv(x, {.out_channels = 16}));
  x = b.relu(b.conv(x, {.out_channels = 16}));
  x = b.relu(b.conv(x, {.out_channels = 16}));
  classifier_head(b, x);
  return *b.build();
}

TEST(ExitSelect, TinyResnetSkipsBlocksOfItsLastStage) {
  const auto model = fixtures::tiny_resnet();
  auto c = choose(model);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(c->residual);
  EXPECT_EQ(c->stage_blocks, 2);  // 2 blocks after the stage's shape-changing entry
  EXPECT_GE(c->blocks, 1);
  EXPECT_EQ(producer_op(model, c->to), "Add");
  EXPECT_GT(c->flops_share, 0.0);
  EXPECT_LE(c->flops_share, 0.5);
  // The choice is the one closest to the target among 1..2 blocks.
  auto one = choose(model, {.blocks = 1});
  auto two = choose(model, {.blocks = 2});
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_LT(one->flops_share, two->flops_share);
  const double target = ExitSelectOptions{}.target_flops_share;
  const auto* closer = std::abs(one->flops_share - target) <= std::abs(two->flops_share - target)
                           ? &*one
                           : &*two;
  EXPECT_EQ(c->from, closer->from);
  EXPECT_EQ(c->to, closer->to);
  // The exit is a real early exit on this model.
  EarlyExitOptions ee;
  ee.from = c->from;
  ee.to = c->to;
  onnx::ModelProto out;
  EXPECT_TRUE(early_exit(model, ee, &out).ok());
}

TEST(ExitSelect, TheTargetShareDecidesHowManyBlocks) {
  const auto model = fixtures::tiny_resnet();
  auto few = choose(model, {.target_flops_share = 0.0});
  auto many = choose(model, {.target_flops_share = 0.5});
  ASSERT_TRUE(few.ok() && many.ok());
  EXPECT_EQ(few->blocks, 1);
  EXPECT_EQ(many->blocks, 2);
}

TEST(ExitSelect, AOneBlockLastStageStillHasAnExit) {
  // Regression: `variants` failed on MobileNetV2/ShuffleNet/DenseNet with the old default of
  // exactly 2 blocks of the last stage.
  const auto model = one_block_last_stage();
  auto c = choose(model);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->stage_blocks, 1);
  EXPECT_EQ(c->blocks, 1);
  EXPECT_EQ(producer_op(model, c->to), "Add");
  EarlyExitOptions ee;  // the operator's default goes through the same chooser
  onnx::ModelProto out;
  EarlyExitReport report;
  ASSERT_TRUE(early_exit(model, ee, &out, &report).ok());
  EXPECT_EQ(report.from, c->from);
  EXPECT_EQ(report.to, c->to);
}

TEST(ExitSelect, FireModulesAreBlocksThoughTheyNarrowInside) {
  // Regression: SqueezeNet reported "no residual trunk": its same-shape Fire modules pass the
  // squeeze output, a single-tensor cut, and were not counted as blocks.
  const auto model = squeeze_net_like();
  auto c = choose(model);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(producer_op(model, c->to), "Concat");
  auto shapes = infer_shapes(model);
  EXPECT_EQ(shapes->at(c->to).shape, (std::vector<int64_t>{1, 32, 16, 16}));
  const auto inputs = random_inputs(model, 5);
  EarlyExitOptions ee;
  ee.from = c->from;
  ee.to = c->to;
  onnx::ModelProto out;
  ASSERT_TRUE(early_exit(model, ee, &out).ok());
  EXPECT_EQ(run_model(out, inputs, one_thread()).size(), 1u);
}

TEST(ExitSelect, PlainSameShapeLayersAreSkippableWhenNothingBranches) {
  const auto model = plain_convs();
  auto c = choose(model);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_FALSE(c->residual);
  EXPECT_EQ(infer_shapes(model)->at(c->to).shape, (std::vector<int64_t>{1, 16, 8, 8}));
}

TEST(ExitSelect, ResidualStagesWinOverADeeperPlainLayer) {
  // MobileNetV2's last block holds a same-shape depthwise conv after its residual stage: the
  // exit skips residual blocks, not one layer inside a block.
  GraphBuilder b("residual_then_plain");
  std::string x = b.relu(b.conv(b.input("input", {1, 3, 16, 16}), {.out_channels = 8}));
  x = b.residual_block(x, 8);
  x = b.residual_block(x, 8);
  x = b.relu(b.conv(x, {.out_channels = 16, .kernel = 1}));
  x = b.relu(b.conv(x, {.out_channels = 16, .group = 16}));  // depthwise, same shape
  classifier_head(b, x);
  const auto model = *b.build();
  auto c = choose(model);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(c->residual);
  EXPECT_EQ(producer_op(model, c->to), "Add");
  EXPECT_EQ(infer_shapes(model)->at(c->to).shape, (std::vector<int64_t>{1, 8, 16, 16}));
}

TEST(ExitSelect, rejects_graphs_without_a_skippable_region) {
  auto c = choose(fixtures::chain_model());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("no skippable region"), std::string::npos);
}

TEST(ExitSelect, rejects_more_blocks_than_the_stage_has) {
  auto c = choose(fixtures::tiny_resnet(), {.blocks = 3});
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("has 2 skippable block(s)"), std::string::npos);
}

TEST(ExitSelect, rejects_an_exit_over_the_flops_cap) {
  auto c = choose(fixtures::tiny_resnet(), {.max_flops_share = 1e-6});
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("max_flops_share"), std::string::npos);
}

}  // namespace
}  // namespace edgetier
