/// Tests for ops/dynamic_exit: parts, policy, equivalence at the extremes, monotone trade-off.
#include "ops/dynamic_exit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "experiment/synth.h"
#include "graph/cuts.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/early_exit.h"
#include "ops/ops_test_util.h"
#include "ops/trunk.h"
#include "runtime/preprocess.h"

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
  return *last_stage_trunk(*view, *shapes, *analyze_cuts(*view, *shapes));
}

/// Exit after the first block of the last stage.
std::string exit_tensor(const onnx::ModelProto& model) {
  const StageTrunk trunk = trunk_of(model);
  return trunk.tensors[trunk.block_ends[0] + 1];  // the Relu after the first block's Add
}

std::unique_ptr<PartRunner> runner_for(const std::vector<onnx::ModelProto>& parts,
                                       ExitPolicy policy,
                                       const SessionOptions& so = exact_settings()) {
  std::vector<std::string> models, labels;
  for (size_t i = 0; i < parts.size(); ++i) {
    models.push_back(bytes_of(parts[i]));
    labels.push_back("part" + std::to_string(i));
  }
  auto runner = PartRunner::from_bytes(models, labels, so, policy);
  EXPECT_TRUE(runner.ok()) << runner.status().to_string();
  return runner.ok() ? std::move(*runner) : nullptr;
}

int argmax(const Tensor& t) {
  const float* x = t.data_as<float>();
  return static_cast<int>(std::max_element(x, x + t.num_elements()) - x);
}

TEST(DynamicExit, BuildsTrunkEarlyHeadAndRestWithAPolicy) {
  const auto model = fixtures::tiny_resnet();
  const std::string t = exit_tensor(model);
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  ASSERT_TRUE(dynamic_exit(model, {t, "", 0.5, "", {}}, &parts, &policy).ok());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(policy.exit_part, 1);
  EXPECT_EQ(policy.measure, "max_softmax");
  EXPECT_EQ(policy.output, model.graph().output(0).name());
  EXPECT_DOUBLE_EQ(policy.threshold, 0.5);
  EXPECT_EQ(parts[0].graph().output(0).name(), t);
  EXPECT_EQ(parts[1].graph().input(0).name(), t);
  EXPECT_EQ(parts[2].graph().input(0).name(), t);
  EXPECT_EQ(parts[1].graph().output(0).name(), policy.output);
  EXPECT_EQ(parts[2].graph().output(0).name(), policy.output);
  // The early head is the original head (GlobalAveragePool, Flatten, Gemm), nothing more.
  ASSERT_EQ(parts[1].graph().node_size(), 3);
  EXPECT_EQ(parts[1].graph().node(0).op_type(), "GlobalAveragePool");
  EXPECT_EQ(parts[1].graph().node(2).op_type(), "Gemm");
  EXPECT_EQ(parts[0].graph().node_size() + parts[2].graph().node_size(), model.graph().node_size());
}

TEST(DynamicExit, ThresholdZeroEqualsTheStaticExitAndOneEqualsTheFullModel) {
  const auto model = fixtures::tiny_resnet();
  const std::string t = exit_tensor(model);
  const StageTrunk trunk = trunk_of(model);
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  ASSERT_TRUE(dynamic_exit(model, {t, "", 0.0, "", {}}, &parts, &policy).ok());
  onnx::ModelProto static_exit;
  EarlyExitOptions skip;
  skip.from = t;
  skip.to = trunk.head_input();
  ASSERT_TRUE(early_exit(model, skip, &static_exit).ok());
  const auto inputs = random_inputs(model, 8);
  std::string why;
  auto always = runner_for(parts, policy);
  auto out = always->run(inputs);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(out->exited_early);
  EXPECT_EQ(out->part_ns[2], -1) << "the rest did not run";
  EXPECT_TRUE(bit_identical(run_model(static_exit, inputs, exact_settings()), out->outputs, &why))
      << why;

  policy.threshold = 1.0;
  auto never = runner_for(parts, policy);
  out = never->run(inputs);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->exited_early);
  EXPECT_GT(out->confidence, 0.0);
  EXPECT_LT(out->confidence, 1.0);
  EXPECT_TRUE(bit_identical(run_model(model, inputs, exact_settings()), out->outputs, &why)) << why;
}

TEST(DynamicExit, AgreementAndCostAreMonotoneInTheThreshold) {
  // Over seeded inputs: raising the threshold never lets more inputs exit early (cost rises)
  // and never lowers top-1 agreement with the full model.
  const auto model = fixtures::tiny_resnet();
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  ASSERT_TRUE(dynamic_exit(model, {exit_tensor(model), "", 0.0, "", {}}, &parts, &policy).ok());
  auto probe = runner_for(parts, policy);
  constexpr int kSamples = 48;
  std::vector<std::vector<Tensor>> inputs;
  std::vector<double> confidences;
  std::vector<int> reference;
  for (int s = 0; s < kSamples; ++s) {
    inputs.push_back(random_inputs(model, 100 + s));
    reference.push_back(argmax(run_model(model, inputs.back(), exact_settings())[0]));
    auto r = probe->run(inputs.back());
    ASSERT_TRUE(r.ok());
    confidences.push_back(r->confidence);
  }
  std::vector<double> thresholds = {0.0};
  auto sorted = confidences;
  std::sort(sorted.begin(), sorted.end());
  for (int q = 1; q < 8; ++q) thresholds.push_back(sorted[static_cast<size_t>(q * kSamples / 8)]);
  thresholds.push_back(1.0);
  double last_agreement = -1.0;
  int last_exits = kSamples + 1;
  for (double threshold : thresholds) {
    policy.threshold = threshold;
    auto runner = runner_for(parts, policy);
    int exits = 0, agree = 0;
    for (int s = 0; s < kSamples; ++s) {
      auto r = runner->run(inputs[s]);
      ASSERT_TRUE(r.ok());
      exits += r->exited_early;
      agree += argmax(r->outputs[0]) == reference[s];
    }
    const double agreement = static_cast<double>(agree) / kSamples;
    EXPECT_LE(exits, last_exits) << "threshold " << threshold;
    EXPECT_GE(agreement, last_agreement) << "threshold " << threshold;
    last_exits = exits;
    last_agreement = agreement;
  }
  EXPECT_EQ(last_exits, 0);
  EXPECT_DOUBLE_EQ(last_agreement, 1.0);
}

TEST(DynamicExit, SegmentationUsesMeanPixelConfidence) {
  const onnx::ModelProto model = fixtures::tiny_segmenter();
  const StageTrunk trunk = trunk_of(model);
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  Status st = dynamic_exit(model, {trunk.tensors[trunk.block_ends[0] + 1], "", 0.0, "", {}}, &parts,
                           &policy);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(policy.measure, "mean_pixel_max_softmax");
  auto runner = runner_for(parts, policy);
  auto r = runner->run(random_inputs(model, 4));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->exited_early);
  EXPECT_GT(r->confidence, 1.0 / 5);
  EXPECT_EQ(r->outputs[0].shape, (std::vector<int64_t>{1, 5, 16, 16}));
}

TEST(DynamicExit, rejects_bad_exit_points_and_thresholds) {
  const auto model = fixtures::tiny_resnet();
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  Status st = dynamic_exit(model, {"/Relu_1/Relu_outpt_0", "", 0.5, "", {}}, &parts, &policy);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("nearest"), std::string::npos);
  st = dynamic_exit(model, {"/Relu_1/Relu_output_0", "", 0.5, "", {}}, &parts,
                    &policy);  // 8 channels, 32x32
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("the shapes differ"), std::string::npos) << st.message();
  st = dynamic_exit(model, {exit_tensor(model), "", 1.5, "", {}}, &parts, &policy);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  st = dynamic_exit(fixtures::side_branch_model(), {"/Relu_0/Relu_output_0", "", 0.5, "", {}},
                    &parts, &policy);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(parts.empty());
}

}  // namespace
}  // namespace edgetier

namespace edgetier {
namespace {

using namespace edgetier::testing;

// The committed demo classifier on fresh synthetic images: exit rate falls and agreement with
// the full model rises as the threshold rises; the bench (bench_dynamic_exit) adds measured time.
TEST(DynamicExit, DemoClassifierTradeOffIsMonotone) {
  const std::string models = std::string(EDGETIER_SOURCE_DIR) + "/models/";
  auto model = load_model(models + "demo_classifier.onnx");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  std::ifstream sidecar(models + "demo_classifier.json");
  auto spec = preprocess_from_json(nlohmann::json::parse(sidecar).at("preprocess"));
  ASSERT_TRUE(spec.ok());
  const StageTrunk trunk = trunk_of(*model);
  const std::string exit_at = trunk.tensors[trunk.block_ends.front() - 1];
  EXPECT_EQ(exit_at, "/layer4/layer4.0/relu_1/Relu_output_0");
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  ASSERT_TRUE(dynamic_exit(*model, {exit_at, "", 0.0, "", {}}, &parts, &policy).ok());
  auto probe = runner_for(parts, policy, one_thread());
  auto full = OrtSession::from_file(models + "demo_classifier.onnx", one_thread());
  ASSERT_TRUE(full.ok());
  SynthOptions o;
  o.seed = 777;  // not a training or validation seed
  struct Row {
    int label, full_class, early_class;
    double confidence;
  };
  std::vector<Row> rows;
  for (int i = 0; i < 100; ++i) {
    auto s = synth_sample(o, i);
    ASSERT_TRUE(s.ok());
    std::vector<uchar> png;
    cv::imencode(".png", s->image, png);
    auto t = decode_and_preprocess(std::string(png.begin(), png.end()), *spec);
    ASSERT_TRUE(t.ok());
    auto f = (*full)->run({*t});
    auto e = probe->run({*t});
    ASSERT_TRUE(f.ok() && e.ok());
    rows.push_back({s->label, argmax((*f)[0]), argmax(e->outputs[0]), e->confidence});
  }
  int last_exits = 101, full_correct = 0;
  double last_agreement = -1.0, agreement_at_09 = 0.0;
  int exits_at_09 = 0;
  for (const auto& r : rows) full_correct += r.full_class == r.label;
  for (double threshold : {0.0, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0}) {
    int exits = 0, agree = 0, correct = 0;
    for (const auto& r : rows) {
      const bool stop = r.confidence >= threshold;
      const int answer = stop ? r.early_class : r.full_class;
      exits += stop;
      agree += answer == r.full_class;
      correct += answer == r.label;
    }
    EXPECT_LE(exits, last_exits) << threshold;
    EXPECT_GE(agree / 100.0, last_agreement) << threshold;
    last_exits = exits;
    last_agreement = agree / 100.0;
    if (threshold == 0.0) EXPECT_EQ(exits, 100);
    if (threshold == 0.9) {
      exits_at_09 = exits;
      agreement_at_09 = agree / 100.0;
    }
    if (threshold == 1.0) EXPECT_EQ(correct, full_correct);
  }
  EXPECT_GT(exits_at_09, 0) << "a confident share of inputs stops early";
  EXPECT_GE(agreement_at_09, 0.97);
}

}  // namespace
}  // namespace edgetier
