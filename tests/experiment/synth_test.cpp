/// Tests for the procedural shapes dataset: determinism, labels, masks, boxes, balance, folder
/// format.
#include "experiment/synth.h"

#include "experiment/detection_labels.h"
#include "metrics/detection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

namespace edgetier {
namespace {

namespace fs = std::filesystem;

std::vector<uchar> mat_bytes(const cv::Mat& m) {
  return std::vector<uchar>(m.datastart, m.dataend);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh, empty scratch folder per test, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("edgetier_synth_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(Synth, SameSeedGivesIdenticalBytesDifferentSeedDiffers) {
  SynthOptions a;
  a.seed = 42;
  SynthOptions b = a;
  b.seed = 43;
  int differing = 0;
  for (int64_t i = 0; i < 20; ++i) {
    auto s1 = synth_sample(a, i), s2 = synth_sample(a, i), s3 = synth_sample(b, i);
    ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
    EXPECT_EQ(mat_bytes(s1->image), mat_bytes(s2->image)) << "sample " << i;
    EXPECT_EQ(mat_bytes(s1->mask), mat_bytes(s2->mask)) << "sample " << i;
    EXPECT_EQ(s1->label, s2->label);
    differing += mat_bytes(s1->image) != mat_bytes(s3->image);
  }
  EXPECT_EQ(differing, 20);
}

TEST(Synth, ImagesAndMasksHaveTheRequestedFormat) {
  SynthOptions o;
  o.size = 64;
  auto s = synth_sample(o, 7);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->image.type(), CV_8UC3);
  EXPECT_EQ(s->image.rows, 64);
  EXPECT_EQ(s->image.cols, 64);
  EXPECT_EQ(s->mask.type(), CV_8UC1);
  EXPECT_EQ(s->mask.rows, 64);
}

TEST(Synth, LabelIsTheLargestVisibleObjectAndMatchesTheMask) {
  SynthOptions o;
  o.seed = 5;
  std::map<size_t, int> objects_per_image;
  for (int64_t i = 0; i < 300; ++i) {
    auto s = synth_sample(o, i);
    ASSERT_TRUE(s.ok());
    ASSERT_GE(s->objects.size(), 1u);
    ASSERT_LE(s->objects.size(), 3u);
    ++objects_per_image[s->objects.size()];
    // Recount the mask: values in 0..10, per-class pixels equal the objects' visible pixels.
    std::array<int64_t, kSynthNumClasses + 1> pixels{};
    for (int y = 0; y < s->mask.rows; ++y) {
      for (int x = 0; x < s->mask.cols; ++x) {
        const int v = s->mask.at<uint8_t>(y, x);
        ASSERT_LE(v, kSynthNumClasses);
        ++pixels[v];
      }
    }
    std::array<int64_t, kSynthNumClasses + 1> expected{};
    const SynthObject* largest = &s->objects[0];
    for (const auto& obj : s->objects) {
      expected[obj.class_id + 1] += obj.visible_pixels;
      if (obj.visible_pixels > largest->visible_pixels) largest = &obj;
    }
    for (int c = 1; c <= kSynthNumClasses; ++c) EXPECT_EQ(pixels[c], expected[c]) << "image " << i;
    EXPECT_EQ(s->label, largest->class_id) << "image " << i;
    EXPECT_GT(pixels[s->label + 1], 0) << "label's class absent from the mask, image " << i;
    EXPECT_GT(pixels[0], 0) << "no background, image " << i;
  }
  // 1, 2 and 3 objects all occur.
  EXPECT_EQ(objects_per_image.size(), 3u);
}

TEST(Synth, ObjectsContrastWithTheBackground) {
  // Mean colour inside the largest object differs clearly from the mean background colour.
  SynthOptions o;
  o.seed = 11;
  int contrasted = 0;
  for (int64_t i = 0; i < 50; ++i) {
    auto s = synth_sample(o, i);
    ASSERT_TRUE(s.ok());
    cv::Mat obj = s->mask == (s->label + 1), bg = s->mask == 0;
    const cv::Scalar a = cv::mean(s->image, obj), b = cv::mean(s->image, bg);
    const double d = std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]);
    contrasted += d > 30;
  }
  EXPECT_GE(contrasted, 40);
}

TEST(Synth, ClassesAreRoughlyBalanced) {
  SynthOptions o;
  o.seed = 1;
  std::array<int, kSynthNumClasses> counts{};
  for (int64_t i = 0; i < 1000; ++i) {
    auto s = synth_sample(o, i);
    ASSERT_TRUE(s.ok());
    ++counts[s->label];
  }
  for (int c = 0; c < kSynthNumClasses; ++c) {
    // Expected 100 each; a binomial(1000, 0.1) stays within 100 +- 40 with overwhelming odds.
    EXPECT_GE(counts[c], 60) << synth_class_names()[c];
    EXPECT_LE(counts[c], 140) << synth_class_names()[c];
  }
}

TEST(Synth, RejectsBadOptions) {
  auto expect_bad = [](SynthOptions o, const std::string& needle) {
    Status st = o.validate();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
    EXPECT_FALSE(synth_sample(o, 0).ok());
  };
  SynthOptions o;
  o.count = 0;
  expect_bad(o, "count 0");
  o = {};
  o.size = 8;
  expect_bad(o, "size 8");
  o = {};
  o.min_objects = 3;
  o.max_objects = 2;
  expect_bad(o, "objects per image");
  o = {};
  o.noise_std = -1;
  expect_bad(o, "noise");
  o = {};
  o.min_area_ratio = 0.5;
  expect_bad(o, "area ratio");
  EXPECT_FALSE(synth_sample(SynthOptions{}, -1).ok());
  EXPECT_FALSE(parse_task("boxes").ok());
  EXPECT_EQ(*parse_task("segment"), Task::kSegment);
  EXPECT_EQ(*parse_task("detect"), Task::kDetect);
}

TEST(Synth, WritesAClassifyFolder) {
  ScratchDir scratch("classify");
  SynthOptions o;
  o.count = 25;
  o.seed = 3;
  const fs::path dir = scratch.path() / "set";
  auto summary = write_synth_dataset(o, dir.string(), false);
  ASSERT_TRUE(summary.ok()) << summary.status().to_string();
  EXPECT_EQ(summary->count, 25);
  int64_t total = 0;
  for (int64_t n : summary->images_per_label) total += n;
  EXPECT_EQ(total, 25);

  std::istringstream csv(read_all(dir / "labels.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "file,label");
  int rows = 0;
  while (std::getline(csv, line)) {
    const auto comma = line.find(',');
    ASSERT_NE(comma, std::string::npos);
    const std::string file = line.substr(0, comma);
    const int label = std::stoi(line.substr(comma + 1));
    EXPECT_EQ(synth_sample(o, rows)->label, label);
    cv::Mat img = cv::imread((dir / file).string(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(img.empty()) << file;
    EXPECT_EQ(img.type(), CV_8UC3);
    // PNG is lossless: the file holds exactly the generated pixels.
    EXPECT_EQ(mat_bytes(img), mat_bytes(synth_sample(o, rows)->image));
    ++rows;
  }
  EXPECT_EQ(rows, 25);
  EXPECT_EQ(read_all(dir / "classes.txt").substr(0, 14), "circle\nsquare\n");
  EXPECT_FALSE(fs::exists(dir / "masks"));
  // No temporary folders left next to the dataset.
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator{}), 1);
}

TEST(Synth, WritesASegmentFolderAndRefusesToOverwrite) {
  ScratchDir scratch("segment");
  SynthOptions o;
  o.task = Task::kSegment;
  o.count = 10;
  o.size = 48;
  const fs::path dir = scratch.path() / "seg";
  ASSERT_TRUE(write_synth_dataset(o, dir.string(), false).ok());
  EXPECT_TRUE(read_all(dir / "classes.txt").starts_with("background\ncircle\n"));
  EXPECT_FALSE(fs::exists(dir / "labels.csv"));
  cv::Mat mask = cv::imread((dir / "masks" / "000009.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(mask.empty());
  EXPECT_EQ(mask.type(), CV_8UC1);
  EXPECT_EQ(mat_bytes(mask), mat_bytes(synth_sample(o, 9)->mask));

  // A second write needs --force; with it the folder is replaced (here by 5 images).
  auto again = write_synth_dataset(o, dir.string(), false);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("--force"), std::string::npos);
  o.count = 5;
  ASSERT_TRUE(write_synth_dataset(o, dir.string(), true).ok());
  EXPECT_FALSE(fs::exists(dir / "images" / "000005.png"));
  EXPECT_TRUE(fs::exists(dir / "masks" / "000004.png"));

  // Even --force never replaces a folder that is not a dataset.
  const fs::path other = scratch.path() / "other";
  fs::create_directories(other);
  std::ofstream(other / "notes.txt") << "keep me";
  auto refused = write_synth_dataset(o, other.string(), true);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(other / "notes.txt"));
}

TEST(Synth, CommandLineWritesJsonAndRejectsBadArguments) {
  ScratchDir scratch("cli");
  const std::string bin = EDGETIER_BINARY;
  const fs::path dir = scratch.path() / "d";
  const fs::path out = scratch.path() / "out.json";
  const std::string ok_cmd = bin + " data synth --task segment -n 12 --size 64 --seed 9 -o " +
                             dir.string() + " --json > " + out.string();
  ASSERT_EQ(std::system(ok_cmd.c_str()), 0);
  auto j = nlohmann::json::parse(read_all(out));
  EXPECT_EQ(j["count"], 12);
  EXPECT_EQ(j["task"], "segment");
  EXPECT_EQ(j["classes"].size(), 11u);
  int64_t total = 0;
  for (const auto& [name, n] : j["images_per_label"].items()) total += n.get<int64_t>();
  EXPECT_EQ(total, 12);
  EXPECT_TRUE(fs::exists(dir / "masks" / "000011.png"));

  const std::string quiet = " > /dev/null 2>&1";
  const std::string base = bin + " data synth -o " + (scratch.path() / "e").string();
  EXPECT_NE(std::system((base + " --task boxes" + quiet).c_str()), 0);
  EXPECT_NE(std::system((base + " -n 0" + quiet).c_str()), 0);
  EXPECT_NE(std::system((base + " --size 10" + quiet).c_str()), 0);
  EXPECT_NE(std::system((bin + " data synth -n 3" + quiet).c_str()), 0);  // no -o
  EXPECT_NE(std::system((bin + " data synth -n 3 -o " + dir.string() + quiet).c_str()), 0);
  EXPECT_FALSE(fs::exists(scratch.path() / "e"));
  const fs::path det = scratch.path() / "det";
  ASSERT_EQ(std::system((bin + " data synth --task detect -n 2 --size 32 -o " + det.string() + quiet)
                            .c_str()),
            0);
  EXPECT_TRUE(fs::exists(det / "instances.json"));
  EXPECT_FALSE(fs::exists(det / "labels.csv"));
}

}  // namespace
}  // namespace edgetier

namespace edgetier {
namespace {

TEST(Synth, EveryShapeHasTheBoxOfItsVisiblePixels) {
  SynthOptions o;
  o.size = 64;
  o.seed = 3;
  int checked = 0;
  for (int64_t i = 0; i < 40; ++i) {
    auto s = synth_sample(o, i);
    ASSERT_TRUE(s.ok());
    std::set<int> classes;
    for (const auto& obj : s->objects) classes.insert(obj.class_id);
    for (const auto& obj : s->objects) {
      EXPECT_GT(obj.box_w, 0);
      EXPECT_GT(obj.box_h, 0);
      EXPECT_GE(obj.box_x, 0);
      EXPECT_LE(obj.box_x + obj.box_w, o.size);
      EXPECT_LE(obj.box_y + obj.box_h, o.size);
    }
    if (classes.size() != s->objects.size()) continue;  // shared mask values: extents merge
    for (const auto& obj : s->objects) {
      int x0 = o.size, y0 = o.size, x1 = -1, y1 = -1;
      for (int y = 0; y < o.size; ++y) {
        for (int x = 0; x < o.size; ++x) {
          if (s->mask.at<uint8_t>(y, x) != obj.class_id + 1) continue;
          x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
        }
      }
      EXPECT_EQ(obj.box_x, x0);
      EXPECT_EQ(obj.box_y, y0);
      EXPECT_EQ(obj.box_w, x1 - x0 + 1);
      EXPECT_EQ(obj.box_h, y1 - y0 + 1);
    }
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

TEST(Synth, BoxesAreDeterministicPerSeed) {
  SynthOptions o;
  o.size = 48;
  auto boxes = [&](uint64_t seed) {
    o.seed = seed;
    std::vector<std::array<int, 5>> out;
    for (int64_t i = 0; i < 8; ++i) {
      for (const auto& b : synth_sample(o, i)->objects) {
        out.push_back({b.class_id, b.box_x, b.box_y, b.box_w, b.box_h});
      }
    }
    return out;
  };
  EXPECT_EQ(boxes(5), boxes(5));
  EXPECT_NE(boxes(5), boxes(6));
}

TEST(Synth, WritesADetectFolderThatReadsBackAsCoco) {
  ScratchDir scratch("detect");
  SynthOptions o;
  o.task = Task::kDetect;
  o.count = 6;
  o.size = 48;
  o.seed = 11;
  const fs::path dir = scratch.path() / "det";
  ASSERT_TRUE(write_synth_dataset(o, dir.string(), false).ok());
  EXPECT_FALSE(fs::exists(dir / "labels.csv"));
  EXPECT_FALSE(fs::exists(dir / "masks"));
  auto d = load_coco_detection((dir / "instances.json").string(), (dir / "images").string());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d->samples.size(), 6u);
  EXPECT_EQ(d->classes.front(), "circle");
  EXPECT_EQ(d->category_ids.front(), 1);
  DetectionAP self;
  for (int64_t i = 0; i < o.count; ++i) {
    const auto s = synth_sample(o, i);
    const auto& truth = d->samples[static_cast<size_t>(i)].boxes;
    ASSERT_EQ(truth.size(), s->objects.size());
    std::vector<DetectedBox> found;
    for (size_t k = 0; k < truth.size(); ++k) {
      const auto& obj = s->objects[k];
      EXPECT_EQ(truth[k].category, obj.class_id);
      EXPECT_DOUBLE_EQ(truth[k].box.x, obj.box_x);
      EXPECT_DOUBLE_EQ(truth[k].box.w, obj.box_w);
      EXPECT_DOUBLE_EQ(truth[k].range_area(), static_cast<double>(obj.visible_pixels));
      found.push_back({truth[k].box, truth[k].category, 1.0});
    }
    ASSERT_TRUE(self.add(found, truth).ok());
  }
  EXPECT_DOUBLE_EQ(self.map(), 100.0) << "the truth scores itself perfectly";
}

}  // namespace
}  // namespace edgetier
