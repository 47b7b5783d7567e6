/// Token buckets and the replay of request sequences through them (see planner_tbf.h).
#include "analysis/planner_tbf.h"

#include <algorithm>

namespace edgetier {

namespace {

/// Headers per 9000-byte frame (Ethernet 14 + IP 20 + TCP 32 of 9000) and per message (HTTP/2
/// HEADERS and DATA frames, the gRPC length prefix, the last frame's headers).
constexpr double kWireFactor = 1.0075;
constexpr double kWireMessageBytes = 200;

double bytes_per_ms(double rate_mbit) { return rate_mbit * 1e3 / 8; }

}  // namespace

double wire_bytes(double payload_bytes) {
  return payload_bytes > 0 ? payload_bytes * kWireFactor + kWireMessageBytes : 0.0;
}

double tbf_hold_ms(double wire, double tokens_bytes, double rate_mbit) {
  if (rate_mbit <= 0 || wire <= tokens_bytes) return 0;
  return (wire - std::max(0.0, tokens_bytes)) / bytes_per_ms(rate_mbit);
}

TokenBucket::TokenBucket(BucketSpec spec, bool full)
    : spec_(spec), tokens_bytes_(full ? spec.burst_bytes : 0.0) {}

double TokenBucket::send(double wire, double idle_ms) {
  if (spec_.rate_mbit <= 0) return 0;
  tokens_bytes_ = std::min(spec_.burst_bytes,
                           tokens_bytes_ + bytes_per_ms(spec_.rate_mbit) * std::max(0.0, idle_ms));
  const double hold = tbf_hold_ms(wire, tokens_bytes_, spec_.rate_mbit);
  tokens_bytes_ = std::max(0.0, tokens_bytes_ - wire);
  return hold;
}

namespace {

/// Runs the sequence; `cycle_ms` given: the measured send-to-send times, else each request's
/// cycle is its base + holds + extra + gap. Returns per request {holds per link, cycle}.
struct Step {
  std::vector<double> holds;
  double cycle_ms = 0;
};

std::vector<Step> run(const std::vector<RequestSample>& samples,
                      const std::vector<BucketSpec>& buckets, const std::vector<double>& extra_ms,
                      const std::vector<double>* cycle_ms, bool full, int warmup) {
  std::vector<std::array<TokenBucket, 2>> state;
  for (const auto& b : buckets) state.push_back({TokenBucket(b, full), TokenBucket(b, full)});
  std::vector<Step> out;
  // Per bucket: the previous message's hold; it refilled for the rest of the previous cycle.
  std::vector<std::array<double, 2>> last_hold(buckets.size(), {0, 0});
  double last_cycle = full ? 1e9 : 0;
  const int n = static_cast<int>(samples.size());
  warmup = std::clamp(warmup, 0, n);
  for (int k = 0; k < warmup + n; ++k) {
    const int i = k < warmup ? k : k - warmup;
    const RequestSample& r = samples[static_cast<size_t>(i)];
    Step step;
    step.holds.assign(buckets.size(), 0);
    double total = 0;
    for (size_t l = 0; l < buckets.size() && l < r.bytes.size(); ++l) {
      for (int d = 0; d < 2; ++d) {
        const double idle = last_cycle - last_hold[l][d];
        const double h = state[l][d].send(wire_bytes(r.bytes[l][d]), idle);
        last_hold[l][d] = h;
        step.holds[l] += h;
        total += h;
      }
      if (l < extra_ms.size()) total += extra_ms[l];
    }
    step.cycle_ms = cycle_ms ? (*cycle_ms)[static_cast<size_t>(i)] : r.base_ms + total + r.gap_ms;
    last_cycle = step.cycle_ms;
    if (k >= warmup) out.push_back(std::move(step));
  }
  return out;
}

}  // namespace

std::vector<double> replay_requests(const std::vector<RequestSample>& samples,
                                    const std::vector<BucketSpec>& buckets,
                                    const std::vector<double>& extra_ms, int warmup,
                                    std::vector<std::vector<double>>* holds) {
  std::vector<double> out;
  const auto steps = run(samples, buckets, extra_ms, nullptr, true, warmup);
  for (size_t i = 0; i < steps.size(); ++i) {
    out.push_back(steps[i].cycle_ms - samples[i].gap_ms);
    if (holds) holds->push_back(steps[i].holds);
  }
  return out;
}

std::vector<std::vector<double>> measured_holds(const std::vector<RequestSample>& samples,
                                                const std::vector<double>& cycle_ms,
                                                const std::vector<BucketSpec>& buckets) {
  std::vector<std::vector<double>> out;
  for (auto& s : run(samples, buckets, {}, &cycle_ms, false, 0)) out.push_back(std::move(s.holds));
  return out;
}

}  // namespace edgetier
