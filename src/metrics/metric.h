/// The metric vocabulary: one table row per accuracy metric (stored id, display name, unit, task,
/// primary or not, labelled or agreement, direction), and the value a metric is stored as.
///
/// Units: every value a user reads (stored in the results database, printed, written as JSON) is
/// in points, 0-100 ("pt"). Fractions exist only inside the accumulators.
///
/// Adding a task (object detection: mAP@[.5:.95] primary, mAP@0.5) takes:
///   1. strategy/task.{h,cpp}: Task::kDetect and its row {"detect", "detection"}.
///   2. Here: Metric::kMap and kMap50 (plus kAgreeMap if unlabelled data is to be scored: every
///      task needs one primary metric per MetricSource) and their rows in kMetrics (metric.cpp):
///        {kMap, "map", "mAP@[.5:.95]", "pt", kDetect, primary, kLabels, higher is better}
///        {kMap50, "map50", "mAP@0.5", "pt", kDetect, not primary, kLabels, higher is better}
///      The stored ids, the report's names and analysis's choice of primary metric follow.
///   3. One accumulator file, metrics/detection.{h,cpp}: DetectionAP (predicted and true boxes
///      per image in, MetricValues map and map50 in points out).
///   4. metrics/task_scorer.{h,cpp}: the kDetect case of each switch (the compiler lists them:
///      decode boxes from the output into Prediction, feed DetectionAP); Truth gains the boxes
///      and Sample a boxes path.
/// What stays task-specific outside metrics/: reading a sample's truth from disk (experiment's
/// datasets for masks, a boxes file for detection) and ops/accuracy_eval's rule that infers the
/// task from the output's rank (2 = classify, 4 = segment). The runner, verify, analysis and the
/// report reach the metrics only through TaskScorer and this table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "strategy/task.h"

namespace edgetier {

enum class Metric { kTop1, kTop5, kMiou, kPixelAcc, kAgreeTop1, kAgreePixel };

/// What a metric compares the predictions with.
enum class MetricSource {
  kLabels,     // the dataset's labels or masks
  kReference,  // the reference (Identity) model's predictions on the same inputs
};

struct MetricInfo {
  Metric metric;
  std::string_view id;            // as stored and in JSON: "top1"
  std::string_view display_name;  // "Top-1 accuracy"
  std::string_view unit;          // "pt" (points, 0-100) for every metric today
  Task task;
  bool primary;  // the task's headline number for its source
  MetricSource source;
  bool higher_is_better;
};

/// Every metric, in table order (a task's primary metric first among its rows).
const std::vector<MetricInfo>& all_metrics();
const MetricInfo& metric_info(Metric metric);
/// The stored id: "top1", "miou", ...
std::string_view metric_id(Metric metric);
/// nullptr when `id` is no known metric.
const MetricInfo* find_metric(std::string_view id);
/// Like find_metric, but an unknown id is an error naming the nearest known id.
Result<const MetricInfo*> parse_metric(std::string_view id);
/// The task's primary metric for `source`: top1 / miou against labels, agree_top1 / agree_pixel
/// against the reference model.
const MetricInfo& primary_metric(Task task, MetricSource source = MetricSource::kLabels);
/// "Top-1 accuracy" for "top1"; the id itself for metrics outside the table.
std::string metric_display_name(std::string_view id);
/// Of the metric ids a model has results for, the one analysis ranks by: the first labelled
/// primary metric in table order (top1 before miou), else the first id given; "" when empty.
std::string pick_primary_metric(const std::vector<std::string>& ids);

/// One row of the accuracy table, in points (0-100).
struct MetricValue {
  std::string metric;  // a MetricInfo id: top1 | top5 | miou | pixel_acc | agree_top1 | ...
  double value = 0;    // points
  int64_t n = 0;       // images behind the value
};

}  // namespace edgetier
