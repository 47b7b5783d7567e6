/// Tests for dataset loading and validation.
#include "experiment/datasets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "experiment/test_util.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

DataSpec folder_spec(const std::string& path, DataKind kind = DataKind::kFolder) {
  DataSpec d;
  d.kind = kind;
  d.path = path;
  return d;
}

std::string error_of(const DataSpec& spec, const DatasetOptions& options = {}) {
  auto d = load_dataset(spec, options);
  EXPECT_FALSE(d.ok());
  return d.ok() ? "" : d.status().message();
}

TEST(Datasets, LabelledFolderWithIndicesAndNames) {
  TempDir dir;
  testing::write_image(dir / "images/b.png", 8, 8, 1);
  testing::write_image(dir / "images/a.jpg", 8, 8, 2);
  testing::write_image(dir / "c.bmp", 8, 8, 3);
  testing::write_text(dir / "classes.txt", "# shapes\ncircle\nsquare\n\ntriangle\n");
  testing::write_text(dir / "labels.csv",
                      "file,label\r\nimages/b.png,2\r\n\"images/a.jpg\",square\r\nc.bmp,0\r\n");
  auto d = load_dataset(folder_spec(dir.path()));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DataKind::kFolder);
  EXPECT_EQ(d->classes, (std::vector<std::string>{"circle", "square", "triangle"}));
  ASSERT_EQ(d->samples.size(), 3u);
  EXPECT_EQ(d->samples[0].image_path, dir / "images/b.png");
  EXPECT_EQ(d->samples[0].label, 2);
  EXPECT_EQ(d->samples[1].label, 1);
  EXPECT_EQ(d->samples[2].label, 0);
}

TEST(Datasets, MissingAndEmptyFolders) {
  TempDir dir;
  EXPECT_THAT(error_of(folder_spec(dir / "nope")),
              HasSubstr("data folder '" + dir / "nope" + "' does not exist"));
  std::filesystem::create_directories(dir / "empty");
  EXPECT_THAT(error_of(folder_spec(dir / "empty", DataKind::kUnlabeled)),
              HasSubstr("has no images"));
  EXPECT_THAT(error_of(folder_spec(dir / "empty", DataKind::kFolder)), HasSubstr("label file"));
  EXPECT_THAT(error_of(folder_spec(dir / "empty", DataKind::kImagenet)),
              HasSubstr("has no class subfolders"));
  std::filesystem::create_directories(dir / "classes/cat");
  EXPECT_THAT(error_of(folder_spec(dir / "classes", DataKind::kImagenet)),
              HasSubstr("has no images"));
  DataSpec synth;
  EXPECT_EQ(load_dataset(synth).status().code(), StatusCode::kFailedPrecondition);
}

TEST(Datasets, LabelFileThatDoesNotMatchTheImagesNamesBothSides) {
  TempDir dir;
  for (int i = 0; i < 4; ++i)
    testing::write_image(dir / ("img" + std::to_string(i) + ".png"), 8, 8, i);
  testing::write_text(dir / "labels.csv",
                      "file,label\nimg0.png,0\nimg1.png,1\ngone1.png,0\ngone2.png,1\n");
  const std::string msg = error_of(folder_spec(dir.path()));
  EXPECT_THAT(msg, HasSubstr("2 listed file(s) do not exist (gone1.png, gone2.png)"));
  EXPECT_THAT(msg, HasSubstr("2 image(s) have no label (img2.png, img3.png)"));
}

TEST(Datasets, BadLabelLinesAreNamed) {
  TempDir dir;
  testing::write_image(dir / "a.png", 8, 8);
  testing::write_image(dir / "b.png", 8, 8);
  testing::write_text(dir / "labels.csv", "name,class\na.png,0\n");
  EXPECT_THAT(error_of(folder_spec(dir.path())),
              HasSubstr("labels.csv:1: expected the header 'file,label'"));
  testing::write_text(dir / "labels.csv", "file,label\na.png,cat\nb.png,0\n");
  EXPECT_THAT(error_of(folder_spec(dir.path())),
              HasSubstr("labels.csv:2: label 'cat' is a class name but there is no"));
  DatasetOptions options;
  options.model_classes = {"dog", "cot"};
  EXPECT_THAT(error_of(folder_spec(dir.path()), options),
              HasSubstr("unknown class 'cat'; did you mean 'cot'?"));
  testing::write_text(dir / "labels.csv", "file,label\na.png,0\na.png,1\n");
  EXPECT_THAT(error_of(folder_spec(dir.path())),
              HasSubstr("labels.csv:3: 'a.png' is already labelled on line 2"));
  testing::write_text(dir / "classes.txt", "x\ny\n");
  testing::write_text(dir / "labels.csv", "file,label\na.png,0\nb.png,5\n");
  EXPECT_THAT(error_of(folder_spec(dir.path())),
              HasSubstr("label 5 is out of range: there are 2 classes"));
}

TEST(Datasets, ImagenetStyleClassFolders) {
  TempDir dir;
  testing::write_image(dir / "n02/x.jpg", 8, 8);
  testing::write_image(dir / "n01/y.png", 8, 8);
  testing::write_image(dir / "n01/sub/z.png", 8, 8);
  auto d = load_dataset(folder_spec(dir.path(), DataKind::kImagenet));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->classes, (std::vector<std::string>{"n01", "n02"}));
  ASSERT_EQ(d->samples.size(), 3u);
  EXPECT_EQ(d->samples[0].label, 0);
  EXPECT_EQ(d->samples[2].label, 1);
  // classes.txt fixes the order, and must list every folder.
  testing::write_text(dir / "classes.txt", "n02\nn01\n");
  d = load_dataset(folder_spec(dir.path(), DataKind::kImagenet));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->samples[0].label, 1);
  testing::write_text(dir / "classes.txt", "n02\nn00\n");
  EXPECT_THAT(error_of(folder_spec(dir.path(), DataKind::kImagenet)),
              HasSubstr("class folder 'n01' is not listed in"));
}

TEST(Datasets, SegmentationPairsAndTheirChecks) {
  TempDir dir;
  testing::write_image(dir / "images/a.jpg", 16, 12);
  testing::write_mask(dir / "masks/a.png", 16, 12, 3);
  testing::write_image(dir / "images/b.png", 10, 10);
  testing::write_mask(dir / "masks/b.png", 10, 10, 3);
  testing::write_text(dir / "classes.txt", "bg\nx\ny\n");
  DataSpec spec = folder_spec(dir.path(), DataKind::kSegmentation);
  auto d = load_dataset(spec);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->num_classes, 3);
  EXPECT_EQ(d->ignore_index, 255);
  ASSERT_EQ(d->samples.size(), 2u);
  EXPECT_EQ(d->samples[0].mask_path, dir / "masks/a.png");

  spec.num_classes = 4;
  EXPECT_THAT(error_of(spec), HasSubstr("num_classes is 4 but"));
  spec.num_classes = 0;

  testing::write_mask(dir / "masks/b.png", 11, 10, 3);
  EXPECT_THAT(error_of(spec),
              HasSubstr("1 mask(s) in '" + dir / "masks" +
                        "' differ in size from their image: b.png (image 10x10, mask 11x10)"));
  std::filesystem::remove(dir / "masks/b.png");
  EXPECT_THAT(error_of(spec), HasSubstr("1 image(s) in '" + dir / "images" + "' have no mask"));
  std::filesystem::remove_all(dir / "masks");
  EXPECT_THAT(error_of(spec), HasSubstr("segmentation mask folder"));
}

TEST(Datasets, AutoKindDetection) {
  TempDir dir;
  testing::write_image(dir / "lab/a.png", 8, 8);
  testing::write_text(dir / "lab/labels.csv", "file,label\na.png,0\n");
  testing::write_image(dir / "seg/images/a.png", 8, 8);
  testing::write_mask(dir / "seg/masks/a.png", 8, 8, 2);
  testing::write_image(dir / "cls/dog/a.png", 8, 8);
  testing::write_image(dir / "flat/a.png", 8, 8);
  auto kind = [&](const std::string& sub) {
    return *resolve_data_kind(folder_spec(dir / sub, DataKind::kAuto));
  };
  EXPECT_EQ(kind("lab"), DataKind::kFolder);
  EXPECT_EQ(kind("seg"), DataKind::kSegmentation);
  EXPECT_EQ(kind("cls"), DataKind::kImagenet);
  EXPECT_EQ(kind("flat"), DataKind::kUnlabeled);
  auto d = load_dataset(folder_spec(dir / "flat", DataKind::kAuto));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->labeled());
}

TEST(Datasets, LimitTakesASeededSampleThenLatencyInputsCycle) {
  TempDir dir;
  for (int i = 0; i < 20; ++i)
    testing::write_image(dir / ("i" + std::to_string(100 + i) + ".png"), 4, 4, i);
  DataSpec spec = folder_spec(dir.path(), DataKind::kUnlabeled);
  spec.limit = 5;
  DatasetOptions options;
  options.seed = 7;
  auto a = load_dataset(spec, options);
  auto b = load_dataset(spec, options);
  options.seed = 8;
  auto c = load_dataset(spec, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_EQ(a->samples.size(), 5u);
  std::vector<std::string> pa, pb, pc;
  for (size_t i = 0; i < 5; ++i) {
    pa.push_back(a->samples[i].image_path);
    pb.push_back(b->samples[i].image_path);
    pc.push_back(c->samples[i].image_path);
  }
  EXPECT_EQ(pa, pb);
  EXPECT_NE(pa, pc);
  EXPECT_TRUE(std::is_sorted(pa.begin(), pa.end()));
  auto inputs = latency_inputs(*a, 12);
  ASSERT_EQ(inputs.size(), 12u);
  EXPECT_EQ(inputs[5].image_path, pa[0]);
  EXPECT_EQ(inputs[11].image_path, pa[1]);
}

TEST(Datasets, ImageSizeFromHeaders) {
  TempDir dir;
  for (const char* name : {"a.png", "a.jpg", "a.bmp"}) {
    testing::write_image(dir / name, 37, 21);
    auto size = read_image_size(dir / name);
    ASSERT_TRUE(size.ok()) << name << ": " << size.status().to_string();
    EXPECT_EQ(size->width, 37) << name;
    EXPECT_EQ(size->height, 21) << name;
  }
  testing::write_text(dir / "x.png", "not an image at all, definitely not");
  EXPECT_THAT(read_image_size(dir / "x.png").status().message(),
              HasSubstr("is not a PNG, JPEG or BMP"));
  testing::write_text(dir / "t.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10", 6));
  EXPECT_EQ(read_image_size(dir / "t.jpg").status().code(), StatusCode::kDataLoss);
}

TEST(Datasets, MaskFollowsTheImageGeometryWithNearestNeighbour) {
  TempDir dir;
  // 8 wide x 4 high: left half class 1, right half class 2.
  cv::Mat mask(4, 8, CV_8UC1);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 8; ++x) mask.at<uint8_t>(y, x) = x < 4 ? 1 : 2;
  }
  std::filesystem::create_directories(dir.path());
  ASSERT_TRUE(cv::imwrite(dir / "m.png", mask));
  PreprocessSpec spec;
  spec.resize_shorter = 8;  // 8x4 -> 16x8
  spec.height = 8;
  spec.width = 8;  // centre crop keeps columns 4..11 of 16
  spec.center_crop = true;
  auto m = load_mask(dir / "m.png", spec);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_EQ(m->size(), 64u);
  EXPECT_EQ((*m)[0], 1);  // column 4 of the resized mask: still the left half
  EXPECT_EQ((*m)[7], 2);  // column 11: the right half
  for (uint8_t v : *m) EXPECT_TRUE(v == 1 || v == 2);  // no blended ids
  auto small = load_mask(dir / "m.png", spec, 4, 4);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->size(), 16u);
  testing::write_image(dir / "rgb.png", 4, 4);
  EXPECT_THAT(load_mask(dir / "rgb.png", spec).status().message(), HasSubstr("single-channel"));
}

TEST(Datasets, SynthFolderSpecs) {
  DataSpec synth;
  synth.synth_count = 50;
  synth.synth_seed = 3;
  const std::string dir = synth_data_dir(synth, Task::kSegment, "/cache");
  EXPECT_EQ(dir, "/cache/synth-segment-n50-s96-seed3");
  DataSpec folder = synth_as_folder_spec(synth, Task::kSegment, dir);
  EXPECT_EQ(folder.kind, DataKind::kSegmentation);
  EXPECT_EQ(folder.path, dir);
  EXPECT_EQ(synth_as_folder_spec(synth, Task::kClassify, dir).kind, DataKind::kFolder);
}

TEST(DatasetsTest, SynthIsUnlabeledForAModelWithOtherClasses) {
  DataSpec synth;
  const std::string dir = "/cache/synth";
  // The shapes' 10 labels (11 mask values with background) fit a model with those classes...
  EXPECT_EQ(synth_as_folder_spec(synth, Task::kClassify, dir, 10).kind, DataKind::kFolder);
  EXPECT_EQ(synth_as_folder_spec(synth, Task::kSegment, dir, 11).kind, DataKind::kSegmentation);
  // ...any other model is scored against its float outputs on the same images.
  DataSpec imagenet = synth_as_folder_spec(synth, Task::kClassify, dir, 1000);
  EXPECT_EQ(imagenet.kind, DataKind::kUnlabeled);
  EXPECT_EQ(imagenet.path, dir + "/images");
  EXPECT_EQ(synth_as_folder_spec(synth, Task::kSegment, dir, 21).kind, DataKind::kUnlabeled);
}

}  // namespace
}  // namespace edgetier
