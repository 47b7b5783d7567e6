/// Regression test: the operator order a strategy row's plan_json records is the order the
/// variant is really built in (it used to store exit-then-quantize while compose quantized first).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "experiment/run_setup.h"
#include "experiment/test_util.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/compose.h"
#include "ops/manifest.h"
#include "store/store.h"
#include "strategy/operators.h"

namespace edgetier {
namespace {

using testing::TempDir;

/// Stored operator names as manifest step names ("quantize" -> "Q").
std::vector<std::string> as_steps(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    auto op = operator_by_name(name);
    out.push_back(op ? std::string(step_name(*op)) : "unknown '" + name + "'");
  }
  return out;
}

/// The order in plan_json's "steps" (what the planner and older readers use).
std::vector<std::string> stored_steps(const StrategyRow& row) {
  const nlohmann::json plan = nlohmann::json::parse(row.plan_json);
  return as_steps(plan.at("steps").get<std::vector<std::string>>());
}

void check_order(bool exit_then_quantize) {
  SCOPED_TRACE(exit_then_quantize ? "exit then quantize" : "quantize then exit");
  TempDir dir;
  const auto model = fixtures::tiny_resnet();
  const std::string model_path = dir / "tiny.onnx";
  ASSERT_TRUE(save_model(model, model_path).ok());

  // The plan, as the runner records it: the spec's build order decides the stored steps.
  PreparedExperiment e;
  e.hash = "h";
  e.spec.quantize.exit_then_quantize = exit_then_quantize;
  for (const char* name : {"QE@E", "QEP@ME", "EEP@ME", "QDEEP@0.8@ME"}) {
    auto strategy = parse_strategy(name);
    ASSERT_TRUE(strategy.ok()) << strategy.status().to_string();
    PlannedStrategy p;
    p.model = "tiny";
    p.ops = strategy->ops;
    p.placement = strategy->placement;
    p.scenario = "default";
    e.plan.strategies.push_back(p);
  }
  auto store = ResultStore::open(dir / "r.db");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  const int64_t run = *(*store)->begin_run("x", "h", "", {});
  ASSERT_TRUE(record_plan(**store, run, e).ok());
  auto rows = (*store)->strategies(run);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), e.plan.strategies.size());

  // The variants, built with the same setting (an identity "quantizer" stands in for int8).
  VariantOptions o;
  for (const auto& s : e.plan.strategies) o.ops.push_back(s.ops.name());
  o.skip_last = 1;
  o.cuts = {{fixtures::tiny_resnet_early_cut(model)}};
  o.exit_then_quantize = e.spec.quantize.exit_then_quantize;
  o.quantize_fn = [](const onnx::ModelProto& in, onnx::ModelProto* out) {
    *out = in;
    return ok_status();
  };
  std::vector<VariantResult> built;
  Status st = build_variants(model_path, o, dir / "variants", &built);
  ASSERT_TRUE(st.ok()) << st.to_string();

  for (const auto& row : *rows) {
    auto manifest = read_manifest(dir / ("variants/" + row.ops));
    ASSERT_TRUE(manifest.ok()) << row.ops << ": " << manifest.status().to_string();
    std::vector<std::string> built_steps;
    for (const auto& step : manifest->chain) built_steps.push_back(step.op);
    EXPECT_EQ(stored_steps(row), built_steps) << row.name << ": " << row.plan_json;
    // And the strategies.steps_json column the store keeps for analysis.
    EXPECT_EQ(as_steps(row.steps), built_steps) << row.name;
  }
}

TEST(PlanOrder, StoredStepsAreTheManifestsChain) {
  check_order(false);
  check_order(true);
}

}  // namespace
}  // namespace edgetier
