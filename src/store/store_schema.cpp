/// The results store's schema (version 1 and the migrations to 2, 3 and 4), and opening a store:
/// creating it, upgrading an older one, or refusing foreign files.
#include <algorithm>
#include <filesystem>

#include "store/store.h"
#include "strategy/placement.h"

namespace edgetier {
namespace {

constexpr const char* kTierFields[] = {"queue_ns", "preprocess_ns", "compute_ns", "serialize_ns",
                                       "forward_ns"};
constexpr const char* kLinkFields[] = {"transfer_ns", "bytes_up", "bytes_down"};
/// The tier fields schema 4 added, after the version-1 columns (ALTER TABLE appends).
constexpr const char* kTierFieldsV4[] = {"postprocess_ns"};

/// The requests columns of version 1 after the key: the start of request_breakdown_columns().
const std::vector<std::string>& request_columns_v1() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = {"input_file", "sent_ns", "end_to_end_ns", "client_ns"};
    // One group per tier, in TierRole order (RequestRecord::tiers is indexed by it).
    for (TierRole tier : all_tier_roles()) {
      for (const char* field : kTierFields)
        c.push_back(std::string(tier_role_name(tier)) + "_" + field);
    }
    for (int l = 0; l < kNumLinks; ++l) {
      for (const char* field : kLinkFields) {
        c.push_back(std::string(link_column_prefix(static_cast<LinkId>(l))) + "_" + field);
      }
    }
    c.push_back("exit_taken");
    c.push_back("outcome");
    return c;
  }();
  return columns;
}

/// Version 1, as edgetier wrote it before the run's facts were stored. Kept as the starting
/// point every store is built from: a new store is this plus the migrations, so an upgraded v1
/// store and a new one have the same tables.
std::string schema_v1_sql() {
  std::string requests =
      "CREATE TABLE requests (\n"
      "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
      "  strategy_id INTEGER NOT NULL REFERENCES strategies(strategy_id),\n"
      "  scenario TEXT NOT NULL,\n"
      "  pass INTEGER NOT NULL,\n"
      "  request_index INTEGER NOT NULL,\n";
  for (const auto& col : request_columns_v1()) {
    const bool text = col == "input_file" || col == "outcome";
    requests +=
        "  " + col + (text ? " TEXT" : " INTEGER") + (col == "outcome" ? " NOT NULL" : "") + ",\n";
  }
  requests += "  PRIMARY KEY (run_id, strategy_id, pass, request_index)\n) WITHOUT ROWID;\n";
  return std::string(
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
             "CREATE TABLE runs (\n"
             "  run_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
             "  name TEXT NOT NULL,\n"
             "  spec_hash TEXT NOT NULL,\n"
             "  spec_yaml TEXT NOT NULL,\n"
             "  started_at TEXT NOT NULL,\n"
             "  finished_at TEXT,\n"
             "  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', "
             "'interrupted')),\n"
             "  env_json TEXT NOT NULL DEFAULT '{}'\n"
             ");\n"
             "CREATE INDEX runs_by_spec ON runs (spec_hash, run_id);\n"
             "CREATE TABLE tiers (\n"
             "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
             "  name TEXT NOT NULL,\n"
             "  cpus REAL, memory_bytes INTEGER, threads INTEGER,\n"
             "  PRIMARY KEY (run_id, name)\n"
             ");\n"
             "CREATE TABLE links (\n"
             "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
             "  scenario TEXT NOT NULL,\n"
             "  link TEXT NOT NULL,\n"
             "  configured_rate_mbit REAL, achieved_rate_mbit REAL, configured_rtt_ms REAL, rtt_ms "
             "REAL,\n"
             "  PRIMARY KEY (run_id, scenario, link)\n"
             ");\n"
             "CREATE TABLE strategies (\n"
             "  strategy_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
             "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
             "  model TEXT NOT NULL, ops TEXT NOT NULL, placement TEXT NOT NULL, scenario TEXT NOT "
             "NULL,\n"
             "  name TEXT NOT NULL,\n"
             "  variant_hash TEXT NOT NULL DEFAULT '',\n"
             "  status TEXT NOT NULL DEFAULT 'pending'\n"
             "    CHECK (status IN ('pending', 'running', 'done', 'infeasible', 'failed')),\n"
             "  reason TEXT NOT NULL DEFAULT '',\n"
             "  plan_json TEXT NOT NULL DEFAULT '{}',\n"
             "  UNIQUE (run_id, model, ops, placement, scenario)\n"
             ");\n") +
         requests +
         "CREATE TABLE accuracy (\n"
         "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
         "  model TEXT NOT NULL, ops TEXT NOT NULL, metric TEXT NOT NULL,\n"
         "  value REAL NOT NULL, n INTEGER NOT NULL,\n"
         "  variant_hash TEXT NOT NULL DEFAULT '',\n"
         "  PRIMARY KEY (run_id, model, ops, metric)\n"
         ");\n";
}

/// Version 1 -> 2: the facts a run's plan fixed, so readers need not parse the stored spec.
/// NULL discard_passes marks a run stored by v1 (nothing recorded).
constexpr const char* kMigrateV1ToV2 =
    "ALTER TABLE runs ADD COLUMN planned_requests INTEGER;\n"
    "ALTER TABLE runs ADD COLUMN discard_passes INTEGER;\n"
    "ALTER TABLE runs ADD COLUMN cut_windows_json TEXT NOT NULL DEFAULT '{}';\n"
    "ALTER TABLE strategies ADD COLUMN steps_json TEXT NOT NULL DEFAULT '[]';\n";

/// Version 2 -> 3: how each strategy's measurement ended (measure until stable: the rule that
/// stopped it and the precision it achieved; '' and NULL for strategies stored before), what
/// each tier's host is (tier/client.h host_facts_json, from its Health), each link's rate both
/// ways and who measured it (the testbed, or the tier sending on it), and the links' token
/// buckets as the testbed configured them (NULL: not recorded; 0: no bucket).
constexpr const char* kMigrateV2ToV3 =
    "ALTER TABLE strategies ADD COLUMN stop_reason TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE strategies ADD COLUMN precision_pct REAL;\n"
    "ALTER TABLE tiers ADD COLUMN host_json TEXT NOT NULL DEFAULT '{}';\n"
    "ALTER TABLE links ADD COLUMN forward_rate_mbit REAL;\n"
    "ALTER TABLE links ADD COLUMN reverse_rate_mbit REAL;\n"
    "ALTER TABLE links ADD COLUMN probed_by TEXT;\n"
    "ALTER TABLE links ADD COLUMN burst_bytes INTEGER;\n"
    "ALTER TABLE links ADD COLUMN burst_min_bytes INTEGER;\n"
    "ALTER TABLE links ADD COLUMN burst_ms REAL;\n"
    "ALTER TABLE runs ADD COLUMN timing_json TEXT NOT NULL DEFAULT '{}';\n";

/// Version 3 -> 4: the time the answering tier spent decoding a detector's outputs into boxes,
/// NMS included (tier/breakdown.h HopBreakdown::postprocess_ns); 0 for tiers that decoded
/// nothing and for every request stored before.
constexpr const char* kMigrateV3ToV4 =
    "ALTER TABLE requests ADD COLUMN mobile_postprocess_ns INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE requests ADD COLUMN edge_postprocess_ns INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE requests ADD COLUMN cloud_postprocess_ns INTEGER NOT NULL DEFAULT 0;\n";

}  // namespace

std::vector<std::string> steps_of_plan_json(const std::string& plan_json) {
  const nlohmann::json plan = nlohmann::json::parse(plan_json, nullptr, false);
  std::vector<std::string> out;
  if (plan.is_object() && plan.contains("steps") && plan.at("steps").is_array()) {
    for (const auto& step : plan.at("steps")) {
      if (step.is_string()) out.push_back(step.get<std::string>());
    }
  }
  return out;
}

std::string_view link_column_prefix(LinkId link) {
  switch (link) {
    case LinkId::kClientMobile: return "client_mobile";
    case LinkId::kMobileEdge: return "mobile_edge";
    case LinkId::kEdgeCloud: return "edge_cloud";
  }
  return "?";
}

const std::vector<std::string>& request_breakdown_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = request_columns_v1();
    for (const char* field : kTierFieldsV4) {
      for (TierRole tier : all_tier_roles())
        c.push_back(std::string(tier_role_name(tier)) + "_" + field);
    }
    return c;
  }();
  return columns;
}

int request_column_schema(std::string_view column) {
  const auto& v1 = request_columns_v1();
  return std::find(v1.begin(), v1.end(), column) != v1.end() ? 1 : 4;
}

std::string_view strategy_status_name(StrategyStatus status) {
  switch (status) {
    case StrategyStatus::kPending: return "pending";
    case StrategyStatus::kRunning: return "running";
    case StrategyStatus::kDone: return "done";
    case StrategyStatus::kInfeasible: return "infeasible";
    case StrategyStatus::kFailed: return "failed";
  }
  return "?";
}

Result<StrategyStatus> parse_strategy_status(std::string_view name) {
  for (auto s : {StrategyStatus::kPending, StrategyStatus::kRunning, StrategyStatus::kDone,
                 StrategyStatus::kInfeasible, StrategyStatus::kFailed}) {
    if (strategy_status_name(s) == name) return s;
  }
  return data_loss("unknown strategy status '" + std::string(name) + "' in the store");
}

Result<std::unique_ptr<ResultStore>> ResultStore::open(const std::string& path,
                                                       const StoreOptions& options) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (options.read_only && !existed)
    return not_found("results database '" + path + "' does not exist");
  if (existed && std::filesystem::is_directory(path, ec)) {
    return invalid_argument("'" + path + "' is a folder; expected a results database file");
  }
  if (!existed) {
    const auto parent = std::filesystem::absolute(path).parent_path();
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return permission_denied("cannot create folder '" + parent.string() + "': " + ec.message());
  }
  const int flags =
      options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::open(path, flags));
  std::unique_ptr<ResultStore> store(new ResultStore(std::move(db), options));
  RETURN_IF_ERROR(store->db_.exec("PRAGMA busy_timeout = 5000"));
  // The first read of the header: a non-SQLite file fails here with SQLITE_NOTADB.
  auto tables =
      store->db_.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> names;
  Status st = tables.status();
  if (tables.ok()) {
    while (st.ok()) {
      auto row = tables->step();
      if (!row.ok()) st = row.status();
      if (!row.ok() || !*row) break;
      names.push_back(tables->column_text(0));
    }
  }
  if (!st.ok()) {
    if (st.code() == StatusCode::kDataLoss) {
      return data_loss("'" + path +
                       "' is not an edgetier results database (not SQLite, or corrupt): " +
                       st.message() + "; choose another --out or remove the file");
    }
    return st;
  }
  ASSIGN_OR_RETURN(int64_t app_id, store->db_.query_int("PRAGMA application_id"));
  if (names.empty()) {
    if (options.read_only)
      return failed_precondition("'" + path + "' is an empty database, not an edgetier store");
    RETURN_IF_ERROR(store->init_schema());
  } else {
    const bool has_meta = std::find(names.begin(), names.end(), "meta") != names.end();
    if (app_id != kStoreApplicationId || !has_meta) {
      std::string list;
      for (size_t i = 0; i < names.size() && i < 8; ++i) list += (i ? ", " : "") + names[i];
      return failed_precondition(
          "'" + path + "' is an SQLite database but not an edgetier results store (tables: " +
          list + "); choose another --out");
    }
    auto version = store->db_.query_text("SELECT value FROM meta WHERE key = 'schema_version'");
    if (!version.ok())
      return data_loss("'" + path + "' has no schema version: " + version.status().message());
    int found = 0;
    for (int v = 1; v <= kStoreSchemaVersion; ++v) {
      if (*version == std::to_string(v)) found = v;
    }
    if (found == 0) {
      return failed_precondition(
          "'" + path + "' has store schema version " + *version + "; this edgetier reads 1 to " +
          std::to_string(kStoreSchemaVersion) + " (use the matching edgetier or a new --out)");
    }
    store->schema_version_ = found;
    // Opened for writing, an older store is upgraded in place; read-only, it is read as it is.
    if (found < kStoreSchemaVersion && !options.read_only) {
      RETURN_IF_ERROR(store->migrate(found).with_context("upgrading '" + path + "'"));
    }
  }
  if (!options.read_only) {
    ASSIGN_OR_RETURN(std::string mode, store->db_.query_text("PRAGMA journal_mode = WAL"));
    if (mode != "wal")
      return failed_precondition("'" + path + "': cannot switch to WAL mode (got '" + mode + "')");
    RETURN_IF_ERROR(store->db_.exec("PRAGMA synchronous = NORMAL"));
  }
  RETURN_IF_ERROR(store->db_.exec("PRAGMA foreign_keys = ON"));
  if (!options.read_only) RETURN_IF_ERROR(store->prepare_statements());
  return store;
}

Status ResultStore::init_schema() {
  Status st = db_.exec("BEGIN IMMEDIATE");
  if (st.ok()) st = db_.exec(schema_v1_sql());
  if (st.ok()) {
    st = db_.exec(
        "INSERT INTO meta (key, value) VALUES ('application', 'edgetier'), ('schema_version', "
        "'1'), ('created_by', 'edgetier " EDGETIER_VERSION "')");
  }
  if (st.ok()) st = db_.exec("PRAGMA application_id = " + std::to_string(kStoreApplicationId));
  if (st.ok()) st = db_.exec("COMMIT");
  if (!st.ok()) {
    (void)db_.exec("ROLLBACK");
    return st.with_context("creating the results schema");
  }
  return migrate(1);
}

Status ResultStore::migrate(int from) {
  Status st = db_.exec("BEGIN IMMEDIATE");
  if (st.ok() && from == 1) {
    st = db_.exec(kMigrateV1ToV2);
    // The operator order a v1 store kept only inside plan_json.
    std::vector<std::pair<int64_t, std::string>> steps;
    auto rows = db_.prepare("SELECT strategy_id, plan_json FROM strategies");
    if (st.ok()) st = rows.status();
    while (st.ok()) {
      auto row = rows->step();
      if (!row.ok()) st = row.status();
      if (!row.ok() || !*row) break;
      steps.emplace_back(rows->column_int64(0),
                         nlohmann::json(steps_of_plan_json(rows->column_text(1))).dump());
    }
    for (const auto& [id, json] : steps) {
      if (!st.ok()) break;
      auto update = db_.prepare("UPDATE strategies SET steps_json = ? WHERE strategy_id = ?");
      st = update.status();
      if (!st.ok()) break;
      update->bind(1, json);
      update->bind(2, id);
      st = update->run();
    }
  }
  if (st.ok() && from <= 2) st = db_.exec(kMigrateV2ToV3);
  if (st.ok() && from <= 3) st = db_.exec(kMigrateV3ToV4);
  if (st.ok()) {
    st = db_.exec("UPDATE meta SET value = '" + std::to_string(kStoreSchemaVersion) +
                  "' WHERE key = 'schema_version'");
  }
  if (st.ok()) st = db_.exec("PRAGMA user_version = " + std::to_string(kStoreSchemaVersion));
  if (st.ok()) st = db_.exec("COMMIT");
  if (!st.ok()) {
    (void)db_.exec("ROLLBACK");
    return st.with_context("migrating the results schema from version " + std::to_string(from));
  }
  schema_version_ = kStoreSchemaVersion;
  return ok_status();
}

Status ResultStore::prepare_statements() {
  std::string sql =
      "INSERT OR IGNORE INTO requests (run_id, strategy_id, scenario, pass, request_index";
  std::string values = "?, ?, ?, ?, ?";
  for (const auto& c : request_breakdown_columns()) {
    sql += ", " + c;
    values += ", ?";
  }
  sql += ") VALUES (" + values + ")";
  ASSIGN_OR_RETURN(insert_request_, db_.prepare(sql));
  return ok_status();
}

}  // namespace edgetier
