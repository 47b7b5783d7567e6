/// Tests for ResultSet, strategy-name helpers and the CSV readers (good data and line-numbered
/// errors).
#include "analysis/result_set.h"

#include <gtest/gtest.h>

#include <sstream>

namespace edgetier {
namespace {

Status read_samples(const std::string& text, ResultSet* rs) {
  std::istringstream in(text);
  return read_samples_csv(in, "s.csv", rs);
}

Status read_accuracy(const std::string& text, ResultSet* rs) {
  std::istringstream in(text);
  return read_accuracy_csv(in, "a.csv", rs);
}

TEST(ResultSet, ReadsStudySamplesAndMapsPlacements) {
  ResultSet rs;
  ASSERT_TRUE(read_samples("latency_s,placement,model,strategy\n"
                           "1.5,Mobile,ResNet,I\r\n"
                           "\n"
                           "0.25,Edge,ResNet,QE\n"
                           "2,Mobile-Edge,ResNet,QEP\n"
                           "1.000000001,mobile,ResNet,I\n",
                           &rs)
                  .ok());
  ASSERT_EQ(rs.strategies().size(), 3u);
  EXPECT_EQ(rs.total_samples(), 4u);
  const StrategySamples* mi = rs.find({"ResNet", "I", "M", std::string(kDefaultScenario)});
  ASSERT_NE(mi, nullptr);
  EXPECT_EQ(mi->latency_ns, (std::vector<int64_t>{1500000000, 1000000001}));
  EXPECT_EQ(rs.strategies()[1].key.label(), "QE@E");
  EXPECT_EQ(rs.strategies()[2].key.placement, "ME");
  EXPECT_EQ(rs.models(), std::vector<std::string>{"ResNet"});
}

TEST(ResultSet, ReadsScenarioColumnAndMillisecondsInAnyColumnOrder) {
  ResultSet rs;
  ASSERT_TRUE(read_samples("model,strategy,placement,scenario,latency_ms,extra\n"
                           "m,Q,E,wifi,12.5,x\n"
                           "m,Q,E,lte,40,y\n",
                           &rs)
                  .ok());
  EXPECT_EQ(rs.scenarios("m"), (std::vector<std::string>{"wifi", "lte"}));
  EXPECT_EQ(rs.find({"m", "Q", "E", "wifi"})->latency_ns[0], 12500000);
}

TEST(ResultSet, RejectsBadSampleRowsNamingTheLine) {
  struct Case {
    std::string body;
    std::string expected;
  };
  const std::string header = "latency_s,placement,model,strategy\n";
  const std::vector<Case> cases = {
      {"1,Edge,m,I\nabc,Edge,m,I\n", "s.csv:3: latency_s 'abc' is not a number"},
      {"1,Edge,m,I\n1,Edge,m\n", "s.csv:3: expected 4 fields, found 3"},
      {"-1,Edge,m,I\n", "s.csv:2: latency_s -1 is negative"},
      {"nan,Edge,m,I\n", "s.csv:2: latency_s 'nan' is not a number"},
      {"1,Egde,m,I\n", "s.csv:2: unknown placement 'Egde'"},
      {"1,Edge,,I\n", "s.csv:2: empty model"},
      {"1,Edge,m,\"I\n", "s.csv:2: unterminated quoted field"},
  };
  for (const auto& c : cases) {
    ResultSet rs;
    Status st = read_samples(header + c.body, &rs);
    ASSERT_FALSE(st.ok()) << c.body;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message().rfind(c.expected, 0), 0u) << st.message();
  }
  ResultSet rs;
  Status typo = read_samples(header + "1,Egde,m,I\n", &rs);
  EXPECT_NE(typo.message().find("nearest: 'edge'"), std::string::npos) << typo.message();
  Status no_column = read_samples("latency,placement,model,strategy\n1,E,m,I\n", &rs);
  EXPECT_NE(no_column.message().find("s.csv:1: header"), std::string::npos) << no_column.message();
  EXPECT_FALSE(read_samples("", &rs).ok());
  EXPECT_FALSE(read_samples(header, &rs).ok());
  EXPECT_EQ(load_samples_csv("/nonexistent/x.csv", &rs).code(), StatusCode::kNotFound);
}

TEST(ResultSet, AccuracyInheritanceAndPrimaryMetric) {
  ResultSet rs;
  ASSERT_TRUE(read_accuracy("model,strategy,metric,value\n"
                            "cls,I,top5,96\n"
                            "cls,I,top1,82.5\n"
                            "cls,Q,top1,82.1\n"
                            "cls,QE,top1,75.4\n"
                            "seg,I,miou,66.7\n",
                            &rs)
                  .ok());
  EXPECT_EQ(*rs.primary_metric("cls"), "top1");
  EXPECT_EQ(*rs.primary_metric("seg"), "miou");
  EXPECT_FALSE(rs.primary_metric("other").has_value());
  EXPECT_DOUBLE_EQ(*rs.accuracy("cls", "P", "top1"), 82.5);
  EXPECT_DOUBLE_EQ(*rs.accuracy("cls", "QP", "top1"), 82.1);
  EXPECT_DOUBLE_EQ(*rs.accuracy("cls", "QEP", "top1"), 75.4);
  EXPECT_FALSE(rs.accuracy("cls", "EE", "top1").has_value());
  EXPECT_FALSE(rs.accuracy("cls", "EEP", "top1").has_value());
}

TEST(ResultSet, RejectsConflictingAndMalformedAccuracy) {
  ResultSet rs;
  Status st = read_accuracy("model,strategy,metric,value\ncls,I,top1,82\ncls,I,top1,83\n", &rs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("a.csv:3: accuracy of cls I top1 given twice", 0), 0u)
      << st.message();
  ResultSet rs2;
  st = read_accuracy("model,strategy,metric,value\ncls,I,top1,high\n", &rs2);
  EXPECT_EQ(st.message(), "a.csv:2: value 'high' is not a number");
  st = read_accuracy("a,b\n1,2\n", &rs2);
  EXPECT_NE(st.message().find("a.csv:1: header 'a,b'"), std::string::npos) << st.message();
  st = read_accuracy("Model,top1\nResNet Distill,80\n", &rs2);
  EXPECT_NE(st.message().find("a.csv:2: unknown operator 'Distill'"), std::string::npos)
      << st.message();
}

TEST(ResultSet, StudyWideAccuracyLayoutMatchesLongLayout) {
  ResultSet wide, long_form;
  ASSERT_TRUE(read_accuracy("Model,top5,top1,miou\n"
                            "ResNet,96.008,82.52,\n"
                            "ResNet Quantize EarlyExit Partition,93.034,75.392,\n"
                            "ResNet EarlyExit,93.442,76.586,\n"
                            "FCN Partition,,,66.7343\n",
                            &wide)
                  .ok());
  ASSERT_TRUE(read_accuracy("model,strategy,metric,value\n"
                            "ResNet,I,top5,96.008\nResNet,I,top1,82.52\n"
                            "ResNet,QEP,top5,93.034\nResNet,QEP,top1,75.392\n"
                            "ResNet,EE,top5,93.442\nResNet,EE,top1,76.586\n"
                            "FCN,P,miou,66.7343\n",
                            &long_form)
                  .ok());
  ASSERT_EQ(wide.accuracy_rows().size(), long_form.accuracy_rows().size());
  for (const auto& row : long_form.accuracy_rows()) {
    EXPECT_EQ(wide.accuracy(row.model, row.ops, row.metric), row.value) << row.model << row.ops;
  }
}

TEST(ResultSet, BreakdownAndFailuresAreKept) {
  ResultSet rs;
  const StrategyKey key{"m", "P", "ME", "default"};
  rs.add_request(key, 100, {{"compute", 60}, {"network", 30}});
  rs.add_request(key, 120, {{"compute", 70}, {"network", 40}});
  rs.add_failures(key, 2);
  const StrategySamples* s = rs.find(key);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->latency_ns, (std::vector<int64_t>{100, 120}));
  EXPECT_EQ(s->breakdown_ns.at("network"), (std::vector<int64_t>{30, 40}));
  EXPECT_EQ(s->failed_requests, 2);
  EXPECT_TRUE(rs.add_accuracy({"m", "I", "top1", 80}).ok());
  EXPECT_TRUE(rs.add_accuracy({"m", "I", "top1", 80}).ok());  // same value again is fine
  EXPECT_EQ(rs.accuracy_rows().size(), 1u);
}

TEST(StrategyNames, PlacementsChainsAndComplexity) {
  EXPECT_EQ(*normalize_placement("Edge-Cloud"), "EC");
  EXPECT_EQ(*normalize_placement("MEC"), "MEC");
  EXPECT_EQ(*normalize_placement(" cloud "), "C");
  EXPECT_FALSE(normalize_placement("Fog").ok());
  EXPECT_EQ(unpartitioned_ops("P"), "I");
  EXPECT_EQ(unpartitioned_ops("QEP"), "QE");
  EXPECT_EQ(unpartitioned_ops("EEP"), "EE");
  EXPECT_EQ(unpartitioned_ops("QE"), "");
  EXPECT_EQ(ops_complexity("I"), 0);
  EXPECT_EQ(ops_complexity("Q"), 1);
  EXPECT_EQ(ops_complexity("P"), 1);
  EXPECT_EQ(ops_complexity("QE"), 2);
  EXPECT_EQ(ops_complexity("EEP"), 2);
  EXPECT_EQ(ops_complexity("QEP"), 3);
  EXPECT_EQ(ops_display_name("QE"), "Quantized Early Exit");
}

}  // namespace
}  // namespace edgetier
