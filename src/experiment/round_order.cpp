/// Request schedules and the choice of a group's next member (round_order.h).
#include "experiment/round_order.h"

#include <algorithm>

namespace edgetier::runner {

std::vector<std::pair<int, int>> request_schedule(const MeasurementSpec& m) {
  std::vector<std::pair<int, int>> out;
  if (m.adaptive()) {
    for (int i = 0; i < m.max_requests; ++i) out.emplace_back(0, i);
  } else {
    for (int p = 0; p < m.passes; ++p)
      for (int i = 0; i < m.requests; ++i) out.emplace_back(p, i);
  }
  return out;
}

int64_t planned_per_strategy(const MeasurementSpec& m) {
  return m.adaptive() ? m.max_requests : static_cast<int64_t>(m.requests) * m.passes;
}

RoundStep round_step(const RoundMember& member, const std::vector<RoundMember>& group,
                     const std::vector<RoundMember>& next) {
  if (member.can_go()) return RoundStep::kMeasure;
  auto can_go = [](const RoundMember& x) { return x.can_go(); };
  if (std::any_of(group.begin(), group.end(), can_go)) return RoundStep::kSkip;
  // Every unfinished member is unstarted here, so none is deployed: moving them loses nothing.
  if (std::any_of(next.begin(), next.end(), can_go)) return RoundStep::kDefer;
  return RoundStep::kWait;
}

std::vector<size_t> build_sequence(const std::vector<bool>& slow, size_t group) {
  group = std::max<size_t>(1, group);
  const size_t groups = (slow.size() + group - 1) / group;
  std::vector<size_t> out;
  out.reserve(slow.size());
  auto take = [&](size_t g, bool slow_ones) {
    for (size_t i = g * group; i < std::min(slow.size(), (g + 1) * group); ++i)
      if (slow[i] == slow_ones) out.push_back(i);
  };
  if (groups > 0) take(0, false);
  for (size_t g = 0; g < groups; ++g) {
    if (g + 1 < groups) take(g + 1, false);
    take(g, true);
  }
  return out;
}

}  // namespace edgetier::runner
