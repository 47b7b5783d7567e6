/// COCO-style average precision: per-image greedy matching, then 101-point interpolated AP.
#include "metrics/detection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace edgetier {
namespace {

constexpr int kT = DetectionAP::kIouThresholds;
constexpr int kR = DetectionAP::kRecallPoints;
constexpr int kRanges = 4;

// The thresholds and recall points computed as numpy's linspace does (start + i * step, the last
// one exact), so that an IoU or a recall on a boundary falls on the same side as in COCO's tools.
std::array<double, kT> iou_thresholds() {
  std::array<double, kT> t{};
  const double step = (0.95 - 0.5) / (kT - 1);
  for (int i = 0; i < kT; ++i) t[static_cast<size_t>(i)] = i == kT - 1 ? 0.95 : i * step + 0.5;
  return t;
}

std::array<double, kR> recall_points() {
  std::array<double, kR> r{};
  const double step = 1.0 / (kR - 1);
  for (int i = 0; i < kR; ++i) r[static_cast<size_t>(i)] = i == kR - 1 ? 1.0 : i * step;
  return r;
}

bool in_range(double area, AreaRange range) {
  constexpr double kSmall = 32.0 * 32.0, kMedium = 96.0 * 96.0, kHuge = 1e5 * 1e5;
  switch (range) {
    case AreaRange::kAll: return area >= 0 && area <= kHuge;
    case AreaRange::kSmall: return area >= 0 && area <= kSmall;
    case AreaRange::kMedium: return area >= kSmall && area <= kMedium;
    case AreaRange::kLarge: return area >= kMedium && area <= kHuge;
  }
  return false;
}

Status check_box(const Box& b, const std::string& what) {
  if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.w) || !std::isfinite(b.h) ||
      b.w < 0 || b.h < 0) {
    return invalid_argument(what + " box [" + std::to_string(b.x) + ", " + std::to_string(b.y) +
                            ", " + std::to_string(b.w) + ", " + std::to_string(b.h) +
                            "] must have finite coordinates and a size >= 0");
  }
  return ok_status();
}

}  // namespace

double box_iou(const Box& d, const Box& g, bool truth_is_crowd) {
  const double w = std::min(d.x + d.w, g.x + g.w) - std::max(d.x, g.x);
  const double h = std::min(d.y + d.h, g.y + g.h) - std::max(d.y, g.y);
  if (w <= 0 || h <= 0) return 0.0;
  const double inter = w * h;
  const double uni = truth_is_crowd ? d.area() : d.area() + g.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

Status DetectionAP::add(const std::vector<DetectedBox>& detections,
                        const std::vector<TruthBox>& truth) {
  for (const DetectedBox& d : detections) {
    RETURN_IF_ERROR(check_box(d.box, "detection"));
    if (!std::isfinite(d.score)) return invalid_argument("detection score must be finite");
  }
  for (const TruthBox& t : truth) RETURN_IF_ERROR(check_box(t.box, "ground-truth"));

  std::vector<int64_t> cats;
  for (const auto& d : detections) cats.push_back(d.category);
  for (const auto& t : truth) cats.push_back(t.category);
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  const auto thresholds = iou_thresholds();

  for (int64_t cat : cats) {
    // Detections by score, ties in the given order; only the first kMaxDetections count.
    std::vector<const DetectedBox*> dts;
    for (const auto& d : detections) {
      if (d.category == cat) dts.push_back(&d);
    }
    std::stable_sort(dts.begin(), dts.end(), [](const DetectedBox* a, const DetectedBox* b) {
      return a->score > b->score;
    });
    if (dts.size() > static_cast<size_t>(kMaxDetections)) dts.resize(kMaxDetections);
    std::vector<const TruthBox*> all_gts;
    for (const auto& t : truth) {
      if (t.category == cat) all_gts.push_back(&t);
    }

    for (int r = 0; r < kRanges; ++r) {
      const auto range = static_cast<AreaRange>(r);
      // Counted ground truth first, then the ignored (crowd or outside the range), each in order.
      std::vector<const TruthBox*> gts = all_gts;
      auto ignored = [range](const TruthBox* t) {
        return t->crowd || !in_range(t->range_area(), range);
      };
      std::stable_partition(gts.begin(), gts.end(), [&](const TruthBox* t) { return !ignored(t); });
      ImageEval e{cat, range, {}, {}, {}, 0};
      for (const TruthBox* t : gts) e.counted_truth += ignored(t) ? 0 : 1;
      const size_t nd = dts.size(), ng = gts.size();
      std::vector<double> iou(nd * ng);
      for (size_t i = 0; i < nd; ++i) {
        for (size_t j = 0; j < ng; ++j)
          iou[i * ng + j] = box_iou(dts[i]->box, gts[j]->box, gts[j]->crowd);
      }
      e.matched.assign(nd, {});
      e.ignored.assign(nd, {});
      for (int ti = 0; ti < kT; ++ti) {
        std::vector<bool> gt_taken(ng, false);
        for (size_t i = 0; i < nd; ++i) {
          double best = std::min(thresholds[static_cast<size_t>(ti)], 1 - 1e-10);
          int64_t m = -1;
          for (size_t j = 0; j < ng; ++j) {
            if (gt_taken[j] && !gts[j]->crowd) continue;  // a crowd region takes any number
            // Counted ground truth is sorted first: once one matched, ignored ones cannot win.
            if (m >= 0 && !ignored(gts[static_cast<size_t>(m)]) && ignored(gts[j])) break;
            if (iou[i * ng + j] < best) continue;
            best = iou[i * ng + j];
            m = static_cast<int64_t>(j);
          }
          if (m < 0) {
            e.ignored[i][static_cast<size_t>(ti)] = !in_range(dts[i]->box.area(), range);
            continue;
          }
          gt_taken[static_cast<size_t>(m)] = true;
          e.matched[i][static_cast<size_t>(ti)] = true;
          e.ignored[i][static_cast<size_t>(ti)] = ignored(gts[static_cast<size_t>(m)]);
        }
      }
      for (const DetectedBox* d : dts) e.scores.push_back(d->score);
      if (nd == 0 && ng == 0) continue;
      evals_.push_back(std::move(e));
    }
    if (!std::binary_search(categories_.begin(), categories_.end(), cat)) {
      categories_.insert(std::upper_bound(categories_.begin(), categories_.end(), cat), cat);
    }
  }
  ++images_;
  return ok_status();
}

std::vector<std::array<double, DetectionAP::kRecallPoints>> DetectionAP::precision(
    int64_t category, AreaRange range) const {
  struct Det {
    double score;
    const ImageEval* eval;
    size_t index;
  };
  std::vector<Det> dets;
  int64_t counted = 0;
  for (const ImageEval& e : evals_) {
    if (e.category != category || e.range != range) continue;
    counted += e.counted_truth;
    for (size_t i = 0; i < e.scores.size(); ++i) dets.push_back({e.scores[i], &e, i});
  }
  if (counted == 0) return {};
  std::stable_sort(dets.begin(), dets.end(),
                   [](const Det& a, const Det& b) { return a.score > b.score; });
  const auto recalls = recall_points();
  const double eps = std::numeric_limits<double>::epsilon();
  std::vector<std::array<double, kR>> out(kT);
  std::vector<double> rc(dets.size()), pr(dets.size());
  for (int t = 0; t < kT; ++t) {
    double tp = 0, fp = 0;
    for (size_t i = 0; i < dets.size(); ++i) {
      const Det& d = dets[i];
      if (!d.eval->ignored[d.index][static_cast<size_t>(t)]) {
        (d.eval->matched[d.index][static_cast<size_t>(t)] ? tp : fp) += 1;
      }
      rc[i] = tp / static_cast<double>(counted);
      pr[i] = tp / (tp + fp + eps);
    }
    // Interpolated precision: the best precision at this recall or any higher one.
    for (size_t i = dets.size(); i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    auto& q = out[static_cast<size_t>(t)];
    for (int r = 0; r < kR; ++r) {
      const auto at = std::lower_bound(rc.begin(), rc.end(), recalls[static_cast<size_t>(r)]);
      q[static_cast<size_t>(r)] = at == rc.end() ? 0.0 : pr[static_cast<size_t>(at - rc.begin())];
    }
  }
  return out;
}

double DetectionAP::category_ap(int64_t category, AreaRange range, int iou_index) const {
  const auto p = precision(category, range);
  if (p.empty()) return -1.0;
  double sum = 0;
  int n = 0;
  for (int t = 0; t < kT; ++t) {
    if (iou_index >= 0 && t != iou_index) continue;
    for (double v : p[static_cast<size_t>(t)]) sum += v;
    n += kR;
  }
  return n ? 100.0 * sum / n : -1.0;
}

double DetectionAP::map(AreaRange range, int iou_index) const {
  double sum = 0;
  int n = 0;
  for (int64_t c : categories_) {
    const double ap = category_ap(c, range, iou_index);
    if (ap < 0) continue;  // no ground truth: left out of the mean, as in COCO
    sum += ap;
    ++n;
  }
  return n ? sum / n : -1.0;
}

std::vector<MetricValue> DetectionAP::values() const {
  const double all = map(), at50 = map(AreaRange::kAll, 0);
  return {{std::string(metric_id(Metric::kMap)), std::max(all, 0.0), images_},
          {std::string(metric_id(Metric::kMap50)), std::max(at50, 0.0), images_}};
}

}  // namespace edgetier
