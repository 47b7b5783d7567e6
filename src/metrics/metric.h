/// The metric vocabulary: one table row per accuracy metric (stored id, display name, unit, task,
/// primary or not, labelled or agreement, direction), and the value a metric is stored as.
///
/// Units: every value a user reads (stored in the results database, printed, written as JSON) is
/// in points, 0-100 ("pt"). Fractions exist only inside the accumulators.
///
/// Tasks and their metrics (labelled primary, others, agreement with the reference model):
///   classify: top1, top5, agree_top1   (classification.h, agreement.h)
///   segment:  miou, pixel_acc, agree_pixel   (segmentation.h)
///   detect:   map (mAP@[.5:.95]), map50, agree_map (the reference's boxes as truth) (detection.h)
/// Adding a task takes its row in strategy/task.cpp, its rows here (one primary metric per task
/// and MetricSource), one accumulator file, and the task's case in each switch of
/// metrics/task_scorer.cpp (the compiler lists them).
/// What stays task-specific outside metrics/: reading a sample's truth from disk (experiment's
/// datasets: masks, COCO/YOLO boxes) and ops/accuracy_eval's rule that infers the task from the
/// output's rank (2 = classify, 4 = segment). The runner, verify, analysis and the report reach
/// the metrics only through TaskScorer and this table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "strategy/task.h"

namespace edgetier {

enum class Metric {
  kTop1,
  kTop5,
  kMiou,
  kPixelAcc,
  kAgreeTop1,
  kAgreePixel,
  kMap,
  kMap50,
  kAgreeMap,
};

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
/// The task's primary metric for `source`: top1 / miou / map against labels, agree_top1 /
/// agree_pixel / agree_map against the reference model.
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
