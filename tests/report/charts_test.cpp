/// Vega-Lite specs of the report: the encodings that make each chart what it claims to be.
#include "report/charts.h"

#include <gtest/gtest.h>

#include "report/report_data.h"
#include "report/report_fixtures.h"

namespace edgetier {
namespace {

using nlohmann::json;

class ChartsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ResultSet results;
    ASSERT_TRUE(testing::load_study_results(&results).ok());
    testing::add_breakdown_model(&results);
    ReportOptions options;
    options.recommend.analysis.bootstrap.resamples = 100;
    auto built = build_report(results, options);
    ASSERT_TRUE(built.ok()) << built.status().to_string();
    report_ = new json(std::move(built).value());
  }
  static void TearDownTestSuite() { delete report_; }

  static const json& scenario(const std::string& model) {
    for (const auto& sc : (*report_)["analysis"]["scenarios"]) {
      if (sc["model"] == model) return sc;
    }
    static const json none;
    return none;
  }
  static json boxes(const std::string& model) {
    json out = json::array();
    for (const auto& b : (*report_)["latency_distributions"]) {
      if (b["model"] == model) out.push_back(b);
    }
    return out;
  }

  static json* report_;
};
json* ChartsTest::report_ = nullptr;

TEST_F(ChartsTest, PaletteFollowsTheStudyOrderOfOperators) {
  const auto palette = charts::make_palette((*report_)["analysis"]);
  EXPECT_EQ(palette.ops, (std::vector<std::string>{"I", "Q", "EE", "QE", "P", "QEP"}));
  ASSERT_EQ(palette.colors.size(), palette.ops.size());
  EXPECT_EQ(palette.colors[0], "#4c78a8");
}

TEST_F(ChartsTest, LatencyBoxesUseALogAxisPerPlacementAndOperator) {
  const auto palette = charts::make_palette((*report_)["analysis"]);
  const json spec = charts::latency_boxplot_spec(scenario("ResNet"), boxes("ResNet"), palette);
  EXPECT_EQ(spec["facet"]["column"]["field"], "placement");
  EXPECT_EQ(spec["facet"]["column"]["sort"],
            json({"Mobile", "Edge", "Cloud", "Mobile-Edge", "Edge-Cloud", "Mobile-Cloud"}));
  EXPECT_EQ(spec["spec"]["encoding"]["x"]["field"], "ops");
  const json& layers = spec["spec"]["layer"];
  ASSERT_EQ(layers.size(), 5u);  // box, lower and upper whisker, median, outliers
  const json& y = layers[0]["encoding"]["y"];
  EXPECT_EQ(y["field"], "q1_ms");
  EXPECT_EQ(layers[0]["encoding"]["y2"]["field"], "q3_ms");
  EXPECT_EQ(y["scale"]["type"], "log");
  EXPECT_EQ(y["axis"]["title"], "Latency per request (s, log scale)");
  EXPECT_EQ(layers[1]["encoding"]["y"]["field"], "low_ms");
  EXPECT_EQ(layers[2]["encoding"]["y2"]["field"], "high_ms");
  EXPECT_EQ(layers[3]["encoding"]["y"]["field"], "median_ms");
  EXPECT_EQ(layers[4]["mark"]["type"], "point");
  // Only the chains present get a colour, each with its report-wide colour.
  EXPECT_EQ(spec["spec"]["encoding"]["color"]["scale"]["domain"].size(), 6u);
  // One box row per strategy; outlier rows carry only the outlier's latency.
  size_t box_rows = 0, outlier_rows = 0;
  for (const auto& row : spec["data"]["values"]) {
    (row.contains("q1_ms") ? box_rows : outlier_rows) += 1;
  }
  EXPECT_EQ(box_rows, 18u);
  size_t expected_outliers = 0;
  for (const auto& b : boxes("ResNet")) expected_outliers += b["outliers_ms"].size();
  EXPECT_EQ(outlier_rows, expected_outliers);
  // Tick labels are 1-2-5 style values inside the data's range, in ms.
  for (const auto& v : y["axis"]["values"]) {
    EXPECT_GE(v.get<double>(), 2000);
    EXPECT_LE(v.get<double>(), 80000);
  }
  EXPECT_GE(y["axis"]["values"].size(), 5u);
}

TEST_F(ChartsTest, AccuracyChartDrawsTheParetoFrontAsAStaircase) {
  const auto palette = charts::make_palette((*report_)["analysis"]);
  const json spec = charts::accuracy_latency_spec(scenario("ResNet"), palette);
  ASSERT_TRUE(spec.is_object());
  EXPECT_EQ(spec["data"]["values"].size(), 18u);
  const json& line = spec["layer"][1];
  EXPECT_EQ(line["mark"]["type"], "line");
  EXPECT_EQ(line["mark"]["interpolate"], "step-after");
  EXPECT_EQ(line["transform"][0]["filter"], "datum.pareto");
  int pareto = 0;
  for (const auto& p : spec["data"]["values"]) pareto += p["pareto"].get<bool>() ? 1 : 0;
  EXPECT_EQ(pareto, 3);  // QE@E, Q@E, I@E
  EXPECT_EQ(spec["layer"][2]["encoding"]["y"]["axis"]["title"], "Top-1 accuracy (%)");
  EXPECT_EQ(spec["layer"][2]["encoding"]["x"]["scale"]["type"], "log");
  // Without accuracy there is no chart.
  EXPECT_TRUE(charts::accuracy_latency_spec(scenario("TinyNet"), palette).is_null());
}

TEST_F(ChartsTest, BreakdownStacksComponentsInRequestOrder) {
  const json spec = charts::breakdown_spec(scenario("TinyNet"));
  ASSERT_TRUE(spec.is_object());
  EXPECT_EQ(spec["encoding"]["x"]["stack"], "zero");
  EXPECT_EQ(spec["encoding"]["color"]["scale"]["domain"],
            json({"queue", "serialize", "compute", "transfer_mobile_edge"}));
  EXPECT_EQ(spec["encoding"]["y"]["sort"], json({"I@E", "Q@E", "P@ME"}));
  EXPECT_EQ(spec["data"]["values"].size(), 3u + 3u + 4u);
  EXPECT_TRUE(charts::breakdown_spec(scenario("ResNet")).is_null());
}

TEST_F(ChartsTest, PlannerHeatmapHasOneCellPerBandwidthPair) {
  const json planner = testing::synthetic_planner("ResNet");
  const json spec = charts::planner_heatmap_spec(planner["heatmaps"][0]);
  ASSERT_TRUE(spec.is_object());
  EXPECT_EQ(spec["data"]["values"].size(), 36u);
  EXPECT_EQ(spec["encoding"]["x"]["axis"]["title"], "Mobile-Edge bandwidth (Mbit/s)");
  EXPECT_EQ(spec["encoding"]["y"]["axis"]["title"], "Edge-Cloud bandwidth (Mbit/s)");
  EXPECT_EQ(spec["layer"][0]["encoding"]["color"]["field"], "strategy");
  EXPECT_TRUE(
      charts::planner_heatmap_spec(json{{"model", "M"}, {"cells", json::array()}}).is_null());
}

TEST(ChartNames, PlacementsAndMetrics) {
  EXPECT_EQ(charts::placement_display_name("MEC"), "Mobile-Edge-Cloud");
  EXPECT_EQ(charts::placement_display_name("X"), "X");
  EXPECT_EQ(charts::metric_axis_title("miou"), "mIoU (%)");
  EXPECT_EQ(charts::metric_axis_title("f1"), "f1 (%)");
}

}  // namespace
}  // namespace edgetier
