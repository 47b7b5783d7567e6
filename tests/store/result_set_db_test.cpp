/// Tests for reading results databases (written through the store's API) into the analysis:
/// breakdown fields (a detector's postprocess among them), failures, accuracy, infeasible
/// strategies, interrupted runs, run selection.
#include "analysis/result_set_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/analyze.h"
#include "analysis/db_fixture.h"
#include "analysis/planner.h"
#include "analysis/recommend.h"
#include "report/terminal.h"
#include "test_util.h"

namespace edgetier {
namespace {

using testdb::ScenarioDef;
using testdb::StrategyDef;
using ::testing::HasSubstr;

const std::vector<ScenarioDef> kScenarios = {{"default", 200, 10, 0}};

std::vector<StrategyDef> three_strategies() {
  StrategyDef m{.ops = "I", .placement = "M", .fixed_ms = 30};
  m.compute_ms["mobile"] = 25;
  StrategyDef e{.ops = "Q",
                .placement = "E",
                .fixed_ms = 8,
                .mobile_edge_up = 20000,
                .mobile_edge_down = 400};
  e.compute_ms["edge"] = 6;
  StrategyDef p{.ops = "P",
                .placement = "ME",
                .fixed_ms = 20,
                .mobile_edge_up = 50000,
                .mobile_edge_down = 400};
  p.compute_ms["mobile"] = 10;
  p.compute_ms["edge"] = 5;
  return {m, e, p};
}

StrategyKey key(const std::string& ops, const std::string& placement,
                const std::string& scenario = "default") {
  return {"net", ops, placement, scenario};
}

TEST(ResultSetDb, ReadsRequestsWithBreakdownBytesAndAccuracy) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    testdb::write_run(**store, kScenarios, three_strategies(), {});
    ASSERT_TRUE((*store)->record_accuracy(1, "net", "I", {"top1", 80.0, 200}).ok());
    ASSERT_TRUE((*store)->record_accuracy(1, "net", "Q", {"top1", 79.5, 200}).ok());
  }
  auto results = load_results_database(path);
  ASSERT_TRUE(results.ok()) << results.status().to_string();
  EXPECT_EQ(results->source, path + " (run 1)");
  EXPECT_TRUE(results->warnings.empty());
  EXPECT_TRUE(results->missing().empty());
  ASSERT_EQ(results->strategies().size(), 3u);
  const StrategySamples* q = results->find(key("Q", "E"));
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->latency_ns.size(), 5u);
  EXPECT_EQ(q->failed_requests, 0);
  // fixed 8 ms + 20400 bytes at 200 Mbit/s = 0.816 ms, jitter -0.4..0.4 ms.
  std::vector<int64_t> sorted = q->latency_ns;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted[2], 8816000);
  EXPECT_EQ(q->breakdown_ns.at("edge_compute"), std::vector<int64_t>(5, 6000000));
  EXPECT_EQ(q->breakdown_ns.at("mobile_edge_transfer"), std::vector<int64_t>(5, 816000));
  EXPECT_EQ(q->breakdown_ns.at("client"), std::vector<int64_t>(5, 100000));
  EXPECT_EQ(q->breakdown_ns.count("edge_cloud_transfer"), 0u);
  EXPECT_EQ(q->breakdown_ns.count("mobile_forward"), 0u);  // overlaps the link and the edge
  // other = end-to-end minus client 0.1, edge compute 6, client link 0.05, mobile-edge 0.816.
  std::vector<int64_t> other = q->breakdown_ns.at("other");
  std::sort(other.begin(), other.end());
  EXPECT_EQ(other[2], 1850000);
  EXPECT_EQ(q->bytes.at("mobile_edge_bytes_up"), std::vector<int64_t>(5, 20000));
  EXPECT_EQ(q->bytes.at("mobile_edge_bytes_down"), std::vector<int64_t>(5, 400));
  EXPECT_EQ(results->accuracy("net", "Q", "top1"), 79.5);
  EXPECT_EQ(results->accuracy("net", "P", "top1"), 80.0);  // inherits I

  auto report = analyze(*results, {});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  const StrategyReport* s = report->scenarios.at(0).find("Q@E");
  ASSERT_NE(s, nullptr);
  EXPECT_NEAR(s->breakdown_p50_ms.at("edge_compute"), 6.0, 1e-9);
  EXPECT_NEAR(s->bytes_p50.at("mobile_edge_bytes_up"), 20000, 1e-9);
  EXPECT_NEAR(*s->accuracy_loss_pts, 0.5, 1e-9);
  const auto j = to_json(*report);
  EXPECT_EQ(j["scenarios"][0]["missing_strategies"].size(), 0u);
}

TEST(ResultSetDb, ADetectorsPostprocessIsItsOwnComponentAndThePhasesStillSumToEndToEnd) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  std::vector<StrategyDef> defs = three_strategies();
  defs[2].postprocess_ms["edge"] = 1.5;  // P@ME answers from the edge
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    testdb::write_run(**store, kScenarios, defs, {});
  }
  auto stored = read_results_database(path);
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  for (const RequestRecord& r : stored->strategies[2].requests) {
    EXPECT_EQ(r.tiers[1].postprocess_ns, 1500000);
    EXPECT_EQ(r.tiers[0].postprocess_ns, 0);
  }
  auto results = to_result_set(*stored);
  ASSERT_TRUE(results.ok()) << results.status().to_string();
  const StrategySamples* p = results->find(key("P", "ME"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->breakdown_ns.at("edge_postprocess"), std::vector<int64_t>(5, 1500000));
  EXPECT_EQ(p->breakdown_ns.count("mobile_postprocess"), 0u);
  // A classifier's breakdown gains no component of zeros.
  EXPECT_EQ(results->find(key("Q", "E"))->breakdown_ns.count("edge_postprocess"), 0u);
  // Every request's components add up to its end-to-end time: the decoding left "other".
  for (size_t i = 0; i < p->latency_ns.size(); ++i) {
    int64_t sum = 0;
    for (const auto& [name, values] : p->breakdown_ns) sum += values.at(i);
    EXPECT_EQ(sum, p->latency_ns[i]) << i;
  }
  auto report = analyze(*results, {});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_NEAR(report->scenarios.at(0).find("P@ME")->breakdown_p50_ms.at("edge_postprocess"), 1.5,
              1e-9);
  // The planner's per-hop medians list it too (it is part of the fixed time).
  PlannerOptions no_cuts;
  no_cuts.move_cuts = false;
  auto fit = fit_planner(*stored, *results, {}, no_cuts);
  ASSERT_TRUE(fit.ok()) << fit.status().to_string();
  bool found = false;
  for (const StrategyModel& m : fit->strategies) {
    if (m.label != "P@ME") continue;
    found = true;
    EXPECT_NEAR(m.fixed_breakdown_ms.at("edge_postprocess"), 1.5, 1e-9);
  }
  EXPECT_TRUE(found);
}

TEST(ResultSetDb, ErrorsCountAsFailuresAndDiscardedPassesAreLeftOut) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    const int64_t run =
        *(*store)->begin_run("x", "h", testdb::spec_yaml(3, 2, 1), {}, testdb::spec_facts(3, 2, 1));
    StrategyRow row;
    row.model = "net";
    row.ops = "I";
    row.placement = "M";
    row.scenario = "default";
    const int64_t id = *(*store)->upsert_strategy(run, row);
    const StrategyDef def{.ops = "I", .placement = "M", .fixed_ms = 10};
    testdb::RunOptions options;
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < 3; ++i) {
        RequestRecord r = testdb::make_request(id, i, def, kScenarios[0], options, pass * 100.0);
        r.pass = pass;
        if (pass == 1 && i == 2) r.outcome = "error:deadline exceeded";
        ASSERT_TRUE((*store)->add_request(run, r).ok());
      }
    }
    ASSERT_TRUE((*store)->set_strategy_status(id, StrategyStatus::kDone).ok());
    ASSERT_TRUE((*store)->finish_run(run, "done").ok());
  }
  auto stored = read_results_database(path);
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  EXPECT_EQ(stored->discard_passes, 1);
  EXPECT_EQ(stored->planned_requests, 6);
  ASSERT_EQ(stored->strategies.size(), 1u);
  EXPECT_EQ(stored->strategies[0].stored_requests, 6);
  EXPECT_EQ(stored->strategies[0].requests.size(), 3u);  // pass 0 discarded
  auto results = to_result_set(*stored);
  ASSERT_TRUE(results.ok());
  const StrategySamples* s = results->find(key("I", "M"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->latency_ns, (std::vector<int64_t>{110000000, 110000000}));
  EXPECT_EQ(s->failed_requests, 1);
  EXPECT_TRUE(results->missing().empty());

  ResultsDbOptions all;
  all.include_discarded_passes = true;
  auto everything = load_results_database(path, all);
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->find(key("I", "M"))->latency_ns.size(), 5u);
}

TEST(ResultSetDb, InfeasibleStrategiesAreListedByAnalyzeAndRecommend) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    const int64_t run = testdb::write_run(**store, kScenarios, three_strategies(), {});
    StrategyRow row;
    row.model = "net";
    row.ops = "EE";
    row.placement = "M";
    row.scenario = "default";
    row.status = StrategyStatus::kInfeasible;
    row.reason = "the model has no skip candidate";
    const int64_t id = *(*store)->upsert_strategy(run, row);
    ASSERT_TRUE((*store)->set_strategy_status(id, StrategyStatus::kInfeasible, row.reason).ok());
  }
  auto results = load_results_database(path);
  ASSERT_TRUE(results.ok()) << results.status().to_string();
  ASSERT_EQ(results->missing().size(), 1u);
  EXPECT_EQ(results->missing()[0].kind(), "infeasible");
  EXPECT_EQ(results->missing()[0].describe(), "infeasible: the model has no skip candidate");

  auto report = analyze(*results, {});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  ASSERT_EQ(report->scenarios.size(), 1u);
  ASSERT_EQ(report->scenarios[0].missing.size(), 1u);
  const auto j = to_json(*report);
  const auto& m = j["scenarios"][0]["missing_strategies"][0];
  EXPECT_EQ(m["label"], "EE@M");
  EXPECT_EQ(m["kind"], "infeasible");
  EXPECT_EQ(m["reason"], "the model has no skip candidate");
  EXPECT_EQ(m["requests_planned"], 5);
  EXPECT_THAT(format_analysis(*report),
              HasSubstr("not measured: EE@M (infeasible: the model has no skip candidate)"));

  auto rec = recommend(*results, RecommendOptions{});
  ASSERT_TRUE(rec.ok()) << rec.status().to_string();
  ASSERT_EQ(rec->recommendations.size(), 1u);
  EXPECT_EQ(rec->recommendations[0].missing.size(), 1u);
  EXPECT_EQ(to_json(*rec)["recommendations"][0]["missing_strategies"][0]["label"], "EE@M");
  EXPECT_THAT(format_recommendations(*rec), HasSubstr("not measured: EE@M"));
}

TEST(ResultSetDb, InterruptedRunIsAnalysedWithMissingStrategiesListed) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    testdb::RunOptions options;
    options.run_status = "interrupted";
    const auto defs = three_strategies();
    // I@M finished; Q@E stopped after 2 of 5 requests; P@ME never started.
    const int64_t run = testdb::write_run(**store, kScenarios, {defs[0]}, options);
    for (size_t k = 1; k < defs.size(); ++k) {
      StrategyRow row;
      row.model = "net";
      row.ops = defs[k].ops;
      row.placement = defs[k].placement;
      row.scenario = "default";
      const int64_t id = *(*store)->upsert_strategy(run, row);
      if (k == 1) {
        ASSERT_TRUE((*store)->set_strategy_status(id, StrategyStatus::kRunning).ok());
        for (int i = 0; i < 2; ++i) {
          ASSERT_TRUE((*store)
                          ->add_request(
                              run, testdb::make_request(id, i, defs[k], kScenarios[0], options, 0))
                          .ok());
        }
      }
    }
  }
  auto results = load_results_database(path);
  ASSERT_TRUE(results.ok()) << results.status().to_string();
  ASSERT_EQ(results->warnings.size(), 1u);
  EXPECT_THAT(results->warnings[0], HasSubstr("run 1 is 'interrupted'"));
  ASSERT_EQ(results->missing().size(), 2u);
  EXPECT_EQ(results->missing()[0].kind(), "incomplete");
  EXPECT_EQ(results->missing()[0].describe(),
            "incomplete: 2 of 5 requests stored (status running)");
  EXPECT_EQ(results->missing()[1].kind(), "not measured");
  EXPECT_EQ(results->find(key("Q", "E"))->latency_ns.size(), 2u);

  auto report = analyze(*results, {});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  ASSERT_EQ(report->scenarios[0].strategies.size(), 2u);  // I@M and the partial Q@E
  ASSERT_EQ(report->scenarios[0].missing.size(), 2u);
  EXPECT_EQ(report->scenarios[0].missing[0].key.label(), "Q@E");
  EXPECT_EQ(report->scenarios[0].missing[1].key.label(), "P@ME");
  EXPECT_THAT(report->warnings, ::testing::Contains(HasSubstr("interrupted")));
  const std::string text = format_analysis(*report);
  EXPECT_THAT(text, HasSubstr("incomplete: Q@E (incomplete: 2 of 5 requests stored"));
  EXPECT_THAT(text, HasSubstr("not measured: P@ME (not measured: 0 of 5 requests stored"));
  EXPECT_THAT(text, HasSubstr("warning: run 1 is 'interrupted'"));
}

TEST(ResultSetDb, RunWithoutRequestsIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    const int64_t run =
        *(*store)->begin_run("x", "h", testdb::spec_yaml(5), {}, testdb::spec_facts(5));
    StrategyRow row;
    row.model = "net";
    row.ops = "I";
    row.placement = "M";
    row.scenario = "default";
    ASSERT_TRUE((*store)->upsert_strategy(run, row).ok());
  }
  auto results = load_results_database(path);
  ASSERT_TRUE(results.ok()) << results.status().to_string();
  auto report = analyze(*results, {});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("no latency samples to analyse"));
  EXPECT_THAT(report.status().message(), HasSubstr("1 not measured"));
}

TEST(ResultSetDb, PicksTheNewestRunOrTheOneAskedFor) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    auto defs = three_strategies();
    testdb::write_run(**store, kScenarios, {defs[0]}, {});
    testdb::write_run(**store, kScenarios, {defs[1], defs[2]}, {});
  }
  auto newest = load_results_database(path);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->strategies().size(), 2u);
  EXPECT_THAT(newest->warnings, ::testing::Contains(HasSubstr("holds 2 runs")));
  ResultsDbOptions first;
  first.run_id = 1;
  auto one = load_results_database(path, first);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->strategies().size(), 1u);
  first.run_id = 7;
  auto missing = load_results_database(path, first);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("it holds run(s) 1, 2"));
}

TEST(ResultSetDb, RejectsEmptyAndForeignDatabases) {
  TempDir dir;
  const std::string empty = dir.file("empty.db");
  ASSERT_TRUE(ResultStore::open(empty).ok());
  auto r = load_results_database(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("holds no run yet"));

  const std::string junk = dir.file("junk.db");
  write_file(junk, std::string("SQLite format 3\0", 16) + std::string(200, 'x'));
  EXPECT_TRUE(has_sqlite_header(junk));
  r = load_results_database(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not an edgetier results database"));
  EXPECT_FALSE(load_results_database(dir.file("none.db")).ok());
}

}  // namespace
}  // namespace edgetier
