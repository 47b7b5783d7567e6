/// Tests for the glue between a plan and the store: starting or resuming a run by spec hash,
/// recording the plan's strategies, and the facts a run records when it starts (read back, they
/// equal the plan's).
#include "experiment/run_setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "experiment/test_util.h"
#include "store/reader.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

TEST(RunSetup, StartOrResumeRunFollowsTheSpecHash) {
  TempDir dir;
  auto store = ResultStore::open(dir / "r.db");
  ASSERT_TRUE(store.ok());
  PreparedExperiment e;
  e.spec.name = "demo";
  e.hash = "hash-a";
  const int64_t first = *start_or_resume_run(**store, e, false, {});
  EXPECT_EQ(*start_or_resume_run(**store, e, true, {}), first);        // resumed
  const int64_t second = *start_or_resume_run(**store, e, false, {});  // a new run on request
  EXPECT_NE(second, first);
  EXPECT_EQ(*start_or_resume_run(**store, e, true, {}), second);  // the newest unfinished one
  ASSERT_TRUE((*store)->finish_run(first, "done").ok());
  ASSERT_TRUE((*store)->finish_run(second, "interrupted").ok());
  e.hash = "hash-b";
  auto changed = start_or_resume_run(**store, e, true, {});
  ASSERT_FALSE(changed.ok());
  EXPECT_THAT(changed.status().message(), HasSubstr("different spec (hash hash-a, now hash-b)"));
}

TEST(RunSetup, RecordPlanStoresPendingAndInfeasibleStrategiesOnce) {
  TempDir dir;
  auto store = ResultStore::open(dir / "r.db");
  ASSERT_TRUE(store.ok());
  PreparedExperiment e;
  e.hash = "h";
  PlannedStrategy p;
  p.model = "m";
  p.ops = *parse_op_chain("P");
  p.placement = *parse_placement("ME");
  p.scenario = "default";
  p.cuts = {{"t"}};
  e.plan.strategies.push_back(p);
  e.plan.dropped.push_back({"m", "P", "M", "default", "needs two tiers", false});
  e.plan.dropped.push_back({"m", "EEP", "ME", "default", "no skip candidate", true});
  const int64_t run = *(*store)->begin_run("x", "h", "", {});
  auto ids = record_plan(**store, run, e);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  ASSERT_EQ(ids->size(), 1u);
  ASSERT_TRUE((*store)->set_strategy_status((*ids)[0], StrategyStatus::kDone).ok());
  auto again = record_plan(**store, run, e);  // a resume records the plan again
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *ids);
  auto rows = (*store)->strategies(run);
  ASSERT_EQ(rows->size(), 2u);                          // P@M is not a strategy
  EXPECT_EQ((*rows)[0].status, StrategyStatus::kDone);  // kept, not reset to pending
  EXPECT_THAT((*rows)[0].plan_json, HasSubstr("\"cuts\":[[\"t\"]]"));
  EXPECT_EQ((*rows)[1].status, StrategyStatus::kInfeasible);
  EXPECT_EQ((*rows)[1].reason, "no skip candidate");
}

TEST(RunSetup, StoredFactsEqualThePlans) {
  TempDir dir;
  const std::string path = dir / "r.db";
  PreparedExperiment e;
  e.spec.name = "facts";
  e.hash = "h";
  e.spec.measurement.requests = 7;
  e.spec.measurement.passes = 3;
  e.spec.measurement.discard_passes = 1;
  e.spec.cut.min_flops_share = 0.25;
  e.spec.cut.max_flops_share = 0.75;
  ModelSpec a;
  a.name = "a";
  ModelSpec b;
  b.name = "b";
  b.cut = CutSpec{};
  b.cut->min_flops_share = 0.1;
  b.cut->max_flops_share = 0.6;
  e.spec.models = {a, b};
  PlannedStrategy p;
  p.model = "a";
  p.ops = *parse_op_chain("QEP");
  p.placement = *parse_placement("ME");
  p.scenario = "default";
  e.plan.strategies.push_back(p);
  p.ops = *parse_op_chain("I");
  p.placement = *parse_placement("M");
  e.plan.strategies.push_back(p);
  int64_t run = 0;
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    run = *start_or_resume_run(**store, e, false, {});
    ASSERT_TRUE(record_plan(**store, run, e).ok());
  }
  ResultsDbOptions options;
  options.include_discarded_passes = false;
  auto stored = read_results_database(path, options);
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  const RunFacts expected = run_facts(e.spec);
  EXPECT_TRUE(stored->run.facts.recorded);
  EXPECT_EQ(stored->run.facts.planned_requests, 21);
  EXPECT_EQ(stored->run.facts.planned_requests, expected.planned_requests);
  EXPECT_EQ(stored->planned_requests, 21);
  EXPECT_EQ(stored->discard_passes, 1);
  EXPECT_EQ(stored->run.facts.cut_windows, expected.cut_windows);
  ASSERT_EQ(stored->cut_flops_window.size(), 2u);
  EXPECT_EQ(stored->cut_flops_window.at("a"), std::make_pair(0.25, 0.75));
  EXPECT_EQ(stored->cut_flops_window.at("b"), std::make_pair(0.1, 0.6));
  ASSERT_EQ(stored->strategies.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(stored->strategies[i].row.steps,
              e.plan.strategies[i].ops.step_names(e.spec.quantize.exit_then_quantize))
        << i;
  }
  EXPECT_FALSE(stored->strategies[0].row.steps.empty());
  // Only that the run is still running: no v1 fallback.
  EXPECT_THAT(stored->warnings, ::testing::Each(::testing::Not(HasSubstr("schema version"))));

  // A resumed run records the facts again (a run a v1 store kept gains them here).
  e.spec.measurement.requests = 9;
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(*start_or_resume_run(**store, e, true, {}), run);
  }
  EXPECT_EQ(read_results_database(path)->planned_requests, 27);
}

TEST(RunSetup, BackfillsTheFactsOfRunsAnOlderStoreKept) {
  TempDir dir;
  const std::string path = dir / "r.db";
  auto store = ResultStore::open(path);
  ASSERT_TRUE(store.ok());
  const std::string yaml =
      "name: old\nmodels:\n  - path: net.onnx\n    cut:\n      min_flops_share: 0.2\n"
      "measurement:\n  requests: 4\n  passes: 2\n  discard_passes: 1\n";
  const int64_t old = *(*store)->begin_run("old", "h0", yaml, {});
  const int64_t broken = *(*store)->begin_run("broken", "h1", "models: [", {});
  // As a v1 store upgraded in place leaves them: no facts recorded.
  ASSERT_TRUE(
      (*store)->db().exec("UPDATE runs SET planned_requests = NULL, discard_passes = NULL").ok());
  EXPECT_EQ(*backfill_run_facts(**store), 1);  // the broken spec keeps the v1 fallback
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, old);
  EXPECT_TRUE((*runs)[0].facts.recorded);
  EXPECT_EQ((*runs)[0].facts.planned_requests, 8);
  EXPECT_EQ((*runs)[0].facts.discard_passes, 1);
  EXPECT_EQ((*runs)[0].facts.cut_windows.at("net"), (CutWindow{0.2, 0.9}));
  EXPECT_EQ((*runs)[1].run_id, broken);
  EXPECT_FALSE((*runs)[1].facts.recorded);
  EXPECT_EQ(*backfill_run_facts(**store), 0);  // nothing left that parses
}

}  // namespace
}  // namespace edgetier
