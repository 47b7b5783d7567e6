/// Tests for ops/profile (ORT profiler attribution) and ops/cut_select (automatic cuts).
#include "ops/profile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/cut_select.h"
#include "ops/ops_test_util.h"
#include "test_util.h"

namespace edgetier {
namespace {

using namespace edgetier::testing;
using json = nlohmann::json;

json event(const std::string& cat, const std::string& name, int64_t ts, double dur) {
  return {{"cat", cat}, {"name", name}, {"ts", ts},
          {"dur", dur}, {"ph", "X"},    {"args", json::object()}};
}

TEST(Profile, MeasuresEveryNodeOfARealModel) {
  TempDir tmp;
  const std::string dir = tmp.path();
  const auto model = fixtures::tiny_resnet();
  ASSERT_TRUE(save_model(model, dir + "/tiny.onnx").ok());
  ProfileOptions options;
  options.runs = 3;
  options.warmup = 1;
  auto p = profile_model(dir + "/tiny.onnx", options);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->runs, 3);
  EXPECT_EQ(static_cast<int>(p->nodes.size()), model.graph().node_size());
  double sum = 0.0;
  int timed = 0;
  for (const auto& n : p->nodes) {
    EXPECT_GE(n.mean_us, 0.0);
    sum += n.mean_us;
    timed += n.mean_us > 0.0;
  }
  EXPECT_GT(timed, model.graph().node_size() / 2);
  EXPECT_NEAR(sum + p->unattributed_us, p->total_us, 1e-6 * p->total_us + 1e-9);
  EXPECT_GT(p->wall_us, 0.0);
  EXPECT_EQ(p->ort_version, ort_version());
  // The trace file ORT wrote (in a per-process temporary folder) was removed.
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::temp_directory_path() /
                                       ("edgetier_profile_" + std::to_string(::getpid()))));
  // Round trip through the file format.
  ASSERT_TRUE(write_profile(dir + "/p.json", *p).ok());
  auto back = read_profile(dir + "/p.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(profile_to_json(*back), profile_to_json(*p));
}

TEST(Profile, AttributesFusedAndRenamedKernelsAndSkipsWarmup) {
  const auto model = fixtures::chain_model();  // conv0, relu0, conv1, relu1, gap, flatten, gemm
  auto view = GraphView::build(model.graph());
  std::vector<std::string> names;
  for (int i : view->topo_order()) names.push_back(view->node(i).name());
  json trace = json::array();
  // Warm-up run (skipped), then two runs.
  trace.push_back(event("Session", "model_run", 0, 50));
  trace.push_back(event("Node", names[0] + "_kernel_time", 1, 1000));
  for (int64_t start : {100, 200}) {
    trace.push_back(event("Session", "model_run", start, 50));
    // conv1 + relu1 fused and moved to NCHWc: named after relu1's output tensor.
    trace.push_back(event("Node", "/Relu_0/Relu_output_0_nchwc_kernel_time", start + 1, 10));
    trace.push_back(event(
        "Node", view->node(view->topo_order()[3]).output(0) + "_nchwc_kernel_time", start + 2, 20));
    trace.push_back(event("Node", names[4] + "_kernel_time", start + 3, 4));
    trace.push_back(event("Node", names[4] + "_fence_before", start + 3, 99));
    trace.push_back(event("Node", "ReorderOutput_kernel_time", start + 4, 6));
  }
  auto p = attribute_trace(trace, model, {}, /*skip_runs=*/1);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->nodes.size(), 7u);
  EXPECT_EQ(p->runs, 2);
  // relu0's kernel covers conv0 + relu0 (conv0 had no kernel of its own): split by FLOPs,
  // so conv0 (multiply-adds) gets nearly all of the 10 us.
  EXPECT_NEAR(p->nodes[0].mean_us + p->nodes[1].mean_us, 10.0, 1e-9);
  EXPECT_GT(p->nodes[0].mean_us, 9.0);
  EXPECT_NEAR(p->nodes[2].mean_us + p->nodes[3].mean_us, 20.0, 1e-9);
  EXPECT_NEAR(p->nodes[4].mean_us, 4.0, 1e-9);
  EXPECT_NEAR(p->unattributed_us, 6.0, 1e-9);
  EXPECT_NEAR(p->total_us, 40.0, 1e-9);
}

TEST(Profile, rejects_bad_traces_files_and_options) {
  const auto model = fixtures::chain_model();
  EXPECT_FALSE(attribute_trace(json::object(), model, {}, 0).ok());
  json one_run = json::array({event("Session", "model_run", 0, 1)});
  auto st = attribute_trace(one_run, model, {}, 1);
  EXPECT_NE(st.status().message().find("nothing left after skipping 1 warm-up"), std::string::npos);
  EXPECT_EQ(read_profile("/nonexistent/p.json").status().code(), StatusCode::kNotFound);
  json j = {{"format_version", 1}};
  EXPECT_NE(profile_from_json(j).status().message().find("missing key"), std::string::npos);
  ProfileOptions bad;
  bad.runs = 0;
  EXPECT_EQ(profile_model("x.onnx", bad).status().code(), StatusCode::kInvalidArgument);
}

ModelProfile synthetic_profile(const onnx::ModelProto& model, double us_per_node) {
  auto view = GraphView::build(model.graph());
  ModelProfile p;
  p.model = "synthetic";
  for (int i : view->topo_order())
    p.nodes.push_back({view->node(i).name(), view->node(i).op_type(), us_per_node});
  return p;
}

TEST(CutSelect, BytesObjectivePicksTheSmallestTransferInTheFlopsWindow) {
  const auto model = fixtures::tiny_resnet();
  CutSelectOptions o;
  auto all = select_cut(model, o);
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  for (const auto& c : all->ranked) EXPECT_GE(c.cut.bytes, all->best.cut.bytes);
  o.min_lower_flops = 0.2;
  o.max_lower_flops = 0.6;
  auto window = select_cut(model, o);
  ASSERT_TRUE(window.ok());
  EXPECT_GE(window->best.lower_flops_share, 0.2);
  EXPECT_LE(window->best.lower_flops_share, 0.6);
  for (const auto& c : window->ranked) {
    EXPECT_GE(c.cut.bytes, window->best.cut.bytes);
    EXPECT_GE(c.lower_flops_share, 0.2);
    EXPECT_LE(c.lower_flops_share, 0.6);
  }
  o.single_tensor_only = true;
  auto single = select_cut(model, o);
  ASSERT_TRUE(single.ok());
  for (const auto& c : single->ranked) EXPECT_TRUE(c.cut.single());
}

TEST(CutSelect, LatencyObjectiveTradesComputeAgainstTransfer) {
  const auto model = fixtures::tiny_resnet();
  CutSelectOptions o;
  o.objective = "latency";
  o.profile = synthetic_profile(model, 100.0);
  // A slow lower tier and a fast link: cut as early as possible.
  o.lower_scale = 100.0;
  o.bandwidth_mbit = 10000.0;
  auto early = select_cut(model, o);
  ASSERT_TRUE(early.ok()) << early.status().to_string();
  for (const auto& c : early->ranked) EXPECT_GE(c.cut.position, early->best.cut.position);
  EXPECT_NEAR(early->best.predicted_ms,
              early->best.lower_ms + early->best.transfer_ms + early->best.upper_ms, 1e-9);
  // Equal tiers and a slow link: the transfer dominates, so the smallest cut wins.
  o.lower_scale = 1.0;
  o.bandwidth_mbit = 0.01;
  auto small = select_cut(model, o);
  ASSERT_TRUE(small.ok());
  for (const auto& c : small->ranked) EXPECT_GE(c.cut.bytes, small->best.cut.bytes);
  // Transfer time is bytes * 8 / rate + RTT.
  o.rtt_ms = 5.0;
  auto with_rtt = select_cut(model, o);
  EXPECT_NEAR(with_rtt->best.transfer_ms, with_rtt->best.cut.bytes * 8.0 / 0.01e6 * 1e3 + 5.0,
              1e-6);
}

TEST(CutSelect, rejects_bad_windows_objectives_and_foreign_profiles) {
  const auto model = fixtures::tiny_resnet();
  CutSelectOptions o;
  o.min_lower_flops = 0.8;
  o.max_lower_flops = 0.2;
  EXPECT_EQ(select_cut(model, o).status().code(), StatusCode::kInvalidArgument);
  o = {};
  o.min_lower_flops = 1.0;  // every cut leaves the classifier's FLOPs above it
  EXPECT_NE(select_cut(model, o).status().message().find("widen the window"), std::string::npos);
  o = {};
  o.objective = "speed";
  EXPECT_FALSE(select_cut(model, o).ok());
  o = {};
  o.objective = "latency";
  EXPECT_NE(select_cut(model, o).status().message().find("needs --profile"), std::string::npos);
  o.profile = synthetic_profile(fixtures::chain_model(), 1.0);
  o.bandwidth_mbit = 10;
  auto foreign = select_cut(model, o);
  EXPECT_NE(foreign.status().message().find("measured on a different model"), std::string::npos);
}

}  // namespace
}  // namespace edgetier
