/// Tests for the store's schema migrations: a database written by schema version 1 (its SQL kept
/// here as that edgetier wrote it), 2 or 3 is read as it is when opened read-only and upgraded in
/// place when opened for writing; its rows read with the documented fallback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "experiment/test_util.h"
#include "store/export_csv.h"
#include "store/reader.h"
#include "store/store.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

/// Schema version 1, frozen: what edgetier wrote before the run's facts were stored.
constexpr const char* kSchemaV1 =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE runs (\n"
    "  run_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  name TEXT NOT NULL,\n"
    "  spec_hash TEXT NOT NULL,\n"
    "  spec_yaml TEXT NOT NULL,\n"
    "  started_at TEXT NOT NULL,\n"
    "  finished_at TEXT,\n"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),\n"
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
    "  configured_rate_mbit REAL, achieved_rate_mbit REAL, configured_rtt_ms REAL, rtt_ms REAL,\n"
    "  PRIMARY KEY (run_id, scenario, link)\n"
    ");\n"
    "CREATE TABLE strategies (\n"
    "  strategy_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
    "  model TEXT NOT NULL, ops TEXT NOT NULL, placement TEXT NOT NULL, scenario TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  variant_hash TEXT NOT NULL DEFAULT '',\n"
    "  status TEXT NOT NULL DEFAULT 'pending'\n"
    "    CHECK (status IN ('pending', 'running', 'done', 'infeasible', 'failed')),\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  plan_json TEXT NOT NULL DEFAULT '{}',\n"
    "  UNIQUE (run_id, model, ops, placement, scenario)\n"
    ");\n"
    "CREATE TABLE requests (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
    "  strategy_id INTEGER NOT NULL REFERENCES strategies(strategy_id),\n"
    "  scenario TEXT NOT NULL,\n"
    "  pass INTEGER NOT NULL,\n"
    "  request_index INTEGER NOT NULL,\n"
    "  input_file TEXT,\n"
    "  sent_ns INTEGER,\n"
    "  end_to_end_ns INTEGER,\n"
    "  client_ns INTEGER,\n"
    "  mobile_queue_ns INTEGER,\n"
    "  mobile_preprocess_ns INTEGER,\n"
    "  mobile_compute_ns INTEGER,\n"
    "  mobile_serialize_ns INTEGER,\n"
    "  mobile_forward_ns INTEGER,\n"
    "  edge_queue_ns INTEGER,\n"
    "  edge_preprocess_ns INTEGER,\n"
    "  edge_compute_ns INTEGER,\n"
    "  edge_serialize_ns INTEGER,\n"
    "  edge_forward_ns INTEGER,\n"
    "  cloud_queue_ns INTEGER,\n"
    "  cloud_preprocess_ns INTEGER,\n"
    "  cloud_compute_ns INTEGER,\n"
    "  cloud_serialize_ns INTEGER,\n"
    "  cloud_forward_ns INTEGER,\n"
    "  client_mobile_transfer_ns INTEGER,\n"
    "  client_mobile_bytes_up INTEGER,\n"
    "  client_mobile_bytes_down INTEGER,\n"
    "  mobile_edge_transfer_ns INTEGER,\n"
    "  mobile_edge_bytes_up INTEGER,\n"
    "  mobile_edge_bytes_down INTEGER,\n"
    "  edge_cloud_transfer_ns INTEGER,\n"
    "  edge_cloud_bytes_up INTEGER,\n"
    "  edge_cloud_bytes_down INTEGER,\n"
    "  exit_taken INTEGER,\n"
    "  outcome TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, strategy_id, pass, request_index)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE accuracy (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
    "  model TEXT NOT NULL, ops TEXT NOT NULL, metric TEXT NOT NULL,\n"
    "  value REAL NOT NULL, n INTEGER NOT NULL,\n"
    "  variant_hash TEXT NOT NULL DEFAULT '',\n"
    "  PRIMARY KEY (run_id, model, ops, metric)\n"
    ");\n"
    "INSERT INTO meta (key, value) VALUES ('application', 'edgetier'), ('schema_version', '1'),\n"
    "  ('created_by', 'edgetier 0.1.0');\n"
    "PRAGMA application_id = 1164199764;\n"
    "PRAGMA user_version = 1;\n";

/// A v1 store with one finished run: Q+P on ME (2 passes x 2 requests, plan_json with its
/// steps), an infeasible EE@M, a link and an accuracy row.
void write_v1_store(const std::string& path) {
  auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  ASSERT_TRUE(db->exec(kSchemaV1).ok());
  ASSERT_TRUE(db->exec("INSERT INTO runs (name, spec_hash, spec_yaml, started_at, finished_at, "
                       "status) VALUES ('old', 'h1', 'measurement:\\n  requests: 2\\n', "
                       "'2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'done')")
                  .ok());
  ASSERT_TRUE(db->exec("INSERT INTO strategies (run_id, model, ops, placement, scenario, name, "
                       "status, plan_json) VALUES (1, 'net', 'QP', 'ME', 'default', 'QP@ME', "
                       "'done', '{\"steps\":[\"quantize\",\"partition\"],\"cuts\":[[\"t\"]]}'), "
                       "(1, 'net', 'EE', 'M', 'default', 'EE@M', 'infeasible', '{}')")
                  .ok());
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(db->exec("INSERT INTO requests (run_id, strategy_id, scenario, pass, "
                           "request_index, input_file, sent_ns, end_to_end_ns, mobile_compute_ns, "
                           "outcome) VALUES (1, 1, 'default', " +
                           std::to_string(pass) + ", " + std::to_string(i) + ", 'a.png', " +
                           std::to_string(i * 1000) + ", " +
                           std::to_string(5000000 + pass * 1000000) + ", 100, 'ok')")
                      .ok());
    }
  }
  ASSERT_TRUE(
      db->exec("INSERT INTO links VALUES (1, 'default', 'mobile-edge', 100, NULL, 10, 11)").ok());
  ASSERT_TRUE(db->exec("INSERT INTO accuracy VALUES (1, 'net', 'QP', 'top1', 71.5, 50, 'v')").ok());
}

std::set<std::string> columns(SqliteDb& db, const std::string& table) {
  std::set<std::string> out;
  auto stmt = db.prepare("PRAGMA table_info(" + table + ")");
  EXPECT_TRUE(stmt.ok());
  while (*stmt->step()) out.insert(stmt->column_text(1));
  return out;
}

TEST(StoreMigration, ReadsAVersion1StoreReadOnlyWithTheFallback) {
  TempDir dir;
  const std::string path = dir / "results.db";
  write_v1_store(path);
  StoreOptions read;
  read.read_only = true;
  {
    auto store = ResultStore::open(path, read);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->schema_version(), 1);
    // The CSV export reads it too (runs.csv without the v2 columns).
    auto files = export_csv(**store, dir / "csv");
    ASSERT_TRUE(files.ok()) << files.status().to_string();
    EXPECT_EQ(parse_csv(testing::read_text(dir / "csv/runs.csv"))[0].size(), 7u);
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  EXPECT_EQ(run->run.name, "old");
  EXPECT_FALSE(run->run.facts.recorded);
  EXPECT_EQ(run->planned_requests, std::nullopt);  // unknown: completeness by status alone
  EXPECT_EQ(run->discard_passes, 0);               // every stored pass counts
  EXPECT_TRUE(run->cut_flops_window.empty());      // the planner's default window
  ASSERT_EQ(run->warnings.size(), 1u);
  EXPECT_THAT(run->warnings[0], HasSubstr("stored by schema version 1"));
  ASSERT_EQ(run->strategies.size(), 2u);
  EXPECT_EQ(run->strategies[0].row.steps, (std::vector<std::string>{"quantize", "partition"}));
  EXPECT_TRUE(run->strategies[1].row.steps.empty());
  EXPECT_EQ(run->strategies[1].row.status, StrategyStatus::kInfeasible);
  EXPECT_EQ(run->strategies[0].stored_requests, 4);
  EXPECT_EQ(run->strategies[0].requests.size(), 4u);
  ASSERT_EQ(run->links.size(), 1u);
  EXPECT_EQ(run->links[0].rtt_ms, 11.0);
  ASSERT_EQ(run->accuracy.size(), 1u);
  EXPECT_EQ(run->accuracy[0].value, 71.5);
  // Reading changed nothing.
  auto db = SqliteDb::open(path, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*db->query_text("SELECT value FROM meta WHERE key = 'schema_version'"), "1");
}

TEST(StoreMigration, UpgradesAVersion1StoreInPlaceWhenOpenedForWriting) {
  TempDir dir;
  const std::string path = dir / "results.db";
  write_v1_store(path);
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->schema_version(), kStoreSchemaVersion);
    auto& db = (*store)->db();
    EXPECT_EQ(*db.query_text("SELECT value FROM meta WHERE key = 'schema_version'"),
              std::to_string(kStoreSchemaVersion));
    EXPECT_EQ(*db.query_int("PRAGMA user_version"), kStoreSchemaVersion);
    // Tiers stored before host facts existed read as "{}".
    EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM tiers WHERE host_json != '{}'"), 0);
    // The operator order moved out of plan_json into its column; facts stay unrecorded.
    EXPECT_EQ(*db.query_text("SELECT steps_json FROM strategies WHERE strategy_id = 1"),
              "[\"quantize\",\"partition\"]");
    EXPECT_EQ(*db.query_text("SELECT steps_json FROM strategies WHERE strategy_id = 2"), "[]");
    EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM runs WHERE discard_passes IS NULL"), 1);
    EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM requests"), 4);
    // An upgraded store has the columns of a new one.
    auto fresh = ResultStore::open(dir / "fresh.db");
    ASSERT_TRUE(fresh.ok());
    for (const char* table :
         {"meta", "runs", "tiers", "links", "strategies", "requests", "accuracy"}) {
      EXPECT_EQ(columns(db, table), columns((*fresh)->db(), table)) << table;
    }
  }
  auto migrated = read_results_database(path);
  ASSERT_TRUE(migrated.ok()) << migrated.status().to_string();
  EXPECT_FALSE(migrated->run.facts.recorded);
  // Links of an older store carry no token bucket: the planner falls back to fitting one.
  for (const auto& l : migrated->links) {
    EXPECT_FALSE(l.burst_bytes.has_value()) << l.scenario << " " << l.link;
    EXPECT_FALSE(l.burst_ms.has_value());
  }
  EXPECT_EQ(migrated->planned_requests, std::nullopt);
  EXPECT_EQ(migrated->strategies[0].row.steps, (std::vector<std::string>{"quantize", "partition"}));
  EXPECT_THAT(migrated->warnings, ::testing::Contains(HasSubstr("schema version 1")));

  // The upgraded store takes writes: facts for the old run, a new run with its own.
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    RunFacts facts;
    facts.planned_requests = 4;
    facts.discard_passes = 1;
    facts.cut_windows["net"] = {0.3, 0.9};
    ASSERT_TRUE((*store)->record_run_facts(1, facts).ok());
    const int64_t run = *(*store)->begin_run("new", "h2", "", {}, facts);
    EXPECT_EQ(run, 2);
  }
  ResultsDbOptions first;
  first.run_id = 1;
  auto upgraded = read_results_database(path, first);
  ASSERT_TRUE(upgraded.ok());
  EXPECT_TRUE(upgraded->run.facts.recorded);
  EXPECT_EQ(upgraded->planned_requests, 4);
  EXPECT_EQ(upgraded->discard_passes, 1);
  EXPECT_EQ(upgraded->strategies[0].requests.size(), 2u);  // pass 0 now discarded
  EXPECT_EQ(upgraded->cut_flops_window.at("net"), std::make_pair(0.3, 0.9));
  EXPECT_TRUE(upgraded->warnings.empty());
}

/// Version 1 -> 2 as that edgetier applied it, frozen: a v2 store is the v1 store plus this.
constexpr const char* kMigrateV1ToV2 =
    "ALTER TABLE runs ADD COLUMN planned_requests INTEGER;\n"
    "ALTER TABLE runs ADD COLUMN discard_passes INTEGER;\n"
    "ALTER TABLE runs ADD COLUMN cut_windows_json TEXT NOT NULL DEFAULT '{}';\n"
    "ALTER TABLE strategies ADD COLUMN steps_json TEXT NOT NULL DEFAULT '[]';\n"
    "UPDATE meta SET value = '2' WHERE key = 'schema_version';\n"
    "PRAGMA user_version = 2;\n";

void write_v2_store(const std::string& path) {
  write_v1_store(path);
  auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec(kMigrateV1ToV2).ok());
}

TEST(StoreMigration, AVersion2StoreGainsTheStopColumnsAndKeepsItsRows) {
  TempDir dir;
  const std::string path = dir / "results.db";
  write_v2_store(path);
  StoreOptions read;
  read.read_only = true;
  {
    auto store = ResultStore::open(path, read);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->schema_version(), 2);
    auto rows = (*store)->strategies(1);
    ASSERT_TRUE(rows.ok()) << rows.status().to_string();
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0].stop_reason, "");  // stored before the stopping rule existed
    EXPECT_EQ((*rows)[0].precision_pct, std::nullopt);
  }
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->schema_version(), kStoreSchemaVersion);
    EXPECT_EQ(*(*store)->db().query_int("SELECT COUNT(*) FROM requests"), 4);
    EXPECT_EQ(*(*store)->db().query_int("SELECT COUNT(*) FROM strategies WHERE stop_reason = '' "
                                        "AND precision_pct IS NULL"),
              2);
    auto fresh = ResultStore::open(dir / "fresh.db");
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(columns((*store)->db(), "strategies"), columns((*fresh)->db(), "strategies"));
    EXPECT_EQ(columns((*store)->db(), "runs"), columns((*fresh)->db(), "runs"));
    // Its runs ended before their time was recorded.
    auto runs = (*store)->runs();
    ASSERT_TRUE(runs.ok());
    for (const auto& r : *runs) EXPECT_FALSE(r.timing.recorded) << r.run_id;
    ASSERT_TRUE((*store)->record_stop(1, "precision", 3.25).ok());
    EXPECT_FALSE((*store)->record_stop(99, "precision", 1.0).ok());
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  EXPECT_EQ(run->strategies[0].row.stop_reason, "precision");
  EXPECT_EQ(run->strategies[0].row.precision_pct, 3.25);
  EXPECT_EQ(run->strategies[1].row.stop_reason, "");
  // The export carries the columns.
  auto store = ResultStore::open(path, read);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(export_csv(**store, dir / "csv").ok());
  EXPECT_THAT(testing::read_text(dir / "csv/strategies.csv"), HasSubstr("stop_reason"));
}

/// Version 2 -> 3 as that edgetier applied it, frozen: a v3 store is the v2 store plus this.
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
    "ALTER TABLE runs ADD COLUMN timing_json TEXT NOT NULL DEFAULT '{}';\n"
    "UPDATE meta SET value = '3' WHERE key = 'schema_version';\n"
    "PRAGMA user_version = 3;\n";

void write_v3_store(const std::string& path) {
  write_v2_store(path);
  auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec(kMigrateV2ToV3).ok());
}

TEST(StoreMigration, AVersion3StoreGainsThePostprocessColumnsAndKeepsItsRows) {
  TempDir dir;
  const std::string path = dir / "results.db";
  write_v3_store(path);
  StoreOptions read;
  read.read_only = true;
  {
    // Read-only it is read as it is: no postprocess columns, its requests read 0.
    auto store = ResultStore::open(path, read);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->schema_version(), 3);
    EXPECT_EQ(columns((*store)->db(), "requests").count("edge_postprocess_ns"), 0u);
    ASSERT_TRUE(export_csv(**store, dir / "csv3").ok());
    EXPECT_THAT(testing::read_text(dir / "csv3/requests.csv"),
                ::testing::Not(HasSubstr("postprocess_ns")));
  }
  auto old = read_results_database(path);
  ASSERT_TRUE(old.ok()) << old.status().to_string();
  ASSERT_EQ(old->strategies[0].requests.size(), 4u);
  for (const RequestRecord& r : old->strategies[0].requests) {
    EXPECT_EQ(r.tiers[0].compute_ns, 100);
    for (const TierTiming& t : r.tiers) EXPECT_EQ(t.postprocess_ns, 0);
  }
  const int64_t strategy = old->strategies[0].row.strategy_id;
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->schema_version(), kStoreSchemaVersion);
    auto& db = (*store)->db();
    EXPECT_EQ(*db.query_text("SELECT value FROM meta WHERE key = 'schema_version'"), "4");
    EXPECT_EQ(*db.query_int("PRAGMA user_version"), 4);
    EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM requests"), 4);
    EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM requests WHERE mobile_postprocess_ns = 0 AND "
                            "edge_postprocess_ns = 0 AND cloud_postprocess_ns = 0 AND "
                            "mobile_compute_ns = 100"),
              4);
    auto fresh = ResultStore::open(dir / "fresh.db");
    ASSERT_TRUE(fresh.ok());
    for (const char* table :
         {"meta", "runs", "tiers", "links", "strategies", "requests", "accuracy"}) {
      EXPECT_EQ(columns(db, table), columns((*fresh)->db(), table)) << table;
    }
    // The upgraded store takes a detector's request with its decoding time.
    RequestRecord r;
    r.strategy_id = strategy;
    r.pass = 2;
    r.end_to_end_ns = 9000000;
    r.tiers[1].compute_ns = 4000000;
    r.tiers[1].postprocess_ns = 1234567;
    ASSERT_TRUE((*store)->add_request(1, r).ok());
  }
  auto upgraded = read_results_database(path);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().to_string();
  ASSERT_EQ(upgraded->strategies[0].requests.size(), 5u);
  EXPECT_EQ(upgraded->strategies[0].requests[0].tiers[1].postprocess_ns, 0);
  EXPECT_EQ(upgraded->strategies[0].requests[4].tiers[1].postprocess_ns, 1234567);
}

TEST(StoreStop, CompletedRequestsCarryWhatTheStoppingRuleResumesFrom) {
  TempDir dir;
  auto store = ResultStore::open(dir / "results.db");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  const int64_t run = *(*store)->begin_run("r", "h", "", {});
  StrategyRow row;
  row.model = "net";
  row.ops = "I";
  row.placement = "E";
  row.scenario = "default";
  row.name = "I@E";
  const int64_t id = *(*store)->upsert_strategy(run, row);
  for (int i = 0; i < 3; ++i) {
    RequestRecord r;
    r.strategy_id = id;
    r.request_index = i;
    r.sent_ns = i * 10'000'000;
    r.end_to_end_ns = 4'000'000 + i;
    if (i == 1) r.outcome = "error: timeout";
    ASSERT_TRUE((*store)->add_request(run, r).ok());
  }
  auto have = (*store)->completed_requests(run, id);
  ASSERT_TRUE(have.ok()) << have.status().to_string();
  EXPECT_EQ(have->size(), 3u);
  EXPECT_EQ(have->ok_latency_ns.size(), 2u);  // the error is not a latency
  EXPECT_EQ(have->measured_ns, 20'000'000 + 4'000'002);
  ASSERT_TRUE((*store)->record_stop(id, "max_seconds", std::nullopt).ok());
  auto rows = (*store)->strategies(run);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].stop_reason, "max_seconds");
  EXPECT_EQ((*rows)[0].precision_pct, std::nullopt);
}

}  // namespace
}  // namespace edgetier
