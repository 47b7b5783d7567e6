/// A stored run as the analysis' ResultSet: breakdown components, failures, missing strategies.
#include "analysis/result_set_db.h"

#include <algorithm>

#include "strategy/placement.h"

namespace edgetier {

namespace {

constexpr const char* kTierFields[] = {"queue", "preprocess", "compute", "serialize"};

}  // namespace

Result<ResultSet> to_result_set(const StoredRun& run) {
  ResultSet results;
  results.source = run.source();
  results.warnings = run.warnings;
  results.quantize_searches = run.quantize_searches;
  if (run.run.timing.recorded) results.campaign = run.run.timing;
  for (const auto& s : run.strategies) {
    const StrategyKey key = s.key();
    int64_t ok = 0, failed = 0;
    for (const RequestRecord& r : s.requests) {
      if (r.outcome != "ok") {
        ++failed;
        continue;
      }
      ++ok;
      std::map<std::string, int64_t> breakdown, bytes;
      int64_t accounted = 0;
      auto add = [&](const std::string& name, const std::optional<int64_t>& ns) {
        if (!ns) return;
        breakdown[name] = *ns;
        accounted += *ns;
      };
      add("client", r.client_ns);
      for (TierRole role : all_tier_roles()) {
        const TierTiming& tt = r.tiers[static_cast<size_t>(role)];
        // forward_ns is left out: it spans the next link and the tiers above, which have
        // their own components.
        const std::optional<int64_t>* fields[] = {&tt.queue_ns, &tt.preprocess_ns, &tt.compute_ns,
                                                  &tt.serialize_ns};
        for (int f = 0; f < 4; ++f) {
          add(std::string(tier_role_name(role)) + "_" + kTierFields[f], *fields[f]);
        }
        // Only the tier that decoded detections has one: a classifier's breakdown gains no
        // component of zeros. Left out, the decoding time would count as "other".
        if (tt.postprocess_ns > 0)
          add(std::string(tier_role_name(role)) + "_postprocess", tt.postprocess_ns);
      }
      for (int l = 0; l < kNumLinks; ++l) {
        const std::string prefix(link_column_prefix(static_cast<LinkId>(l)));
        const LinkTraffic& lt = r.links[l];
        add(prefix + "_transfer", lt.transfer_ns);
        if (lt.bytes_up) bytes[prefix + "_bytes_up"] = *lt.bytes_up;
        if (lt.bytes_down) bytes[prefix + "_bytes_down"] = *lt.bytes_down;
      }
      if (!breakdown.empty()) {
        breakdown["other"] = std::max<int64_t>(0, r.end_to_end_ns - accounted);
      }
      results.add_request(key, r.end_to_end_ns, breakdown, bytes);
      results.add_sent_window(key, r.sent_ns, r.sent_ns + r.end_to_end_ns);
      if (r.exit_taken) results.add_exit_decisions(key, 1, *r.exit_taken == 1 ? 1 : 0);
    }
    if (failed > 0) results.add_failures(key, failed);
    if (ok > 0 && !s.row.stop_reason.empty()) results.set_stop_reason(key, s.row.stop_reason);
    const std::string status(strategy_status_name(s.row.status));
    const bool short_of_plan = run.planned_requests && s.stored_requests < *run.planned_requests;
    const bool complete = s.row.status == StrategyStatus::kDone && !short_of_plan;
    if (!complete) {
      MissingStrategy m;
      m.key = key;
      m.status = status;
      m.reason = s.row.reason;
      m.requests_stored = s.stored_requests;
      m.requests_planned = run.planned_requests;
      results.add_missing(std::move(m));
    }
  }
  for (const auto& a : run.accuracy) RETURN_IF_ERROR(results.add_accuracy(a));
  return results;
}

Result<ResultSet> load_results_database(const std::string& path, const ResultsDbOptions& options) {
  ASSIGN_OR_RETURN(StoredRun run, read_results_database(path, options));
  return to_result_set(run);
}

}  // namespace edgetier
