/// Tests for the metric table: ids round-trip, one primary metric per task and source, unknown ids
/// are rejected with a suggestion, and the accumulators name their values from the table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "metrics/agreement.h"
#include "metrics/classification.h"
#include "metrics/metric.h"
#include "metrics/segmentation.h"
#include "metrics/task_scorer.h"

namespace edgetier {
namespace {

TEST(MetricTable, EveryIdRoundTrips) {
  std::set<std::string_view> ids;
  for (const MetricInfo& row : all_metrics()) {
    EXPECT_TRUE(ids.insert(row.id).second) << "duplicate id " << row.id;
    const MetricInfo* found = find_metric(row.id);
    ASSERT_NE(found, nullptr) << row.id;
    EXPECT_EQ(found->metric, row.metric);
    EXPECT_EQ(metric_id(row.metric), row.id);
    EXPECT_EQ(&metric_info(row.metric), found);
    auto parsed = parse_metric(row.id);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ((*parsed)->metric, row.metric);
    EXPECT_EQ(row.unit, "pt");
    EXPECT_TRUE(row.higher_is_better);
    EXPECT_FALSE(row.display_name.empty());
  }
  EXPECT_EQ(ids, (std::set<std::string_view>{"top1", "top5", "miou", "pixel_acc", "agree_top1",
                                             "agree_pixel", "map", "map50", "agree_map"}));
  // Every enumerator has its own row.
  for (Metric m : {Metric::kTop1, Metric::kTop5, Metric::kMiou, Metric::kPixelAcc,
                   Metric::kAgreeTop1, Metric::kAgreePixel, Metric::kMap, Metric::kMap50,
                   Metric::kAgreeMap}) {
    EXPECT_EQ(metric_info(m).metric, m);
  }
  EXPECT_EQ(metric_display_name("top1"), "Top-1 accuracy");
  EXPECT_EQ(metric_display_name("miou"), "mIoU");
  EXPECT_EQ(metric_display_name("f1"), "f1");
}

TEST(MetricTable, OnePrimaryMetricPerTaskAndSource) {
  EXPECT_EQ(primary_metric(Task::kClassify).id, "top1");
  EXPECT_EQ(primary_metric(Task::kSegment).id, "miou");
  EXPECT_EQ(primary_metric(Task::kClassify, MetricSource::kReference).id, "agree_top1");
  EXPECT_EQ(primary_metric(Task::kSegment, MetricSource::kReference).id, "agree_pixel");
  EXPECT_EQ(primary_metric(Task::kDetect).id, "map");
  EXPECT_EQ(primary_metric(Task::kDetect, MetricSource::kReference).id, "agree_map");
  for (Task task : all_tasks()) {
    for (MetricSource source : {MetricSource::kLabels, MetricSource::kReference}) {
      int primaries = 0;
      for (const MetricInfo& row : all_metrics()) {
        primaries += row.task == task && row.source == source && row.primary ? 1 : 0;
      }
      EXPECT_EQ(primaries, 1) << task_name(task);
      const MetricInfo& p = primary_metric(task, source);
      EXPECT_EQ(p.task, task);
      EXPECT_EQ(p.source, source);
      EXPECT_TRUE(p.primary);
    }
  }
}

TEST(MetricTable, UnknownIdIsRejectedWithTheNearestSuggestion) {
  EXPECT_EQ(find_metric("top-1"), nullptr);
  auto bad = parse_metric("mIOU");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("unknown metric 'mIOU'"));
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("did you mean 'miou'"));
  EXPECT_THAT(parse_metric("top_1").status().message(), ::testing::HasSubstr("'top1'"));
  EXPECT_THAT(parse_metric("agree_pix").status().message(), ::testing::HasSubstr("'agree_pixel'"));
}

TEST(MetricTable, AnalysisPicksTheLabelledPrimaryMetric) {
  EXPECT_EQ(pick_primary_metric({"top5", "top1"}), "top1");
  EXPECT_EQ(pick_primary_metric({"pixel_acc", "miou"}), "miou");
  EXPECT_EQ(pick_primary_metric({"miou", "top1"}), "top1");  // top1 first, as analysis did
  EXPECT_EQ(pick_primary_metric({"map50", "map"}), "map");
  EXPECT_EQ(pick_primary_metric({"agree_top1"}), "agree_top1");
  EXPECT_EQ(pick_primary_metric({"f1", "top5"}), "f1");  // else the first seen
  EXPECT_EQ(pick_primary_metric({}), "");
}

TEST(MetricTable, AccumulatorsNameTheirValuesFromTheTable) {
  TopKAccuracy topk;
  for (const auto& v : topk.values()) {
    const MetricInfo* info = find_metric(v.metric);
    ASSERT_NE(info, nullptr) << v.metric;
    EXPECT_EQ(info->task, Task::kClassify);
    EXPECT_EQ(info->source, MetricSource::kLabels);
  }
  ConfusionMatrix cm(2);
  for (const auto& v : cm.values()) {
    const MetricInfo* info = find_metric(v.metric);
    ASSERT_NE(info, nullptr) << v.metric;
    EXPECT_EQ(info->task, Task::kSegment);
  }
  EXPECT_EQ(topk.values()[0].metric, primary_metric(Task::kClassify).id);
  EXPECT_EQ(cm.values()[0].metric, primary_metric(Task::kSegment).id);
  for (Task task : all_tasks()) {
    EXPECT_EQ(Agreement().value(task).metric, primary_metric(task, MetricSource::kReference).id);
    TaskScorer labels(task, MetricSource::kLabels, 3);
    EXPECT_EQ(labels.values()[0].metric, primary_metric(task).id);
    TaskScorer reference(task, MetricSource::kReference, 3);
    EXPECT_EQ(reference.values()[0].metric, primary_metric(task, MetricSource::kReference).id);
  }
}

TEST(TaskScorer, ClassifyAndSegmentInPoints) {
  // Classify, labelled: one hit of two.
  TaskScorer cls(Task::kClassify, MetricSource::kLabels);
  Tensor logits = Tensor::from_vector<float>("y", DType::kFloat32, {1, 3}, {0.1f, 0.8f, 0.1f});
  ASSERT_TRUE(cls.add(logits, {1, {}}).ok());
  ASSERT_TRUE(cls.add(logits, {2, {}}).ok());
  EXPECT_DOUBLE_EQ(cls.primary(), 50.0);
  EXPECT_FALSE(cls.add_reference({{1}, 3}, {{1}, 3}).ok()) << "labelled scorer";

  // Segment against the reference: the reference's map is the truth.
  TaskScorer seg(Task::kSegment, MetricSource::kReference);
  ASSERT_TRUE(seg.add_reference({{0, 0, 1, 1}, 2}, {{0, 0, 1, 0}, 2}).ok());
  // Truth 0: {0, 0, 1 -> pred 1}; truth 1: {1}. IoU 0 = 2/3, IoU 1 = 1/2.
  EXPECT_DOUBLE_EQ(seg.primary(), (200.0 / 3.0 + 50.0) / 2.0);
  EXPECT_DOUBLE_EQ(seg.values()[0].value, 75.0);  // agree_pixel: 3 of 4
  EXPECT_FALSE(seg.add_reference({{0}, 2}, {{0, 1}, 2}).ok());
  Tensor map = Tensor::from_vector<float>("y", DType::kFloat32, {1, 2, 1, 2}, {1, 0, 0, 1});
  EXPECT_FALSE(seg.add(map, {-1, {0, 1}}).ok()) << "reference scorer";

  auto batch =
      predict_batch(Tensor::from_vector<float>("y", DType::kFloat32, {2, 3}, {0, 1, 0, 5, 0, 0}),
                    Task::kClassify);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->classes, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(batch->num_classes, 3);
  EXPECT_FALSE(
      predict(Tensor::from_vector<float>("y", DType::kFloat32, {2, 3}, std::vector<float>(6, 0)),
              Task::kClassify)
          .ok())
      << "one image's output";
}

}  // namespace
}  // namespace edgetier
