/// The experiment's variant build: the same preprocessing as `edgetier variants` (the model's
/// sidecar's, issue class 7), and int8 quantized to an accuracy budget
/// (quantize.max_accuracy_loss).
#include "experiment/variant_build.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "experiment/plan.h"
#include "experiment/spec.h"
#include "experiment/test_util.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/accuracy_eval.h"
#include "ops/manifest.h"
#include "ops/model_preprocess.h"
#include "ops/quantize_hook.h"
#include "runtime/model_sidecar.h"
#include "strategy/operators.h"

namespace edgetier {
namespace {

void expect_same_preprocessing(const std::string& model) {
  SCOPED_TRACE(model);
  testing::TempDir dir;
  const std::string path = std::string(EDGETIER_SOURCE_DIR) + "/models/" + model + ".onnx";

  // The command a user runs, with no preprocessing flag.
  auto cli = testing::run_edgetier({"variants", path, "--ops", "I", "-o", dir / "cli"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  auto from_cli = read_manifest(dir / "cli/I");
  ASSERT_TRUE(from_cli.ok()) << from_cli.status().to_string();

  // The experiment's build: the plan's resolved recipe, handed over as the runner does.
  auto spec = parse_spec("name: same\nmodels:\n  - path: " + path +
                             "\ndata: {kind: synth, count: 4, size: 96}\noperators: [I]\n"
                             "placements: [M]\n",
                         dir.path(), "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  auto prepared = prepare_experiment(*spec);
  ASSERT_TRUE(prepared.ok()) << prepared.status().to_string();
  const ModelFacts& facts = prepared->models.at(0);
  VariantBuildRequest r;
  r.model_path = facts.path;
  r.ops = "I";
  r.task = std::string(task_name(facts.task));
  r.input_name = facts.input.name;
  r.input_shape = facts.input.shape;
  r.out_dir = dir / "run";
  r.preprocess = facts.preprocess;
  auto built = build_strategy_variant(r);
  ASSERT_TRUE(built.ok()) << built.status().to_string();
  auto from_run = read_manifest(built->dir);
  ASSERT_TRUE(from_run.ok());

  ASSERT_TRUE(from_cli->preprocess && from_run->preprocess);
  EXPECT_EQ(preprocess_to_json(*from_cli->preprocess), preprocess_to_json(*from_run->preprocess));
  // And it is the sidecar's recipe, not the 256/224 ImageNet default.
  auto sidecar = load_model_sidecar(path);
  ASSERT_TRUE(sidecar.ok() && sidecar->has_value());
  const nlohmann::json written = preprocess_to_json(*from_cli->preprocess);
  for (const auto& [key, value] : (*sidecar)->preprocess.items()) {
    if (value.is_array()) continue;  // mean/std: float rounding of the JSON numbers
    EXPECT_EQ(written.at(key), value) << key;
  }
  EXPECT_EQ(from_cli->preprocess->resize_shorter, 0);
  EXPECT_FALSE(from_cli->preprocess->center_crop);
}

TEST(VariantBuild, VariantsAndRunWriteTheSamePreprocessing) {
  expect_same_preprocessing("demo_classifier");
  expect_same_preprocessing("demo_segmenter");
}

/// tiny_segmenter with 12 images and what the runner hands over. The images are unlabelled, so
/// the search scores agreement with the float model (mIoU with its classes as the truth): the
/// random fixture's mIoU against made-up masks is noise that int8 may as well improve.
struct BudgetFixture {
  testing::TempDir dir;
  std::string model_path;
  VariantBuildRequest request;

  BudgetFixture() {
    const onnx::ModelProto model = fixtures::tiny_segmenter();
    model_path = dir / "seg.onnx";
    testing::save(model, model_path);
    Dataset data;
    data.kind = DataKind::kUnlabeled;
    data.root = dir / "data/images";
    for (int i = 0; i < 12; ++i) {
      const std::string image = dir / ("data/images/s" + std::to_string(i) + ".png");
      testing::write_image(image, 16, 16, i);
      data.samples.push_back({image, -1, ""});
    }
    auto preprocess = model_preprocess(model_path, model);
    EXPECT_TRUE(preprocess.ok() && preprocess->has_value());
    VariantBuildRequest& r = request;
    r.model_path = model_path;
    r.ops = "Q";
    r.task = "segment";
    r.input_name = model.graph().input(0).name();
    r.input_shape = {1, 3, 16, 16};
    r.out_dir = dir / "variants";
    if (preprocess.ok() && *preprocess) r.preprocess = **preprocess;
    r.calibration_dir = dir / "data/images";
    // A crude calibration (the 99th percentile of one image's values as every range) makes int8
    // lose accuracy, so the search has nodes to keep in float.
    r.calibration_method = "percentile";
    r.calibration_percentile = 99;
    r.calibration_samples = 1;
    r.search_data = data;
  }

  /// The variant's loss on the fixture data, scored independently of the search.
  double measured_loss(const std::string& variant_dir) const {
    auto m = read_manifest(variant_dir);
    EXPECT_TRUE(m.ok() && m->parts.size() == 1u);
    auto reference = load_model(model_path);
    auto candidate = load_model((std::filesystem::path(variant_dir) / m->parts[0].file).string());
    EXPECT_TRUE(reference.ok() && candidate.ok());
    EvalOptions e;
    e.data_dir = request.search_data.root;
    e.preprocess = request.preprocess;
    auto eval = EvalSet::create(*reference, e);
    EXPECT_TRUE(eval.ok()) << eval.status().to_string();
    auto scored = eval->score(*candidate);
    EXPECT_TRUE(scored.ok()) << scored.status().to_string();
    EXPECT_EQ(scored->metric, "miou");
    EXPECT_FALSE(scored->labelled);
    return scored->loss_points;
  }
};

const nlohmann::json& quantize_options(const VariantManifest& m) {
  for (const auto& step : m.chain)
    if (step.op == step_name(OperatorId::kQuantize)) return step.options;
  static const nlohmann::json none;
  ADD_FAILURE() << "no quantize step in the manifest";
  return none;
}

TEST(VariantBuild, AccuracyBudgetKeepsNodesInFloatAndRecordsThem) {
  BudgetFixture f;
  // Without a budget: every quantizable node in int8, and it loses accuracy on this data.
  auto plain = build_strategy_variant(f.request);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_TRUE(plain->quantize_search.is_null());
  const double plain_loss = f.measured_loss(plain->dir);
  const double budget = 2.0;
  ASSERT_GT(plain_loss, budget) << "the fixture's crude calibration should cost accuracy";
  auto plain_manifest = read_manifest(plain->dir);
  ASSERT_TRUE(plain_manifest.ok());
  EXPECT_FALSE(quantize_options(*plain_manifest).contains("float_nodes"));

  f.request.max_accuracy_loss = budget;
  auto built = build_strategy_variant(f.request);
  ASSERT_TRUE(built.ok()) << built.status().to_string();
  EXPECT_FALSE(built->cached);
  // The budget is part of the cache key: the plain variant was replaced, not reused.
  EXPECT_NE(built->hash, plain->hash);
  auto m = read_manifest(built->dir);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const nlohmann::json& q = quantize_options(*m);
  EXPECT_DOUBLE_EQ(q.at("max_accuracy_loss").get<double>(), budget);
  ASSERT_TRUE(q.at("float_nodes").is_array());
  EXPECT_FALSE(q.at("float_nodes").empty());
  EXPECT_EQ(q.at("search").at("metric"), "miou");
  EXPECT_FALSE(q.at("search").at("labelled").get<bool>());
  EXPECT_EQ(q.at("search").at("samples").get<int64_t>(), 12);
  EXPECT_LE(q.at("search").at("loss_points").get<double>(), budget);
  EXPECT_GT(q.at("search").at("initial_loss_points").get<double>(), budget);
  EXPECT_EQ(built->quantize_search, q);
  // Measured again outside the search, on the same data: within the budget.
  EXPECT_LE(f.measured_loss(built->dir), budget);
  // The float nodes are really float: none of them reads a DequantizeLinear'd weight as int8.
  auto part = load_model((std::filesystem::path(built->dir) / m->parts[0].file).string());
  ASSERT_TRUE(part.ok());
  for (const auto& name : q.at("float_nodes")) {
    bool found = false;
    for (const auto& n : part->graph().node()) found = found || n.name() == name.get<std::string>();
    EXPECT_TRUE(found) << name << " is not in the int8 graph";
  }

  // Built again: cached, and the record is read back from the manifest.
  auto again = build_strategy_variant(f.request);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(again->hash, built->hash);
  EXPECT_EQ(again->quantize_search, q);
  // Another budget, another variant.
  f.request.max_accuracy_loss = 50.0;
  auto loose = build_strategy_variant(f.request);
  ASSERT_TRUE(loose.ok()) << loose.status().to_string();
  EXPECT_NE(loose->hash, built->hash);
}

TEST(VariantBuild, AccuracyBudgetSearchesOnceForTheSameModel) {
  BudgetFixture f;
  f.request.max_accuracy_loss = 2.0;
  f.request.search_memo = make_quantize_search_memo();
  auto first = build_strategy_variant(f.request);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(f.request.search_memo->found.size(), 1u);
  // Another variant folder (as QP's): not cached, but the search's outcome is reused.
  f.request.out_dir = f.dir / "variants/cut-x";
  auto second = build_strategy_variant(f.request);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_FALSE(second->cached);
  EXPECT_EQ(f.request.search_memo->found.size(), 1u);
  EXPECT_EQ(second->quantize_search.at("float_nodes"), first->quantize_search.at("float_nodes"));
  EXPECT_FALSE(second->quantize_search.at("float_nodes").empty());
  // Another budget is another search.
  f.request.max_accuracy_loss = 50.0;
  ASSERT_TRUE(build_strategy_variant(f.request).ok());
  EXPECT_EQ(f.request.search_memo->found.size(), 2u);
}

TEST(VariantBuild, AccuracyBudgetRejectsNegativeAndMissingData) {
  BudgetFixture f;
  f.request.max_accuracy_loss = -0.5;
  auto negative = build_strategy_variant(f.request);
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("max_accuracy_loss"), std::string::npos)
      << negative.status().message();
  EXPECT_FALSE(std::filesystem::exists(f.dir / "variants/Q"));
  f.request.max_accuracy_loss = 0.5;
  f.request.search_data = Dataset{};
  EXPECT_EQ(build_strategy_variant(f.request).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgetier
