/// Tests for ops/compose: operator order, equivalence of the float chains, cache, rejections.
#include "ops/compose.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "graph/cuts.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/early_exit.h"
#include "ops/ops_test_util.h"
#include "ops/partition.h"
#include "ops/qdq_fixture.h"
#include "ops/trunk.h"
#include "ops/variant_dir.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

SessionOptions exact_settings() {
  SessionOptions so = one_thread();
  so.graph_opt_level = GraphOptLevel::kDisabled;
  return so;
}

std::string write_fixture(const std::string& dir) {
  const std::string path = dir + "/tiny.onnx";
  EXPECT_TRUE(save_model(fixtures::tiny_resnet(), path).ok());
  return path;
}

std::vector<Tensor> run_variant(const std::string& dir, const std::vector<Tensor>& inputs) {
  auto runner = open_variant(dir, exact_settings());
  EXPECT_TRUE(runner.ok()) << runner.status().to_string();
  if (!runner.ok()) return {};
  auto r = (*runner)->run(inputs);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->outputs : std::vector<Tensor>{};
}

TEST(Compose, FloatChainsMatchTheirOperatorsExactly) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"I", "EE", "P", "EEP"};
  o.skip_last = 1;
  o.cuts = {{fixtures::tiny_resnet_early_cut(fixtures::tiny_resnet())}};
  std::vector<VariantResult> results;
  Status st = build_variants(model_path, o, root + "/v", &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].parts, 1);
  EXPECT_EQ(results[2].parts, 2);
  EXPECT_EQ(results[3].parts, 2);
  const auto model = fixtures::tiny_resnet();
  const auto inputs = random_inputs(model, 12);
  EarlyExitOptions ee;
  ee.skip_last = 1;
  onnx::ModelProto exited;
  ASSERT_TRUE(early_exit(model, ee, &exited).ok());
  const auto full = run_model(model, inputs, exact_settings());
  const auto short_out = run_model(exited, inputs, exact_settings());
  std::string why;
  EXPECT_TRUE(bit_identical(full, run_variant(root + "/v/I", inputs), &why)) << why;
  EXPECT_TRUE(bit_identical(full, run_variant(root + "/v/P", inputs), &why)) << why;
  EXPECT_TRUE(bit_identical(short_out, run_variant(root + "/v/EE", inputs), &why)) << why;
  EXPECT_TRUE(bit_identical(short_out, run_variant(root + "/v/EEP", inputs), &why)) << why;
  auto m = read_manifest(root + "/v/EEP");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ops, "EEP");
  ASSERT_EQ(m->chain.size(), 2u);
  EXPECT_EQ(m->chain[0].op, "EE");
  EXPECT_EQ(m->chain[1].op, "P");
  EXPECT_EQ(m->chain[1].options["cuts"][0][0],
            fixtures::tiny_resnet_early_cut(fixtures::tiny_resnet()));
  EXPECT_FALSE(m->calibration.has_value());
}

/// The identity "quantizer" of the order test: records the size of each model it is given.
struct RecordingQuantizer {
  std::vector<int> seen_nodes;
  QuantizeFn fn() {
    return [this](const onnx::ModelProto& in, onnx::ModelProto* out) {
      seen_nodes.push_back(in.graph().node_size());
      *out = in;
      return ok_status();
    };
  }
};

TEST(Compose, QuantizeThenExitIsTheDefaultAndExitThenQuantizeIsSupported) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  const int full_nodes = fixtures::tiny_resnet().graph().node_size();
  RecordingQuantizer study;
  VariantOptions o;
  o.ops = {"QE", "QEP"};
  o.skip_last = 1;
  o.cuts = {{fixtures::tiny_resnet_early_cut(fixtures::tiny_resnet())}};
  o.quantize_fn = study.fn();
  std::vector<VariantResult> results;
  ASSERT_TRUE(build_variants(model_path, o, root + "/study", &results).ok());
  // The int8 model is made once from the whole float model and shared by QE and QEP.
  EXPECT_EQ(study.seen_nodes, std::vector<int>{full_nodes});
  auto qe = read_manifest(root + "/study/QE");
  ASSERT_TRUE(qe.ok());
  ASSERT_EQ(qe->chain.size(), 2u);
  EXPECT_EQ(qe->chain[0].op, "Q");
  EXPECT_EQ(qe->chain[1].op, "EE");
  auto qep = read_manifest(root + "/study/QEP");
  ASSERT_EQ(qep->chain.size(), 3u);
  EXPECT_EQ(qep->chain[2].op, "P");

  RecordingQuantizer after_exit;
  o.quantize_fn = after_exit.fn();
  o.exit_then_quantize = true;
  ASSERT_TRUE(build_variants(model_path, o, root + "/exit_first", &results).ok());
  EXPECT_EQ(after_exit.seen_nodes, std::vector<int>{full_nodes - 7})
      << "calibrated on the exited model";
  auto eq = read_manifest(root + "/exit_first/QE");
  EXPECT_EQ(eq->chain[0].op, "EE");
  EXPECT_EQ(eq->chain[1].op, "Q");
  EXPECT_NE(eq->options_sha256, qe->options_sha256);
}

TEST(Compose, QuantizedPartitionShipsTheInt8Tensor) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"QP"};
  o.cuts = {{fixtures::tiny_resnet_early_cut(fixtures::tiny_resnet())}};
  o.quantize_fn = [](const onnx::ModelProto& in, onnx::ModelProto* out) {
    *out = to_qdq(in);  // the hand-made QDQ form
    return ok_status();
  };
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", nullptr).ok());
  auto m = read_manifest(root + "/v/QP");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->cuts.size(), 1u);
  EXPECT_EQ(m->cuts[0].tensors[0].name,
            fixtures::tiny_resnet_early_cut(fixtures::tiny_resnet()) + "_quantized");
  EXPECT_EQ(m->cuts[0].tensors[0].dtype, DType::kUInt8);
  const auto inputs = random_inputs(fixtures::tiny_resnet(), 2);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(to_qdq(fixtures::tiny_resnet()), inputs, exact_settings()),
                            run_variant(root + "/v/QP", inputs), &why))
      << why;
}

TEST(Compose, FollowsNamesTheQuantizerFusedAway) {
  // A quantizer that absorbs each ReLU into its producer (which then writes the ReLU's output),
  // as int8 quantizers do: the Add outputs of the skip vanish and the ReLU outputs take over.
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"QEP"};
  o.skip_last = 1;
  o.cuts = {{fixtures::tiny_resnet_early_cut(fixtures::tiny_resnet())}};
  o.quantize_fn = [](const onnx::ModelProto& in, onnx::ModelProto* out) {
    auto view = GraphView::build(in.graph());
    onnx::ModelProto m = in;
    m.mutable_graph()->clear_node();
    std::map<std::string, std::string> rename;  // producer output -> relu output
    std::set<int> dropped;
    for (int i : view->topo_order()) {
      const auto& node = view->node(i);
      if (node.op_type() != "Relu") continue;
      const int p = view->producer(node.input(0));
      if (p >= 0 && view->consumers(node.input(0)).size() == 1 &&
          view->node(p).op_type() != "Relu") {
        rename[node.input(0)] = node.output(0);
        dropped.insert(i);
      }
    }
    for (int i : view->topo_order()) {
      if (dropped.count(i)) continue;
      onnx::NodeProto node = view->node(i);
      for (auto& out_name : *node.mutable_output()) {
        if (rename.count(out_name)) out_name = rename[out_name];
      }
      *m.mutable_graph()->add_node() = node;
    }
    m.mutable_graph()->clear_value_info();
    *out = m;
    return ok_status();
  };
  Status st = build_variants(model_path, o, root + "/v", nullptr);
  ASSERT_TRUE(st.ok()) << st.to_string();
  auto m = read_manifest(root + "/v/QEP");
  ASSERT_TRUE(m.ok());
  const std::string from = m->chain[1].options["from"], to = m->chain[1].options["to"];
  EXPECT_NE(from.find("Relu"), std::string::npos) << from;
  EXPECT_NE(to.find("Relu"), std::string::npos) << to;
  const auto out = run_variant(root + "/v/QEP", random_inputs(fixtures::tiny_resnet(), 5));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 10}));
}

TEST(Compose, SkipsUpToDateVariantsAndRebuildsWhenInputsChange) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"I", "EE"};
  o.skip_last = 1;
  std::vector<VariantResult> results;
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", &results).ok());
  EXPECT_FALSE(results[0].cached);
  const auto first_time = fs::last_write_time(root + "/v/EE/manifest.json");
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", &results).ok());
  EXPECT_TRUE(results[0].cached);
  EXPECT_TRUE(results[1].cached);
  EXPECT_EQ(fs::last_write_time(root + "/v/EE/manifest.json"), first_time);
  // Other options: EE rebuilds, I does not.
  o.skip_last = 2;
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", &results).ok());
  EXPECT_TRUE(results[0].cached);
  EXPECT_FALSE(results[1].cached);
  // A changed source model rebuilds everything; --force too.
  ASSERT_TRUE(save_model(fixtures::tiny_resnet(32, 4), model_path).ok());
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", &results).ok());
  EXPECT_FALSE(results[0].cached);
  o.force = true;
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", &results).ok());
  EXPECT_FALSE(results[0].cached);
  EXPECT_FALSE(results[1].cached);
}

// With the int8 quantizer linked, a Q chain without calibration data or table is the rejection.
TEST(Compose, ChainsWithoutTheirOperatorAreListedAndTheRestBuilt) {
  // Regression: one inapplicable operator (Q without a quantizer, EE without a skippable region)
  // failed the whole command with nothing built.
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"I", "QE"};
  std::vector<VariantResult> results;
  Status st = build_variants(model_path, o, root + "/v", &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].built());
  EXPECT_FALSE(results[1].built());
  EXPECT_NE(results[1].not_applicable.find("--calibration-data"), std::string::npos);
  EXPECT_NE(results[1].not_applicable.find("--calibration-table"), std::string::npos);
  EXPECT_TRUE(fs::exists(root + "/v/I/manifest.json"));
  EXPECT_FALSE(fs::exists(root + "/v/QE"));

  // A graph without a skippable region: the exit chains are listed, I and P built.
  const std::string chain_path = root + "/chain.onnx";
  ASSERT_TRUE(save_model(fixtures::chain_model(), chain_path).ok());
  VariantOptions c;
  c.ops = {"I", "EE", "P", "EEP", "DEE@0.5"};
  c.auto_cut = CutSelectOptions{};
  st = build_variants(chain_path, c, root + "/c", &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].built());
  EXPECT_TRUE(results[2].built());
  for (int i : {1, 3, 4}) {
    EXPECT_FALSE(results[i].built()) << results[i].ops;
    EXPECT_EQ(results[i].not_applicable, no_skippable_region_reason()) << results[i].ops;
  }
}

TEST(Compose, rejects_a_request_of_which_nothing_applies_and_writes_nothing) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"Q", "QE"};
  std::vector<VariantResult> results;
  Status st = build_variants(model_path, o, root + "/v", &results);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("none of the requested strategies applies"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("QE: operator Q needs"), std::string::npos) << st.message();
  EXPECT_EQ(results.size(), 2u);
  EXPECT_FALSE(fs::exists(root + "/v"));
}

TEST(Compose, rejects_unknown_strategies_with_a_suggestion) {
  TempDir tmp;
  const std::string root = tmp.path();
  VariantOptions o;
  o.ops = {"QEEP"};
  Status st = build_variants(write_fixture(root), o, root + "/v", nullptr);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("did you mean 'EEP'"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(root + "/v"));
}

TEST(Compose, rejects_a_cut_inside_the_skipped_region_and_leaves_no_partial_variant) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  // The ReLU after the 7th block's Add: --skip-last 1 skips Add 7 -> Add 8, removing it.
  const auto model = fixtures::tiny_resnet();
  auto view = GraphView::build(model.graph());
  std::string inner;
  int adds = 0;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Add") ++adds;
    if (adds == 7 && view->node(i).op_type() == "Relu") {
      inner = view->node(i).output(0);
      break;
    }
  }
  ASSERT_FALSE(inner.empty());
  VariantOptions o;
  o.ops = {"EE", "EEP"};
  o.skip_last = 1;
  o.cuts = {{inner}};
  std::vector<VariantResult> results;
  Status st = build_variants(model_path, o, root + "/v", &results);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("variants: building EEP"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(inner), std::string::npos) << st.message();
  ASSERT_EQ(results.size(), 2u);  // EE is built and complete; EEP failed, with its error
  EXPECT_TRUE(results[0].built());
  EXPECT_FALSE(results[1].built());
  EXPECT_NE(results[1].failed.find(inner), std::string::npos) << results[1].failed;
  EXPECT_TRUE(fs::exists(root + "/v/EE/manifest.json"));
  EXPECT_FALSE(fs::exists(root + "/v/EEP"));
  for (const auto& e : fs::directory_iterator(root + "/v")) EXPECT_EQ(e.path().filename(), "EE");
}

TEST(Compose, AutomaticCutUsesTheSelection) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"P"};
  CutSelectOptions select;
  select.min_lower_flops = 0.3;
  select.max_lower_flops = 0.7;
  o.auto_cut = select;
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", nullptr).ok());
  auto best = select_cut(fixtures::tiny_resnet(), select);
  auto m = read_manifest(root + "/v/P");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->chain[0].options["cuts"][0].get<std::vector<std::string>>(), best->best.cut.names());
  EXPECT_EQ(m->cuts[0].bytes, best->best.cut.bytes);
}

}  // namespace
}  // namespace edgetier

namespace edgetier {
namespace {

// DEE@p: trunk | early head | rest with the policy in the manifest; at threshold 0 every input
// leaves at the early head (the static exit's result), and DEEP@p is the same split.
TEST(Compose, DynamicExitChainsBuildThreePartsWithThePolicy) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  VariantOptions o;
  o.ops = {"DEE@0", "DEEP@0.7"};
  o.skip_last = 1;
  std::vector<VariantResult> results;
  Status st = build_variants(model_path, o, root + "/v", &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].parts, 3);
  EXPECT_EQ(results[1].parts, 3);
  auto m = read_manifest(root + "/v/DEEP@0.7");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_TRUE(m->exit_policy.has_value());
  EXPECT_EQ(m->exit_policy->exit_part, 1);
  EXPECT_DOUBLE_EQ(m->exit_policy->threshold, 0.7);
  ASSERT_EQ(m->chain.size(), 1u);
  EXPECT_EQ(m->chain[0].op, "DEE");

  // Threshold 0 always exits: the static exit EE, the same region skipped.
  const auto model = fixtures::tiny_resnet();
  const auto inputs = random_inputs(model, 5);
  o.ops = {"EE"};
  ASSERT_TRUE(build_variants(model_path, o, root + "/v", &results).ok());
  auto ee_manifest = read_manifest(root + "/v/EE");
  ASSERT_TRUE(ee_manifest.ok());
  EXPECT_EQ(ee_manifest->chain[0].options["from"], m->chain[0].options["exit_at"]);
  std::string why;
  EXPECT_TRUE(bit_identical(run_variant(root + "/v/EE", inputs),
                            run_variant(root + "/v/DEE@0", inputs), &why))
      << why;
}

TEST(Compose, rejects_dynamic_exits_without_a_threshold_in_range) {
  TempDir tmp;
  const std::string model_path = write_fixture(tmp.path());
  for (const std::string ops : {"DEE", "DEE@1.5", "DEE@x", "XDEE@0.5"}) {
    VariantOptions o;
    o.ops = {ops};
    o.skip_last = 1;
    Status st = build_variants(model_path, o, tmp.file("v"), nullptr);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << ops;
    EXPECT_NE(st.message().find(ops), std::string::npos) << st.message();
    EXPECT_FALSE(fs::exists(tmp.file("v") + "/" + ops)) << ops;
  }
}

// Two explicit boundaries give three parts (Mobile -> Edge -> Cloud) that chain back exactly.
TEST(Compose, TwoExplicitBoundariesGiveThreeParts) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string model_path = write_fixture(root);
  const auto model = fixtures::tiny_resnet();
  auto view = GraphView::build(model.graph());
  ASSERT_TRUE(view.ok());
  std::vector<std::string> adds;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Add") adds.push_back(view->node(i).output(0));
  }
  ASSERT_GE(adds.size(), 3u);
  VariantOptions o;
  o.ops = {"P"};
  o.cuts = {{adds[0]}, {adds[2]}};
  std::vector<VariantResult> results;
  Status st = build_variants(model_path, o, root + "/v", &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].parts, 3);
  const auto inputs = random_inputs(model, 3);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(model, inputs, exact_settings()),
                            run_variant(root + "/v/P", inputs), &why))
      << why;
}


// A copy of `model` where `tensor` is read through an Identity named `tensor + "_copy"`, as
// torch.onnx.export writes some block outputs.
onnx::ModelProto read_through_identity(const onnx::ModelProto& model, const std::string& tensor) {
  onnx::ModelProto m = model;
  auto* g = m.mutable_graph();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (const auto& n : model.graph().node()) {
    onnx::NodeProto copy = n;
    for (int k = 0; k < copy.input_size(); ++k)
      if (copy.input(k) == tensor) copy.set_input(k, tensor + "_copy");
    *nodes.Add() = std::move(copy);
    if (std::find(n.output().begin(), n.output().end(), tensor) != n.output().end()) {
      onnx::NodeProto id;
      id.set_op_type("Identity");
      id.set_name(tensor + "_Identity");
      id.add_input(tensor);
      id.add_output(tensor + "_copy");
      *nodes.Add() = std::move(id);
    }
  }
  g->mutable_node()->Swap(&nodes);
  return m;
}

TEST(Compose, NamesOfEliminatedIdentitiesStillNameCutsAndExits) {
  TempDir tmp;
  const std::string root = tmp.path();
  const auto original = fixtures::tiny_resnet();
  const std::string cut = fixtures::tiny_resnet_early_cut(original);
  const auto model = read_through_identity(original, cut);
  const std::string model_path = root + "/copied.onnx";
  ASSERT_TRUE(save_model(model, model_path).ok());
  VariantOptions o;
  o.ops = {"P"};
  o.cuts = {{cut + "_copy"}};  // the name a user reads in the file: the Identity's output
  Status st = build_variants(model_path, o, root + "/v", nullptr);
  ASSERT_TRUE(st.ok()) << st.to_string();
  auto m = read_manifest(root + "/v/P");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->chain[0].options["cuts"][0][0], cut);  // the tensor that carries its value
  const auto inputs = random_inputs(model, 5);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(model, inputs, exact_settings()),
                            run_variant(root + "/v/P", inputs), &why))
      << why;
}

}  // namespace
}  // namespace edgetier
