/// Reading an edgetier results database (the store's SQLite file) into the analysis: one run's
/// strategies, per-request rows with their breakdown, links, tiers and accuracy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/result_set.h"
#include "core/status.h"
#include "experiment/store.h"

namespace edgetier {

struct ResultsDbOptions {
  /// The run to read; default: the newest run in the database.
  std::optional<int64_t> run_id;
  /// Keep the leading passes the spec's measurement.discard_passes excludes from statistics.
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
  RunInfo run;
  int runs_in_database = 0;
  std::vector<TierRecord> tiers;
  std::vector<LinkRecord> links;           // per scenario and link (mobile-edge, edge-cloud)
  std::vector<StoredStrategy> strategies;  // by strategy id
  std::vector<AccuracyRow> accuracy;
  /// Requests each strategy should have (measurement.requests x passes), when the stored spec
  /// parses; discard_passes from the same spec.
  std::optional<int64_t> planned_requests;
  int discard_passes = 0;
  /// Per model, the share of FLOPs an automatic cut may leave below it (the spec's
  /// cut.min_flops_share, cut.max_flops_share), when the stored spec parses.
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
/// store's message) and reads one run. NOT_FOUND when the database holds no run (or not the
/// asked one, naming the runs it has).
Result<StoredRun> read_results_database(const std::string& path,
                                        const ResultsDbOptions& options = {});

/// The analysis view of a stored run: every ok request with a breakdown whose components do not
/// overlap (the store's columns without "_ns": "client", "mobile_queue", "mobile_preprocess",
/// "mobile_compute", "mobile_serialize", ... "mobile_edge_transfer", plus "other" = end-to-end
/// minus all of them; the tiers' forward_ns is left out because it spans the next link and the
/// tiers above), byte counts under their column names ("mobile_edge_bytes_up"), failed requests
/// counted, accuracy rows, and every strategy without a complete measurement as a
/// MissingStrategy. StoredRun keeps every field of every row.
Result<ResultSet> to_result_set(const StoredRun& run);

/// read_results_database then to_result_set.
Result<ResultSet> load_results_database(const std::string& path,
                                        const ResultsDbOptions& options = {});

/// True when `path` starts with the SQLite header (a results database, or some other SQLite file).
bool has_sqlite_header(const std::string& path);

}  // namespace edgetier
