/// Tests for the study's findings: on the study's own data every claim comes out as the study
/// states it, ratios equal the study's, and accuracy without labels comes from the study,
/// marked external.
#include "analysis/findings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/findings_text.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;

const std::string kPaperData = std::string(EDGETIER_SHARED_DIR) + "/paper-data";

ResultSet study_data() {
  ResultSet r;
  EXPECT_TRUE(load_samples_csv(kPaperData + "/latency_samples.csv", &r).ok());
  EXPECT_TRUE(load_accuracy_csv(kPaperData + "/accuracy_long.csv", &r).ok());
  return r;
}

const Finding& finding(const FindingsReport& r, const std::string& id) {
  for (const Finding& f : r.findings) {
    if (f.id == id) return f;
  }
  ADD_FAILURE() << "no finding " << id;
  return r.findings.front();
}

TEST(StudyModelFor, MapsByNameWithOverridesFirst) {
  EXPECT_EQ(study_model_for("wide_resnet101_2", {}), "ResNet");
  EXPECT_EQ(study_model_for("resnext101_64x4d", {}), "ResNext");
  EXPECT_EQ(study_model_for("fcn_resnet101", {}), "FCN");
  EXPECT_EQ(study_model_for("resnet101_duc", {}), "DUC");  // not ResNet: DUC is tried first
  EXPECT_EQ(study_model_for("demo_classifier", {}), "");
  EXPECT_EQ(study_model_for("demo_classifier", {{"demo_classifier", "ResNet"}}), "ResNet");
}

TEST(Findings, TheStudysOwnDataGivesTheStudysFindings) {
  const ResultSet study = study_data();
  auto report = evaluate_findings(study, &study);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  ASSERT_EQ(report->findings.size(), 5u);
  // (a) QE@E beats Q@E, EE@E and I@E on all four models.
  EXPECT_EQ(finding(*report, "a").verdict, Finding::Verdict::kHolds) << finding(*report, "a").why;
  EXPECT_EQ(finding(*report, "a").latency.size(), 12u);
  // (b) Q loses 0.16-0.37 points, EE and QE 6-12: measured against labels here, not external.
  const Finding& b = finding(*report, "b");
  EXPECT_EQ(b.verdict, Finding::Verdict::kHolds) << b.why;
  for (const AccuracyEvidence& a : b.accuracy) {
    EXPECT_FALSE(a.external);
    if (a.ops == "Q") EXPECT_LT(a.loss_pts, 0.5) << a.model;
    if (a.ops == "EE") EXPECT_GT(a.loss_pts, 5.0) << a.model;
  }
  // (c) holds for three models, not for DUC (its cut tensor is 781 Mbit).
  const Finding& c = finding(*report, "c");
  EXPECT_EQ(c.verdict, Finding::Verdict::kPartly) << c.why;
  for (const FindingEvidence& e : c.latency) EXPECT_EQ(e.holds, e.model != "DUC") << e.model;
  // (d) Cloud wins for FCN; (e) Edge beats the constrained Cloud for the others.
  EXPECT_EQ(finding(*report, "d").verdict, Finding::Verdict::kHolds) << finding(*report, "d").why;
  EXPECT_EQ(finding(*report, "e").verdict, Finding::Verdict::kHolds) << finding(*report, "e").why;
  // Against itself every ratio is the study's, and the headline table's medians come back.
  for (const Finding& f : report->findings) {
    for (const FindingEvidence& e : f.latency) {
      ASSERT_TRUE(e.study_ratio.has_value());
      EXPECT_DOUBLE_EQ(e.run_ratio, *e.study_ratio);
    }
  }
  bool seen = false;
  for (const StudyComparisonRow& r : report->comparison) {
    if (r.model == "FCN" && r.strategy == "I@C") {
      seen = true;
      EXPECT_NEAR(r.run_median_ms, 3770, 10);  // PAPER: Cloud I 3.77 s
      EXPECT_NEAR(r.run_vs_edge_identity, 3.77 / 12.29, 0.01);
    }
  }
  EXPECT_TRUE(seen);
  const std::string text = format_findings(*report);
  EXPECT_THAT(text, HasSubstr("(c) Mobile-Edge partitioning"));
  EXPECT_THAT(text, HasSubstr("partly"));
  EXPECT_EQ(to_json(*report)["findings"][0]["verdict"], "holds");
}

// A run of random-weight models has agreement with the float model, not accuracy: the accuracy
// findings take the study's published deltas, marked external, and say so.
TEST(Findings, AccuracyWithoutLabelsComesFromTheStudyMarkedExternal) {
  const ResultSet study = study_data();
  ResultSet run;
  const std::string m = "wide_resnet101_2";
  auto add = [&](const std::string& ops, const std::string& placement, double base_ms) {
    for (int i = 0; i < 20; ++i) {
      run.add_latency({m, ops, placement, "study"}, static_cast<int64_t>((base_ms + i) * 1e6));
    }
  };
  add("I", "E", 300), add("Q", "E", 200), add("EE", "E", 260), add("QE", "E", 150);
  add("I", "M", 600), add("P", "ME", 500), add("I", "C", 900);
  for (const char* ops : {"I", "Q", "EE", "QE"}) {
    ASSERT_TRUE(run.add_accuracy({m, ops, "agree_top1", ops == std::string("I") ? 100.0 : 90.0}).ok());
  }
  auto report = evaluate_findings(run, &study);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  const Finding& b = finding(*report, "b");
  ASSERT_FALSE(b.accuracy.empty());
  for (const AccuracyEvidence& a : b.accuracy) EXPECT_TRUE(a.external) << a.ops;
  EXPECT_EQ(b.verdict, Finding::Verdict::kHolds);
  EXPECT_THAT(b.why, HasSubstr("external"));
  EXPECT_EQ(finding(*report, "a").verdict, Finding::Verdict::kHolds);
  EXPECT_EQ(finding(*report, "c").verdict, Finding::Verdict::kHolds);
  EXPECT_EQ(finding(*report, "d").verdict, Finding::Verdict::kNotEvaluable);  // no FCN model
  const FindingEvidence& qe_vs_q = finding(*report, "a").latency[0];
  EXPECT_EQ(qe_vs_q.faster, "QE@E");
  EXPECT_NEAR(qe_vs_q.run_ratio, 209.5 / 159.5, 1e-9);
  ASSERT_TRUE(qe_vs_q.study_ratio.has_value());
  EXPECT_NEAR(*qe_vs_q.study_ratio, 3.48 / 2.89, 0.05);  // PAPER: Edge Q 3.48 s, QE 2.89 s
  EXPECT_THAT(format_findings(*report), HasSubstr("[external: the study's published figure"));

  // Without the study's data there is nothing to take the accuracy from.
  auto alone = evaluate_findings(run, nullptr);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(finding(*alone, "b").verdict, Finding::Verdict::kNotEvaluable);
}

// A lower median with samples that tend higher (a positive Cliff's delta) is no win.
TEST(Findings, ALowerMedianAgainstThePairsDoesNotHold) {
  ResultSet run;
  const std::string m = "resnet";
  // QE@E: median 100 but most values high; Q@E: median 101 with most values low.
  for (double v : {100.0, 100.0, 100.0, 100.0, 150.0, 150.0, 150.0}) run.add_latency({m, "QE", "E", "s"}, static_cast<int64_t>(v * 1e6));
  for (double v : {10.0, 10.0, 10.0, 101.0, 102.0, 103.0, 104.0}) run.add_latency({m, "Q", "E", "s"}, static_cast<int64_t>(v * 1e6));
  auto report = evaluate_findings(run, nullptr);
  ASSERT_TRUE(report.ok());
  const FindingEvidence& e = finding(*report, "a").latency.at(0);
  EXPECT_GT(e.run_ratio, 1.0);
  EXPECT_GT(e.cliffs_delta, 0.0);
  EXPECT_FALSE(e.holds);
  EXPECT_EQ(finding(*report, "a").verdict, Finding::Verdict::kFails);
}

TEST(Findings, ARunWithoutSamplesIsAnError) {
  ResultSet empty;
  empty.source = "results/x";
  auto report = evaluate_findings(empty, nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("no measured requests"));
  EXPECT_THAT(report.status().message(), HasSubstr("results/x"));
}

}  // namespace
}  // namespace edgetier
