/// Tests for the planner's cut re-choice: the partition cut moves with the link's bandwidth,
/// cut costs come from FLOPs or a measured profile, and an early exit's region is never cut.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/db_fixture.h"
#include "analysis/planner.h"
#include "analysis/planner_cuts.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "report/planner_text.h"
#include "test_util.h"

namespace edgetier {
namespace {

using testdb::StrategyDef;
using ::testing::HasSubstr;

const std::vector<testdb::ScenarioDef>& kScenarios = testdb::kPlannerScenarios;

/// P@ME on the chain fixture, measured at the first ReLU's output.
struct CutSetup {
  std::string model_path;
  ModelGraph graph;
  size_t measured = 0;
  StrategyDef def;
};

CutSetup cut_setup(const TempDir& dir, const std::string& profile = "") {
  CutSetup c;
  c.model_path = dir.file("chain.onnx");
  EXPECT_TRUE(save_model(fixtures::chain_model(), c.model_path).ok());
  auto g = load_model_graph(c.model_path, {}, profile);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  c.graph = std::move(*g);
  for (size_t i = 0; i < c.graph.analysis.cuts.size(); ++i) {
    if (c.graph.analysis.cuts[i].bytes == 8 * 16 * 16 * 4) c.measured = i;  // first ReLU
  }
  const Cut& cut = c.graph.analysis.cuts[c.measured];
  const nlohmann::json plan = {{"steps", {"partition"}},
                               {"cuts", {cut.names()}},
                               {"model_path", c.model_path},
                               {"input", {{"name", "input"}, {"shape", {1, 3, 16, 16}}}}};
  c.def = {.ops = "P",
           .placement = "ME",
           .fixed_ms = 20,
           .mobile_edge_up = static_cast<double>(cut.bytes) + 64,
           .mobile_edge_down = 100};
  c.def.compute_ms = {{"mobile", 12}, {"edge", 3}};
  c.def.serialize_ms = {{"mobile", 0.5}};
  c.def.preprocess_ms = {{"edge", 0.3}};
  c.def.plan_json = plan.dump();
  return c;
}

TEST(Planner, MovesThePartitionCutWithTheBandwidth) {
  TempDir dir;
  CutSetup c = cut_setup(dir);
  const StoredRun run =
      testdb::make_run(dir.file("results.db"), {kScenarios[0], kScenarios[1]}, {c.def}, {});
  PlannerOptions po;
  po.rates_mbit["mobile-edge"] = {0.1, 100000};
  po.rates_mbit["edge-cloud"] = {10};
  // By default only cuts leaving 30-90% of the FLOPs below them (the spec's defaults) compete.
  auto windowed = plan_grid(run, po);
  ASSERT_TRUE(windowed.ok()) << windowed.status().to_string();
  ASSERT_TRUE(windowed->models[0].strategies[0].cut.has_value());
  const CutModel& wc = *windowed->models[0].strategies[0].cut;
  EXPECT_DOUBLE_EQ(wc.min_flops_share, 0.3);
  EXPECT_DOUBLE_EQ(wc.max_flops_share, 0.9);
  for (const auto& o : wc.options) EXPECT_TRUE(o.flops_share >= 0.3 && o.flops_share <= 0.9);
  EXPECT_LT(wc.options.size(), c.graph.analysis.cuts.size());
  po.any_cut = true;
  auto plan = plan_grid(run, po);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  const StrategyModel& s = plan->models[0].strategies[0];
  ASSERT_TRUE(s.cut.has_value()) << s.cut_note;
  EXPECT_EQ(s.cut->cost_source, "FLOPs (no profile)");
  EXPECT_EQ(s.cut->options[s.cut->measured].bytes, 8192);
  EXPECT_NEAR(s.cut->wire_overhead_bytes, 64, 1e-9);
  EXPECT_NEAR(s.cut->boundary_ms, 0.8, 1e-9);
  const auto& cells = plan->models[0].cells;
  ASSERT_EQ(cells.size(), 2u);
  // A thin link: ship the smallest tensor (compute on the phone); a fat one: the least phone work.
  const StrategyPrediction& thin = cells[0].predictions[0];
  ASSERT_TRUE(thin.best_cut.has_value());
  int64_t min_bytes = INT64_MAX;
  for (const auto& o : s.cut->options) min_bytes = std::min(min_bytes, o.bytes);
  EXPECT_EQ(s.cut->options[*thin.best_cut].bytes, min_bytes);
  EXPECT_LT(*thin.best_cut_latency_ms, thin.latency_ms);
  const StrategyPrediction& fat = cells[1].predictions[0];
  double min_lower = INFINITY;
  for (const auto& o : s.cut->options) min_lower = std::min(min_lower, o.lower_cost);
  EXPECT_EQ(s.cut->options[*fat.best_cut].lower_cost, min_lower);
  // The formula, term by term, at the thin cell's best cut.
  const CutOption& o = s.cut->options[*thin.best_cut];
  const CutOption& at = s.cut->options[s.cut->measured];
  const double compute = 12.0 / at.lower_cost * o.lower_cost + 3.0 / at.upper_cost * o.upper_cost;
  const double boundary = 0.8 * static_cast<double>(o.bytes) / 8192.0;
  const double wire = testdb::truth_transfer_ms({}, 64 + static_cast<double>(o.bytes), 100, 0.1, 0);
  EXPECT_NEAR(*thin.best_cut_latency_ms, 20 - 15 - 0.8 + compute + boundary + wire, 1e-4);
  // At the measured cut the cut model agrees with the plain prediction.
  EXPECT_NEAR(predict_latency_ms(s, plan->link_models, cells[0].links, s.cut->measured),
              thin.latency_ms, 1e-9);
  const auto j = planner_to_json(*plan);
  EXPECT_EQ(j["heatmaps"][0]["cells"][0]["cut"]["bytes"], min_bytes);
  EXPECT_THAT(format_plan(*plan), HasSubstr("P@ME cut at"));

  po.move_cuts = false;
  auto kept = plan_grid(run, po);
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->models[0].strategies[0].cut.has_value());
  EXPECT_EQ(kept->models[0].strategies[0].cut_note, "cut re-choice is off");
}

TEST(Planner, UsesAProfileForCutCosts) {
  TempDir dir;
  // Every node 100 us except the second conv, which is slow: cutting after it moves that
  // work to the phone.
  auto model = fixtures::chain_model();
  nlohmann::json nodes = nlohmann::json::array();
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const auto& n = model.graph().node(i);
    const std::string name = n.name().empty() ? n.op_type() + "#" + std::to_string(i) : n.name();
    nodes.push_back({{"name", name}, {"op", n.op_type()}, {"mean_us", i == 2 ? 5000.0 : 100.0}});
  }
  const std::string profile = dir.file("profile.json");
  write_file(profile, nlohmann::json({{"format_version", 1}, {"nodes", nodes}}).dump());
  CutSetup c = cut_setup(dir, profile);
  EXPECT_DOUBLE_EQ(c.graph.cost[2], 5000.0);
  const StoredRun run =
      testdb::make_run(dir.file("results.db"), {kScenarios[0], kScenarios[1]}, {c.def}, {});
  PlannerOptions po;
  po.any_cut = true;
  po.profiles["net"] = profile;
  po.model_files["net"] = c.model_path;
  auto plan = plan_grid(run, po);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  const StrategyModel& s = plan->models[0].strategies[0];
  ASSERT_TRUE(s.cut.has_value()) << s.cut_note;
  EXPECT_EQ(s.cut->cost_source, "profile " + profile);
  const CutOption& at = s.cut->options[s.cut->measured];
  EXPECT_DOUBLE_EQ(at.lower_cost, 200.0);  // conv + relu below the first ReLU's output

  po.profiles["net"] = dir.file("missing.json");
  auto bad = plan_grid(run, po);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("missing.json"));
}

TEST(Planner, EarlyExitRegionIsNeverCut) {
  TempDir dir;
  const std::string path = dir.file("resnet.onnx");
  ASSERT_TRUE(save_model(fixtures::tiny_resnet(), path).ok());
  auto g = load_model_graph(path, {}, "");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ASSERT_FALSE(g->analysis.skips.empty());
  const SkipCandidate& skip = g->analysis.skips.back();
  int first = INT32_MAX, last = -1;
  double skipped = 0;
  for (int n : skip.node_indices) {
    const int p = g->position_of_node[n];
    first = std::min(first, p);
    last = std::max(last, p);
    skipped += g->cost[p];
  }
  const Cut* before = nullptr;
  for (const auto& cut : g->analysis.cuts) {
    if (cut.position <= first && cut.bytes > 0) before = &cut;
  }
  ASSERT_NE(before, nullptr);
  MeasuredCut m{"mobile", "edge", {"mobile-edge"}, 10, 5, 0, static_cast<double>(before->bytes)};
  auto cm = make_cut_model(*g, before->names(), skip.from, skip.to, m);
  ASSERT_TRUE(cm.ok()) << cm.status().to_string();
  double total = 0;
  for (double c : g->cost) total += c;
  for (const auto& o : cm->options) {
    EXPECT_FALSE(o.position > first && o.position <= last) << o.position;
    EXPECT_EQ(std::count(o.tensors.begin(), o.tensors.end(), skip.to), 0);
    EXPECT_NEAR(o.lower_cost + o.upper_cost, total - skipped, 1e-6 * total);
  }
  auto wrong = make_cut_model(*g, before->names(), "nope", skip.to, m);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("is not a skip region"));
}

}  // namespace
}  // namespace edgetier
