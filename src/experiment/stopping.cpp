/// The stopping rule of measure-until-stable (perf_analyzer's stability window, MLPerf's
/// minimum count): bootstrap CI of the median against the target, then the caps.
#include "experiment/stopping.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/percentile.h"
#include "experiment/spec.h"

namespace edgetier {

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kContinue: return "";
    case StopReason::kPrecision: return "precision";
    case StopReason::kMaxRequests: return "max_requests";
    case StopReason::kMaxSeconds: return "max_seconds";
    case StopReason::kFixed: return "fixed";
  }
  return "";
}

StopRule stop_rule(const MeasurementSpec& spec, uint64_t seed) {
  StopRule r;
  r.precision_pct = spec.precision_pct.value_or(kDefaultPrecisionPct);
  r.min_requests = spec.min_requests;
  r.max_requests = spec.max_requests;
  r.max_seconds = spec.max_seconds;
  r.bootstrap.seed = seed;
  return r;
}

StopCheck check_stop(std::span<const double> latency_ms, int64_t requests_sent,
                     double measured_seconds, const StopRule& rule) {
  StopCheck out;
  std::vector<double> sorted(latency_ms.begin(), latency_ms.end());
  std::sort(sorted.begin(), sorted.end());
  out.median_ms = median(sorted);
  out.precision_pct = std::nan("");
  if (sorted.size() >= 2) {
    out.median_ci_ms = stats::median_ci(sorted, rule.bootstrap);
    out.precision_pct = stats::half_width_pct(out.median_ci_ms, out.median_ms);
  }
  const bool floor_met = static_cast<int64_t>(sorted.size()) >= rule.min_requests;
  if (floor_met && std::isfinite(out.precision_pct) && out.precision_pct <= rule.precision_pct) {
    out.reason = StopReason::kPrecision;
  } else if (requests_sent >= rule.max_requests) {
    out.reason = StopReason::kMaxRequests;
  } else if (measured_seconds >= rule.max_seconds) {
    out.reason = StopReason::kMaxSeconds;
  }
  return out;
}

}  // namespace edgetier
