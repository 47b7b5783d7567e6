/// Tests for the what-if planner on synthetic databases whose latencies follow the link model
/// exactly: validation error ~0, fitted overheads, rate factors and bursts, the grid and its
/// JSON, and bad input (cut re-choice: planner_cut_test.cpp).
#include "analysis/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/db_fixture.h"
#include "analysis/planner_cuts.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "report/planner_text.h"
#include "test_util.h"

namespace edgetier {
namespace {

using testdb::LinkTruth;
using testdb::RunOptions;
using testdb::ScenarioDef;
using testdb::StrategyDef;
using ::testing::HasSubstr;

const std::vector<ScenarioDef>& kScenarios = testdb::kPlannerScenarios;

std::vector<StrategyDef> strategies() {
  return {
      {.ops = "I", .placement = "M", .fixed_ms = 30},
      {.ops = "I",
       .placement = "E",
       .fixed_ms = 8,
       .mobile_edge_up = 20000,
       .mobile_edge_down = 400},
      {.ops = "Q",
       .placement = "C",
       .fixed_ms = 3,
       .mobile_edge_up = 8000,
       .mobile_edge_down = 400,
       .edge_cloud_up = 8000,
       .edge_cloud_down = 400},
      {.ops = "I",
       .placement = "C",
       .fixed_ms = 4,
       .mobile_edge_up = 20000,
       .mobile_edge_down = 400,
       .edge_cloud_up = 20000,
       .edge_cloud_down = 400},
      {.ops = "P",
       .placement = "ME",
       .fixed_ms = 20,
       .mobile_edge_up = 50000,
       .mobile_edge_down = 400},
      {.ops = "P",
       .placement = "EC",
       .fixed_ms = 9,
       .mobile_edge_up = 20000,
       .mobile_edge_down = 400,
       .edge_cloud_up = 90000,
       .edge_cloud_down = 400},
  };
}

void expect_exact(const ValidationReport& v, double tolerance_pct) {
  EXPECT_EQ(v.method, "leave-one-scenario-out");
  EXPECT_LT(v.mdape_pct, tolerance_pct);
  for (const auto& sc : v.scenarios) {
    EXPECT_EQ(sc.trained_on.size(), kScenarios.size() - 1);
    for (const auto& row : sc.rows) {
      EXPECT_FALSE(row.in_sample) << row.strategy;
      EXPECT_NEAR(row.error_pct, 0, tolerance_pct) << sc.scenario << " " << row.strategy;
    }
  }
}

TEST(Planner, PredictsAnExactModelWithoutError) {
  TempDir dir;
  const StoredRun run = testdb::make_run(dir.file("results.db"), kScenarios, strategies(), {});
  auto v = validate_planner(run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  // I@M crosses no link: it is shown in every scenario but left out of the error figure.
  EXPECT_EQ(v->predictions, kScenarios.size() * (strategies().size() - 1));
  EXPECT_EQ(v->excluded, kScenarios.size());
  for (const auto& sc : v->scenarios) {
    for (const auto& row : sc.rows) EXPECT_EQ(row.excluded, row.strategy == "I@M") << row.strategy;
  }
  expect_exact(*v, 1e-3);
  EXPECT_THAT(format_validation(*v), HasSubstr("Median absolute percentage error: 0.0% over 15"));
  EXPECT_THAT(format_validation(*v), HasSubstr("3 left out (no changed link crossed)"));
  EXPECT_THAT(v->notes, ::testing::Contains(HasSubstr("3 prediction(s) left out")));
  const auto j = validation_to_json(*v);
  EXPECT_EQ(j["method"], "leave-one-scenario-out");
  EXPECT_EQ(j["scenarios"].size(), 3u);
  EXPECT_EQ(j["scenarios"][0]["rows"].size(), strategies().size());
}

TEST(Planner, FitsAFixedPerLinkOverhead) {
  TempDir dir;
  RunOptions options;
  options.mobile_edge.overhead_ms = 0.7;
  options.edge_cloud.overhead_ms = 1.3;
  const StoredRun run = testdb::make_run(dir.file("results.db"), kScenarios, strategies(), options);
  auto v = validate_planner(run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  expect_exact(*v, 1e-3);
  ASSERT_EQ(v->link_models.size(), 2u);
  EXPECT_EQ(v->link_models[0].link, "mobile-edge");
  EXPECT_NEAR(v->link_models[0].overhead_ms, 0.7, 1e-5);
  EXPECT_NEAR(v->link_models[1].overhead_ms, 1.3, 1e-5);
  EXPECT_NEAR(v->link_models[0].rate_factor, 1.0, 1e-6);
  EXPECT_EQ(v->link_models[0].burst_bytes, 0);
  // Without the overhead the slow link's strategies would be off by about 1.3-2 ms.
  EXPECT_EQ(v->link_models[1].points, 3 * 3);
}

TEST(Planner, FitsARateFactorAndATokenBucketBurst) {
  TempDir dir;
  RunOptions options;
  options.mobile_edge = {0.4, 1.05, 16384};
  options.edge_cloud = {0.9, 1.1, 16384};
  const StoredRun run = testdb::make_run(dir.file("results.db"), kScenarios, strategies(), options);
  auto v = validate_planner(run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  expect_exact(*v, 1e-3);
  EXPECT_EQ(v->link_models[0].burst_bytes, 16384);
  EXPECT_NEAR(v->link_models[0].rate_factor, 1.05, 1e-6);
  EXPECT_NEAR(v->link_models[1].rate_factor, 1.1, 1e-6);
  EXPECT_EQ(v->link_models[0].method, "fitted");
}

TEST(Planner, GridPredictsEveryCellAndNamesTheBest) {
  TempDir dir;
  RunOptions options;
  options.mobile_edge.overhead_ms = 0.5;
  const StoredRun run = testdb::make_run(dir.file("results.db"), kScenarios, strategies(), options);
  PlannerOptions po;
  ASSERT_TRUE(parse_link_values("mobile-edge=1,10,50,100,200", "--bandwidth", &po.rates_mbit).ok());
  ASSERT_TRUE(parse_link_values("edge-cloud=200,1,10,50,100", "--bandwidth", &po.rates_mbit).ok());
  ASSERT_TRUE(parse_rtt_values("0,20", &po.rtt_ms).ok());
  auto plan = plan_grid(run, po);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->models.size(), 1u);
  const ModelPlan& mp = plan->models[0];
  ASSERT_EQ(mp.strategies.size(), strategies().size());
  ASSERT_EQ(mp.cells.size(), 5u * 5u * 2u);
  const auto defs = strategies();
  for (const auto& cell : mp.cells) {
    const ScenarioDef sc{"cell", cell.links.at("mobile-edge").rate_mbit,
                         cell.links.at("edge-cloud").rate_mbit, cell.rtt_ms};
    double best = INFINITY;
    for (size_t i = 0; i < mp.strategies.size(); ++i) {
      const auto& def = *std::find_if(defs.begin(), defs.end(), [&](const StrategyDef& d) {
        return d.ops + "@" + d.placement == mp.strategies[i].label;
      });
      const double truth =
          testdb::truth_latency_ms(def, sc, options.mobile_edge, options.edge_cloud);
      EXPECT_NEAR(cell.predictions[i].latency_ms, truth, 1e-4) << mp.strategies[i].label;
      best = std::min(best, truth);
    }
    ASSERT_TRUE(cell.best.has_value());
    EXPECT_NEAR(cell.predictions[*cell.best].best_latency_ms(), best, 1e-4);
  }
  // 1 Mbit/s to the edge: stay on the phone; 200/200 without delay: the quantized cloud model.
  EXPECT_EQ(mp.strategies[*mp.cells[0].best].label, "I@M");
  EXPECT_EQ(mp.strategies[*mp.cells[24].best].label, "Q@C");

  const auto j = planner_to_json(*plan);
  EXPECT_EQ(j["grid"]["mobile_edge_rate_mbit"], nlohmann::json({1, 10, 50, 100, 200}));
  EXPECT_EQ(j["grid"]["edge_cloud_rate_mbit"], nlohmann::json({1, 10, 50, 100, 200}));
  ASSERT_EQ(j["heatmaps"].size(), 2u);
  const auto& h = j["heatmaps"][1];
  EXPECT_EQ(h["model"], "net");
  EXPECT_EQ(h["rtt_ms"], 20);
  EXPECT_EQ(h["scenario"], "RTT 20 ms");
  ASSERT_EQ(h["cells"].size(), 25u);
  const auto& c = h["cells"][0];
  EXPECT_EQ(c["mobile_edge_rate_mbit"], 1);
  EXPECT_EQ(c["edge_cloud_rate_mbit"], 1);
  EXPECT_EQ(c["strategy"], "I@M");
  EXPECT_NEAR(c["latency_ms"].get<double>(), 30, 1e-4);
  EXPECT_EQ(c["predictions"].size(), strategies().size());
  EXPECT_EQ(j["link_models"][0]["link"], "mobile-edge");
  const std::string text = format_plan(*plan);
  EXPECT_THAT(text, HasSubstr("net: best strategy per bandwidth (RTT 20 ms per link"));
  EXPECT_THAT(text, HasSubstr("I@M 30.0 ms"));
}

TEST(Planner, AccuracyBudgetRestrictsTheBest) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    testdb::write_run(**store, kScenarios, strategies(), {});
    ASSERT_TRUE((*store)->record_accuracy(1, "net", "I", {"top1", 80, 100}).ok());
    ASSERT_TRUE((*store)->record_accuracy(1, "net", "Q", {"top1", 76, 100}).ok());
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok());
  PlannerOptions po;
  po.rates_mbit["mobile-edge"] = {200};
  po.rates_mbit["edge-cloud"] = {200};
  auto free = plan_grid(*run, po);
  ASSERT_TRUE(free.ok());
  EXPECT_EQ(free->models[0].strategies[*free->models[0].cells[0].best].label, "Q@C");
  po.max_accuracy_loss_pts = 1;
  auto strict = plan_grid(*run, po);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(strict->models[0].strategies[*strict->models[0].cells[0].best].label, "I@C");
  EXPECT_EQ(planner_to_json(*strict)["max_accuracy_loss_pts"], 1.0);
}

TEST(Planner, RejectsBadGridValues) {
  std::map<std::string, std::vector<double>> rates;
  Status st = parse_link_values("mobile-egde=1,10", "--bandwidth", &rates);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("unknown link 'mobile-egde'; nearest: 'mobile-edge'"));
  st = parse_link_values("edge-cloud=10,0", "--bandwidth", &rates);
  EXPECT_THAT(st.message(), HasSubstr("rate 0 Mbit/s is not positive"));
  st = parse_link_values("edge-cloud=-5", "--bandwidth", &rates);
  EXPECT_THAT(st.message(), HasSubstr("rate -5 Mbit/s is not positive"));
  st = parse_link_values("edge-cloud=fast", "--bandwidth", &rates);
  EXPECT_THAT(st.message(), HasSubstr("'fast' is not a number"));
  st = parse_link_values("edge-cloud", "--bandwidth", &rates);
  EXPECT_THAT(st.message(), HasSubstr("expected LINK=VALUE"));
  std::vector<double> rtts;
  EXPECT_THAT(parse_rtt_values("10,-1", &rtts).message(), HasSubstr("negative"));
  std::map<std::string, std::string> files;
  EXPECT_FALSE(parse_name_path("net", "--profile", &files).ok());
  EXPECT_TRUE(parse_name_path("net=p.json", "--profile", &files).ok());
  EXPECT_EQ(files.at("net"), "p.json");

  TempDir dir;
  const StoredRun run = testdb::make_run(dir.file("results.db"), kScenarios, strategies(), {});
  PlannerOptions po;
  po.model = "nt";
  auto wrong_model = plan_grid(run, po);
  ASSERT_FALSE(wrong_model.ok());
  EXPECT_THAT(wrong_model.status().message(), HasSubstr("nearest: 'net'"));
  po.model.clear();
  po.rates_mbit["mobile-edge"] = {0};
  EXPECT_THAT(plan_grid(run, po).status().message(), HasSubstr("is not positive"));
}

TEST(Planner, EmptyAndUnmeasuredDatabasesAreClearErrors) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  ASSERT_TRUE(ResultStore::open(path).ok());
  auto none = read_results_database(path);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("holds no run yet"));
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    const int64_t run =
        *(*store)->begin_run("x", "h", testdb::spec_yaml(5), {}, testdb::spec_facts(5));
    StrategyRow row;
    row.model = "net";
    row.ops = "I";
    row.placement = "E";
    row.scenario = "default";
    ASSERT_TRUE((*store)->upsert_strategy(run, row).ok());
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok());
  auto plan = plan_grid(*run, {});
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(),
              HasSubstr("has successful requests to fit the planner on (1 not measured)"));
  EXPECT_FALSE(validate_planner(*run, {}).ok());
}

TEST(Planner, InterruptedRunGivesAPartialAnswer) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto defs = strategies();
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    RunOptions options;
    options.run_status = "interrupted";
    const int64_t run = testdb::write_run(**store, {kScenarios[0], kScenarios[1]},
                                          {defs[0], defs[1], defs[3]}, options);
    for (const auto& sc : {kScenarios[0], kScenarios[1]}) {
      StrategyRow row;
      row.model = "net";
      row.ops = "P";
      row.placement = "ME";
      row.scenario = sc.name;
      ASSERT_TRUE((*store)->upsert_strategy(run, row).ok());
    }
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok());
  auto plan = plan_grid(*run, {});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->models[0].strategies.size(), 3u);
  ASSERT_EQ(plan->models[0].missing.size(), 2u);
  EXPECT_EQ(plan->models[0].missing[0].key.label(), "P@ME");
  EXPECT_THAT(plan->warnings, ::testing::Contains(HasSubstr("interrupted")));
  EXPECT_THAT(format_plan(*plan), HasSubstr("not predicted: not measured: P@ME"));
  // Measured rates of both scenarios make the default grid: 2 x 1.
  EXPECT_EQ(plan->models[0].cells.size(), 2u);
  auto v = validate_planner(*run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->predictions, 4u);  // I@M left out in both scenarios
  EXPECT_EQ(v->excluded, 2u);
  EXPECT_LT(v->mdape_pct, 1e-3);
}

TEST(Planner, LeavesOutStrategiesThatCrossOnlyLinksThatStayed) {
  TempDir dir;
  // Only edge-cloud changes: what stays on the mobile tier or ends at the edge tests nothing.
  const StoredRun run = testdb::make_run(dir.file("results.db"),
                                         {{"a", 200, 10, 0}, {"b", 200, 100, 0}}, strategies(), {});
  auto v = validate_planner(run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  for (const auto& sc : v->scenarios) {
    for (const auto& row : sc.rows) {
      const bool stays = row.strategy == "I@M" || row.strategy == "I@E" || row.strategy == "P@ME";
      EXPECT_EQ(row.excluded, stays) << sc.scenario << " " << row.strategy;
    }
  }
  EXPECT_EQ(v->excluded, 6u);
  EXPECT_EQ(v->predictions, 6u);
  EXPECT_EQ(validation_to_json(*v)["excluded"], 6);
}

TEST(Planner, PredictionsCarryAnInterval) {
  TempDir dir;
  RunOptions options;
  options.jitter_ms = 1.0;
  const StoredRun run = testdb::make_run(dir.file("results.db"), kScenarios, strategies(), options);
  auto v = validate_planner(run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  for (const auto& sc : v->scenarios) {
    for (const auto& row : sc.rows) {
      EXPECT_LT(row.low_ms, row.predicted_ms) << row.strategy;
      EXPECT_GT(row.high_ms, row.predicted_ms) << row.strategy;
    }
  }
  EXPECT_GT(v->interval_coverage_pct, 50.0);
  const auto j = validation_to_json(*v);
  EXPECT_EQ(j["scenarios"][0]["rows"][0]["interval_ms"].size(), 2u);
  auto plan = plan_grid(run, {});
  ASSERT_TRUE(plan.ok());
  const StrategyPrediction& p = plan->models[0].cells[0].predictions[1];
  EXPECT_LE(p.low_ms, p.latency_ms);
  EXPECT_GE(p.high_ms, p.latency_ms);
  EXPECT_THAT(format_validation(*v), HasSubstr("p10..p90"));
}

TEST(Planner, SingleScenarioIsPredictedInSampleAndSaysSo) {
  TempDir dir;
  const StoredRun run = testdb::make_run(dir.file("results.db"), {kScenarios[0]}, strategies(), {});
  auto v = validate_planner(run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->method, "in-sample");
  EXPECT_THAT(v->notes, ::testing::Contains(HasSubstr("only one scenario (default)")));
  for (const auto& row : v->scenarios[0].rows) EXPECT_TRUE(row.in_sample);
  EXPECT_THAT(format_validation(*v), HasSubstr("in-sample"));
}

TEST(CliPlan, GridValidationAndErrors) {
  TempDir dir;
  testdb::make_run(dir.file("results.db"), kScenarios, strategies(), {});
  const std::string db = dir.file("results.db");
  auto run = run_edgetier("plan " + db +
                          " --bandwidth mobile-edge=1,10,50 --bandwidth edge-cloud=10,100 --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["heatmaps"][0]["cells"].size(), 6u);
  run = run_edgetier("plan " + dir.path() + " --validate");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Median absolute percentage error: 0.0% over 15 predictions"));
  run = run_edgetier("plan " + db + " --bandwidth mobile-egde=1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("nearest: 'mobile-edge'"));
  run = run_edgetier("plan " + db + " --bandwidth edge-cloud=0");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("not positive"));
  run = run_edgetier("analyze " + db + " --json --bootstrap 50");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["scenarios"].size(), 3u);
  run = run_edgetier("recommend " + dir.path() + " --run 1");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("net [scenario slow-edge]: recommend"));
}

}  // namespace
}  // namespace edgetier
