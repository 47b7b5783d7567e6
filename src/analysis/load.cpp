/// Load-mode percentiles and throughput per strategy.
#include "analysis/load.h"

#include <algorithm>

#include "analysis/stats.h"

namespace edgetier {

std::vector<LoadRow> load_summary(const ResultSet& results) {
  std::vector<LoadRow> out;
  for (const auto& s : results.strategies()) {
    if (s.latency_ns.empty()) continue;
    std::vector<double> ms;
    ms.reserve(s.latency_ns.size());
    for (int64_t ns : s.latency_ns) ms.push_back(ns / 1e6);
    std::sort(ms.begin(), ms.end());
    LoadRow row;
    row.key = s.key;
    row.n = static_cast<int64_t>(ms.size());
    row.p50_ms = stats::percentile_sorted(ms, 50);
    row.p95_ms = stats::percentile_sorted(ms, 95);
    row.p99_ms = stats::percentile_sorted(ms, 99);
    if (s.sent_window_ns) {
      const double seconds = (s.sent_window_ns->second - s.sent_window_ns->first) / 1e9;
      row.throughput_rps = seconds > 0 ? ms.size() / seconds : 0;
    }
    out.push_back(std::move(row));
  }
  return out;
}

nlohmann::json to_json(const std::vector<LoadRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    out.push_back({{"model", r.key.model},
                   {"scenario", r.key.scenario},
                   {"strategy", r.key.label()},
                   {"n", r.n},
                   {"p50_ms", r.p50_ms},
                   {"p95_ms", r.p95_ms},
                   {"p99_ms", r.p99_ms},
                   {"throughput_rps", r.throughput_rps}});
  }
  return out;
}

}  // namespace edgetier
