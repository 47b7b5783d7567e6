/// Reproduces the study's published statistics and findings from its raw data in shared/paper-data.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "analysis/analyze.h"
#include "analysis/recommend.h"
#include "analysis/result_set.h"

namespace edgetier {
namespace {

const std::string kPaperData = std::string(EDGETIER_SHARED_DIR) + "/paper-data";

class PaperData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    results_ = new ResultSet();
    ASSERT_TRUE(load_samples_csv(kPaperData + "/latency_samples.csv", results_).ok());
    ASSERT_TRUE(load_accuracy_csv(kPaperData + "/accuracy_long.csv", results_).ok());
    auto report = analyze(*results_, {});
    ASSERT_TRUE(report.ok()) << report.status().message();
    report_ = new AnalysisReport(std::move(*report));
  }
  static void TearDownTestSuite() {
    delete report_;
    delete results_;
  }

  static std::vector<double> samples_ms(const std::string& model, const std::string& ops,
                                        const std::string& placement) {
    const StrategySamples* s = results_->find({model, ops, placement, "default"});
    EXPECT_NE(s, nullptr) << model << " " << ops << "@" << placement;
    return s ? sorted_latency_ms(*s) : std::vector<double>{};
  }

  static std::string two_digits(double p) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1e", p);
    return buf;
  }

  static ResultSet* results_;
  static AnalysisReport* report_;
};

ResultSet* PaperData::results_ = nullptr;
AnalysisReport* PaperData::report_ = nullptr;

struct Published {
  const char* model;
  const char* kruskal_p;  // Identity across Mobile, Edge, Cloud
  const char* cliffs_mobile_vs_edge;
};
const Published kPublished[] = {{"ResNet", "6.7e-253", "0.90"},
                                {"ResNext", "6.2e-212", "0.71"},
                                {"FCN", "5.6e-289", "0.99"},
                                {"DUC", "4.6e-290", "1.00"}};

TEST_F(PaperData, HasTheStudysShape) {
  EXPECT_EQ(results_->total_samples(), 36000u);
  EXPECT_EQ(results_->strategies().size(), 72u);
  EXPECT_EQ(report_->scenarios.size(), 4u);
  for (const auto& s : results_->strategies())
    EXPECT_EQ(s.latency_ns.size(), 500u) << s.key.label();
}

TEST_F(PaperData, KruskalWallisAcrossTiersForIdentityMatchesThePaper) {
  for (const auto& pub : kPublished) {
    const auto m = samples_ms(pub.model, "I", "M");
    const auto e = samples_ms(pub.model, "I", "E");
    const auto c = samples_ms(pub.model, "I", "C");
    auto kw = stats::kruskal_wallis({m, e, c});
    ASSERT_TRUE(kw.ok());
    EXPECT_EQ(two_digits(kw->p_value), pub.kruskal_p) << pub.model << " H = " << kw->h;
    EXPECT_EQ(kw->df, 2);
    EXPECT_EQ(kw->n_total, 1500u);
    // The same test as the report carries it.
    const ScenarioReport* sc = report_->find(pub.model, "default");
    ASSERT_NE(sc, nullptr);
    const GroupTestReport* test = nullptr;
    for (const auto& t : sc->tests) {
      if (t.kind == "across_tiers" && t.held_fixed == "I") test = &t;
    }
    ASSERT_NE(test, nullptr);
    EXPECT_EQ(test->strategies, (std::vector<std::string>{"I@M", "I@E", "I@C"}));
    EXPECT_EQ(two_digits(test->kruskal.p_value), pub.kruskal_p) << pub.model;
  }
}

TEST_F(PaperData, CliffsDeltaMobileVsEdgeForIdentityMatchesThePaper) {
  for (const auto& pub : kPublished) {
    const auto d = stats::cliffs_delta_sorted(samples_ms(pub.model, "I", "M"),
                                              samples_ms(pub.model, "I", "E"));
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.2f", d.delta);
    EXPECT_STREQ(buf, pub.cliffs_mobile_vs_edge) << pub.model;
    EXPECT_EQ(d.magnitude, stats::EffectMagnitude::kLarge);
    // The report's post-hoc pair I@M vs I@E carries the same delta.
    const ScenarioReport* sc = report_->find(pub.model, "default");
    bool found = false;
    for (const auto& t : sc->tests) {
      for (const auto& p : t.post_hoc) {
        if (p.a == "I@M" && p.b == "I@E") {
          found = true;
          EXPECT_DOUBLE_EQ(p.effect.delta, d.delta);
          EXPECT_TRUE(p.significant);
        }
      }
    }
    EXPECT_TRUE(found);
  }
}

TEST_F(PaperData, MediansMatchThePapersHeadlineTable) {
  struct Row {
    const char* model;
    double edge_i, edge_q, edge_ee, edge_qe, mobile_i, mobile_edge_p, cloud_i;
  };
  const Row rows[] = {{"ResNet", 5.64, 3.48, 4.40, 2.89, 8.94, 8.06, 17.62},
                      {"ResNext", 3.97, 2.67, 2.99, 2.30, 6.31, 5.00, 17.61},
                      {"FCN", 12.29, 7.49, 11.35, 6.22, 27.39, 22.66, 3.77},
                      {"DUC", 23.65, 19.59, 20.34, 17.30, 45.46, 47.81, 28.62}};
  for (const auto& row : rows) {
    const ScenarioReport* sc = report_->find(row.model, "default");
    ASSERT_NE(sc, nullptr);
    const std::pair<const char*, double> cells[] = {
        {"I@E", row.edge_i},   {"Q@E", row.edge_q},   {"EE@E", row.edge_ee},
        {"QE@E", row.edge_qe}, {"I@M", row.mobile_i}, {"P@ME", row.mobile_edge_p},
        {"I@C", row.cloud_i}};
    for (const auto& [label, seconds] : cells) {
      const StrategyReport* s = sc->find(label);
      ASSERT_NE(s, nullptr) << label;
      // Published to two decimals (half a unit of rounding plus float slack).
      EXPECT_NEAR(s->latency.p50_ms / 1000, seconds, 0.0051) << row.model << " " << label;
    }
  }
}

TEST_F(PaperData, AccuracyLossesMatchThePapersRanges) {
  const std::pair<const char*, std::pair<double, double>> ranges[] = {
      {"Q", {0.16, 0.37}}, {"EE", {5.9, 11.6}}, {"QE", {6.6, 12.4}}, {"P", {0, 0}}};
  for (const auto& sc : report_->scenarios) {
    for (const auto& [ops, range] : ranges) {
      const StrategyReport* s =
          sc.find(std::string(ops) + "@" + (std::string(ops) == "P" ? "ME" : "E"));
      ASSERT_NE(s, nullptr);
      ASSERT_TRUE(s->accuracy_loss_pts.has_value());
      EXPECT_GE(*s->accuracy_loss_pts, range.first - 0.01) << sc.model << " " << ops;
      EXPECT_LE(*s->accuracy_loss_pts, range.second + 0.01) << sc.model << " " << ops;
    }
  }
}

TEST_F(PaperData, StudyAccuracyLayoutsAgree) {
  ResultSet wide;
  ASSERT_TRUE(load_accuracy_csv(kPaperData + "/accuracy_study_format.csv", &wide).ok());
  ASSERT_FALSE(wide.accuracy_rows().empty());
  for (const auto& row : results_->accuracy_rows()) {
    EXPECT_EQ(wide.accuracy(row.model, row.ops, row.metric), row.value)
        << row.model << " " << row.ops << " " << row.metric;
  }
}

TEST_F(PaperData, RecommendsQuantizationForOnePointAndQuantizedEarlyExitOnEdgeForFifteen) {
  RecommendOptions tight;
  tight.max_accuracy_loss_pts = 1;
  auto strict = recommend(*results_, *report_, tight);
  ASSERT_TRUE(strict.ok());
  ASSERT_EQ(strict->recommendations.size(), 4u);
  for (const auto& r : strict->recommendations) {
    ASSERT_TRUE(r.feasible) << r.model;
    EXPECT_LE(*r.recommended->accuracy_loss_pts, 1.0);
  }
  const Recommendation& resnet_tight = strict->recommendations[0];
  EXPECT_EQ(resnet_tight.model, "ResNet");
  EXPECT_EQ(resnet_tight.recommended->label, "Q@E") << resnet_tight.reason;
  EXPECT_EQ(resnet_tight.reason.rfind("Q@E: p50 3.48 s, 1.62x faster than I@E (large effect", 0),
            0u)
      << resnet_tight.reason;

  RecommendOptions loose;
  loose.max_accuracy_loss_pts = 15;
  auto relaxed = recommend(*results_, *report_, loose);
  ASSERT_TRUE(relaxed.ok());
  const Recommendation& resnet = relaxed->recommendations[0];
  EXPECT_EQ(resnet.recommended->label, "QE@E") << resnet.reason;
  EXPECT_EQ(resnet.reason.rfind("QE@E: p50 2.89 s, 1.95x faster than I@E (large effect", 0), 0u)
      << resnet.reason;
  EXPECT_NE(resnet.reason.find("-7.13 pt top1"), std::string::npos);
}

}  // namespace
}  // namespace edgetier
