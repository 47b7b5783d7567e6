/// Measure until stable: the stopping rule that ends a strategy's measurement rounds.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/bootstrap.h"

namespace edgetier {

struct MeasurementSpec;

/// Why a strategy's measurement ended; the names are what the store keeps
/// (strategies.stop_reason).
enum class StopReason { kContinue, kPrecision, kMaxRequests, kMaxSeconds, kFixed };
std::string_view stop_reason_name(StopReason reason);  // "" for kContinue

struct StopRule {
  double precision_pct = 5;  // stop when the median's CI half-width is within +-this % ...
  int64_t min_requests = 20;  // ... and at least this many requests were answered
  int64_t max_requests = 200;  // requests sent (answered or not)
  double max_seconds = 30;     // of measuring (the strategy's own rounds)
  stats::BootstrapOptions bootstrap;
};
/// The spec's rule (measurement.precision etc.); `seed` makes the bootstrap deterministic per
/// strategy (stats::derive_seed of the run's seed and the strategy's name).
StopRule stop_rule(const MeasurementSpec& spec, uint64_t seed);

struct StopCheck {
  StopReason reason = StopReason::kContinue;
  double median_ms = 0;
  stats::ConfidenceInterval median_ci_ms;
  /// CI half-width as % of the median (NaN below two answered requests).
  double precision_pct = 0;
};
/// Decides after a round. Precision stops only from min_requests answered on (the floor, so a
/// lucky first few requests do not end it); the caps stop regardless of it, the time cap
/// included, so a slow strategy cannot hold up the run. Precision wins when several apply.
StopCheck check_stop(std::span<const double> latency_ms, int64_t requests_sent,
                     double measured_seconds, const StopRule& rule);

}  // namespace edgetier
