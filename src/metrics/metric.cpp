/// The metric table: the one place a metric id, its name and its task are written down.
#include "metrics/metric.h"

#include <algorithm>

#include "core/strings.h"

namespace edgetier {
namespace {

constexpr std::string_view kPoints = "pt";

const std::vector<MetricInfo> kMetrics = {
    {Metric::kTop1, "top1", "Top-1 accuracy", kPoints, Task::kClassify, true, MetricSource::kLabels,
     true},
    {Metric::kTop5, "top5", "Top-5 accuracy", kPoints, Task::kClassify, false,
     MetricSource::kLabels, true},
    {Metric::kAgreeTop1, "agree_top1", "Top-1 agreement", kPoints, Task::kClassify, true,
     MetricSource::kReference, true},
    {Metric::kMiou, "miou", "mIoU", kPoints, Task::kSegment, true, MetricSource::kLabels, true},
    {Metric::kPixelAcc, "pixel_acc", "Pixel accuracy", kPoints, Task::kSegment, false,
     MetricSource::kLabels, true},
    {Metric::kAgreePixel, "agree_pixel", "Pixel agreement", kPoints, Task::kSegment, true,
     MetricSource::kReference, true},
    {Metric::kMap, "map", "mAP@[.5:.95]", kPoints, Task::kDetect, true, MetricSource::kLabels,
     true},
    {Metric::kMap50, "map50", "mAP@0.5", kPoints, Task::kDetect, false, MetricSource::kLabels,
     true},
    {Metric::kAgreeMap, "agree_map", "mAP vs the reference", kPoints, Task::kDetect, true,
     MetricSource::kReference, true},
};

}  // namespace

const std::vector<MetricInfo>& all_metrics() { return kMetrics; }

const MetricInfo& metric_info(Metric metric) {
  for (const auto& row : kMetrics) {
    if (row.metric == metric) return row;
  }
  return kMetrics.front();  // unreachable: every enumerator has a row (tested)
}

std::string_view metric_id(Metric metric) { return metric_info(metric).id; }

const MetricInfo* find_metric(std::string_view id) {
  for (const auto& row : kMetrics) {
    if (row.id == id) return &row;
  }
  return nullptr;
}

Result<const MetricInfo*> parse_metric(std::string_view id) {
  if (const MetricInfo* found = find_metric(id)) return found;
  std::vector<std::string> ids;
  for (const auto& row : kMetrics) ids.emplace_back(row.id);
  return invalid_argument("unknown metric '" + std::string(id) + "'; did you mean '" +
                          nearest_name(std::string(id), ids) + "'? (" + join(ids) + ")");
}

const MetricInfo& primary_metric(Task task, MetricSource source) {
  for (const auto& row : kMetrics) {
    if (row.task == task && row.source == source && row.primary) return row;
  }
  return kMetrics.front();  // unreachable: every task has a primary metric per source (tested)
}

std::string metric_display_name(std::string_view id) {
  const MetricInfo* info = find_metric(id);
  return info ? std::string(info->display_name) : std::string(id);
}

std::string pick_primary_metric(const std::vector<std::string>& ids) {
  for (const auto& row : kMetrics) {
    if (!row.primary || row.source != MetricSource::kLabels) continue;
    if (std::find(ids.begin(), ids.end(), row.id) != ids.end()) return std::string(row.id);
  }
  return ids.empty() ? std::string() : ids.front();
}

}  // namespace edgetier
