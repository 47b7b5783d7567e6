/// Detection in the experiment spec and datasets: the coco/yolo kinds, auto detection, the
/// letterbox override, synth detection data, and bad label files refused by `edgetier run` with
/// one line naming the file before anything is built or written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "experiment/datasets.h"
#include "experiment/plan.h"
#include "experiment/spec.h"
#include "experiment/synth.h"
#include "experiment/test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

// Two images (40x30, 20x20) and `anns` in a COCO instances file at dir/instances.json.
void write_coco(const TempDir& dir, const std::string& anns) {
  testing::write_image(dir / "images/a.png", 40, 30, 1);
  testing::write_image(dir / "images/b.png", 20, 20, 2);
  testing::write_text(dir / "instances.json",
                      R"({"images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30},
                                     {"id": 2, "file_name": "b.png", "width": 20, "height": 20}],
                          "categories": [{"id": 7, "name": "cat"}, {"id": 3, "name": "dog"}],
                          "annotations": )" + anns + "}");
}

const char* kGoodAnns =
    R"([{"id": 1, "image_id": 1, "category_id": 3, "bbox": [2, 3, 10, 12]},
        {"id": 2, "image_id": 2, "category_id": 7, "bbox": [0, 0, 20, 20]}])";

TEST(DetectionSpec, ParsesCocoAndYoloKindsAndTheLetterboxOverride) {
  auto spec = parse_spec(
      "models:\n"
      "  - path: det.onnx\n"
      "    task: detect\n"
      "    preprocess: {letterbox: [320, 256]}\n"
      "    data: {kind: coco, path: val, annotations: ann/instances_val.json, images: val2017}\n"
      "data: {kind: yolo, path: set}\n",
      "/exp", "test.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  const ModelSpec& m = spec->models[0];
  EXPECT_EQ(m.task, Task::kDetect);
  ASSERT_TRUE(m.preprocess.letterbox);
  EXPECT_EQ(*m.preprocess.letterbox, std::make_pair(int64_t{320}, int64_t{256}));
  ASSERT_TRUE(m.data);
  EXPECT_EQ(m.data->kind, DataKind::kCoco);
  EXPECT_EQ(m.data->annotations, "ann/instances_val.json");
  EXPECT_EQ(m.data->images, "val2017");
  EXPECT_EQ(spec->data.kind, DataKind::kYolo);
  EXPECT_EQ(spec->data.path, "/exp/set");
  const nlohmann::json keys = preprocess_override_keys(m);
  EXPECT_EQ(keys["letterbox"], true);
  EXPECT_EQ(keys["height"], 320);
  EXPECT_EQ(keys["width"], 256);
  EXPECT_EQ(spec_to_json(*spec)["models"][0]["data"]["annotations"], "ann/instances_val.json");

  auto both = parse_spec("models:\n  - path: m.onnx\n    preprocess: {crop: 224, letterbox: 320}\n",
                         "/exp", "test.yaml");
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.status().message(), HasSubstr("models[0].preprocess.letterbox"));
  auto kind = parse_spec("models: [m.onnx]\ndata: {kind: cocoo, path: x}\n", "/exp", "t.yaml");
  ASSERT_FALSE(kind.ok());
  EXPECT_THAT(kind.status().message(), HasSubstr("did you mean 'coco'?"));
}

TEST(DetectionData, CocoAndYoloFoldersLoadWithTheirBoxesAndAutoKinds) {
  TempDir coco;
  write_coco(coco, kGoodAnns);
  DataSpec spec;
  spec.kind = DataKind::kAuto;
  spec.path = coco.path();
  EXPECT_EQ(*resolve_data_kind(spec), DataKind::kCoco);
  auto d = load_dataset(spec);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_TRUE(d->detection());
  EXPECT_TRUE(d->labeled());
  EXPECT_EQ(d->classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(d->category_ids, (std::vector<int64_t>{7, 3}));
  ASSERT_EQ(d->samples.size(), 2u);
  ASSERT_EQ(d->samples[0].boxes.size(), 1u);
  EXPECT_EQ(d->samples[0].boxes[0].category, 1);  // "dog", class index 1
  EXPECT_DOUBLE_EQ(d->samples[0].boxes[0].box.w, 10);

  TempDir yolo;
  testing::write_image(yolo / "images/a.png", 40, 20, 1);
  testing::write_text(yolo / "labels/a.txt", "1 0.5 0.5 0.5 0.5\n");
  testing::write_text(yolo / "classes.txt", "cat\ndog\n");
  spec.path = yolo.path();
  EXPECT_EQ(*resolve_data_kind(spec), DataKind::kYolo);
  auto y = load_dataset(spec);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ(y->samples.size(), 1u);
  ASSERT_EQ(y->samples[0].boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(y->samples[0].boxes[0].box.x, 10);
  EXPECT_DOUBLE_EQ(y->samples[0].boxes[0].box.h, 10);

  spec.kind = DataKind::kCoco;
  spec.annotations = "missing.json";
  auto missing = load_dataset(spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.json"));
  EXPECT_THAT(missing.status().message(), HasSubstr("data.annotations"));
}

TEST(DetectionData, SynthDetectionDataIsReadAsCocoWithEveryShapesBox) {
  TempDir dir;
  DataSpec synth;
  synth.synth_count = 6;
  synth.synth_size = 64;
  const std::string folder = synth_data_dir(synth, Task::kDetect, dir.path());
  EXPECT_THAT(folder, HasSubstr("synth-detect-n6-s64"));
  SynthOptions o;
  o.task = Task::kDetect;
  o.count = 6;
  o.size = 64;
  o.seed = synth.synth_seed;
  ASSERT_TRUE(write_synth_dataset(o, folder, true).ok());
  const DataSpec spec = synth_as_folder_spec(synth, Task::kDetect, folder, kSynthNumClasses);
  EXPECT_EQ(spec.kind, DataKind::kCoco);
  auto d = load_dataset(spec);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d->samples.size(), 6u);
  EXPECT_EQ(d->num_classes, kSynthNumClasses);
  for (size_t i = 0; i < d->samples.size(); ++i) {
    auto drawn = synth_sample(o, static_cast<int64_t>(i));
    ASSERT_TRUE(drawn.ok());
    size_t visible = 0;
    for (const auto& obj : drawn->objects) visible += obj.visible_pixels > 0 ? 1 : 0;
    EXPECT_EQ(d->samples[i].boxes.size(), visible) << i;
  }
  // A detector with other classes is scored against its float detections on the same images.
  EXPECT_EQ(synth_as_folder_spec(synth, Task::kDetect, folder, 80).kind, DataKind::kUnlabeled);
}

/// `edgetier run --plan-only` on a classifier with detection data `data_yaml`: the data is read
/// before anything is planned or written, so a bad label file stops the run with its one line.
std::string run_error(const TempDir& dir, const std::string& data_yaml) {
  const std::string model = std::string(EDGETIER_SOURCE_DIR) + "/models/demo_classifier.onnx";
  testing::write_text(dir / "spec.yaml", "models: [" + model + "]\ndata: " + data_yaml +
                                             "\noperators: [I]\nplacements: [M]\n");
  auto r = testing::run_edgetier({"run", dir / "spec.yaml", "--out", dir / "out", "--plan-only"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out/results.db")) << "nothing written";
  return r.err;
}

TEST(DetectionData, RunRefusesBadLabelFilesWithOneLineNamingTheFile) {
  {
    TempDir dir;
    write_coco(dir, R"([{"id": 1, "image_id": 1, "category_id": 3, "bbox": [35, 3, 10, 12]}])");
    const std::string err = run_error(dir, "{kind: coco, path: " + dir.path() + "}");
    EXPECT_THAT(err, HasSubstr("instances.json"));
    EXPECT_THAT(err, HasSubstr("annotations[0].bbox"));
  }
  {
    TempDir dir;
    write_coco(dir, R"([{"id": 1, "image_id": 9, "category_id": 3, "bbox": [1, 1, 2, 2]}])");
    const std::string err = run_error(dir, "{kind: coco, path: " + dir.path() + "}");
    EXPECT_THAT(err, HasSubstr("instances.json"));
    EXPECT_THAT(err, HasSubstr("annotations[0].image_id"));
  }
  {
    TempDir dir;
    testing::write_image(dir / "images/a.png", 40, 20, 1);
    testing::write_text(dir / "labels/a.txt", "0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.5\n");
    testing::write_text(dir / "classes.txt", "cat\ndog\n");
    const std::string err = run_error(dir, "{kind: yolo, path: " + dir.path() + "}");
    EXPECT_THAT(err, HasSubstr("labels/a.txt:2"));
  }
}

}  // namespace
}  // namespace edgetier

namespace edgetier {
namespace {

// A classifier or a segmenter given boxes is refused naming the model, the data and the fix;
// a detector given them is accepted.
TEST(DetectionData, OnlyADetectorTakesBoxes) {
  Dataset boxes;
  boxes.kind = DataKind::kCoco;
  boxes.root = "/data/coco";
  ModelFacts facts;
  facts.name = "net";
  for (Task task : {Task::kClassify, Task::kSegment}) {
    facts.task = task;
    const Status s = check_data_fits_model(facts, &boxes);
    ASSERT_FALSE(s.ok()) << task_name(task);
    EXPECT_THAT(s.message(), ::testing::HasSubstr("model 'net' with data '/data/coco'"));
    EXPECT_THAT(s.message(), ::testing::HasSubstr("the data holds boxes"));
    EXPECT_THAT(s.message(), ::testing::HasSubstr("or set task: detect"));
  }
  facts.task = Task::kDetect;
  EXPECT_TRUE(check_data_fits_model(facts, &boxes).ok());
  boxes.kind = DataKind::kYolo;
  facts.task = Task::kClassify;
  EXPECT_FALSE(check_data_fits_model(facts, &boxes).ok());
}

}  // namespace
}  // namespace edgetier
