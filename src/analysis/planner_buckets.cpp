/// The links' configured token buckets and the strategies' request sequences for the replay.
#include "analysis/planner_buckets.h"

#include <algorithm>
#include <map>

#include "analysis/stats.h"

namespace edgetier {

namespace {

/// The bucket of `link` in a measured scenario: as recorded, else as fitted.
BucketSpec scenario_bucket(const StoredRun& run, const std::string& scenario, const LinkModel& m) {
  const LinkRecord* rec = run.link(scenario, m.link);
  if (!rec) return {};
  const double burst = rec->burst_bytes ? static_cast<double>(*rec->burst_bytes)
                                        : m.burst_at(rec->configured_rate_mbit);
  return {rec->configured_rate_mbit, burst};
}

}  // namespace

std::vector<const RequestRecord*> in_request_order(const std::vector<RequestRecord>& requests) {
  std::vector<const RequestRecord*> out;
  for (const auto& r : requests) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const RequestRecord* a, const RequestRecord* b) {
    return std::make_pair(a->pass, a->request_index) < std::make_pair(b->pass, b->request_index);
  });
  return out;
}

void attach_buckets(const StoredRun& run,
                    const std::vector<std::vector<MeasuredSequence>>& measured,
                    PlannerFit* fit) {
  for (LinkModel& m : fit->links) {
    bool all = false;
    for (const auto& rec : run.links) {
      if (rec.link != m.link) continue;
      if (!rec.burst_bytes || !rec.burst_min_bytes || !rec.burst_ms) {
        all = false;
        break;
      }
      if (!all) {
        m.burst_min_bytes = *rec.burst_min_bytes;
        m.burst_ms = *rec.burst_ms;
        m.burst_bytes = *rec.burst_bytes;
      }
      all = true;
    }
    m.configured = all;
    if (all) m.method = "configured tbf bucket";
  }
  auto model_of = [&](const std::string& link) -> const LinkModel* {
    for (const auto& m : fit->links) {
      if (m.link == link) return &m;
    }
    return nullptr;
  };
  // Crossing cost: the low end of the transfers no bucket held (the rest is noise on top).
  std::map<std::string, std::vector<double>> unheld;
  std::vector<std::vector<std::vector<std::vector<double>>>> holds(measured.size());
  for (size_t k = 0; k < measured.size(); ++k) {
    const StrategyModel& s = fit->strategies[k];
    for (const MeasuredSequence& seq : measured[k]) {
      std::vector<BucketSpec> buckets;
      for (const auto& l : s.links) {
        const LinkModel* m = model_of(l.link);
        buckets.push_back(m ? scenario_bucket(run, seq.scenario, *m) : BucketSpec{});
      }
      holds[k].push_back(measured_holds(seq.samples, seq.cycle_ms, buckets));
      for (size_t i = 0; i < seq.samples.size(); ++i) {
        for (size_t l = 0; l < s.links.size(); ++l) {
          if (holds[k].back()[i][l] <= 0) unheld[s.links[l].link].push_back(seq.transfer_ms[i][l]);
        }
      }
    }
  }
  for (LinkModel& m : fit->links) {
    if (m.configured && !unheld[m.link].empty()) {
      m.crossing_ms = stats::percentile(unheld[m.link], 10);
    }
  }
  for (size_t k = 0; k < measured.size(); ++k) {
    StrategyModel& s = fit->strategies[k];
    const bool all = std::all_of(s.links.begin(), s.links.end(), [&](const LinkLoad& l) {
      const LinkModel* m = model_of(l.link);
      return m && m->configured;
    });
    if (!all) continue;
    for (const MeasuredSequence& seq : measured[k]) {
      std::vector<RequestSample> samples = seq.samples;
      for (auto& r : samples) {
        for (const auto& l : s.links) r.base_ms += model_of(l.link)->crossing_ms;
      }
      s.sequences.push_back(std::move(samples));
    }
  }
}

}  // namespace edgetier
