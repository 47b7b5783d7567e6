/// Tests for the CSV export (a round trip against the database) and the run/export commands.
#include "store/export_csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "experiment/test_util.h"
#include "graph/fixtures.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

TEST(ExportCsv, FieldQuotingRoundTrips) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  const auto rows = parse_csv("x,y\r\n\"a,b\",\"line1\nline2\"\n,\"q\"\"\"\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"a,b", "line1\nline2"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "q\""}));
}

/// Fills a store with two runs: strategies, requests with breakdowns, accuracy, tiers, links.
int64_t fill_store(ResultStore& store) {
  const int64_t run = *store.begin_run("demo", "h1", "models: [m]", {{"cpu_model", "x, y"}});
  (void)store.begin_run("other", "h2", "", {});
  StrategyRow row;
  row.model = "m";
  row.ops = "QEP";
  row.placement = "ME";
  row.scenario = "slow, edge";  // a comma that must be quoted
  const int64_t s = *store.upsert_strategy(run, row);
  for (int i = 0; i < 5; ++i) {
    RequestRecord r;
    r.strategy_id = s;
    r.pass = i / 3;
    r.request_index = i % 3;
    r.input_file = "images/" + std::to_string(i) + ".png";
    r.end_to_end_ns = 123456789 + i;
    r.tiers[0].compute_ns = 1000 + i;
    r.tiers[1].queue_ns = 7;
    r.tiers[1].postprocess_ns = 2500 + i;  // the edge decoded the detections
    r.links[1].bytes_up = 802816;
    r.outcome = i == 4 ? "error:deadline exceeded, retry" : "ok";
    EXPECT_TRUE(store.add_request(run, r).ok());
  }
  EXPECT_TRUE(store.record_accuracy(run, "m", "QEP", {"top1", 1.0 / 3.0, 200}).ok());
  EXPECT_TRUE(store.record_tier(run, {"mobile", 0.5, 1 << 30, 1}).ok());
  EXPECT_TRUE(store.record_link(run, {"slow, edge", "mobile-edge", 10, 9.4, 0, std::nullopt}).ok());
  return run;
}

TEST(ExportCsv, EveryTableRoundTripsAgainstTheDatabase) {
  TempDir dir;
  auto store = ResultStore::open(dir / "results.db");
  ASSERT_TRUE(store.ok());
  const int64_t run = fill_store(**store);
  auto files = export_csv(**store, dir / "csv");
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  ASSERT_EQ(files->size(), 6u);

  const auto requests = parse_csv(testing::read_text(dir / "csv/requests.csv"));
  ASSERT_EQ(requests.size(), 1u + 5u);
  const auto& header = requests[0];
  ASSERT_EQ(header.size(), 5u + request_breakdown_columns().size());
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  // Compare every cell with what SQLite holds.
  auto stmt = (*store)->db().prepare(
      "SELECT * FROM requests ORDER BY run_id, strategy_id, pass, request_index");
  ASSERT_TRUE(stmt.ok());
  for (size_t row = 1; row < requests.size(); ++row) {
    ASSERT_TRUE(*stmt->step());
    for (int c = 0; c < stmt->column_count(); ++c) {
      const std::string expected = stmt->is_null(c) ? "" : stmt->column_text(c);
      EXPECT_EQ(requests[row][static_cast<size_t>(c)], expected) << header[static_cast<size_t>(c)];
    }
  }
  EXPECT_EQ(requests[1][col("scenario")], "slow, edge");
  EXPECT_EQ(requests[1][col("mobile_compute_ns")], "1000");
  EXPECT_EQ(requests[1][col("cloud_compute_ns")], "");  // NULL: the cloud took no part
  EXPECT_EQ(requests[1][col("edge_postprocess_ns")], "2500");
  EXPECT_EQ(requests[2][col("edge_postprocess_ns")], "2501");
  EXPECT_EQ(requests[1][col("mobile_postprocess_ns")], "0");  // decoded nothing
  EXPECT_LT(col("cloud_postprocess_ns"), header.size());
  EXPECT_EQ(requests[5][col("outcome")], "error:deadline exceeded, retry");

  const auto accuracy = parse_csv(testing::read_text(dir / "csv/accuracy.csv"));
  ASSERT_EQ(accuracy.size(), 2u);
  EXPECT_EQ(std::stod(accuracy[1][4]), 1.0 / 3.0);  // reals round-trip exactly
  const auto runs = parse_csv(testing::read_text(dir / "csv/runs.csv"));
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(runs[1][6])["cpu_model"], "x, y");
  const auto links = parse_csv(testing::read_text(dir / "csv/links.csv"));
  EXPECT_EQ(links[1][6], "");  // rtt not measured
  EXPECT_EQ(parse_csv(testing::read_text(dir / "csv/strategies.csv")).size(), 2u);
  EXPECT_EQ(parse_csv(testing::read_text(dir / "csv/tiers.csv")).size(), 2u);

  // One run only.
  auto only = export_csv(**store, dir / "csv2", run + 1);
  ASSERT_TRUE(only.ok());
  EXPECT_EQ((*only)[0].rows, 1);  // runs.csv
  EXPECT_EQ((*only)[4].rows, 0);  // requests.csv
  auto summary = store_summary(**store);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ((*summary)["runs"][0]["requests"], 5);
  EXPECT_EQ((*summary)["runs"][0]["strategies"]["pending"], 1);
  EXPECT_EQ(store_summary(**store, 77).status().code(), StatusCode::kNotFound);
}

TEST(ExportCommand, WritesCsvsAndJsonSummary) {
  TempDir dir;
  {
    auto store = ResultStore::open(dir / "out/results.db");
    ASSERT_TRUE(store.ok());
    fill_store(**store);
  }
  auto r = testing::run_edgetier({"export", dir / "out", "--csv", dir / "csv", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["runs"].size(), 2u);
  EXPECT_EQ(json["files"].size(), 6u);
  EXPECT_TRUE(std::filesystem::exists(dir / "csv/requests.csv"));
  auto text = testing::run_edgetier({"export", dir / "out/results.db"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("run 1 'demo' (running"));
  testing::write_text(dir / "junk.db", std::string(2048, 'j'));
  auto junk = testing::run_edgetier({"export", dir / "junk.db", "--csv", dir / "csv3"});
  EXPECT_NE(junk.exit_code, 0);
  EXPECT_THAT(junk.err, HasSubstr("is not an edgetier results database"));
  EXPECT_FALSE(std::filesystem::exists(dir / "csv3"));
}

class RunCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::save(fixtures::tiny_resnet(32, 8), dir_ / "models/cls.onnx");
    testing::save(testing::single_node_model(), dir_ / "models/flat.onnx");
  }
  /// Writes the spec and runs `edgetier run` on it; the output folder must stay untouched.
  testing::CommandResult run(const std::string& yaml, std::vector<std::string> extra = {}) {
    testing::write_text(dir_ / "exp.yaml", yaml + "output: out\n");
    std::vector<std::string> args = {"run", dir_ / "exp.yaml"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = testing::run_edgetier(args);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "out"))
        << "a run that failed its checks wrote output";
    return r;
  }
  TempDir dir_;
};

TEST_F(RunCommand, PlanOnlyJson) {
  auto r = run("models: [models/cls.onnx]\noperators: [I, P]\nplacements: [E, ME]\n",
               {"--plan-only", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["strategies"].size(), 2u);
  EXPECT_EQ(json["strategies"][0]["model"], "cls");
  EXPECT_EQ(json["strategies"][0]["ops"], "I");
  EXPECT_EQ(json["strategies"][0]["placement"], "E");
  EXPECT_EQ(json["strategies"][0]["scenario"], "default");
  ASSERT_EQ(json["dropped"].size(), 2u);
  EXPECT_THAT(json["dropped"][0]["reason"].get<std::string>(), HasSubstr("1-tier placement"));
  auto text = run("models: [models/cls.onnx]\n", {"--plan-only"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("QEP@ME"));
}

TEST_F(RunCommand, BadInputFailsBeforeMeasuringAndWritesNothing) {
  struct Case {
    std::string yaml;
    std::string error;
  } cases[] = {
      {"models: [models/cls.onnx]\nmeasurement: {pases: 6}\n",
       "measurement.pases: unknown key; did you mean 'passes'?"},
      {"models: [models/cls.onnx]\nmeasurement: {passes: many}\n",
       "measurement.passes: expected an integer"},
      {"models: [models/missing.onnx]\n",
       "file '" + dir_ / "models/missing.onnx" + "' does not exist"},
      {"models: [models/cls.onnx]\ndata: nowhere\n",
       "data folder '" + dir_ / "nowhere" + "' does not exist"},
      {"models: [models/cls.onnx]\ndata: {kind: unlabeled, path: models/empty}\n", "has no images"},
      {"models:\n  - path: models/flat.onnx\n    preprocess: {size: 8}\noperators: "
       "[QP]\nplacements: [EC]\n",
       "no valid cut"},
      {"models: [models/cls.onnx]\ndata: lab\n", "1 image(s) have no label (b.png)"},
  };
  std::filesystem::create_directories(dir_ / "models/empty");
  testing::write_image(dir_ / "lab/a.png", 32, 32);
  testing::write_image(dir_ / "lab/b.png", 32, 32);
  testing::write_text(dir_ / "lab/labels.csv", "file,label\na.png,1\n");
  for (const auto& c : cases) {
    for (const char* flag : {"--plan-only", "--resume"}) {
      auto r = run(c.yaml, {flag});
      EXPECT_NE(r.exit_code, 0) << c.yaml;
      EXPECT_THAT(r.err, HasSubstr(c.error)) << c.yaml;
      EXPECT_THAT(r.err, ::testing::StartsWith("edgetier: error: "));
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    }
  }
}

}  // namespace
}  // namespace edgetier
