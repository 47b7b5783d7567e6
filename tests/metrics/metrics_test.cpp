/// Tests for the accuracy accumulators on hand-computed cases (every rate in points).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "metrics/agreement.h"
#include "metrics/classification.h"
#include "metrics/segmentation.h"

namespace edgetier {
namespace {

TEST(Metrics, ArgmaxAndRank) {
  const float v[] = {0.1f, 0.7f, 0.7f, -1.0f, NAN};
  EXPECT_EQ(argmax(v, 5), 1);  // first of the tie
  EXPECT_EQ(label_rank(v, 5, 1), 0);
  EXPECT_EQ(label_rank(v, 5, 2), 0);  // ties count in the label's favour
  EXPECT_EQ(label_rank(v, 5, 0), 2);
  EXPECT_EQ(label_rank(v, 5, 3), 3);
  EXPECT_EQ(label_rank(v, 5, 4), 5);  // NaN ranks last
  const float nan_first[] = {NAN, 0.2f};
  EXPECT_EQ(argmax(nan_first, 2), 1);
  EXPECT_EQ(argmax(v, 0), -1);
}

TEST(Metrics, TopOneAndTopFiveHandComputed) {
  TopKAccuracy acc;
  // 7 classes. Image 1: label is the argmax. Image 2: label ranks 3rd. Image 3: label ranks 6th.
  const std::vector<float> a = {0, 1, 9, 2, 3, 4, 5};
  ASSERT_TRUE(acc.add(a.data(), 7, 2).ok());
  ASSERT_TRUE(acc.add(a.data(), 7, 5).ok());  // larger: 9 and 5 -> rank 2
  ASSERT_TRUE(acc.add(a.data(), 7, 1).ok());  // larger: 9, 2, 3, 4, 5 -> rank 5
  EXPECT_EQ(acc.count(), 3);
  EXPECT_DOUBLE_EQ(acc.top1(), 100.0 / 3.0);
  EXPECT_DOUBLE_EQ(acc.top5(), 200.0 / 3.0);
  auto values = acc.values();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].metric, "top1");
  EXPECT_NEAR(values[0].value, 33.3333, 1e-3);
  EXPECT_EQ(values[1].n, 3);
  EXPECT_FALSE(acc.add(a.data(), 7, 7).ok());
  EXPECT_EQ(acc.count(), 3);  // a rejected sample is not counted

  Tensor logits = Tensor::from_vector<float>("logits", DType::kFloat32, {1, 7}, a);
  ASSERT_TRUE(acc.add(logits, 2).ok());
  EXPECT_EQ(acc.count(), 4);
  Tensor bad =
      Tensor::from_vector<float>("logits", DType::kFloat32, {2, 7}, std::vector<float>(14, 0));
  EXPECT_THAT(acc.add(bad, 0).message(), ::testing::HasSubstr("must be [1, classes]"));
}

TEST(Metrics, ConfusionMatrixMiouAndPixelAccuracy) {
  // 3 classes, 255 ignored. truth / pred pairs:
  //   (0,0) (0,0) (0,1) (1,1) (1,1) (1,2) (2,2) (255,0)
  // TP: c0=2, c1=2, c2=1. FP: c1 gets one from truth 0, c2 one from truth 1. FN: c0=1, c1=1.
  // IoU: c0 = 2/(2+0+1) = 2/3, c1 = 2/(2+1+1) = 1/2, c2 = 1/(1+1+0) = 1/2. mIoU = 5/9.
  // Pixel accuracy = 5/7 (the ignored pixel is not counted).
  ConfusionMatrix cm(3, 255);
  ASSERT_TRUE(cm.add({0, 0, 0, 1, 1, 1, 2, 255}, {0, 0, 1, 1, 1, 2, 2, 0}).ok());
  EXPECT_EQ(cm.pixels(), 7);
  EXPECT_EQ(cm.at(0, 1), 1);
  auto iou = cm.iou_per_class();
  EXPECT_DOUBLE_EQ(iou[0], 200.0 / 3.0);
  EXPECT_DOUBLE_EQ(iou[1], 50.0);
  EXPECT_DOUBLE_EQ(iou[2], 50.0);
  EXPECT_DOUBLE_EQ(cm.mean_iou(), 500.0 / 9.0);
  EXPECT_DOUBLE_EQ(cm.pixel_accuracy(), 500.0 / 7.0);
  EXPECT_EQ(cm.images(), 1);
  EXPECT_NEAR(cm.values()[0].value, 55.5556, 1e-3);
}

TEST(Metrics, AbsentClassesAreLeftOutOfTheMean) {
  ConfusionMatrix cm(4);
  ASSERT_TRUE(cm.add({0, 0, 1, 1}, {0, 0, 1, 0}).ok());
  auto iou = cm.iou_per_class();
  EXPECT_DOUBLE_EQ(iou[2], -1.0);
  EXPECT_DOUBLE_EQ(iou[3], -1.0);
  EXPECT_DOUBLE_EQ(cm.mean_iou(), (200.0 / 3.0 + 100.0 / 2.0) / 2.0);
}

TEST(Metrics, ConfusionMatrixRejectsBadIdsAndMerges) {
  ConfusionMatrix cm(3, 255);
  EXPECT_THAT(cm.add({7}, {0}).message(), ::testing::HasSubstr("mask value 7 is not a class id"));
  EXPECT_THAT(cm.add({0}, {3}).message(), ::testing::HasSubstr("predicted class 3"));
  EXPECT_FALSE(cm.add({0, 1}, {0}).ok());
  ConfusionMatrix other(3, 255);
  ASSERT_TRUE(other.add({2, 2}, {2, 1}).ok());
  ASSERT_TRUE(cm.merge(other).ok());
  EXPECT_EQ(cm.at(2, 1), 1);
  EXPECT_FALSE(cm.merge(ConfusionMatrix(4, 255)).ok());
}

TEST(Metrics, ArgmaxOverChannelsFeedsTheConfusionMatrix) {
  // [1, 2, 2, 2]: channel 0 = {1, 0, 0, 5}, channel 1 = {0, 2, 3, 4}.
  Tensor logits =
      Tensor::from_vector<float>("out", DType::kFloat32, {1, 2, 2, 2}, {1, 0, 0, 5, 0, 2, 3, 4});
  auto pred = argmax_channels(logits);
  ASSERT_TRUE(pred.ok());
  EXPECT_EQ(*pred, (std::vector<int32_t>{0, 1, 1, 0}));
  ConfusionMatrix cm(2);
  ASSERT_TRUE(cm.add_logits(logits, {0, 1, 0, 0}).ok());
  EXPECT_DOUBLE_EQ(cm.pixel_accuracy(), 75.0);
  Tensor wrong = Tensor::from_vector<float>("out", DType::kFloat32, {1, 4}, {1, 2, 3, 4});
  EXPECT_FALSE(argmax_channels(wrong).ok());
}

TEST(Metrics, AgreementWithReference) {
  Agreement cls;
  cls.add(3, 3);
  cls.add(1, 2);
  cls.add(0, 0);
  cls.add(5, 5);
  EXPECT_DOUBLE_EQ(cls.rate(), 75.0);
  EXPECT_EQ(cls.value(Task::kClassify).metric, "agree_top1");
  EXPECT_DOUBLE_EQ(cls.value(Task::kClassify).value, 75.0);
  Agreement seg;
  ASSERT_TRUE(seg.add({1, 1, 2, 0}, {1, 0, 2, 0}).ok());
  ASSERT_TRUE(seg.add({4, 4}, {4, 4}).ok());
  EXPECT_EQ(seg.count(), 6);
  EXPECT_EQ(seg.images(), 2);
  EXPECT_DOUBLE_EQ(seg.rate(), 500.0 / 6.0);
  EXPECT_EQ(seg.value(Task::kSegment).metric, "agree_pixel");
  EXPECT_FALSE(seg.add({1}, {1, 2}).ok());
}

}  // namespace
}  // namespace edgetier
