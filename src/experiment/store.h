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
#include "experiment/sqlite_db.h"
#include "metrics/metric.h"

namespace edgetier {

inline constexpr int kStoreSchemaVersion = 1;
/// The store's file name inside an experiment's output folder.
inline constexpr const char* kResultsFileName = "results.db";
/// PRAGMA application_id of an edgetier store ("EdGT").
inline constexpr int32_t kStoreApplicationId = 0x45644754;

/// Per-tier timings of one request; unset = the tier took no part.
struct TierTiming {
  std::optional<int64_t> queue_ns;       // waiting for a free session
  std::optional<int64_t> preprocess_ns;  // decode + preprocess (first tier) or tensor parsing
  std::optional<int64_t> compute_ns;     // ONNX Runtime Run()
  std::optional<int64_t> serialize_ns;   // packing outputs for the next hop or the reply
  std::optional<int64_t> forward_ns;     // waiting on the next tier (covers the upper link)
};

/// One link's share of a request; unset = not crossed.
struct LinkTraffic {
  std::optional<int64_t> transfer_ns;  // time on the wire, both directions
  std::optional<int64_t> bytes_up;     // request payload towards the cloud
  std::optional<int64_t> bytes_down;   // reply payload back towards the client
};

/// The links in request order: client (app on the device) -> mobile -> edge -> cloud.
enum class LinkId { kClientMobile = 0, kMobileEdge = 1, kEdgeCloud = 2 };
inline constexpr int kNumLinks = 3;
std::string_view link_column_prefix(LinkId link);  // "client_mobile", "mobile_edge", "edge_cloud"

struct RequestRecord {
  int64_t strategy_id = 0;
  int pass = 0;
  int request_index = 0;
  std::string input_file;
  int64_t sent_ns = 0;        // when it was sent, since the strategy's first measured request
  int64_t end_to_end_ns = 0;  // client wall clock: send to reply
  std::optional<int64_t> client_ns;          // client-side encode/decode
  std::array<TierTiming, 3> tiers;           // indexed by TierRole (mobile, edge, cloud)
  std::array<LinkTraffic, kNumLinks> links;  // indexed by LinkId
  std::optional<int64_t> exit_taken;         // dynamic exit: 1 if the request left at the exit
  std::string outcome = "ok";                // "ok" or "error:<message>"
};

/// Every per-request column after the key, in table order (the export's requests.csv header).
const std::vector<std::string>& request_breakdown_columns();

enum class StrategyStatus { kPending, kRunning, kDone, kInfeasible, kFailed };
std::string_view strategy_status_name(StrategyStatus status);
Result<StrategyStatus> parse_strategy_status(std::string_view name);

struct StrategyRow {
  int64_t strategy_id = 0;
  int64_t run_id = 0;
  std::string model, ops, placement, scenario;
  std::string name;  // OPS@PLACEMENT
  std::string variant_hash;
  StrategyStatus status = StrategyStatus::kPending;
  std::string reason;            // why infeasible or failed
  std::string plan_json = "{}";  // cuts, exit: what the plan chose
};

struct RunInfo {
  int64_t run_id = 0;
  std::string name;
  std::string spec_hash;
  std::string spec_yaml;
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;  // empty while running
  std::string status;       // running | done | failed | interrupted
  nlohmann::json env = nlohmann::json::object();
};

struct TierRecord {
  std::string name;
  double cpus = 0;
  int64_t memory_bytes = 0;
  int threads = 0;
};

struct LinkRecord {
  std::string scenario;
  std::string link;  // mobile-edge | edge-cloud
  double configured_rate_mbit = 0;
  std::optional<double> achieved_rate_mbit;
  double configured_rtt_ms = 0;
  std::optional<double> rtt_ms;  // measured
};

/// (pass, request_index) pairs already stored for a strategy.
struct CompletedRequests {
  std::set<std::pair<int, int>> done;
  bool contains(int pass, int request_index) const { return done.count({pass, request_index}) > 0; }
  size_t size() const { return done.size(); }
};

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
  SqliteDb& db() { return db_; }  // for readers such as the CSV export

  // --- runs
  Result<int64_t> begin_run(const std::string& name, const std::string& spec_hash,
                            const std::string& spec_yaml, const nlohmann::json& env);
  /// The newest run of this spec that did not finish ('running', 'failed' or 'interrupted').
  Result<std::optional<RunInfo>> resumable_run(const std::string& spec_hash);
  /// Marks a run running again (after resumable_run) and updates its environment.
  Status reopen_run(int64_t run_id, const nlohmann::json& env);
  Status finish_run(int64_t run_id, std::string_view status);  // done | failed | interrupted
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

  // --- requests
  /// Stores one request (ignored if that key is already stored). Batched: see StoreOptions.
  Status add_request(int64_t run_id, const RequestRecord& record);
  /// Commits pending request rows.
  Status flush();
  /// What is stored for a strategy (pending rows are committed first).
  Result<CompletedRequests> completed_requests(int64_t run_id, int64_t strategy_id);
  Result<int64_t> count_requests(int64_t run_id);

  // --- accuracy (one value per run, model, ops and metric; a new value replaces the old)
  Status record_accuracy(int64_t run_id, const std::string& model, const std::string& ops,
                         const MetricValue& value, const std::string& variant_hash = "");
  Result<std::vector<MetricValue>> accuracy(int64_t run_id, const std::string& model,
                                            const std::string& ops);

 private:
  explicit ResultStore(SqliteDb db, StoreOptions options) : db_(std::move(db)), options_(options) {}
  Status init_schema();
  Status prepare_statements();
  Status begin_batch_locked();
  Status commit_locked();
  /// Commits pending rows, then runs `write` in its own transaction.
  template <typename F>
  Status write_locked(F&& write);

  SqliteDb db_;
  StoreOptions options_;
  std::mutex mu_;
  bool in_batch_ = false;
  int pending_rows_ = 0;
  int64_t batch_started_ns_ = 0;
  SqliteStatement insert_request_;
  std::vector<std::pair<int64_t, std::string>> scenario_cache_;  // strategy_id -> scenario
};

}  // namespace edgetier
