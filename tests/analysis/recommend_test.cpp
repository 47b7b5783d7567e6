/// Tests for the recommendation rule: feasibility, tie-breaking, infeasible limits, bad limits.
#include "analysis/recommend.h"

#include <gtest/gtest.h>

namespace edgetier {
namespace {

constexpr int64_t kMs = 1000000;

void add_grid(ResultSet* rs, const std::string& model, const std::string& ops,
              const std::string& placement, double first_ms, double step_ms = 1.0) {
  for (int i = 0; i < 100; ++i) {
    rs->add_latency({model, ops, placement, "default"},
                    static_cast<int64_t>((first_ms + i * step_ms) * kMs));
  }
}

/// I@E 100..199 ms, Q@E 50..99.5 ms, QE@E 40..89.5 ms, I@M 200..299 ms.
ResultSet campaign() {
  ResultSet rs;
  add_grid(&rs, "cls", "I", "M", 200);
  add_grid(&rs, "cls", "I", "E", 100);
  add_grid(&rs, "cls", "Q", "E", 50, 0.5);
  add_grid(&rs, "cls", "QE", "E", 40, 0.5);
  EXPECT_TRUE(rs.add_accuracy({"cls", "I", "top1", 80}).ok());
  EXPECT_TRUE(rs.add_accuracy({"cls", "Q", "top1", 79.5}).ok());
  EXPECT_TRUE(rs.add_accuracy({"cls", "QE", "top1", 73}).ok());
  return rs;
}

Recommendation only(const Result<RecommendReport>& report) {
  EXPECT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->recommendations.size(), 1u);
  return report->recommendations.at(0);
}

TEST(Recommend, AccuracyBudgetPicksTheFastestFeasible) {
  RecommendOptions o;
  o.max_accuracy_loss_pts = 1;
  const Recommendation r = only(recommend(campaign(), o));
  ASSERT_TRUE(r.feasible);
  EXPECT_EQ(r.recommended->label, "Q@E");
  EXPECT_EQ(r.runner_up->label, "I@E");
  ASSERT_EQ(r.ranked.size(), 3u);  // Q@E, I@E, I@M
  EXPECT_EQ(r.ranked[2].label, "I@M");
  EXPECT_EQ(r.infeasible.size(), 1u);
  EXPECT_EQ(r.infeasible[0].label, "QE@E");
  EXPECT_EQ(r.reason,
            "Q@E: p50 74.8 ms, 2.00x faster than I@E (large effect, Cliff's delta -1.00), "
            "-0.50 pt top1; runner-up I@E (p50 150 ms, no top1 loss) is 2.00x slower "
            "(large effect, Cliff's delta -1.00).");
  o.max_accuracy_loss_pts = 10;
  const Recommendation loose = only(recommend(campaign(), o));
  EXPECT_EQ(loose.recommended->label, "QE@E");
  EXPECT_NE(loose.reason.find("runner-up Q@E"), std::string::npos) << loose.reason;
}

TEST(Recommend, IndistinguishableStrategiesPreferLessLossThenFewerOperators) {
  ResultSet rs;
  add_grid(&rs, "cls", "I", "E", 100);
  add_grid(&rs, "cls", "QE", "E", 60);
  add_grid(&rs, "cls", "Q", "E", 60.5);  // p50 0.5 ms slower than QE@E: delta 0.01, negligible
  ASSERT_TRUE(rs.add_accuracy({"cls", "I", "top1", 80}).ok());
  ASSERT_TRUE(rs.add_accuracy({"cls", "Q", "top1", 79.5}).ok());
  ASSERT_TRUE(rs.add_accuracy({"cls", "QE", "top1", 73}).ok());
  RecommendOptions o;
  o.max_accuracy_loss_pts = 10;
  const Recommendation r = only(recommend(rs, o));
  EXPECT_EQ(r.recommended->label, "Q@E");
  EXPECT_NE(r.reason.find("as fast as QE@E (p50 110 ms, negligible effect, Cliff's delta +0.01) "
                          "with less accuracy loss"),
            std::string::npos)
      << r.reason;

  // Same loss: P@ME is 0.5 ms faster than I@E but adds an operator.
  ResultSet simple;
  add_grid(&simple, "cls", "I", "E", 100.5);
  add_grid(&simple, "cls", "P", "ME", 100);
  ASSERT_TRUE(simple.add_accuracy({"cls", "I", "top1", 80}).ok());
  const Recommendation s = only(recommend(simple, o));
  EXPECT_EQ(s.recommended->label, "I@E");
  EXPECT_NE(s.reason.find("with fewer operators"), std::string::npos) << s.reason;
}

TEST(Recommend, OverlappingIntervalsAreATieNotAWinner) {
  // I@E and Q@E spread over the same 100 ms with medians 0.3 ms apart: noise decides which is
  // faster, so the recommendation names both as tied.
  ResultSet rs;
  add_grid(&rs, "cls", "I", "E", 100);
  add_grid(&rs, "cls", "Q", "E", 100.3);
  add_grid(&rs, "cls", "I", "M", 300);
  const Recommendation r = only(recommend(rs, RecommendOptions{}));
  ASSERT_TRUE(r.feasible);
  EXPECT_TRUE(r.tied);
  ASSERT_TRUE(r.runner_up);
  EXPECT_EQ(r.recommended->label, "I@E");
  EXPECT_EQ(r.runner_up->label, "Q@E");
  EXPECT_NE(r.tie_reason.find("CIs of p50 overlap"), std::string::npos) << r.tie_reason;
  EXPECT_EQ(r.reason.rfind("tied: I@E and Q@E cannot be told apart", 0), 0u) << r.reason;
  RecommendReport report;
  report.recommendations.push_back(r);
  const nlohmann::json j = to_json(report);
  EXPECT_EQ(j["recommendations"][0]["tied"], true);
  EXPECT_EQ(j["recommendations"][0]["tied_with"], "Q@E");

  // Far apart (100..199 ms against 300..399 ms): a winner.
  ResultSet apart;
  add_grid(&apart, "cls", "I", "E", 100);
  add_grid(&apart, "cls", "I", "M", 300);
  const Recommendation clear = only(recommend(apart, RecommendOptions{}));
  EXPECT_EQ(clear.recommended->label, "I@E");
  EXPECT_FALSE(clear.tied);
  EXPECT_TRUE(clear.tie_reason.empty());
  RecommendReport clear_report;
  clear_report.recommendations.push_back(clear);
  EXPECT_EQ(to_json(clear_report)["recommendations"][0]["tied"], false);
  EXPECT_TRUE(to_json(clear_report)["recommendations"][0]["tied_with"].is_null());
}

TEST(Recommend, ImpossibleLimitNamesTheClosestStrategy) {
  RecommendOptions o;
  o.max_latency_ms = 10;
  o.max_accuracy_loss_pts = 1;
  auto report = recommend(campaign(), o);
  const Recommendation r = only(report);
  EXPECT_FALSE(r.feasible);
  EXPECT_FALSE(r.recommended.has_value());
  ASSERT_TRUE(r.closest.has_value());
  EXPECT_EQ(r.closest->label, "Q@E");  // 74.75 / 10 - 1 = 6.5 beats QE@E's 5.5 + 6 pt over
  EXPECT_EQ(r.reason,
            "Nothing meets p50 <= 10.0 ms and accuracy loss <= 1 pt for cls; closest: Q@E "
            "(p50 74.8 ms, 7.47x the limit; -0.50 pt top1).");
  EXPECT_EQ(r.closest->violations, std::vector<std::string>{"p50 74.8 ms > 10.0 ms"});
  const nlohmann::json j = to_json(*report);
  EXPECT_EQ(j["feasible"], false);
  EXPECT_EQ(j["recommendations"][0]["closest"]["label"], "Q@E");
  EXPECT_TRUE(j["recommendations"][0]["recommended"].is_null());
}

TEST(Recommend, UnknownAccuracyIsInfeasibleUnderABudget) {
  ResultSet rs;
  add_grid(&rs, "m", "I", "E", 100);
  add_grid(&rs, "m", "Q", "E", 50);
  RecommendOptions o;
  const Recommendation free = only(recommend(rs, o));
  EXPECT_EQ(free.recommended->label, "Q@E");
  EXPECT_NE(free.reason.find("accuracy not measured"), std::string::npos) << free.reason;
  o.max_accuracy_loss_pts = 2;
  const Recommendation r = only(recommend(rs, o));
  EXPECT_FALSE(r.feasible);
  EXPECT_FALSE(r.closest.has_value());
  EXPECT_NE(r.reason.find("accuracy is unknown"), std::string::npos) << r.reason;
}

TEST(Recommend, RejectsImpossibleLimitValues) {
  const ResultSet rs = campaign();
  RecommendOptions o;
  o.max_latency_ms = -5;
  auto r = recommend(rs, o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--max-latency-ms -5 is impossible"), std::string::npos);
  o.max_latency_ms = NAN;
  EXPECT_FALSE(recommend(rs, o).ok());
  o = {};
  o.max_accuracy_loss_pts = 150;
  EXPECT_NE(recommend(rs, o).status().message().find("--max-accuracy-loss 150"), std::string::npos);
  o = {};
  o.analysis.model = "nope";
  EXPECT_EQ(recommend(rs, o).status().code(), StatusCode::kNotFound);
}

TEST(Recommend, FormatsLatencies) {
  EXPECT_EQ(format_latency(2887.4), "2.89 s");
  EXPECT_EQ(format_latency(17616), "17.6 s");
  EXPECT_EQ(format_latency(1155718), "1156 s");
  EXPECT_EQ(format_latency(45.12), "45.1 ms");
  EXPECT_EQ(format_latency(0.85), "0.85 ms");
  EXPECT_EQ(format_latency(NAN), "n/a");
}

}  // namespace
}  // namespace edgetier
