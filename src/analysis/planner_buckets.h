/// What the planner keeps of a strategy's measured requests for the token-bucket replay, and
/// the links' configured buckets (internal to the planner's fit).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/planner.h"
#include "analysis/planner_tbf.h"
#include "analysis/stats.h"
#include "store/reader.h"

namespace edgetier {

/// Requests of one strategy in one scenario, in the order the client sent them.
struct MeasuredSequence {
  std::string scenario;
  std::vector<RequestSample> samples;   // base_ms: end-to-end minus the crossed links' transfers
  std::vector<std::vector<double>> transfer_ms;  // per request and crossed link
  std::vector<double> cycle_ms;         // send to next send (the last: its own + the median gap)
  std::vector<std::pair<int, int>> at;  // (pass, request_index)
  std::vector<int64_t> sent_ns, e2e_ns;

  void add(const RequestRecord& r, RequestSample sample, std::vector<double> transfers) {
    samples.push_back(std::move(sample));
    transfer_ms.push_back(std::move(transfers));
    at.emplace_back(r.pass, r.request_index);
    sent_ns.push_back(r.sent_ns);
    e2e_ns.push_back(r.end_to_end_ns);
  }
  /// Cycles from the send times of consecutive requests; gaps from them.
  void finish() {
    std::vector<double> gaps;
    const size_t n = samples.size();
    for (size_t i = 0; i + 1 < n; ++i) {
      if (at[i + 1].first == at[i].first && at[i + 1].second == at[i].second + 1 &&
          sent_ns[i + 1] >= sent_ns[i] + e2e_ns[i]) {
        gaps.push_back(static_cast<double>(sent_ns[i + 1] - sent_ns[i] - e2e_ns[i]) / 1e6);
      }
    }
    const double gap = gaps.empty() ? 0.0 : stats::median(gaps);
    for (size_t i = 0; i < n; ++i) {
      samples[i].gap_ms = gap;
      const bool next = i + 1 < n && at[i + 1].first == at[i].first &&
                        at[i + 1].second == at[i].second + 1 && sent_ns[i + 1] >= sent_ns[i];
      cycle_ms.push_back(next ? static_cast<double>(sent_ns[i + 1] - sent_ns[i]) / 1e6
                              : static_cast<double>(e2e_ns[i]) / 1e6 + gap);
    }
  }
};

/// Pointers to `requests` sorted by (pass, request_index).
std::vector<const RequestRecord*> in_request_order(const std::vector<RequestRecord>& requests);

/// Marks the links whose buckets the store recorded in every scenario (schema v3), estimates
/// their crossing cost, and gives the strategies that cross only such links their sequences
/// (`measured` is parallel to fit->strategies).
void attach_buckets(const StoredRun& run,
                    const std::vector<std::vector<MeasuredSequence>>& measured,
                    PlannerFit* fit);

}  // namespace edgetier
