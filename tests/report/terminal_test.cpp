/// Tests for the terminal tables of analyze and recommend.
#include "report/terminal.h"

#include <gtest/gtest.h>

#include <sstream>

namespace edgetier {
namespace {

constexpr int64_t kMs = 1000000;

ResultSet campaign() {
  ResultSet rs;
  for (int i = 0; i < 50; ++i) {
    rs.add_latency({"cls", "I", "E", "default"}, (100 + i) * kMs);
    rs.add_latency({"cls", "Q", "E", "default"}, (50 + i) * kMs);
    rs.add_latency({"cls", "I", "M", "default"}, (300 + i) * kMs);
    rs.add_latency({"cls", "I", "E", "lte"}, (130 + i) * kMs);
  }
  EXPECT_TRUE(rs.add_accuracy({"cls", "I", "top1", 80}).ok());
  EXPECT_TRUE(rs.add_accuracy({"cls", "Q", "top1", 79.25}).ok());
  return rs;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const std::string* line_with(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) return &l;
  }
  return nullptr;
}

TEST(TerminalReport, AnalysisTableMarksParetoAndShowsEffects) {
  auto report = analyze(campaign(), {});
  ASSERT_TRUE(report.ok());
  const auto lines = lines_of(format_analysis(*report));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "cls  (speedup and Pareto front on p50; * = Pareto front)");
  ASSERT_NE(line_with(lines, "[scenario lte]"), nullptr);
  const std::string* q = line_with(lines, "Q@E");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->substr(0, 3), "  *");                    // on the front
  EXPECT_NE(q->find("74.5"), std::string::npos) << *q;  // p50 of 50..99 ms; 124.5 / 74.5 = 1.671
  EXPECT_NE(q->find("79.25"), std::string::npos) << *q;
  EXPECT_NE(q->find("0.75"), std::string::npos) << *q;
  EXPECT_NE(q->find("1.67x faster vs I@E, large -1.00"), std::string::npos) << *q;
  const std::string* im = line_with(lines, "I@M ");
  ASSERT_NE(im, nullptr);
  EXPECT_EQ(im->substr(0, 3), "   ");  // dominated by I@E
  EXPECT_NE(im->find("reference"), std::string::npos);
  EXPECT_NE(line_with(lines, "across tiers     I    M,E"), nullptr);
  EXPECT_NE(line_with(lines, "M-E +1.00 large"), nullptr);
  EXPECT_NE(line_with(lines, "Shapiro-Wilk"), nullptr);
}

TEST(TerminalReport, ListsWhatTheAccuracyBudgetKeptInFloat) {
  ResultSet rs = campaign();
  QuantizeSearchRecord q;
  q.model = "cls";
  q.ops = "Q";
  q.max_accuracy_loss = 0.5;
  q.float_nodes = {"conv_a", "conv_b", "gemm", "conv_c", "conv_d"};
  q.metric = "top1";
  q.labelled = true;
  q.samples = 200;
  q.initial_loss_points = 2.25;
  q.loss_points = 0.375;
  rs.quantize_searches.push_back(q);
  auto report = analyze(rs, {});
  ASSERT_TRUE(report.ok());
  const auto lines = lines_of(format_analysis(*report));
  ASSERT_NE(line_with(lines, "int8 within the accuracy budget"), nullptr);
  const std::string* row = line_with(lines, "conv_a");
  ASSERT_NE(row, nullptr);
  EXPECT_NE(row->find("0.50"), std::string::npos) << *row;
  EXPECT_NE(row->find("0.38"), std::string::npos) << *row;
  EXPECT_NE(row->find("2.25"), std::string::npos) << *row;
  EXPECT_NE(row->find("5 (conv_a, conv_b, gemm, conv_c, ...)"), std::string::npos) << *row;
  const nlohmann::json j = to_json(*report);
  ASSERT_EQ(j["quantize_searches"].size(), 1u);
  EXPECT_EQ(j["quantize_searches"][0]["float_node_count"], 5);
  EXPECT_EQ(j["quantize_searches"][0]["float_nodes"][4], "conv_d");
  // Filtered to the model analysed.
  AnalysisOptions other;
  rs.add_latency({"seg", "I", "E", "default"}, 5 * kMs);
  other.model = "seg";
  auto filtered = analyze(rs, other);
  ASSERT_TRUE(filtered.ok()) << filtered.status().to_string();
  EXPECT_TRUE(filtered->quantize_searches.empty());
}

TEST(TerminalReport, RecommendationsShowReasonAndRanking) {
  RecommendOptions o;
  o.max_accuracy_loss_pts = 1;
  o.analysis.scenario = "default";
  auto report = recommend(campaign(), o);
  ASSERT_TRUE(report.ok());
  const auto lines = lines_of(format_recommendations(*report));
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("cls: recommend Q@E: p50 74.5 ms, 1.67x faster than I@E", 0), 0u)
      << lines[0];
  EXPECT_NE(lines[2].find("1  Q@E"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("2  I@E"), std::string::npos) << lines[3];

  o.max_latency_ms = 1;
  auto none = recommend(campaign(), o);
  const auto nl = lines_of(format_recommendations(*none));
  EXPECT_EQ(nl[0].rfind("cls: Nothing meets p50 <= 1.00 ms", 0), 0u) << nl[0];
  EXPECT_NE(nl[1].find("violations"), std::string::npos);
}

TEST(TerminalReport, PValues) {
  EXPECT_EQ(format_p_value(6.737e-253), "6.7e-253");
  EXPECT_EQ(format_p_value(0.0312), "0.031");
  EXPECT_EQ(format_p_value(0), "<1e-300");
}

}  // namespace
}  // namespace edgetier
