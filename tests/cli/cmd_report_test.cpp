/// End-to-end tests of `edgetier report` on the study's data and on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace edgetier {
namespace {

const std::string kData = std::string(EDGETIER_SHARED_DIR) + "/paper-data";
const std::string kStudy =
    "--samples " + kData + "/latency_samples.csv --accuracy " + kData + "/accuracy_long.csv";

TEST(CliReport, WritesHtmlCsvAndJson) {
  TempDir dir;
  const auto run = run_edgetier("report " + kStudy + " --bootstrap 100 -o " + dir.file("r.html") +
                                " --csv " + dir.file("csv") + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["schema"], "edgetier-report");
  EXPECT_EQ(report["analysis"]["scenarios"].size(), 4u);
  EXPECT_EQ(report["recommendation"]["recommendations"].size(), 4u);
  const std::string html = read_file(dir.file("r.html"));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("QE@E"), std::string::npos);
  for (const char* name : {"strategies", "tests", "pareto", "recommendation", "latency_boxes"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.file("csv/") + name + ".csv")) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("csv/planner.csv")));
}

TEST(CliReport, IncludesAPlannerFileAndSaysWhereTheReportIs) {
  TempDir dir;
  write_file(dir.file("planner.json"),
             R"({"heatmaps": [{"model": "FCN", "cells": [{"mobile_edge_rate_mbit": 10,
                 "edge_cloud_rate_mbit": 1, "strategy": "I@C", "latency_ms": 3770}]}]})");
  const auto run = run_edgetier("report " + kStudy + " --model FCN --bootstrap 50 -o " +
                                dir.file("r.html") + " --planner " + dir.file("planner.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("wrote " + dir.file("r.html")), std::string::npos) << run.out;
  const std::string html = read_file(dir.file("r.html"));
  EXPECT_NE(html.find("data-kind=\"planner\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"model-resnet"), std::string::npos);  // --model FCN only
}

TEST(CliReport, RejectsBadInputWithOneLineErrors) {
  TempDir dir;
  auto none = run_edgetier("report -o " + dir.file("r.html"));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no results given"), std::string::npos) << none.err;
  write_file(dir.file("bad.json"), "{not json");
  auto bad = run_edgetier("report " + kStudy + " --planner " + dir.file("bad.json"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not valid JSON"), std::string::npos) << bad.err;
  auto unwritable =
      run_edgetier("report " + kStudy + " --bootstrap 50 -o " + dir.file("no/such/dir/r.html"));
  EXPECT_NE(unwritable.exit_code, 0);
  EXPECT_NE(unwritable.err.find("no/such/dir/r.html"), std::string::npos) << unwritable.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("no/such/dir/r.html")));
}

}  // namespace
}  // namespace edgetier
