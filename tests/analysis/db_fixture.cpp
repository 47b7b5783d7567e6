/// Synthetic results databases for the analysis tests.
#include "analysis/db_fixture.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgetier::testdb {

namespace {

int64_t ns(double ms) { return static_cast<int64_t>(std::llround(ms * 1e6)); }

int tier_of(const std::string& name) { return name == "mobile" ? 0 : name == "edge" ? 1 : 2; }

bool crosses(const std::string& placement, char tier) {
  return placement.find(tier) != std::string::npos;
}

template <typename T>
T check(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().to_string());
  return std::move(*r);
}

void check(const Status& st) {
  if (!st.ok()) throw std::runtime_error(st.to_string());
}

}  // namespace

double truth_transfer_ms(const LinkTruth& link, double up, double down, double rate_mbit,
                         double rtt_ms) {
  const double b = static_cast<double>(link.burst_bytes);
  const double bits = 8 * (std::max(0.0, up - b) + std::max(0.0, down - b));
  return link.overhead_ms + rtt_ms + link.rate_factor * bits / (rate_mbit * 1e3);
}

double truth_latency_ms(const StrategyDef& s, const ScenarioDef& sc, const LinkTruth& me,
                        const LinkTruth& ec) {
  double t = s.fixed_ms;
  if (crosses(s.placement, 'E') || crosses(s.placement, 'C')) {
    t +=
        truth_transfer_ms(me, s.mobile_edge_up, s.mobile_edge_down, sc.mobile_edge_mbit, sc.rtt_ms);
  }
  if (crosses(s.placement, 'C')) {
    t += truth_transfer_ms(ec, s.edge_cloud_up, s.edge_cloud_down, sc.edge_cloud_mbit, sc.rtt_ms);
  }
  return t;
}

std::string spec_yaml(int requests, int passes, int discard_passes) {
  return "name: synthetic\n"
         "models:\n"
         "  - path: net.onnx\n"
         "measurement:\n"
         "  requests: " +
         std::to_string(requests) + "\n  passes: " + std::to_string(passes) +
         "\n  discard_passes: " + std::to_string(discard_passes) + "\n";
}

RequestRecord make_request(int64_t strategy_id, int index, const StrategyDef& s,
                           const ScenarioDef& sc, const RunOptions& options, double jitter_ms) {
  RequestRecord r;
  r.strategy_id = strategy_id;
  r.pass = 0;
  r.request_index = index;
  r.input_file = "img" + std::to_string(index) + ".png";
  r.sent_ns = index * 1000;
  r.client_ns = ns(0.1);
  double e2e = s.fixed_ms + jitter_ms;
  for (const auto& [tier, ms] : s.compute_ms) r.tiers[tier_of(tier)].compute_ns = ns(ms);
  for (const auto& [tier, ms] : s.serialize_ms) r.tiers[tier_of(tier)].serialize_ns = ns(ms);
  for (const auto& [tier, ms] : s.preprocess_ms) r.tiers[tier_of(tier)].preprocess_ns = ns(ms);
  for (const auto& [tier, ms] : s.postprocess_ms) r.tiers[tier_of(tier)].postprocess_ns = ns(ms);
  r.tiers[0].queue_ns = 0;
  r.links[0].transfer_ns = ns(0.05);  // the client's own link: unshaped, part of fixed_ms
  r.links[0].bytes_up = 5000;
  if (crosses(s.placement, 'E') || crosses(s.placement, 'C')) {
    const double t = truth_transfer_ms(options.mobile_edge, s.mobile_edge_up, s.mobile_edge_down,
                                       sc.mobile_edge_mbit, sc.rtt_ms);
    r.links[1].transfer_ns = ns(t);
    r.links[1].bytes_up = static_cast<int64_t>(s.mobile_edge_up);
    r.links[1].bytes_down = static_cast<int64_t>(s.mobile_edge_down);
    e2e += t;
  }
  if (crosses(s.placement, 'C')) {
    const double t = truth_transfer_ms(options.edge_cloud, s.edge_cloud_up, s.edge_cloud_down,
                                       sc.edge_cloud_mbit, sc.rtt_ms);
    r.links[2].transfer_ns = ns(t);
    r.links[2].bytes_up = static_cast<int64_t>(s.edge_cloud_up);
    r.links[2].bytes_down = static_cast<int64_t>(s.edge_cloud_down);
    e2e += t;
  }
  r.end_to_end_ns = ns(e2e);
  return r;
}

RunFacts spec_facts(int requests, int passes, int discard_passes, const std::string& model) {
  RunFacts facts;
  facts.planned_requests = static_cast<int64_t>(requests) * passes;
  facts.discard_passes = discard_passes;
  facts.cut_windows[model] = {0.3, 0.9};
  return facts;
}

int64_t write_run(ResultStore& store, const std::vector<ScenarioDef>& scenarios,
                  const std::vector<StrategyDef>& strategies, const RunOptions& options) {
  const int64_t run = check(store.begin_run("synthetic", "hash", spec_yaml(options.requests),
                                            {{"cores", 2}}, spec_facts(options.requests)));
  for (const auto& sc : scenarios) {
    check(store.record_link(
        run, {sc.name, "mobile-edge", sc.mobile_edge_mbit, std::nullopt, sc.rtt_ms, std::nullopt}));
    check(store.record_link(
        run, {sc.name, "edge-cloud", sc.edge_cloud_mbit, std::nullopt, sc.rtt_ms, std::nullopt}));
  }
  for (const auto& sc : scenarios) {
    for (const auto& s : strategies) {
      StrategyRow row;
      row.model = s.model;
      row.ops = s.ops;
      row.placement = s.placement;
      row.scenario = sc.name;
      row.plan_json = s.plan_json;
      const int64_t id = check(store.upsert_strategy(run, row));
      for (int i = 0; i < options.requests; ++i) {
        const double jitter = (i - options.requests / 2) * options.jitter_ms;
        check(store.add_request(run, make_request(id, i, s, sc, options, jitter)));
      }
      check(store.set_strategy_status(id, StrategyStatus::kDone));
    }
  }
  check(store.flush());
  if (options.run_status != "running") check(store.finish_run(run, options.run_status));
  return run;
}

StoredRun make_run(const std::string& path, const std::vector<ScenarioDef>& scenarios,
                   const std::vector<StrategyDef>& strategies, const RunOptions& options) {
  {
    auto store = check(ResultStore::open(path));
    write_run(*store, scenarios, strategies, options);
  }
  return check(read_results_database(path));
}

}  // namespace edgetier::testdb
