/// Tests for the results store: schema and WAL, idempotent writes, resume, refusal of foreign
/// files, and a full disk.
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "experiment/test_util.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

RequestRecord request(int64_t strategy, int pass, int index) {
  RequestRecord r;
  r.strategy_id = strategy;
  r.pass = pass;
  r.request_index = index;
  r.input_file = "img" + std::to_string(index) + ".png";
  r.end_to_end_ns = 1000000 + pass * 1000 + index;
  r.sent_ns = index * 10;
  r.tiers[0].compute_ns = 500 + index;
  r.tiers[1].forward_ns = 42;
  r.links[1].bytes_up = 4096;
  r.links[1].transfer_ns = 77;
  return r;
}

StrategyRow strategy(const std::string& ops, const std::string& placement,
                     const std::string& scenario = "default") {
  StrategyRow row;
  row.model = "m";
  row.ops = ops;
  row.placement = placement;
  row.scenario = scenario;
  return row;
}

TEST(Store, CreatesSchemaInWalModeWithForeignKeys) {
  TempDir dir;
  auto store = ResultStore::open(dir / "out/results.db");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto& db = (*store)->db();
  EXPECT_EQ(*db.query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*db.query_int("PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(*db.query_int("PRAGMA foreign_keys"), 1);
  EXPECT_EQ(*db.query_int("PRAGMA application_id"), kStoreApplicationId);
  EXPECT_EQ(*db.query_text("SELECT value FROM meta WHERE key = 'schema_version'"),
            std::to_string(kStoreSchemaVersion));
  for (const char* table : {"runs", "strategies", "requests", "accuracy", "links", "tiers"}) {
    EXPECT_EQ(*db.query_int(std::string("SELECT COUNT(*) FROM sqlite_master WHERE name = '") +
                            table + "'"),
              1)
        << table;
  }
  // One column per breakdown field.
  auto cols = db.prepare("SELECT * FROM requests");
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ(cols->column_count(), 5 + static_cast<int>(request_breakdown_columns().size()));
  EXPECT_THAT(request_breakdown_columns(), ::testing::Contains("edge_cloud_bytes_down"));
  EXPECT_THAT(request_breakdown_columns(), ::testing::Contains("mobile_compute_ns"));
  EXPECT_THAT(request_breakdown_columns(), ::testing::Contains("cloud_postprocess_ns"));
  EXPECT_EQ(request_column_schema("mobile_compute_ns"), 1);
  EXPECT_EQ(request_column_schema("edge_postprocess_ns"), 4);
}

TEST(Store, ResumeNeitherDuplicatesNorLosesRows) {
  TempDir dir;
  const std::string path = dir / "results.db";
  int64_t run = 0, s1 = 0, s2 = 0;
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    auto r = (*store)->begin_run("demo", "abc", "models: []", {{"cores", 2}});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    run = *r;
    s1 = *(*store)->upsert_strategy(run, strategy("I", "M"));
    s2 = *(*store)->upsert_strategy(run, strategy("P", "ME"));
    for (int i = 0; i < 7; ++i) ASSERT_TRUE((*store)->add_request(run, request(s1, 0, i)).ok());
    ASSERT_TRUE((*store)->add_request(run, request(s2, 1, 0)).ok());
    // Closing commits whatever is pending.
  }
  auto store = ResultStore::open(path);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto resumable = (*store)->resumable_run("abc");
  ASSERT_TRUE(resumable.ok() && resumable->has_value());
  EXPECT_EQ((*resumable)->run_id, run);
  EXPECT_EQ((*resumable)->env["cores"], 2);
  // The same strategy keys map to the same ids.
  EXPECT_EQ(*(*store)->upsert_strategy(run, strategy("I", "M")), s1);
  EXPECT_EQ(*(*store)->upsert_strategy(run, strategy("P", "ME")), s2);
  auto done = (*store)->completed_requests(run, s1);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->size(), 7u);
  EXPECT_TRUE(done->contains(0, 6));
  EXPECT_FALSE(done->contains(0, 7));
  EXPECT_FALSE(done->contains(1, 0));
  // Overlapping rows (0..9) after a resume: 3 new ones land, the 7 old ones stay as they were.
  for (int i = 0; i < 10; ++i) {
    RequestRecord r = request(s1, 0, i);
    r.end_to_end_ns = 5;  // would overwrite if the insert were not "or ignore"
    ASSERT_TRUE((*store)->add_request(run, r).ok());
  }
  EXPECT_EQ((*store)->completed_requests(run, s1)->size(), 10u);
  EXPECT_EQ(*(*store)->count_requests(run), 11);
  EXPECT_EQ(*(*store)->db().query_int(
                "SELECT end_to_end_ns FROM requests WHERE request_index = 3 AND pass = 0"),
            1000003);
  EXPECT_EQ(*(*store)->db().query_text("SELECT scenario FROM requests WHERE strategy_id = " +
                                       std::to_string(s2)),
            "default");
  EXPECT_TRUE((*store)
                  ->db()
                  .query_int("SELECT mobile_queue_ns IS NULL FROM requests LIMIT 1")
                  .value_or(0) == 1);
  ASSERT_TRUE((*store)->finish_run(run, "done").ok());
  EXPECT_FALSE((*store)->resumable_run("abc")->has_value());
}

TEST(Store, BatchesCommitOnSizeTimeAndFlush) {
  TempDir dir;
  StoreOptions options;
  options.commit_rows = 3;
  options.commit_interval_ms = 3600 * 1000;
  auto writer = ResultStore::open(dir / "r.db", options);
  ASSERT_TRUE(writer.ok());
  const int64_t run = *(*writer)->begin_run("x", "h", "", {});
  const int64_t s = *(*writer)->upsert_strategy(run, strategy("I", "E"));
  StoreOptions read;
  read.read_only = true;
  auto reader = ResultStore::open(dir / "r.db", read);
  ASSERT_TRUE(reader.ok()) << reader.status().to_string();
  auto visible = [&]() { return *(*reader)->db().query_int("SELECT COUNT(*) FROM requests"); };
  ASSERT_TRUE((*writer)->add_request(run, request(s, 0, 0)).ok());
  ASSERT_TRUE((*writer)->add_request(run, request(s, 0, 1)).ok());
  EXPECT_EQ(visible(), 0);  // still in the open batch
  ASSERT_TRUE((*writer)->add_request(run, request(s, 0, 2)).ok());
  EXPECT_EQ(visible(), 3);  // the third row closed the batch
  ASSERT_TRUE((*writer)->add_request(run, request(s, 0, 3)).ok());
  ASSERT_TRUE((*writer)->flush().ok());
  EXPECT_EQ(visible(), 4);
}

TEST(Store, StrategyStatusAccuracyAndEnvironment) {
  TempDir dir;
  auto store = ResultStore::open(dir / "r.db");
  ASSERT_TRUE(store.ok());
  ResultStore& st = **store;
  const int64_t run = *st.begin_run("x", "h", "yaml", {});
  const int64_t s = *st.upsert_strategy(run, strategy("QEP", "MC"));
  ASSERT_TRUE(
      st.set_strategy_status(s, StrategyStatus::kInfeasible, "does not fit on Mobile", "v1").ok());
  auto rows = st.strategies(run);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].status, StrategyStatus::kInfeasible);
  EXPECT_EQ((*rows)[0].reason, "does not fit on Mobile");
  EXPECT_EQ((*rows)[0].variant_hash, "v1");
  EXPECT_EQ((*rows)[0].name, "QEP@MC");
  EXPECT_EQ(st.set_strategy_status(999, StrategyStatus::kDone).code(), StatusCode::kNotFound);

  ASSERT_TRUE(st.record_accuracy(run, "m", "Q", {"top1", 70.5, 200}).ok());
  ASSERT_TRUE(st.record_accuracy(run, "m", "Q", {"top1", 71.0, 200}).ok());  // replaces
  ASSERT_TRUE(st.record_accuracy(run, "m", "Q", {"top5", 90.0, 200}).ok());
  auto acc = st.accuracy(run, "m", "Q");
  ASSERT_TRUE(acc.ok());
  ASSERT_EQ(acc->size(), 2u);
  EXPECT_DOUBLE_EQ((*acc)[0].value, 71.0);

  ASSERT_TRUE(st.record_tier(run, {"mobile", 0.5, 1 << 30, 1}).ok());
  ASSERT_TRUE(st.record_link(run, {"default", "mobile-edge", 200, 187.5, 0, 0.4}).ok());
  ASSERT_TRUE(
      st.record_link(run, {"default", "mobile-edge", 200, 190.0, 0, 0.3}).ok());  // re-probed
  EXPECT_EQ(*st.db().query_int("SELECT COUNT(*) FROM links"), 1);
  EXPECT_EQ(*st.db().query_text("SELECT achieved_rate_mbit FROM links"), "190.0");
  EXPECT_EQ(*st.db().query_int("SELECT COUNT(*) FROM links WHERE burst_bytes IS NULL"), 1);
  LinkRecord shaped{"default", "edge-cloud", 10, 9.8, 0, 0.3};
  shaped.burst_bytes = 18036;
  shaped.burst_min_bytes = 18036;
  shaped.burst_ms = 1.0;
  ASSERT_TRUE(st.record_link(run, shaped).ok());
  EXPECT_EQ(*st.db().query_int("SELECT burst_bytes FROM links WHERE link = 'edge-cloud'"), 18036);
  EXPECT_EQ(*st.db().query_text("SELECT burst_ms FROM links WHERE link = 'edge-cloud'"), "1.0");
  // Schema 3: a tier's host facts, a link's rates both ways and who measured it.
  TierRecord edge{"edge", 4, 8LL << 30, 4};
  edge.host_json = R"({"cpu_model":"Cortex-A76","protocol_version":"1.1"})";
  ASSERT_TRUE(st.record_tier(run, edge).ok());
  LinkRecord probed{"default", "edge-cloud", 0, 48.0, 0, 2.5};
  probed.forward_rate_mbit = 48.0;
  probed.reverse_rate_mbit = 95.5;
  probed.probed_by = "edge";
  ASSERT_TRUE(st.record_link(run, probed).ok());
  EXPECT_EQ(*st.db().query_text("SELECT host_json FROM tiers WHERE name = 'edge'"),
            edge.host_json);
  EXPECT_EQ(*st.db().query_text("SELECT host_json FROM tiers WHERE name = 'mobile'"), "{}");
  EXPECT_EQ(*st.db().query_text("SELECT probed_by FROM links WHERE link = 'edge-cloud'"), "edge");
  EXPECT_EQ(*st.db().query_text("SELECT reverse_rate_mbit FROM links WHERE link = 'edge-cloud'"),
            "95.5");
  // A request for a strategy that does not exist is refused.
  EXPECT_EQ(st.add_request(run, request(12345, 0, 0)).code(), StatusCode::kNotFound);
}

TEST(Store, RefusesFilesThatAreNotAnEdgetierStore) {
  TempDir dir;
  testing::write_text(dir / "garbage.db", std::string(4096, 'x'));
  auto garbage = ResultStore::open(dir / "garbage.db");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(garbage.status().message(), HasSubstr("is not an edgetier results database"));
  {
    auto other = SqliteDb::open(dir / "other.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(other->exec("CREATE TABLE invoices (id INTEGER)").ok());
  }
  auto foreign = ResultStore::open(dir / "other.db");
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.status().message(),
              HasSubstr("not an edgetier results store (tables: invoices)"));
  StoreOptions read;
  read.read_only = true;
  EXPECT_EQ(ResultStore::open(dir / "missing.db", read).status().code(), StatusCode::kNotFound);
  std::filesystem::create_directories(dir / "folder.db");
  EXPECT_THAT(ResultStore::open(dir / "folder.db").status().message(), HasSubstr("is a folder"));
  // A store written by a newer schema is refused, not misread.
  {
    auto store = ResultStore::open(dir / "new.db");
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(
        (*store)->db().exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'").ok());
  }
  EXPECT_THAT(ResultStore::open(dir / "new.db").status().message(), HasSubstr("schema version 99"));
}

TEST(Store, DiskFullIsResourceExhaustedAndKeepsCommittedRows) {
  TempDir dir;
  const std::string path = dir / "full.db";
  StoreOptions options;
  options.commit_rows = 1;  // every row committed on its own
  int64_t run = 0, s = 0, stored = 0;
  Status failure;
  {
    auto store = ResultStore::open(path, options);
    ASSERT_TRUE(store.ok());
    run = *(*store)->begin_run("x", "h", "", {});
    s = *(*store)->upsert_strategy(run, strategy("I", "M"));
    const int64_t pages = *(*store)->db().query_int("PRAGMA page_count");
    // SQLite reports SQLITE_FULL once the file would grow past max_page_count: a full disk.
    ASSERT_TRUE((*store)->db().exec("PRAGMA max_page_count = " + std::to_string(pages + 3)).ok());
    for (int i = 0; i < 100000 && failure.ok(); ++i) {
      RequestRecord r = request(s, 0, i);
      r.input_file = std::string(200, 'f') + std::to_string(i);
      failure = (*store)->add_request(run, r);
      if (failure.ok()) ++stored;
    }
    ASSERT_FALSE(failure.ok());
    EXPECT_EQ(failure.code(), StatusCode::kResourceExhausted) << failure.to_string();
    EXPECT_THAT(failure.message(), HasSubstr("--resume"));
    EXPECT_GT(stored, 0);
  }
  auto store = ResultStore::open(path);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto done = (*store)->completed_requests(run, s);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(static_cast<int64_t>(done->size()), stored);
  // With room again, the run continues where it stopped.
  ASSERT_TRUE((*store)->add_request(run, request(s, 0, static_cast<int>(stored))).ok());
  EXPECT_EQ(static_cast<int64_t>((*store)->completed_requests(run, s)->size()), stored + 1);
}

}  // namespace
}  // namespace edgetier
