/// Tests for the plan: model checks, cut and exit choice, drop reasons, and the demo's plan.
#include "experiment/plan.h"
#include "ops/exit_select.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "experiment/embedded.h"
#include "experiment/test_util.h"
#include "graph/detector_fixtures.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

/// A folder with a classifier (tiny ResNet, 32x32, 10 classes), a segmenter and a one-node
/// model, plus a spec header that points at them.
class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::save(fixtures::tiny_resnet(32, 8), dir_ / "models/cls.onnx");
    testing::write_text(dir_ / "models/cls.json",
                        R"({"task": "classify", "preprocess": {"resize_shorter": 36}})");
    testing::save(testing::segmenter_model(5), dir_ / "models/seg.onnx");
    testing::write_text(dir_ / "models/seg.json", R"({"task": "segment"})");
    testing::save(testing::single_node_model(), dir_ / "models/flat.onnx");
  }

  Result<PreparedExperiment> prepare(const std::string& yaml) {
    auto spec = parse_spec(yaml, dir_.path(), "plan.yaml");
    if (!spec.ok()) return spec.status();
    return prepare_experiment(*spec);
  }

  std::string error_of(const std::string& yaml) {
    auto e = prepare(yaml);
    EXPECT_FALSE(e.ok()) << yaml;
    return e.ok() ? "" : e.status().message();
  }

  TempDir dir_;
};

const DroppedStrategy* find_dropped(const Plan& plan, const std::string& ops,
                                    const std::string& placement) {
  for (const auto& d : plan.dropped) {
    if (d.ops == ops && d.placement == placement) return &d;
  }
  return nullptr;
}

const PlannedStrategy* find_planned(const Plan& plan, const std::string& name) {
  for (const auto& s : plan.strategies) {
    if (s.name() == name) return &s;
  }
  return nullptr;
}

TEST_F(PlanTest, ModelFactsFromModelAndSidecar) {
  auto e = prepare("models: [models/cls.onnx, models/seg.onnx]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  ASSERT_EQ(e->models.size(), 2u);
  const ModelFacts& cls = e->models[0];
  EXPECT_EQ(cls.task, Task::kClassify);
  EXPECT_EQ(cls.num_classes, 10);
  EXPECT_EQ(cls.input.shape, (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_EQ(cls.preprocess.resize_shorter, 36);  // the sidecar's
  EXPECT_EQ(cls.preprocess.height, 32);          // the model's input
  EXPECT_FALSE(cls.analysis.cuts.empty());
  EXPECT_FALSE(cls.analysis.skips.empty());
  EXPECT_EQ(e->models[1].task, Task::kSegment);
  EXPECT_EQ(e->models[1].num_classes, 5);
  EXPECT_EQ(e->hash, spec_hash(e->spec));
}

TEST_F(PlanTest, ADetectorIsPlannedWithQPAndEEAndItsDynamicExitDropped) {
  testing::save(fixtures::tiny_yolo_detector(), dir_ / "models/det.onnx");
  testing::write_text(dir_ / "models/det.json",
                      R"({"task": "detect", "preprocess": {"letterbox": true}})");
  auto e = prepare(
      "models: [models/det.onnx]\n"
      "operators: [I, Q, P, QP, EE, DEE@0.8]\n"
      "placements: [E, ME]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const ModelFacts& det = e->models[0];
  EXPECT_EQ(det.task, Task::kDetect);
  ASSERT_TRUE(det.detection.has_value());
  EXPECT_EQ(det.detection->format, DetectionFormat::kYolo);
  EXPECT_TRUE(det.preprocess.letterbox);
  for (const char* name : {"I@E", "Q@E", "P@ME", "QP@ME", "EE@E"})
    EXPECT_NE(find_planned(e->plan, name), nullptr) << name;
  const DroppedStrategy* dee = find_dropped(e->plan, "DEE@0.8", "E");
  ASSERT_NE(dee, nullptr);
  EXPECT_THAT(dee->reason, HasSubstr("dynamic exit does not apply to detectors"));
}

TEST_F(PlanTest, EveryCombinationIsPlannedOrDroppedWithAReason) {
  auto e = prepare(
      "models: [models/cls.onnx, models/seg.onnx]\n"
      "operators: [I, Q, EE, QE, P, QP, EEP, QEP, DEE@0.8]\n"
      "placements: [M, E, C, ME, EC, MC, MEC]\n"
      "scenarios: [{name: a}, {name: b}]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const Plan& plan = e->plan;
  EXPECT_EQ(plan.strategies.size() + plan.dropped.size(), 2u * 9 * 7 * 2);
  for (const auto& d : plan.dropped) EXPECT_FALSE(d.reason.empty());

  const DroppedStrategy* p_on_m = find_dropped(plan, "P", "M");
  ASSERT_NE(p_on_m, nullptr);
  EXPECT_THAT(p_on_m->reason, HasSubstr("needs a 2- or 3-tier placement"));
  EXPECT_FALSE(p_on_m->infeasible);
  const DroppedStrategy* i_on_me = find_dropped(plan, "I", "ME");
  ASSERT_NE(i_on_me, nullptr);
  EXPECT_THAT(i_on_me->reason, HasSubstr("needs a 1-tier placement"));
  // Both tasks take a confidence-based exit (mean pixel confidence for the segmenter).
  bool seg_dee_planned = false;
  for (const auto& s : plan.strategies) {
    seg_dee_planned |= s.model == "seg" && s.ops.name() == "DEE@0.8" && s.placement.name() == "E";
  }
  EXPECT_TRUE(seg_dee_planned);

  const PlannedStrategy* qep = find_planned(plan, "QEP@ME");
  ASSERT_NE(qep, nullptr);
  ASSERT_EQ(qep->cuts.size(), 1u);
  EXPECT_FALSE(qep->exit_from.empty());
  // The exit-first order is the one built with exit_then_quantize (the default quantizes first).
  EXPECT_EQ(qep->ops.step_names(/*exit_then_quantize=*/true),
            (std::vector<std::string>{"early_exit", "quantize", "partition"}));
  const PlannedStrategy* p_mec = find_planned(plan, "P@MEC");
  ASSERT_NE(p_mec, nullptr);
  EXPECT_EQ(p_mec->cuts.size(), 2u);
  // The same variant serves every placement and scenario of a chain.
  const PlannedStrategy* p_me = find_planned(plan, "P@ME");
  const PlannedStrategy* p_ec = find_planned(plan, "P@EC");
  ASSERT_TRUE(p_me && p_ec);
  EXPECT_EQ(p_me->variant_key(), p_ec->variant_key());
  EXPECT_NE(p_me->variant_key(), p_mec->variant_key());

  auto json = plan_to_json(*e);
  EXPECT_EQ(json["strategies"].size(), plan.strategies.size());
  EXPECT_EQ(json["dropped"].size(), plan.dropped.size());
  EXPECT_EQ(json["strategies"][0]["model"], "cls");
  EXPECT_TRUE(json["dropped"][0].contains("reason"));
  EXPECT_THAT(plan_to_text(*e), HasSubstr("dropped"));
}

TEST_F(PlanTest, PlacementNeedingACutOnAModelWithoutOneIsAnError) {
  const std::string msg = error_of(
      "models:\n  - path: models/flat.onnx\n    preprocess: {size: 8}\noperators: [P]\nplacements: "
      "[ME]\n");
  EXPECT_THAT(msg, HasSubstr("model 'flat' has no strategy that can run"));
  EXPECT_THAT(msg, HasSubstr("no valid cut"));
  // With a one-tier chain next to it, the partitioned ones are dropped and the plan stands.
  auto e = prepare(
      "models:\n  - path: models/flat.onnx\n    preprocess: {size: 8}\noperators: [I, P]\n"
      "placements: [E, ME]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  ASSERT_EQ(e->plan.strategies.size(), 1u);
  const DroppedStrategy* p = find_dropped(e->plan, "P", "ME");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->infeasible);
  EXPECT_THAT(p->reason, HasSubstr("has no cut at all"));
}

TEST_F(PlanTest, MissingTierDropsItsPlacements) {
  auto e = prepare(
      "models: [models/cls.onnx]\noperators: [I, P]\nplacements: [M, C, MC, ME]\n"
      "testbed: {tiers: {cloud: {enabled: false}}}\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const DroppedStrategy* c = find_dropped(e->plan, "I", "C");
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->reason, HasSubstr("the testbed has no cloud tier"));
  EXPECT_NE(find_planned(e->plan, "P@ME"), nullptr);
}

TEST_F(PlanTest, BadInputIsAClearErrorBeforeAnythingRuns) {
  EXPECT_THAT(error_of("models: [models/nope.onnx]\n"),
              HasSubstr("model 'nope': file '" + dir_ / "models/nope.onnx" + "' does not exist"));
  EXPECT_THAT(error_of("models: [models/cls.onnx]\ndata: missing-folder\n"),
              HasSubstr("data folder '" + dir_ / "missing-folder" + "' does not exist"));
  std::filesystem::create_directories(dir_ / "empty");
  EXPECT_THAT(error_of("models: [models/cls.onnx]\ndata: {kind: unlabeled, path: empty}\n"),
              HasSubstr("has no images"));
  EXPECT_THAT(error_of("models:\n  - path: models/cls.onnx\n    cut: /layer9/Add_output_0\n"),
              HasSubstr("cut tensor '/layer9/Add_output_0' not found; nearest:"));
  EXPECT_THAT(error_of("models:\n  - path: models/cls.onnx\n    input: imput\n"),
              HasSubstr("input 'imput' not found; nearest: 'input'"));
  EXPECT_THAT(error_of("models:\n  - path: models/cls.onnx\n    preprocess: {crop: 64}\n"),
              HasSubstr("preprocessing makes 64x64 images but input 'input' is 1x3x32x32"));
  EXPECT_THAT(error_of("models:\n  - path: models/seg.onnx\n    task: classify\n"),
              HasSubstr("set task: segment"));
  EXPECT_THAT(error_of("models:\n  - path: models/cls.onnx\n    task: segment\n"),
              HasSubstr("a segmentation model must output [1, classes, H, W]"));
  // A sidecar with a value of the wrong type.
  testing::save(fixtures::tiny_resnet(32, 8), dir_ / "models/odd.onnx");
  testing::write_text(dir_ / "models/odd.json",
                      R"({"preprocess": {"height": "big", "layout": 4}})");
  EXPECT_THAT(error_of("models: [models/odd.onnx]\n"), HasSubstr("model 'odd': preprocess: "));
  // A "detector" (by its sidecar) whose outputs hold no detections: one line naming them.
  testing::save(fixtures::tiny_resnet(32, 8), dir_ / "models/det.onnx");
  testing::write_text(dir_ / "models/det.json", R"({"task": "detect"})");
  const std::string det_error = error_of("models: [models/det.onnx]\n");
  EXPECT_THAT(det_error, HasSubstr("model 'det': the model's outputs match no known detection "
                                   "format"));
  EXPECT_THAT(det_error, HasSubstr("float32 1x10"));
  EXPECT_EQ(det_error.find('\n'), std::string::npos);
  // Labels beyond the model's 10 classes.
  testing::write_image(dir_ / "lab/a.png", 32, 32);
  testing::write_text(dir_ / "lab/labels.csv", "file,label\na.png,12\n");
  EXPECT_THAT(error_of("models: [models/cls.onnx]\ndata: lab\n"),
              HasSubstr("has label 12 but the model has 10 classes"));
  // A label file that does not match the images.
  testing::write_text(dir_ / "lab/labels.csv", "file,label\nb.png,1\n");
  EXPECT_THAT(error_of("models: [models/cls.onnx]\ndata: lab\n"),
              HasSubstr("1 listed file(s) do not exist (b.png)"));
  // A classifier on segmentation pairs.
  testing::write_image(dir_ / "seg/images/a.png", 32, 32);
  testing::write_mask(dir_ / "seg/masks/a.png", 32, 32, 5);
  EXPECT_THAT(error_of("models: [models/cls.onnx]\ndata: seg\n"),
              HasSubstr("the model is a classifier but"));
  auto ok = prepare("models: [models/seg.onnx]\ndata: seg\n");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->data.at("seg").num_classes, 5);  // from the model's output
}

TEST_F(PlanTest, ChooseCutsIsAPureFunctionOfTheAnalysis) {
  auto e = prepare("models: [models/cls.onnx]\noperators: [I]\nplacements: [M]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const ModelFacts& f = e->models[0];
  CutSpec spec;
  auto one = choose_cuts(f, spec, 1);
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  ASSERT_EQ(one->boundaries.size(), 1u);
  ASSERT_EQ(one->boundaries[0].size(), 1u);
  EXPECT_GE(one->flops_share_below[0], 0.3);
  EXPECT_LE(one->flops_share_below[0], 0.9);
  // No single-tensor cut in range is smaller.
  for (const auto& c : f.analysis.cuts) {
    const double share =
        static_cast<double>(c.flops_before) / static_cast<double>(f.analysis.total_flops);
    if (c.single() && share >= 0.3 && share <= 0.9)
      EXPECT_GE(c.bytes, one->bytes[0]) << c.names()[0];
  }
  EXPECT_EQ(choose_cuts(f, spec, 1)->boundaries, one->boundaries);  // deterministic

  auto two = choose_cuts(f, spec, 2);
  ASSERT_TRUE(two.ok()) << two.status().to_string();
  ASSERT_EQ(two->boundaries.size(), 2u);
  EXPECT_GE(two->flops_share_below[1] - two->flops_share_below[0], 0.3);

  spec.min_flops_share = 0.95;
  spec.max_flops_share = 0.99;
  auto none = choose_cuts(f, spec, 1);
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(), HasSubstr("between 95% and 99%"));

  CutSpec manual;
  manual.automatic = false;
  manual.tensors = {one->boundaries[0]};
  auto pinned = choose_cuts(f, manual, 1);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->boundaries, one->boundaries);
  EXPECT_EQ(choose_cuts(f, manual, 2).status().code(), StatusCode::kFailedPrecondition);
  manual.tensors = {{"input"}};
  EXPECT_EQ(choose_cuts(f, manual, 1).status().code(), StatusCode::kInvalidArgument);

  // After the exit, the cut never carries the skipped region's exit tensor.
  auto skip = choose_skip(f, ExitSpec{});
  ASSERT_TRUE(skip.ok()) << skip.status().to_string();
  const SkipCandidate& s = f.analysis.skips[*skip];
  auto after_exit = choose_cuts(f, CutSpec{}, 1, &s, &f.skip_spans[*skip]);
  ASSERT_TRUE(after_exit.ok()) << after_exit.status().to_string();
  EXPECT_NE(after_exit->boundaries[0][0], s.to);
}

TEST_F(PlanTest, PlanChoosesTheCutVariantsChooses) {
  // One ranking (ops/cut_select.h) and one mapping of the spec's window (cut_select_options):
  // `run` and `variants --cut auto` deploy the same cut.
  auto e = prepare("models: [models/cls.onnx]\noperators: [I]\nplacements: [M]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  auto planned = choose_cuts(e->models[0], CutSpec{}, 1);
  ASSERT_TRUE(planned.ok()) << planned.status().to_string();
  auto model = load_model(dir_ / "models/cls.onnx");
  ASSERT_TRUE(model.ok());
  auto selected = select_cut(*model, cut_select_options(CutSpec{}));
  ASSERT_TRUE(selected.ok()) << selected.status().to_string();
  EXPECT_EQ(planned->boundaries[0], selected->best.cut.names());
  EXPECT_EQ(exit_select_options(ExitSpec{}).target_flops_share, ExitSpec{}.target_flops_share);
}

TEST_F(PlanTest, AutoExitSkipsWholeBlocksNearTheHead) {
  auto e = prepare("models: [models/cls.onnx]\noperators: [EE]\nplacements: [E]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const ModelFacts& f = e->models[0];
  auto skip = choose_skip(f, ExitSpec{});
  ASSERT_TRUE(skip.ok());
  // The choice of ops/exit_select.h: blocks with skip connections at the end of the deepest
  // residual stage, the same tensors `variants` and `early-exit` pick.
  const SkipSpan& span = f.skip_spans[*skip];
  EXPECT_EQ(span.to_op, "Add");
  auto chosen = choose_exit(f.trunks, f.analysis.total_flops, ExitSelectOptions{});
  ASSERT_TRUE(chosen.ok()) << chosen.status().to_string();
  EXPECT_TRUE(chosen->residual);
  EXPECT_EQ(f.analysis.skips[*skip].from, chosen->from);
  EXPECT_EQ(f.analysis.skips[*skip].to, chosen->to);
  EXPECT_EQ(chosen->stage_end, f.trunks.front().head_input());
  ExitSpec manual;
  manual.automatic = false;
  manual.from = f.analysis.skips[*skip].from;
  manual.to = f.analysis.skips[*skip].to;
  EXPECT_EQ(*choose_skip(f, manual), *skip);
  manual.to = manual.from;
  EXPECT_EQ(choose_skip(f, manual).status().code(), StatusCode::kInvalidArgument);
  ExitSpec tiny;
  tiny.max_flops_share = 0.0;
  EXPECT_EQ(choose_skip(f, tiny).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PlanTest, ExitChainsWithoutASkippableRegionAreDroppedWithVariantsWording) {
  // `run --plan-only` and `variants` give one reason for the same model (ops/trunk.h).
  testing::save(fixtures::chain_model(), dir_ / "models/chain.onnx");
  auto e = prepare("models: [models/chain.onnx]\noperators: [I, EE, QE]\nplacements: [E]\n");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  ASSERT_EQ(e->plan.strategies.size(), 1u);
  EXPECT_EQ(e->plan.strategies[0].ops.name(), "I");
  ASSERT_EQ(e->plan.dropped.size(), 2u);
  for (const auto& d : e->plan.dropped) {
    EXPECT_EQ(d.reason, no_skippable_region_reason()) << d.ops;
    EXPECT_TRUE(d.infeasible);
  }
  EXPECT_THAT(plan_to_text(*e), HasSubstr("no skippable region"));
}

TEST_F(PlanTest, DemoPlanRunsAllEightChainsOnEveryApplicablePlacement) {
  // The demo's own YAML, with fixture models standing in for models/demo_*.onnx.
  testing::save(fixtures::tiny_resnet(96, 8), dir_ / "models/demo_classifier.onnx");
  testing::write_text(dir_ / "models/demo_classifier.json", R"({"task": "classify"})");
  GraphBuilder seg("demo_segmenter");
  std::string x = seg.input("input", {1, 3, 96, 96});
  x = seg.relu(seg.batch_norm(seg.conv(x, {.out_channels = 8, .stride = 2})));
  for (int block = 0; block < 4; ++block) x = seg.residual_block(x, 8);
  x = seg.resize(seg.conv(x, {.out_channels = 11, .kernel = 1}), 2.0f);
  seg.output(x);
  auto seg_model = seg.build();
  ASSERT_TRUE(seg_model.ok());
  testing::save(*seg_model, dir_ / "models/demo_segmenter.onnx");
  testing::write_text(dir_ / "models/demo_segmenter.json", R"({"task": "segment"})");
  testing::save(fixtures::tiny_yolo_detector(96, 10), dir_ / "models/demo_detector.onnx");
  testing::write_text(dir_ / "models/demo_detector.json", R"({"task": "detect"})");
  auto text = embedded_example("demo.yaml");
  ASSERT_TRUE(text.has_value());
  auto spec = parse_spec(std::string(*text), dir_ / "examples", "demo.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  auto e = prepare_experiment(*spec);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  // Classifier and segmenter: 2 x (5 one-part chains x 3 tiers + 5 partitioned chains x 3 tier
  // pairs); the detector without the dynamic exit: 4 x 3 + 4 x 3; all x 2 scenarios.
  EXPECT_EQ(e->plan.strategies.size(), 168u) << plan_to_text(*e);
  int detector_strategies = 0;
  for (const auto& s : e->plan.strategies) detector_strategies += s.model == "demo_detector";
  EXPECT_EQ(detector_strategies, 48) << plan_to_text(*e);
  int detector_dynamic_exits = 0;
  // Dropped: P-like chains on one tier and the others on two (not strategies), and the
  // detector's dynamic exits (no confidence for a set of boxes), recorded as infeasible.
  for (const auto& d : e->plan.dropped) {
    if (d.model == "demo_detector" && d.ops.rfind("DEE", 0) == 0 && d.infeasible) {
      EXPECT_THAT(d.reason, HasSubstr("confidence")) << d.ops << "@" << d.placement;
      ++detector_dynamic_exits;
    } else {
      EXPECT_FALSE(d.infeasible) << d.model << " " << d.ops << "@" << d.placement;
    }
  }
  EXPECT_EQ(detector_dynamic_exits, 2 * 3 * 2);  // DEE on M/E/C, DEEP on ME/EC/MC, 2 scenarios
  EXPECT_EQ(spec->output_dir, dir_ / "results/demo");
}

}  // namespace
}  // namespace edgetier
