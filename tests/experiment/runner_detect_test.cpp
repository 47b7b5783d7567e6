/// `edgetier run` on fixture detectors through real tiers: mAP against synthetic boxes stored for
/// a detector with the shapes' classes (equal to the same model scored here, in process), and
/// agreement with the float model's own detections for one with other classes.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "experiment/datasets.h"
#include "experiment/synth.h"
#include "experiment/test_util.h"
#include "graph/detector_fixtures.h"
#include "metrics/detection_outputs.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "store/store.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int kImages = 8;
constexpr int64_t kSize = 32;

/// A fixture detector saved with its sidecar: letterboxed input, a YOLO block for `classes`.
void save_detector(const std::string& path, int64_t classes) {
  testing::save(fixtures::output0_detector(kSize, classes), path);
  const nlohmann::json sidecar = {
      {"task", "detect"},
      {"preprocess",
       {{"height", kSize}, {"width", kSize}, {"letterbox", true}, {"resize_shorter", 0},
        {"center_crop", false}}},
      {"detection",
       {{"format", "yolo"}, {"outputs", {"output0"}}, {"num_classes", classes}}}};
  testing::write_text(fs::path(path).replace_extension(".json").string(), sidecar.dump());
}

/// mAP of the model on the run's synthetic detection data, scored here in process.
std::vector<MetricValue> map_in_process(const std::string& model, const std::string& data_dir) {
  DataSpec spec;
  spec.kind = DataKind::kCoco;
  spec.path = data_dir;
  auto data = load_dataset(spec);
  EXPECT_TRUE(data.ok()) << data.status().to_string();
  if (!data.ok()) return {};
  auto runner = PartRunner::from_files({model}, SessionOptions{});
  EXPECT_TRUE(runner.ok());
  PreprocessSpec pre = PreprocessSpec::for_input("input", kSize, kSize);
  pre.letterbox = true;
  pre.resize_shorter = 0;
  pre.center_crop = false;
  DetectionOutputs block;
  block.outputs = {"output0"};
  block.decode.num_classes = kSynthNumClasses;
  DetectionAP ap;
  for (const Sample& s : data->samples) {
    auto bytes = read_file_bytes(s.image_path);
    ImageToInput g;
    auto x = decode_and_preprocess(*bytes, pre, &g);
    EXPECT_TRUE(x.ok());
    auto r = (*runner)->run({*x});
    EXPECT_TRUE(r.ok());
    auto boxes = detections_for_scoring(r->outputs, block, g);
    EXPECT_TRUE(boxes.ok());
    EXPECT_TRUE(ap.add(*boxes, s.boxes).ok());
  }
  return ap.values();
}

TEST(RunnerDetect, StoresMapAgainstBoxesAndAgreementWithTheFloatModel) {
  TempDir dir;
  save_detector(dir / "shapes_det.onnx", kSynthNumClasses);
  save_detector(dir / "other_det.onnx", 3);
  testing::write_text(dir / "spec.yaml",
                      "name: runner-detect\n"
                      "models: [shapes_det.onnx, other_det.onnx]\n"
                      "data: {kind: synth, count: " + std::to_string(kImages) +
                          ", size: 64, seed: 5}\n"
                          "operators: [I]\n"
                          "placements: [M]\n"
                          "testbed: default\n"
                          "scenarios:\n"
                          "  - name: fast\n"
                          "    links: {mobile-edge: {rate_mbit: 200}}\n"
                          "measurement: {warmup: 1, requests: 4, passes: 1}\n");
  const std::string out = dir / "out";
  auto r = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  StoreOptions o;
  o.read_only = true;
  auto store = ResultStore::open(out + "/results.db", o);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  const int64_t run_id = runs->front().run_id;
  EXPECT_EQ(runs->front().status, "done");
  EXPECT_EQ(*(*store)->count_requests(run_id), 2 * 4);

  DataSpec synth;
  synth.synth_count = kImages;
  synth.synth_size = 64;
  synth.synth_seed = 5;
  const auto expected =
      map_in_process(dir / "shapes_det.onnx", synth_data_dir(synth, Task::kDetect, out + "/data"));
  auto labelled = (*store)->accuracy(run_id, "shapes_det", "I");
  ASSERT_TRUE(labelled.ok());
  ASSERT_EQ(labelled->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*labelled)[i].metric, expected[i].metric);
    EXPECT_NEAR((*labelled)[i].value, expected[i].value, 1e-9) << expected[i].metric;
    EXPECT_EQ((*labelled)[i].n, kImages);
  }
  auto fidelity = (*store)->accuracy(run_id, "other_det", "I");
  ASSERT_TRUE(fidelity.ok());
  ASSERT_EQ(fidelity->size(), 1u);
  EXPECT_EQ((*fidelity)[0].metric, "agree_map");
  EXPECT_DOUBLE_EQ((*fidelity)[0].value, 100.0);  // Identity is the float model
}

}  // namespace
}  // namespace edgetier
