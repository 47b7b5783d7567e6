/// The results store: one SQLite file (WAL) holding runs, their environment, strategies, one row
/// per request with the latency breakdown, and accuracy. Written as results arrive; primary keys
/// make every write idempotent so a resumed run neither duplicates nor loses a row.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "metrics/metric.h"
#include "store/records.h"
#include "store/sqlite_db.h"

namespace edgetier {

/// 2 adds the run's facts (runs.planned_requests, runs.discard_passes, table cut_windows) and
/// strategies.steps_json; 3 adds strategies.stop_reason and strategies.precision_pct (how a
/// measurement ended), tiers.host_json (each tier's host facts), the links' measured rates both
/// ways and prober, their token buckets as configured, and runs.timing_json (where the run's
/// wall time went, CampaignTiming); 4 adds requests.<tier>_postprocess_ns (a detector's decoding
/// and NMS on the answering tier). An older store is upgraded in place
/// when opened for writing and read as it is when opened read-only (see RunFacts and StrategyRow
/// for what its rows lack).
inline constexpr int kStoreSchemaVersion = 4;
/// The store's file name inside an experiment's output folder.
inline constexpr const char* kResultsFileName = "results.db";
/// PRAGMA application_id of an edgetier store ("EdGT").
inline constexpr int32_t kStoreApplicationId = 0x45644754;

/// runs.timing_json's object ({"wall_ns", "phases_ns", "overlapped_ns"}) and back; a
/// malformed object is DATA_LOSS naming the key.
nlohmann::json campaign_timing_json(const CampaignTiming& timing);
Result<CampaignTiming> campaign_timing_of_json(const nlohmann::json& j);

/// The "steps" of a plan_json (how a v1 strategy row kept its operator order); empty without.
std::vector<std::string> steps_of_plan_json(const std::string& plan_json);

struct StoreOptions {
  bool read_only = false;
  /// Request rows are committed in batches: when this many are pending or this much time has
  /// passed since the batch began (checked as rows arrive), and on flush()/close. WAL with
  /// synchronous=NORMAL makes a commit cheap; a crash loses at most the open batch, which
  /// --resume then measures again. commit_rows = 1 commits every row.
  int commit_rows = 64;
  int64_t commit_interval_ms = 50;
};

/// Not copyable; safe to call from several threads (one mutex).
class ResultStore {
 public:
  /// Creates the file and schema when missing. A file that is not SQLite, a corrupt one, or an
  /// SQLite file of another application is refused with a clear error.
  static Result<std::unique_ptr<ResultStore>> open(const std::string& path,
                                                   const StoreOptions& options = {});
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  const std::string& path() const { return db_.path(); }
  /// The schema version of the file: kStoreSchemaVersion, or the older version of a file opened
  /// read-only.
  int schema_version() const { return schema_version_; }
  SqliteDb& db() { return db_; }  // for readers such as the CSV export

  // --- runs
  /// `facts` (what the plan fixed) are written with the run; facts.recorded is set on write.
  Result<int64_t> begin_run(const std::string& name, const std::string& spec_hash,
                            const std::string& spec_yaml, const nlohmann::json& env,
                            const RunFacts& facts = {});
  /// The newest run of this spec that did not finish ('running', 'failed' or 'interrupted').
  Result<std::optional<RunInfo>> resumable_run(const std::string& spec_hash);
  /// Marks a run running again (after resumable_run) and updates its environment.
  Status reopen_run(int64_t run_id, const nlohmann::json& env);
  /// Replaces the run's facts (a resumed run, or a run a v1 store upgraded without them).
  Status record_run_facts(int64_t run_id, const RunFacts& facts);
  Status finish_run(int64_t run_id, std::string_view status);  // done | failed | interrupted
  /// Adds one invocation's figures to what the run has stored (a resumed run sums them).
  Status add_campaign_timing(int64_t run_id, const CampaignTiming& timing);
  Result<std::vector<RunInfo>> runs();

  // --- environment
  Status record_tier(int64_t run_id, const TierRecord& tier);
  Status record_link(int64_t run_id, const LinkRecord& link);

  // --- strategies
  /// Inserts the strategy or returns the id it already has in this run (same model, ops,
  /// placement, scenario); plan_json is updated, status kept.
  Result<int64_t> upsert_strategy(int64_t run_id, const StrategyRow& row);
  Status set_strategy_status(int64_t strategy_id, StrategyStatus status,
                             const std::string& reason = "", const std::string& variant_hash = "");
  Result<std::vector<StrategyRow>> strategies(int64_t run_id);
  /// How the strategy's measurement ended (StrategyRow::stop_reason, precision_pct).
  Status record_stop(int64_t strategy_id, const std::string& stop_reason,
                     std::optional<double> precision_pct);

  // --- requests
  /// Stores one request (ignored if that key is already stored). Batched: see StoreOptions.
  Status add_request(int64_t run_id, const RequestRecord& record);
  /// Commits pending request rows.
  Status flush();
  /// What is stored for a strategy (pending rows are committed first).
  Result<CompletedRequests> completed_requests(int64_t run_id, int64_t strategy_id);
  Result<int64_t> count_requests(int64_t run_id);
  /// Request rows of the run whose outcome is "ok" (the run failed when there is none).
  Result<int64_t> count_ok_requests(int64_t run_id);

  // --- accuracy (one value per run, model, ops and metric; a new value replaces the old)
  Status record_accuracy(int64_t run_id, const std::string& model, const std::string& ops,
                         const MetricValue& value, const std::string& variant_hash = "");
  Result<std::vector<MetricValue>> accuracy(int64_t run_id, const std::string& model,
                                            const std::string& ops);

 private:
  explicit ResultStore(SqliteDb db, StoreOptions options) : db_(std::move(db)), options_(options) {}
  Status init_schema();
  /// Upgrades a store of schema version `from` to kStoreSchemaVersion in one transaction.
  Status migrate(int from);
  Status prepare_statements();
  Status begin_batch_locked();
  Status commit_locked();
  /// Commits pending rows, then runs `write` in its own transaction.
  template <typename F>
  Status write_locked(F&& write);

  SqliteDb db_;
  StoreOptions options_;
  int schema_version_ = kStoreSchemaVersion;
  std::mutex mu_;
  bool in_batch_ = false;
  int pending_rows_ = 0;
  int64_t batch_started_ns_ = 0;
  SqliteStatement insert_request_;
  std::vector<std::pair<int64_t, std::string>> scenario_cache_;  // strategy_id -> scenario
};

template <typename F>
Status ResultStore::write_locked(F&& write) {
  RETURN_IF_ERROR(commit_locked());
  RETURN_IF_ERROR(begin_batch_locked());
  Status st = write();
  if (!st.ok()) {
    if (!sqlite3_get_autocommit(db_.handle())) (void)db_.exec("ROLLBACK");
    in_batch_ = false;
    pending_rows_ = 0;
    return st;
  }
  return commit_locked();
}

}  // namespace edgetier
