/// One unit everywhere: the same predictions give the same number, in points, through EvalSet
/// (ops/accuracy_eval), verify (ops/verify) and the runner's accumulators (metrics/TaskScorer).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "metrics/task_scorer.h"
#include "ops/accuracy_eval.h"
#include "ops/early_exit.h"
#include "ops/ops_test_util.h"
#include "ops/variant_dir.h"
#include "ops/verify.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

constexpr int kSamples = 8;

/// A reference model, its early-exit variant (on disk for verify) and seeded .npy inputs.
struct EvalFixture {
  onnx::ModelProto model, variant;
  std::string model_path, variant_dir, data;
  std::vector<Tensor> inputs;
};

EvalFixture make_setup(const TempDir& tmp, const onnx::ModelProto& model, int skip_last,
                       const std::string& task) {
  EvalFixture s;
  s.model = model;
  s.model_path = tmp.file("model.onnx");
  EXPECT_TRUE(save_model(model, s.model_path).ok());
  EarlyExitOptions ee;
  ee.skip_last = skip_last;
  EXPECT_TRUE(early_exit(model, ee, &s.variant).ok());
  VariantManifest m;
  m.ops = "EE";
  m.task = task;
  s.variant_dir = tmp.file("EE");
  EXPECT_TRUE(write_variant(s.variant_dir, {s.variant}, m).ok());
  s.data = tmp.file("data");
  fs::create_directories(s.data);
  for (int i = 0; i < kSamples; ++i) {
    s.inputs.push_back(random_inputs(model, 500 + i)[0]);
    char name[16];
    std::snprintf(name, sizeof(name), "%03d.npy", i);
    EXPECT_TRUE(save_npy(s.inputs.back(), s.data + "/" + name).ok());
  }
  return s;
}

VerifyOptions exact(const std::string& data) {
  VerifyOptions o;
  o.data_dir = data;
  o.session = one_thread();
  o.session.graph_opt_level = GraphOptLevel::kDisabled;
  return o;
}

/// What the runner computes without labels: each variant output against the reference's.
TaskScorer runner_against_reference(const EvalFixture& s, Task task) {
  TaskScorer scorer(task, MetricSource::kReference);
  for (const Tensor& x : s.inputs) {
    auto ref = predict(run_model(s.model, {x})[0], task);
    auto var = predict(run_model(s.variant, {x})[0], task);
    EXPECT_TRUE(ref.ok() && var.ok());
    EXPECT_TRUE(scorer.add_reference(*var, *ref).ok());
  }
  return scorer;
}

TEST(MetricUnits, ClassifyAgreementIsThePointsEverywhere) {
  TempDir tmp;
  const EvalFixture s = make_setup(tmp, fixtures::tiny_resnet(), 2, "classify");

  auto verified = verify_variant(s.model_path, s.variant_dir, exact(s.data));
  ASSERT_TRUE(verified.ok()) << verified.status().to_string();
  auto eval = EvalSet::create(s.model, {.data_dir = s.data});
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  auto scored = eval->score(s.variant);
  ASSERT_TRUE(scored.ok()) << scored.status().to_string();
  const TaskScorer runner = runner_against_reference(s, Task::kClassify);

  EXPECT_EQ(scored->metric, "top1");
  EXPECT_FALSE(scored->labelled);
  EXPECT_DOUBLE_EQ(verified->top1_agreement, scored->candidate);
  EXPECT_DOUBLE_EQ(runner.primary(), scored->candidate);
  ASSERT_EQ(runner.values().size(), 1u);
  EXPECT_EQ(runner.values()[0].metric, "agree_top1");
  EXPECT_DOUBLE_EQ(runner.values()[0].value, scored->candidate);
  EXPECT_EQ(runner.values()[0].n, kSamples);
  // Points: a multiple of 100 / kSamples, not a fraction.
  const double hits = scored->candidate * kSamples / 100.0;
  EXPECT_NEAR(hits, std::round(hits), 1e-9);
  EXPECT_DOUBLE_EQ(verify_report_to_json(*verified)["top1_agreement"].get<double>(),
                   scored->candidate);
}

TEST(MetricUnits, ClassifyTopOneAgainstLabels) {
  TempDir tmp;
  const EvalFixture s = make_setup(tmp, fixtures::tiny_resnet(), 2, "classify");
  EvalOptions options;
  TaskScorer runner(Task::kClassify, MetricSource::kLabels);
  for (int i = 0; i < kSamples; ++i) {
    // Labels: the reference's class on even samples, another class on odd ones.
    const Tensor ref = run_model(s.model, {s.inputs[i]})[0];
    const int64_t ref_class = predict(ref, Task::kClassify)->classes[0];
    const int64_t label = i % 2 == 0 ? ref_class : (ref_class + 1) % 10;
    char name[16];
    std::snprintf(name, sizeof(name), "/%03d.npy", i);
    options.samples.push_back({s.data + name, label, ""});
    ASSERT_TRUE(runner.add(run_model(s.variant, {s.inputs[i]})[0], {label, {}}).ok());
  }
  auto eval = EvalSet::create(s.model, options);
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  EXPECT_DOUBLE_EQ(eval->reference_metric(), 50.0);
  auto scored = eval->score(s.variant);
  ASSERT_TRUE(scored.ok()) << scored.status().to_string();
  EXPECT_TRUE(scored->labelled);
  EXPECT_DOUBLE_EQ(runner.primary(), scored->candidate);
  EXPECT_EQ(runner.values()[0].metric, "top1");
  EXPECT_DOUBLE_EQ(runner.values()[0].value, scored->candidate);
}

TEST(MetricUnits, SegmentMiouAgainstTheReferenceIsThePointsEverywhere) {
  TempDir tmp;
  const EvalFixture s = make_setup(tmp, fixtures::tiny_segmenter(), 1, "segment");

  auto verified = verify_variant(s.model_path, s.variant_dir, exact(s.data));
  ASSERT_TRUE(verified.ok()) << verified.status().to_string();
  auto eval = EvalSet::create(s.model, {.data_dir = s.data});
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  auto scored = eval->score(s.variant);
  ASSERT_TRUE(scored.ok()) << scored.status().to_string();
  const TaskScorer runner = runner_against_reference(s, Task::kSegment);

  EXPECT_EQ(scored->metric, "miou");
  EXPECT_DOUBLE_EQ(eval->score(s.model)->candidate, 100.0) << "points, not a fraction";
  EXPECT_LT(scored->candidate, 100.0);
  EXPECT_NEAR(verified->miou, scored->candidate, 1e-9);
  EXPECT_NEAR(runner.primary(), scored->candidate, 1e-9);
  EXPECT_NEAR(verify_report_to_json(*verified)["miou"].get<double>(), scored->candidate, 1e-9);
  // What the runner stores for unlabelled segmentation: per-pixel agreement, also in points.
  EXPECT_EQ(runner.values()[0].metric, "agree_pixel");
  EXPECT_GE(runner.values()[0].value, 0.0);
  EXPECT_LE(runner.values()[0].value, 100.0);
}

TEST(MetricUnits, SegmentMiouAgainstMasks) {
  TempDir tmp;
  const EvalFixture s = make_setup(tmp, fixtures::tiny_segmenter(), 1, "segment");
  // Class 1 on the left half, class 3 on the right, the top row ignored.
  auto mask_of = [](int64_t h, int64_t w) {
    std::vector<uint8_t> mask(static_cast<size_t>(h * w));
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) mask[y * w + x] = y == 0 ? 255 : (x < w / 2 ? 1 : 3);
    }
    return mask;
  };
  EvalOptions options;
  options.ignore_index = 255;
  options.load_mask = [&](const Sample&, const PreprocessSpec&, int64_t h, int64_t w) {
    return Result<std::vector<uint8_t>>(mask_of(h, w));
  };
  TaskScorer runner(Task::kSegment, MetricSource::kLabels, 5, 255);
  for (int i = 0; i < kSamples; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "/%03d.npy", i);
    options.samples.push_back({s.data + name, -1, "mask"});
    ASSERT_TRUE(runner.add(run_model(s.variant, {s.inputs[i]})[0], {-1, mask_of(16, 16)}).ok());
  }
  auto eval = EvalSet::create(s.model, options);
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  auto scored = eval->score(s.variant);
  ASSERT_TRUE(scored.ok()) << scored.status().to_string();
  EXPECT_NEAR(runner.primary(), scored->candidate, 1e-9);
  EXPECT_EQ(runner.values()[0].metric, "miou");
  EXPECT_NEAR(runner.values()[0].value, scored->candidate, 1e-9);
  EXPECT_EQ(runner.values()[1].metric, "pixel_acc");
}

}  // namespace
}  // namespace edgetier
