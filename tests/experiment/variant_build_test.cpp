/// `edgetier variants` and the experiment's variant build record the same preprocessing, the
/// model's sidecar's, for both demo models (issue class 7: variants ignored the sidecar).
#include "experiment/variant_build.h"

#include <gtest/gtest.h>

#include "experiment/plan.h"
#include "experiment/spec.h"
#include "experiment/test_util.h"
#include "ops/manifest.h"
#include "runtime/model_sidecar.h"

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

}  // namespace
}  // namespace edgetier
