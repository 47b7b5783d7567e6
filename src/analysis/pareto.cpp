/// Pareto front by one sort and a sweep over ascending latency.
#include "analysis/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace edgetier {

std::vector<size_t> pareto_front(std::span<const ParetoPoint> points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isnan(points[i].latency_ms) && !std::isnan(points[i].accuracy_loss_pts)) {
      order.push_back(i);
    }
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].latency_ms != points[b].latency_ms) {
      return points[a].latency_ms < points[b].latency_ms;
    }
    if (points[a].accuracy_loss_pts != points[b].accuracy_loss_pts) {
      return points[a].accuracy_loss_pts < points[b].accuracy_loss_pts;
    }
    return a < b;
  });
  // Within a group of equal latency only the smallest loss can survive, and only if it beats
  // every faster point's loss.
  std::vector<size_t> front;
  double best_loss = std::numeric_limits<double>::infinity();
  for (size_t g = 0; g < order.size();) {
    size_t end = g;
    while (end < order.size() && points[order[end]].latency_ms == points[order[g]].latency_ms) {
      ++end;
    }
    const double group_min = points[order[g]].accuracy_loss_pts;
    if (group_min < best_loss) {
      for (size_t k = g; k < end && points[order[k]].accuracy_loss_pts == group_min; ++k) {
        front.push_back(order[k]);
      }
      best_loss = group_min;
    }
    g = end;
  }
  return front;
}

}  // namespace edgetier
