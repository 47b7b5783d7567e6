/// Tests for `variants` on detectors: I, Q, P (automatic cut, several tensors at the FPN), EE
/// build; DEE is refused with its reason; partitions equal the whole model bit for bit; the
/// manifest carries the detection block to the last part.
#include <gtest/gtest.h>

#include <filesystem>

#include "graph/detector_fixtures.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/compose.h"
#include "ops/detector_fixture.h"
#include "ops/dynamic_exit.h"
#include "ops/ops_test_util.h"
#include "ops/partition.h"
#include "ops/quantize_hook.h"
#include "ops/variant_dir.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

SessionOptions exact_settings() {
  SessionOptions so = one_thread();
  so.graph_opt_level = GraphOptLevel::kDisabled;
  return so;
}

std::vector<Tensor> run_variant(const std::string& dir, const std::vector<Tensor>& inputs) {
  auto runner = open_variant(dir, exact_settings());
  EXPECT_TRUE(runner.ok()) << runner.status().to_string();
  if (!runner.ok()) return {};
  auto r = (*runner)->run(inputs);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->outputs : std::vector<Tensor>{};
}

/// Q calibrated on the fixture's images with its letterbox recipe, as `variants` binds it.
QuantizeFn image_quantizer(const DetectorFiles& f) {
  QuantizeHookOptions h;
  h.calibration.data_dir = f.images;
  h.calibration.method = CalibrationMethod::kMinMax;
  h.calibration.preprocess = *preprocess_from_json(
      {{"height", 32}, {"width", 32}, {"letterbox", true}, {"mean", {0, 0, 0}}, {"std", {1, 1, 1}}});
  h.check_speed = false;
  return make_quantize_hook(std::move(h));
}

TEST(ComposeDetect, DetectorChainsBuildAndDynamicExitIsRefusedWithItsReason) {
  TempDir tmp;
  const auto model = fixtures::tiny_yolo_detector();
  const nlohmann::json block = {{"format", "yolo"},
                                {"outputs", {model.graph().output(0).name()}},
                                {"num_classes", 3}};
  const DetectorFiles f = write_detector(tmp.path(), "yolo", model, 4, block);
  VariantOptions o;
  o.ops = {"I", "Q", "P", "QP", "EE", "DEE@0.5"};
  o.auto_cut = CutSelectOptions{};
  o.skip_last = 1;
  o.quantize_fn = image_quantizer(f);
  std::vector<VariantResult> results;
  Status st = build_variants(f.model_path, o, tmp.file("v"), &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(results.size(), 6u);
  for (size_t i = 0; i + 1 < results.size(); ++i) {
    EXPECT_TRUE(results[i].built()) << results[i].ops << ": " << results[i].not_applicable
                                    << results[i].failed;
  }
  EXPECT_FALSE(results[5].built());
  EXPECT_NE(results[5].not_applicable.find("dynamic exit does not apply to detectors"),
            std::string::npos)
      << results[5].not_applicable;

  const auto input = random_inputs(model, 5);
  const auto whole = run_model(model, input, exact_settings());
  for (const std::string ops : {"I", "P", "Q", "QP", "EE"}) {
    auto m = read_manifest(tmp.file("v/" + ops));
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    EXPECT_EQ(m->task, "detect");
    ASSERT_TRUE(m->detection.has_value()) << ops;
    EXPECT_EQ(m->detection->format, DetectionFormat::kYolo);
    EXPECT_EQ(m->detection->decode.num_classes, 3);
    // The last part answers the detection outputs.
    const auto& last = m->parts.back().outputs;
    EXPECT_TRUE(std::any_of(last.begin(), last.end(), [&](const TensorInfo& t) {
      return t.name == m->detection->outputs[0];
    })) << ops;
    const auto out = run_variant(tmp.file("v/" + ops), input);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape, whole[0].shape) << ops << ": the head sees the shapes it expects";
  }
  // P: two parts, chained bit for bit equal to the whole model with rewrites off.
  auto p = read_manifest(tmp.file("v/P"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->parts.size(), 2u);
  std::string why;
  EXPECT_TRUE(bit_identical(run_variant(tmp.file("v/P"), input), whole, &why)) << why;
  EXPECT_TRUE(bit_identical(run_variant(tmp.file("v/I"), input), whole, &why)) << why;
}

TEST(ComposeDetect, PartitionAcrossTheFpnLevelsIsBitIdentical) {
  const auto model = fixtures::tiny_yolo_detector();
  const std::vector<std::string> levels = fixtures::tiny_yolo_fpn_cut(model);
  ASSERT_EQ(levels.size(), 2u);
  std::vector<onnx::ModelProto> parts;
  Status st = partition(model, {{levels}}, &parts);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(parts.size(), 2u);
  // Both levels cross: the upper part reads them and nothing else.
  std::vector<std::string> upper_inputs;
  for (const auto& in : parts[1].graph().input()) upper_inputs.push_back(in.name());
  std::sort(upper_inputs.begin(), upper_inputs.end());
  std::vector<std::string> expected = levels;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(upper_inputs, expected);
  for (uint32_t seed : {1u, 2u, 3u}) {
    const auto input = random_inputs(model, seed);
    std::string why;
    EXPECT_TRUE(bit_identical(run_parts(parts, input, exact_settings()),
                              run_model(model, input, exact_settings()), &why))
        << why;
  }
}

TEST(ComposeDetect, BoxesDetectorPartitionsBitIdentically) {
  TempDir tmp;
  const auto model = fixtures::tiny_box_detector();
  const DetectorFiles f = write_detector(tmp.path(), "boxes", model, 2);
  VariantOptions o;
  o.ops = {"P"};
  o.auto_cut = CutSelectOptions{};
  std::vector<VariantResult> results;
  ASSERT_TRUE(build_variants(f.model_path, o, tmp.file("v"), &results).ok());
  ASSERT_TRUE(results[0].built()) << results[0].not_applicable;
  auto m = read_manifest(tmp.file("v/P"));
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->detection.has_value());
  EXPECT_EQ(m->detection->format, DetectionFormat::kBoxes);
  EXPECT_EQ(m->detection->outputs.size(), 3u);
  const auto input = random_inputs(model, 9);
  std::string why;
  EXPECT_TRUE(
      bit_identical(run_variant(tmp.file("v/P"), input), run_model(model, input, exact_settings()),
                    &why))
      << why;
}

TEST(ComposeDetect, DynamicExitRefusesDetectors) {
  const auto model = fixtures::tiny_yolo_detector();
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  DynamicExitOptions o;
  o.task = "detect";
  Status st = dynamic_exit(model, o, &parts, &policy);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("no confidence for a set of detections"), std::string::npos)
      << st.message();
  EXPECT_TRUE(parts.empty());
}

TEST(ComposeDetect, ADeclaredBlockNamingNoOutputIsRefusedBeforeAnythingIsWritten) {
  TempDir tmp;
  const auto model = fixtures::tiny_yolo_detector();
  const DetectorFiles f = write_detector(tmp.path(), "yolo", model, 1,
                                         {{"format", "yolo"}, {"outputs", {"output0"}}});
  VariantOptions o;
  o.ops = {"I", "P"};
  o.auto_cut = CutSelectOptions{};
  Status st = build_variants(f.model_path, o, tmp.file("v"), nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("detection.outputs[0] 'output0' is not an output of the model"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("yolo.json"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(tmp.file("v")));
}

}  // namespace
}  // namespace edgetier
