/// Tests for evaluation folders (top-1, labels, mIoU) and accuracy-budgeted node exclusion.
#include "ops/sensitivity.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "graph/fixtures.h"
#include "ops/quant_test_util.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier {
namespace {

using testing::write_npy_samples;

std::string first_conv(const onnx::ModelProto& model) {
  for (const auto& n : model.graph().node()) {
    if (n.op_type() == "Conv") return n.name();
  }
  return "";
}

TEST(EvalSet, ReferenceAgainstItselfHasNoLoss) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 6, 7);
  auto eval = EvalSet::create(model, {.data_dir = dir.path()});
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  EXPECT_EQ(eval->task(), Task::kClassify);
  auto r = eval->score(model);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->samples, 6);
  EXPECT_EQ(r->metric, "top1");
  EXPECT_FALSE(r->labelled);
  EXPECT_DOUBLE_EQ(r->loss_points, 0.0);
  auto err = eval->output_error(model);
  ASSERT_TRUE(err.ok());
  EXPECT_DOUBLE_EQ(*err, 0.0);
}

TEST(EvalSet, SegmentationUsesMeanIoU) {
  const onnx::ModelProto model = fixtures::side_branch_model();  // first output [1, 4, 16, 16]
  TempDir dir;
  write_npy_samples(model, dir.path(), 3, 9);
  auto eval = EvalSet::create(model, {.data_dir = dir.path()});
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  EXPECT_EQ(eval->task(), Task::kSegment);
  auto r = eval->score(model);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metric, "miou");
  EXPECT_DOUBLE_EQ(r->candidate, 100.0);
}

TEST(EvalSet, ScoresAgainstLabels) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 4, 11);
  // Labels equal to the model's own predictions on two samples and wrong on two.
  EvalOptions options;
  for (int i = 0; i < 4; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "%03d.npy", i);
    auto x = load_npy(dir.file(name), "input");
    const int pred = testing::argmax_rows(testing::run_first_output(model, *x))[0];
    options.samples.push_back({dir.file(name), i < 2 ? pred : (pred + 1) % 10, ""});
  }
  auto eval = EvalSet::create(model, options);
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  EXPECT_TRUE(eval->labelled());
  EXPECT_DOUBLE_EQ(eval->reference_metric(), 50.0);
  auto r = eval->score(model);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->labelled);
  EXPECT_DOUBLE_EQ(r->candidate, 50.0);
  EXPECT_DOUBLE_EQ(r->loss_points, 0.0);

  options.samples[3].label = 10;  // the model has 10 classes
  auto bad = EvalSet::create(model, options);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("003.npy"), std::string::npos) << bad.status().message();
}

TEST(EvalSet, ScoresSegmentationAgainstMasks) {
  const onnx::ModelProto model = fixtures::side_branch_model();  // [1, 4, 16, 16]
  TempDir dir;
  write_npy_samples(model, dir.path(), 2, 13);
  EvalOptions options;
  options.samples = {{dir.file("000.npy"), -1, "m0"}, {dir.file("001.npy"), -1, "m1"}};
  options.ignore_index = 255;
  // Class 1 everywhere but an ignored border row.
  options.load_mask = [](const Sample&, const PreprocessSpec&, int64_t h, int64_t w) {
    std::vector<uint8_t> mask(static_cast<size_t>(h * w), 1);
    for (int64_t x = 0; x < w; ++x) mask[static_cast<size_t>(x)] = 255;
    return Result<std::vector<uint8_t>>(mask);
  };
  auto eval = EvalSet::create(model, options);
  ASSERT_TRUE(eval.ok()) << eval.status().to_string();
  EXPECT_EQ(eval->task(), Task::kSegment);
  EXPECT_GE(eval->reference_metric(), 0.0);
  EXPECT_LE(eval->reference_metric(), 100.0);
  auto r = eval->score(model);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metric, "miou");
  EXPECT_DOUBLE_EQ(r->candidate, eval->reference_metric());

  options.load_mask = [](const Sample&, const PreprocessSpec&, int64_t, int64_t) {
    return Result<std::vector<uint8_t>>(std::vector<uint8_t>(7, 0));
  };
  auto bad = EvalSet::create(model, options);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("pixels"), std::string::npos) << bad.status().message();
}

TEST(Sensitivity, WithinBudgetExcludesNothing) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 8, 21);
  SensitivityOptions o;
  o.quantize.table = testing::calibrate_random(model, 24);
  o.max_accuracy_loss = 100.0;
  o.eval.data_dir = dir.path();
  auto r = find_sensitive_nodes(model, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->within_budget);
  EXPECT_TRUE(r->excluded.empty());
  EXPECT_TRUE(r->ranking.empty());
}

TEST(Sensitivity, ExcludesTheNodeABadRangeBreaks) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 24, 31);
  SensitivityOptions o;
  o.quantize.table = testing::calibrate_random(model, 32);
  // A hopeless range for the input: the first Conv sees mostly zeros unless it stays in float.
  o.quantize.table.tensors["input"].range = {-2000.0f, 2000.0f};
  o.max_accuracy_loss = 10.0;
  o.eval.data_dir = dir.path();
  o.eval.error_samples = 8;
  std::vector<std::string> lines;
  o.progress = [&](const std::string& line) { lines.push_back(line); };
  auto r = find_sensitive_nodes(model, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_GT(r->initial.loss_points, 10.0);
  ASSERT_FALSE(r->ranking.empty());
  EXPECT_EQ(r->ranking[0].node, first_conv(model));
  EXPECT_TRUE(r->within_budget);
  ASSERT_FALSE(r->excluded.empty());
  EXPECT_EQ(r->excluded[0], first_conv(model));
  EXPECT_LE(r->final.loss_points, 10.0);
  EXPECT_FALSE(lines.empty());
  const auto j = sensitivity_to_json(*r);
  EXPECT_EQ(j["excluded"][0], first_conv(model));
}

TEST(Sensitivity, ReportsAnUnreachableBudgetWithOnlyMeasuredExclusions) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 24, 41);
  SensitivityOptions o;
  o.quantize.table = testing::calibrate_random(model, 32);
  // Two hopeless ranges, at the input and before the pooling: one exclusion cannot fix both.
  for (auto& [name, c] : o.quantize.table.tensors) {
    if (name == "input" || name.find("Relu") != std::string::npos) c.range = {-2000.0f, 2000.0f};
  }
  o.max_accuracy_loss = 5.0;
  o.max_excluded = 1;
  o.eval.data_dir = dir.path();
  o.eval.error_samples = 8;
  auto r = find_sensitive_nodes(model, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->within_budget);
  EXPECT_EQ(r->excluded.size(), 1u);
  EXPECT_GT(r->final.loss_points, 5.0);
}

TEST(Sensitivity, RejectsNegativeBudgetAndEmptyEvalFolder) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  SensitivityOptions o;
  o.quantize.table = testing::calibrate_random(model, 4);
  o.max_accuracy_loss = -1.0;
  o.eval.data_dir = dir.path();
  EXPECT_EQ(find_sensitive_nodes(model, o).status().code(), StatusCode::kInvalidArgument);
  o.max_accuracy_loss = 1.0;
  auto r = find_sensitive_nodes(model, o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no samples"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace edgetier
