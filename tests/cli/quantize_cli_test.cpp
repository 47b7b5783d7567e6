/// Tests for `edgetier calibrate` and `edgetier quantize`: outputs, JSON, one-line errors, no
/// partial files.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/procfs.h"
#include "graph/builder.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/calibrate.h"
#include "ops/quant_test_util.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

bool folder_has_no_leftovers(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp") != std::string::npos || name.rfind("out", 0) == 0) return false;
  }
  return true;
}

TEST(QuantizeCli, CalibrateThenQuantizeWithTable) {
  TempDir dir;
  const onnx::ModelProto model = fixtures::tiny_resnet();
  ASSERT_TRUE(save_model(model, dir.file("m.onnx")).ok());
  testing::write_npy_samples(model, dir.file("data"), 8);
  auto c = run_edgetier("calibrate " + dir.file("m.onnx") + " --data " + dir.file("data") +
                        " --method minmax --samples 5 -o " + dir.file("t.json") + " --json");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto cj = nlohmann::json::parse(c.out);
  EXPECT_EQ(cj["samples"], 5);
  EXPECT_EQ(cj["method"], "minmax");
  auto table = read_calibration_table(dir.file("t.json"));
  ASSERT_TRUE(table.ok()) << table.status().to_string();

  auto q =
      run_edgetier("quantize " + dir.file("m.onnx") + " --table " + dir.file("t.json") +
                   " --format qoperator --exclude /Conv_0 -o " + dir.file("q.onnx") + " --json");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto qj = nlohmann::json::parse(q.out);
  EXPECT_EQ(qj["format"], "qoperator");
  EXPECT_EQ(qj["report"]["excluded_nodes"][0], "/Conv_0");
  EXPECT_EQ(qj["report"]["quantized_ops"]["Conv"].get<int>(),
            testing::count_ops(model, "Conv") - 1);
  auto out = load_model(dir.file("q.onnx"));
  ASSERT_TRUE(out.ok());
  EXPECT_GT(testing::count_ops(*out, "QLinearConv"), 0);
}

TEST(QuantizeCli, QuantizeCalibratesFromDataAndPrintsSummary) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::chain_model(), dir.file("m.onnx")).ok());
  testing::write_npy_samples(fixtures::chain_model(), dir.file("data"), 4);
  auto q = run_edgetier("quantize " + dir.file("m.onnx") + " --data " + dir.file("data") + " -o " +
                        dir.file("q.onnx"));
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("quantized 5 nodes"), std::string::npos) << q.out;
  EXPECT_TRUE(fs::exists(dir.file("q.onnx")));
  // Weight bits: auto's answer for this CPU unless chosen, and printed.
  const std::string auto_bits = this_cpu_int8_dot_saturates() ? "7-bit" : "8-bit";
  EXPECT_NE(q.out.find("[qdq, " + auto_bits + " weights]"), std::string::npos) << q.out;
  for (const auto& [choice, bits] : {std::pair{"true", 7}, std::pair{"false", 8}}) {
    auto chosen = run_edgetier("quantize " + dir.file("m.onnx") + " --data " + dir.file("data") +
                               " --reduce-range " + choice + " -o " + dir.file("r.onnx") +
                               " --json");
    ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
    EXPECT_EQ(nlohmann::json::parse(chosen.out)["weight_bits"].get<int>(), bits) << choice;
  }
}

TEST(QuantizeCli, EmptyCalibrationFolderFailsWithoutOutput) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::chain_model(), dir.file("m.onnx")).ok());
  fs::create_directories(dir.file("empty"));
  auto q = run_edgetier("quantize " + dir.file("m.onnx") + " --data " + dir.file("empty") + " -o " +
                        dir.file("out.onnx"));
  EXPECT_EQ(q.exit_code, 2);
  EXPECT_NE(q.err.find("no samples"), std::string::npos) << q.err;
  EXPECT_EQ(std::count(q.err.begin(), q.err.end(), '\n'), 1) << q.err;
  auto c = run_edgetier("calibrate " + dir.file("m.onnx") + " --data " + dir.file("empty") +
                        " -o " + dir.file("out.json"));
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(folder_has_no_leftovers(dir.path()));
}

TEST(QuantizeCli, ModelWithoutQuantizableOpFailsWithoutOutput) {
  TempDir dir;
  GraphBuilder b("plain");
  b.output(b.softmax(b.relu(b.input("input", {1, 10}))));
  const onnx::ModelProto model = *b.build();
  ASSERT_TRUE(save_model(model, dir.file("m.onnx")).ok());
  testing::write_npy_samples(model, dir.file("data"), 2);
  auto q = run_edgetier("quantize " + dir.file("m.onnx") + " --data " + dir.file("data") + " -o " +
                        dir.file("out.onnx"));
  EXPECT_EQ(q.exit_code, 2);
  EXPECT_NE(q.err.find("no quantizable op"), std::string::npos) << q.err;
  EXPECT_TRUE(folder_has_no_leftovers(dir.path()));
}

TEST(QuantizeCli, RejectsBadFlagsWithSuggestions) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::chain_model(), dir.file("m.onnx")).ok());
  testing::write_npy_samples(fixtures::chain_model(), dir.file("data"), 2);
  const std::string base = "quantize " + dir.file("m.onnx") + " --data " + dir.file("data") +
                           " -o " + dir.file("out.onnx");
  auto exclude = run_edgetier(base + " --exclude /Conv_1,/Cnv_0");
  EXPECT_NE(exclude.exit_code, 0);
  EXPECT_NE(exclude.err.find("nearest: '/Conv_0'"), std::string::npos) << exclude.err;
  auto method = run_edgetier(base + " --method entropi");
  EXPECT_NE(method.err.find("did you mean 'entropy'"), std::string::npos) << method.err;
  auto format = run_edgetier(base + " --format qdqq");
  EXPECT_NE(format.err.find("did you mean 'qdq'"), std::string::npos) << format.err;
  auto range = run_edgetier(base + " --reduce-range ture");
  EXPECT_NE(range.exit_code, 0);
  EXPECT_NE(range.err.find("--reduce-range: unknown reduce_range 'ture'; did you mean 'true'"),
            std::string::npos)
      << range.err;
  auto budget = run_edgetier(base + " --max-accuracy-loss 0.5");
  EXPECT_NE(budget.err.find("--eval"), std::string::npos) << budget.err;
  auto table = run_edgetier("quantize " + dir.file("m.onnx") + " --table " + dir.file("nope.json") +
                            " -o " + dir.file("out.onnx"));
  EXPECT_NE(table.err.find("nope.json"), std::string::npos) << table.err;
  EXPECT_TRUE(folder_has_no_leftovers(dir.path()));
}

TEST(QuantizeCli, AccuracyBudgetReportsExcludedNodes) {
  TempDir dir;
  const onnx::ModelProto model = fixtures::chain_model();
  ASSERT_TRUE(save_model(model, dir.file("m.onnx")).ok());
  testing::write_npy_samples(model, dir.file("data"), 8, 3);
  testing::write_npy_samples(model, dir.file("eval"), 8, 4);
  auto q = run_edgetier("quantize " + dir.file("m.onnx") + " --data " + dir.file("data") +
                        " --max-accuracy-loss 100 --eval " + dir.file("eval") + " -o " +
                        dir.file("q.onnx") + " --json");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto j = nlohmann::json::parse(q.out);
  EXPECT_TRUE(j["sensitivity"]["within_budget"].get<bool>());
  EXPECT_TRUE(j["sensitivity"]["excluded"].empty());
  EXPECT_EQ(j["sensitivity"]["final"]["metric"], "top1");
}

TEST(QuantizeCli, EvaluatesLabelledDatasetsAndUsesTheSidecar) {
  TempDir dir;
  const onnx::ModelProto model = fixtures::tiny_resnet();  // 32x32 input, 10 classes
  ASSERT_TRUE(save_model(model, dir.file("m.onnx")).ok());
  auto synth =
      run_edgetier("data synth --task classify -n 12 --size 32 --seed 3 -o " + dir.file("data"));
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  // A sidecar whose normalisation shifts every input below -8: the table shows it was used.
  write_file(dir.file("m.json"),
             R"({"task": "classify", "preprocess": {"resize_shorter": 0, "center_crop": false,
                 "mean": [10, 10, 10], "std": [1, 1, 1]}})");
  auto c = run_edgetier("calibrate " + dir.file("m.onnx") + " --data " + dir.file("data") + " -o " +
                        dir.file("t.json"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto table = read_calibration_table(dir.file("t.json"));
  ASSERT_TRUE(table.ok());
  EXPECT_LT(table->find("input")->observed.max, -8.0f);
  auto q = run_edgetier("quantize " + dir.file("m.onnx") + " --table " + dir.file("t.json") +
                        " --max-accuracy-loss 100 --eval " + dir.file("data") + " -o " +
                        dir.file("q.onnx") + " --json");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto j = nlohmann::json::parse(q.out);
  EXPECT_TRUE(j["sensitivity"]["final"]["labelled"].get<bool>());
  EXPECT_EQ(j["sensitivity"]["final"]["samples"], 12);
}

}  // namespace
}  // namespace edgetier
