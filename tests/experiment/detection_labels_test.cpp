/// Tests for the COCO and YOLO detection label readers: valid sets and one test per refusal.
#include "experiment/detection_labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "experiment/test_util.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

// Two images (40x30 and 20x20), categories 7 ("cat") and 3 ("dog"); `anns` is the annotations list.
std::string coco_json(const std::string& anns) {
  return R"({"info": {}, "licenses": [],
  "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30},
             {"id": 2, "file_name": "b.png", "width": 20, "height": 20}],
  "categories": [{"id": 7, "name": "cat"}, {"id": 3, "name": "dog"}],
  "annotations": )" +
         anns + "}";
}

void coco_images(const TempDir& dir) {
  testing::write_image(dir / "images/a.png", 40, 30, 1);
  testing::write_image(dir / "images/b.png", 20, 20, 2);
}

std::string coco_error(const std::string& anns) {
  TempDir dir;
  coco_images(dir);
  testing::write_text(dir / "instances_val.json", coco_json(anns));
  auto d = load_coco_detection(dir / "instances_val.json", dir / "images");
  EXPECT_FALSE(d.ok());
  if (d.ok()) return "";
  const std::string m = d.status().message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  EXPECT_THAT(m, HasSubstr("instances_val.json"));
  return m;
}

TEST(CocoDetection, ReadsBoxesClassesAndCrowds) {
  TempDir dir;
  coco_images(dir);
  testing::write_text(
      dir / "instances_val.json",
      coco_json(R"([{"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 10, 20],
                                      "segmentation": [[1, 2, 3, 4]], "area": 150, "iscrowd": 0},
                                     {"id": 2, "image_id": 1, "category_id": 7, "bbox": [0, 0, 40, 30],
                                      "iscrowd": 1}])"));
  auto d = load_coco_detection(dir / "instances_val.json", dir / "images");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(d->category_ids, (std::vector<int64_t>{7, 3}));
  ASSERT_EQ(d->samples.size(), 2u);
  EXPECT_THAT(d->samples[0].image_path, HasSubstr("images/a.png"));
  ASSERT_EQ(d->samples[0].boxes.size(), 2u);
  const TruthBox& dog = d->samples[0].boxes[0];
  EXPECT_EQ(dog.category, 1);  // class index of category id 3
  EXPECT_DOUBLE_EQ(dog.box.x, 1);
  EXPECT_DOUBLE_EQ(dog.box.h, 20);
  EXPECT_DOUBLE_EQ(dog.range_area(), 150);
  EXPECT_FALSE(dog.crowd);
  EXPECT_TRUE(d->samples[0].boxes[1].crowd);
  EXPECT_DOUBLE_EQ(d->samples[0].boxes[1].range_area(), 1200) << "no area: the box's";
  EXPECT_TRUE(d->samples[1].boxes.empty()) << "an image without objects stays in the set";
}

TEST(CocoDetection, RefusesABoxOutsideTheImage) {
  const auto m = coco_error(R"([{"image_id": 2, "category_id": 7, "bbox": [15, 0, 10, 10]}])");
  EXPECT_THAT(m, HasSubstr("annotations[0].bbox"));
  EXPECT_THAT(m, HasSubstr("[15, 0, 10, 10] is outside image 2 (20x20)"));
}

TEST(CocoDetection, RefusesAnUnknownImageOrCategory) {
  EXPECT_THAT(coco_error(R"([{"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1]},
                             {"image_id": 9, "category_id": 7, "bbox": [0, 0, 1, 1]}])"),
              HasSubstr("annotations[1].image_id: image id 9 is not in 'images'"));
  EXPECT_THAT(coco_error(R"([{"image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1]}])"),
              HasSubstr("annotations[0].category_id: category id 5 is not in 'categories'"));
}

TEST(CocoDetection, RefusesMalformedAnnotations) {
  EXPECT_THAT(coco_error(R"([{"image_id": 1, "category_id": 7, "bbox": [0, 0, 1]}])"),
              HasSubstr("annotations[0].bbox: expected [x, y, width, height]"));
  EXPECT_THAT(coco_error(R"([{"image_id": 1, "category_id": 7, "bbox": [0, 0, -1, 2]}])"),
              HasSubstr("annotations[0].bbox: width and height must be >= 0"));
  EXPECT_THAT(coco_error(R"([{"image_id": 1, "category_id": 7}])"),
              HasSubstr("annotations[0].bbox: missing"));
  EXPECT_THAT(
      coco_error(R"([{"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1], "iscrowd": 2}])"),
      HasSubstr("annotations[0].iscrowd: expected 0 or 1"));
  EXPECT_THAT(coco_error(R"({"image_id": 1})"), HasSubstr("annotations: expected a list"));
  EXPECT_THAT(coco_error(R"([{"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1],)"),
              HasSubstr("instances_val.json:"));  // a syntax error names the position
}

TEST(CocoDetection, RefusesAMissingImageFileOrDuplicateIds) {
  TempDir dir;
  testing::write_image(dir / "images/a.png", 40, 30, 1);  // b.png is missing
  testing::write_text(dir / "i.json", coco_json("[]"));
  auto d = load_coco_detection(dir / "i.json", dir / "images");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("images[1].file_name: 'b.png' is not in"));
  testing::write_image(dir / "images/b.png", 20, 20, 2);
  testing::write_text(dir / "j.json", R"({"images": [], "annotations": [],
      "categories": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]})");
  auto dup = load_coco_detection(dir / "j.json", dir / "images");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("categories[1].id: category id 1 is listed twice"));
}

// A YOLO root with classes a, b, c and two 100x50 images.
void yolo_root(const TempDir& dir) {
  testing::write_image(dir / "images/x.png", 100, 50, 1);
  testing::write_image(dir / "images/y.jpg", 100, 50, 2);
  testing::write_text(dir / "classes.txt", "a\nb\nc\n");
}

std::string yolo_error(const std::string& labels) {
  TempDir dir;
  yolo_root(dir);
  testing::write_text(dir / "labels/x.txt", labels);
  auto d = load_yolo_detection(dir.path());
  EXPECT_FALSE(d.ok());
  if (d.ok()) return "";
  EXPECT_EQ(d.status().message().find('\n'), std::string::npos);
  return d.status().message();
}

TEST(YoloDetection, ReadsNormalisedBoxesIntoPixels) {
  TempDir dir;
  yolo_root(dir);
  testing::write_text(dir / "labels/x.txt", "2 0.5 0.5 0.2 0.4\n\n0 0.1 0.2 0.2 0.4\n");
  auto d = load_yolo_detection(dir.path());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->classes, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(d->samples.size(), 2u);
  ASSERT_EQ(d->samples[0].boxes.size(), 2u);
  const Box& b = d->samples[0].boxes[0].box;
  EXPECT_EQ(d->samples[0].boxes[0].category, 2);
  EXPECT_NEAR(b.x, 40, 1e-9);  // (0.5 - 0.1) * 100
  EXPECT_NEAR(b.y, 15, 1e-9);  // (0.5 - 0.2) * 50
  EXPECT_NEAR(b.w, 20, 1e-9);
  EXPECT_NEAR(b.h, 20, 1e-9);
  EXPECT_NEAR(d->samples[0].boxes[1].box.x, 0, 1e-9);
  EXPECT_TRUE(d->samples[1].boxes.empty()) << "no label file: no objects";
}

TEST(YoloDetection, RefusesALineWithFourNumbers) {
  EXPECT_THAT(yolo_error("0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n"),
              HasSubstr("labels/x.txt:2: expected 5 numbers (class cx cy w h), got 4"));
}

TEST(YoloDetection, RefusesAClassOutOfRange) {
  EXPECT_THAT(yolo_error("3 0.5 0.5 0.2 0.2\n"),
              HasSubstr("labels/x.txt:1: class 3 is outside the 3 classes of classes.txt"));
  EXPECT_THAT(yolo_error("-1 0.5 0.5 0.2 0.2\n"), HasSubstr("class -1 is outside"));
  EXPECT_THAT(yolo_error("1.5 0.5 0.5 0.2 0.2\n"), HasSubstr("class 1.5 is outside"));
}

TEST(YoloDetection, RefusesBadNumbersBoxesAndOrphanLabels) {
  EXPECT_THAT(yolo_error("0 0.5 half 0.2 0.2\n"),
              HasSubstr("labels/x.txt:1: 'half' is not a number"));
  EXPECT_THAT(yolo_error("0 0.95 0.5 0.2 0.2\n"), HasSubstr("lie inside the image"));
  EXPECT_THAT(yolo_error("0 0.5 0.5 0 0.2\n"), HasSubstr("w, h > 0"));
  TempDir dir;
  yolo_root(dir);
  testing::write_text(dir / "labels/z.txt", "0 0.5 0.5 0.2 0.2\n");
  auto d = load_yolo_detection(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("labels/z.txt: no image 'z.*'"));
  TempDir bare;
  testing::write_image(bare / "images/x.png", 10, 10, 1);
  testing::write_text(bare / "labels/x.txt", "");
  EXPECT_FALSE(load_yolo_detection(bare.path()).ok()) << "no classes.txt";
}

}  // namespace
}  // namespace edgetier
