/// Tests for the AnalysisReport on a small synthetic campaign with hand-checkable numbers.
#include "analysis/analyze.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgetier {
namespace {

constexpr int64_t kMs = 1000000;

/// I@E: 100..199 ms; Q@E: exactly half of I@E; EE@E: I@E + 0.5 ms; I@M: 200..299 ms.
/// Accuracy top1: I 80, Q 79.5, EE 70.
ResultSet synthetic() {
  ResultSet rs;
  rs.source = "synthetic";
  for (int i = 0; i < 100; ++i) {
    rs.add_latency({"cls", "I", "M", "default"}, (200 + i) * kMs);
    rs.add_request({"cls", "I", "E", "default"}, (100 + i) * kMs,
                   {{"compute", (60 + i) * kMs}, {"network", 40 * kMs}});
    rs.add_latency({"cls", "Q", "E", "default"}, (100 + i) * kMs / 2);
    rs.add_latency({"cls", "EE", "E", "default"}, (100 + i) * kMs + kMs / 2);
  }
  EXPECT_TRUE(rs.add_accuracy({"cls", "I", "top1", 80}).ok());
  EXPECT_TRUE(rs.add_accuracy({"cls", "Q", "top1", 79.5}).ok());
  EXPECT_TRUE(rs.add_accuracy({"cls", "EE", "top1", 70}).ok());
  return rs;
}

TEST(Analyze, PerStrategyLatencyAccuracyAndEffects) {
  const ResultSet rs = synthetic();
  auto report = analyze(rs, {});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->scenarios.size(), 1u);
  const ScenarioReport& sc = report->scenarios[0];
  EXPECT_EQ(sc.metric, "top1");
  EXPECT_EQ(report->total_samples, 400u);
  std::vector<std::string> labels;
  for (const auto& s : sc.strategies) labels.push_back(s.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"I@M", "I@E", "Q@E", "EE@E"}));

  const StrategyReport* ie = sc.find("I@E");
  ASSERT_NE(ie, nullptr);
  EXPECT_EQ(ie->latency.n, 100u);
  EXPECT_NEAR(ie->latency.p50_ms, 149.5, 1e-9);
  EXPECT_NEAR(ie->latency.p95_ms, 194.05, 1e-9);  // 100 + 99 * 0.95
  EXPECT_NEAR(ie->latency.mean_ms, 149.5, 1e-9);
  EXPECT_LT(ie->latency.mean_ci_ms.low, 149.5);
  EXPECT_GT(ie->latency.mean_ci_ms.high, 149.5);
  EXPECT_LE(ie->latency.p50_ci_ms.low, 149.5);
  EXPECT_GE(ie->latency.p50_ci_ms.high, 149.5);
  EXPECT_NEAR(ie->breakdown_p50_ms.at("compute"), 109.5, 1e-9);
  EXPECT_NEAR(ie->breakdown_p50_ms.at("network"), 40, 1e-9);
  ASSERT_TRUE(ie->normality.has_value());  // a uniform grid: W < 1 but computed
  EXPECT_EQ(ie->vs_reference->reference, "I@E");
  EXPECT_DOUBLE_EQ(ie->vs_reference->speedup, 1.0);

  const StrategyReport* qe = sc.find("Q@E");
  ASSERT_TRUE(qe->vs_reference.has_value());
  EXPECT_EQ(qe->vs_reference->reference, "I@E");
  EXPECT_NEAR(qe->vs_reference->speedup, 2.0, 1e-12);
  EXPECT_NEAR(qe->vs_reference->latency_change_pct, -50.0, 1e-9);
  EXPECT_DOUBLE_EQ(qe->vs_reference->cliffs.delta, -1.0);  // every Q sample is below every I one
  EXPECT_EQ(qe->vs_reference->cliffs.magnitude, stats::EffectMagnitude::kLarge);
  EXPECT_NEAR(*qe->accuracy_loss_pts, 0.5, 1e-12);
  EXPECT_EQ(qe->ops_name, "Quantization");

  // EE_i > I_j for j <= i (5050 pairs), below for j > i (4950): delta = 100 / 10000.
  const StrategyReport* ee = sc.find("EE@E");
  EXPECT_NEAR(ee->vs_reference->cliffs.delta, 0.01, 1e-12);
  EXPECT_EQ(ee->vs_reference->cliffs.magnitude, stats::EffectMagnitude::kNegligible);
  EXPECT_NEAR(*ee->accuracy_loss_pts, 10.0, 1e-12);

  // Pareto on p50: Q@E (74.75, 0.5) and I@E (149.5, 0); EE@E and I@M are dominated by I@E.
  EXPECT_EQ(sc.pareto_front, (std::vector<std::string>{"Q@E", "I@E"}));
  EXPECT_TRUE(qe->pareto);
  EXPECT_FALSE(ee->pareto);
}

TEST(Analyze, RankTestsAcrossTiersAndOperators) {
  auto report = analyze(synthetic(), {});
  ASSERT_TRUE(report.ok());
  const ScenarioReport& sc = report->scenarios[0];
  // Across tiers only I has two placements; across operators only E has two chains.
  ASSERT_EQ(sc.tests.size(), 2u);
  const GroupTestReport& tiers = sc.tests[0];
  EXPECT_EQ(tiers.kind, "across_tiers");
  EXPECT_EQ(tiers.held_fixed, "I");
  EXPECT_EQ(tiers.strategies, (std::vector<std::string>{"I@M", "I@E"}));
  // Two separated groups of 100: mean ranks 150.5 and 50.5, N = 200:
  // H = 12 / (200 * 201) * 100 * (150.5^2 + 50.5^2) - 3 * 201.
  const double h = 12.0 / (200 * 201) * 100 * (150.5 * 150.5 + 50.5 * 50.5) - 3 * 201;
  EXPECT_NEAR(tiers.kruskal.h, h, 1e-9);
  EXPECT_TRUE(tiers.significant);
  ASSERT_EQ(tiers.post_hoc.size(), 1u);
  EXPECT_DOUBLE_EQ(tiers.post_hoc[0].effect.delta, 1.0);  // I@M slower than I@E everywhere
  const GroupTestReport& ops = sc.tests[1];
  EXPECT_EQ(ops.kind, "across_operators");
  EXPECT_EQ(ops.held_fixed, "E");
  ASSERT_EQ(ops.post_hoc.size(), 3u);
  EXPECT_EQ(ops.post_hoc[1].a, "I@E");
  EXPECT_EQ(ops.post_hoc[1].b, "EE@E");
  EXPECT_FALSE(ops.post_hoc[1].significant);  // 0.5 ms shift on a 100 ms spread
  EXPECT_TRUE(ops.post_hoc[0].significant);
  EXPECT_GE(ops.post_hoc[0].p_adjusted, ops.post_hoc[0].p_value);  // Holm by default
}

TEST(Analyze, PercentileOptionDrivesSpeedupAndIsDeterministic) {
  AnalysisOptions options;
  options.percentile = 90;
  options.bootstrap.resamples = 200;
  auto a = analyze(synthetic(), options);
  auto b = analyze(synthetic(), options);
  ASSERT_TRUE(a.ok() && b.ok());
  const StrategyReport* ie = a->scenarios[0].find("I@E");
  EXPECT_NEAR(ie->latency.at_percentile_ms, 189.1, 1e-9);  // 100 + 99 * 0.9
  EXPECT_EQ(to_json(*a).dump(), to_json(*b).dump());
  EXPECT_EQ(percentile_name(90), "p90");
  EXPECT_EQ(percentile_name(99.9), "p99.9");
}

TEST(Analyze, JsonCarriesTheWholeSchema) {
  auto report = analyze(synthetic(), {});
  ASSERT_TRUE(report.ok());
  const nlohmann::json j = to_json(*report);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["source"], "synthetic");
  EXPECT_EQ(j["options"]["p_adjust"], "holm");
  const auto& sc = j["scenarios"][0];
  EXPECT_EQ(sc["model"], "cls");
  EXPECT_EQ(sc["pareto_front"], nlohmann::json({"Q@E", "I@E"}));
  const auto& q = sc["strategies"][2];
  EXPECT_EQ(q["label"], "Q@E");
  EXPECT_EQ(q["key"]["placement"], "E");
  EXPECT_NEAR(q["latency"]["p50_ms"].get<double>(), 74.75, 1e-9);
  EXPECT_TRUE(q["latency"]["p95_ci_ms"].contains("low"));
  EXPECT_NEAR(q["vs_reference"]["speedup"].get<double>(), 2.0, 1e-12);
  EXPECT_EQ(q["vs_reference"]["cliffs_delta"]["magnitude"], "large");
  EXPECT_NEAR(q["accuracy_loss_pts"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(q["normality"]["test"], "shapiro_wilk");
  EXPECT_EQ(sc["tests"][0]["post_hoc"]["test"], "conover_iman");
  EXPECT_TRUE(sc["tests"][0]["kruskal_wallis"].contains("tie_correction"));
  // Accuracy tests: Q and EE each have one paired model.
  ASSERT_EQ(j["accuracy_tests"].size(), 2u);
  EXPECT_EQ(j["accuracy_tests"][0]["ops"], "Q");
}

TEST(Analyze, WithoutAccuracyTheFrontIsTheFastest) {
  ResultSet rs;
  for (int i = 0; i < 10; ++i) {
    rs.add_latency({"m", "I", "E", "default"}, (10 + i) * kMs);
    rs.add_latency({"m", "Q", "E", "default"}, (5 + i) * kMs);
  }
  auto report = analyze(rs, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->scenarios[0].pareto_front, std::vector<std::string>{"Q@E"});
  EXPECT_EQ(report->scenarios[0].metric, "");
  EXPECT_FALSE(report->scenarios[0].strategies[0].accuracy_loss_pts.has_value());
  EXPECT_TRUE(report->accuracy_tests.empty());
}

TEST(Analyze, RejectsBadOptionsAndUnknownFilters) {
  const ResultSet rs = synthetic();
  AnalysisOptions o;
  o.percentile = 0;
  EXPECT_EQ(analyze(rs, o).status().code(), StatusCode::kInvalidArgument);
  o.percentile = 101;
  EXPECT_NE(analyze(rs, o).status().message().find("percentile 101"), std::string::npos);
  o = {};
  o.model = "clss";
  auto missing = analyze(rs, o);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nearest: 'cls'"), std::string::npos);
  o = {};
  o.scenario = "lte";
  EXPECT_EQ(analyze(rs, o).status().code(), StatusCode::kNotFound);
  o = {};
  o.bootstrap.resamples = 0;
  EXPECT_FALSE(analyze(rs, o).ok());
  EXPECT_FALSE(analyze(ResultSet{}, {}).ok());
}

}  // namespace
}  // namespace edgetier
