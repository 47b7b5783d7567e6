/// Synthetic results databases written through the store's own API, with latencies that follow
/// a known link model exactly (ground truth for the planner and the database reader).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/reader.h"
#include "store/store.h"

namespace edgetier::testdb {

/// How a fake link turns bytes into time (the planner's model, with chosen parameters).
struct LinkTruth {
  double overhead_ms = 0;
  double rate_factor = 1;
  int64_t burst_bytes = 0;
};

struct ScenarioDef {
  std::string name;
  double mobile_edge_mbit = 0;
  double edge_cloud_mbit = 0;
  double rtt_ms = 0;  // on each link
};

/// The planner tests' scenarios: a fast edge link, a slow one, a fast cloud link.
inline const std::vector<ScenarioDef> kPlannerScenarios = {
    {"default", 200, 10, 0}, {"slow-edge", 10, 10, 0}, {"fast-cloud", 50, 100, 0}};

struct StrategyDef {
  std::string model = "net";
  std::string ops;
  std::string placement;
  double fixed_ms = 10;  // end-to-end minus the shaped links
  double mobile_edge_up = 0, mobile_edge_down = 0;
  double edge_cloud_up = 0, edge_cloud_down = 0;
  std::map<std::string, double> compute_ms;  // tier name -> compute time (part of fixed_ms)
  std::map<std::string, double> serialize_ms;
  std::map<std::string, double> preprocess_ms;
  std::map<std::string, double> postprocess_ms;  // a detector's decoding + NMS (answering tier)
  std::string plan_json = "{}";
};

double truth_transfer_ms(const LinkTruth& link, double up, double down, double rate_mbit,
                         double rtt_ms);
/// The truth's end-to-end median of `s` in `sc`.
double truth_latency_ms(const StrategyDef& s, const ScenarioDef& sc, const LinkTruth& me,
                        const LinkTruth& ec);

/// A spec the store keeps with the run (parses; names one model file that need not exist).
std::string spec_yaml(int requests, int passes = 1, int discard_passes = 0);
/// The facts the runner records for that spec (its model "net" with the spec's default cut
/// window, 0.3..0.9), as the store holds them since schema v2.
RunFacts spec_facts(int requests, int passes = 1, int discard_passes = 0,
                    const std::string& model = "net");

struct RunOptions {
  int requests = 5;  // rows per strategy and scenario (odd: the jitter leaves medians exact)
  double jitter_ms = 0.2;
  LinkTruth mobile_edge, edge_cloud;
  std::string run_status = "done";
};

/// Begins a run, records the scenarios' links and writes every strategy in every scenario with
/// `options.requests` rows following the truth. Returns the run id.
int64_t write_run(ResultStore& store, const std::vector<ScenarioDef>& scenarios,
                  const std::vector<StrategyDef>& strategies, const RunOptions& options);

/// write_run into a new results database at `path`, read back as analysis reads it.
StoredRun make_run(const std::string& path, const std::vector<ScenarioDef>& scenarios,
                   const std::vector<StrategyDef>& strategies, const RunOptions& options);

/// One row of `s` in `sc` (pass 0) as write_run makes it; `jitter_ms` is added to fixed_ms.
RequestRecord make_request(int64_t strategy_id, int index, const StrategyDef& s,
                           const ScenarioDef& sc, const RunOptions& options, double jitter_ms);

}  // namespace edgetier::testdb
