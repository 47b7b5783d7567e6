/// Pareto front of strategies over (latency, accuracy loss), both minimized.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace edgetier {

struct ParetoPoint {
  double latency_ms = 0;
  double accuracy_loss_pts = 0;
};

/// Indices of the non-dominated points, by ascending latency. A point is dominated when another
/// is no worse on both axes and better on one; identical points are all kept. NaN points are
/// never on the front. O(n log n).
std::vector<size_t> pareto_front(std::span<const ParetoPoint> points);

}  // namespace edgetier
