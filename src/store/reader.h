/// Reading an edgetier results database: one run's strategies, per-request rows with their
/// breakdown, links, tiers, accuracy and the facts the run recorded when it started, as plain
/// records (no analysis here; analysis/result_set_db.h turns them into a ResultSet).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace edgetier {

struct ResultsDbOptions {
  /// The run to read; default: the newest run in the database.
  std::optional<int64_t> run_id;
  /// Keep the leading passes the run's discard_passes excludes from statistics.
  bool include_discarded_passes = false;
};

/// One strategy of a stored run with its request rows.
struct StoredStrategy {
  StrategyRow row;
  /// Rows used for statistics (discarded passes left out), ordered by pass and request index;
  /// failed requests (outcome "error:...") included.
  std::vector<RequestRecord> requests;
  int64_t stored_requests = 0;  // every row stored, discarded passes included
  StrategyKey key() const { return {row.model, row.ops, row.placement, row.scenario}; }
};

/// A run read whole, for readers that need more than a ResultSet (the what-if planner).
struct StoredRun {
  std::string path;
  /// run.timing.request_sum_ns sums every stored request of the run (discarded passes too);
  /// run.timing.recorded is false for a run stored before schema 3 or one that never ended.
  RunInfo run;
  int runs_in_database = 0;
  std::vector<TierRecord> tiers;
  std::vector<LinkRecord> links;           // per scenario and link (mobile-edge, edge-cloud)
  std::vector<StoredStrategy> strategies;  // by strategy id
  std::vector<AccuracyRow> accuracy;
  /// Q chains built with an accuracy budget, one per model and chain (from plan_json's
  /// "quantize"); empty for runs without a budget and for runs stored before it existed.
  std::vector<QuantizeSearchRecord> quantize_searches;
  /// Requests each strategy should have (measurement.requests x passes), as the run recorded
  /// it when it started (RunInfo::facts); unset for a run stored by schema v1.
  std::optional<int64_t> planned_requests;
  /// Leading passes left out of `requests` (0 with include_discarded_passes, or for a v1 run).
  int discard_passes = 0;
  /// Per model, the share of FLOPs an automatic cut may leave below it (the spec's
  /// cut.min_flops_share, cut.max_flops_share) as the run recorded it; empty for a v1 run.
  std::map<std::string, std::pair<double, double>> cut_flops_window;
  /// Facts worth repeating in every report ("run 2 was interrupted", an unreadable spec).
  std::vector<std::string> warnings;

  /// "results.db (run 2)".
  std::string source() const;
  const LinkRecord* link(const std::string& scenario, const std::string& link) const;
  /// Scenarios in first-seen order (strategies, then links).
  std::vector<std::string> scenarios() const;
};

/// Opens `path` read-only through the store (a foreign or corrupt file is refused with the
/// store's message; a schema v1 store is read as it is) and reads one run. NOT_FOUND when the
/// database holds no run (or not the asked one, naming the runs it has). A run stored by schema
/// v1 recorded no facts: planned requests are unknown, no pass is discarded, the cut windows
/// are the planner's defaults, and a warning says so. Requests stored before schema v4 read
/// TierTiming::postprocess_ns as 0 (their decoding time is in no column).
Result<StoredRun> read_results_database(const std::string& path,
                                        const ResultsDbOptions& options = {});

/// The "quantize" object of a strategy's plan_json (model and ops left empty); nullopt when the
/// strategy was built without an accuracy budget or the object is not readable.
std::optional<QuantizeSearchRecord> quantize_search_of_plan_json(const std::string& plan_json);

/// True when `path` starts with the SQLite header (a results database, or some other SQLite file).
bool has_sqlite_header(const std::string& path);

}  // namespace edgetier
