/// Tests for the default experiment on a user's model: task and data detection, the init YAML
/// read back by the strict reader planning the same strategies, and dynamic exits a decoder
/// goes around.
#include "experiment/user_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "experiment/test_util.h"
#include "graph/fixtures.h"
#include "ops/trunk.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

/// A segmenter whose decoder reads the stem's features beside the trunk's (like LRASPP): every
/// tensor of the trunk has a path around it.
onnx::ModelProto decoder_segmenter() {
  GraphBuilder b("decoder");
  std::string stem = b.input("input", {1, 3, 32, 32});
  stem = b.relu(b.batch_norm(b.conv(stem, {.out_channels = 8, .stride = 2})));
  const std::string low = b.conv(stem, {.out_channels = 5, .kernel = 1});
  std::string x = stem;
  for (int i = 0; i < 4; ++i) x = b.residual_block(x, 8);
  x = b.conv(x, {.out_channels = 5, .kernel = 1});
  b.output(b.resize(b.add(x, low), 2.0f));
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());
  return *model;
}

Result<PreparedExperiment> prepare_user_model(const std::string& path,
                                              std::optional<Task> task = std::nullopt,
                                              const std::string& data = "") {
  UserModelOptions o;
  o.model_path = path;
  o.task = task;
  o.data_dir = data;
  ASSIGN_OR_RETURN(ExperimentSpec spec, user_model_spec(o));
  return prepare_experiment(spec);
}

TEST(UserModelTest, IsTheDemoExperimentOnTheModel) {
  TempDir dir;
  testing::save(fixtures::tiny_resnet(32, 8), dir / "my net.onnx");
  UserModelOptions o;
  o.model_path = dir / "my net.onnx";
  auto spec = user_model_spec(o);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  auto demo = load_builtin_demo();
  ASSERT_TRUE(demo.ok());
  ASSERT_EQ(spec->models.size(), 1u);
  EXPECT_EQ(spec->models[0].path, dir / "my net.onnx");
  EXPECT_EQ(spec->models[0].name, "my_net");
  const nlohmann::json a = spec_to_json(*spec), b = spec_to_json(*demo);
  for (const char* key : {"operators", "placements", "testbed", "scenarios", "measurement",
                          "calibration", "quantize", "cut", "exit", "data", "seed"}) {
    EXPECT_EQ(a[key], b[key]) << key;
  }
  // The stored spec text is the experiment itself: it reads back to the same spec.
  auto reread = parse_spec(spec->yaml_text, spec->base_dir, "yaml_text");
  ASSERT_TRUE(reread.ok()) << reread.status().to_string() << "\n" << spec->yaml_text;
  EXPECT_EQ(spec_hash(*reread), spec_hash(*spec));
}

TEST(UserModelTest, TaskFromTheFlagElseTheSidecarElseTheOutputRank) {
  TempDir dir;
  testing::save(fixtures::tiny_segmenter(), dir / "seg.onnx");
  testing::save(fixtures::tiny_resnet(32, 8), dir / "cls.onnx");
  auto seg = prepare_user_model(dir / "seg.onnx");
  ASSERT_TRUE(seg.ok()) << seg.status().to_string();
  EXPECT_EQ(seg->models[0].task, Task::kSegment);
  auto cls = prepare_user_model(dir / "cls.onnx");
  ASSERT_TRUE(cls.ok()) << cls.status().to_string();
  EXPECT_EQ(cls->models[0].task, Task::kClassify);
  // A flag the outputs contradict is refused by the plan's model check.
  auto wrong = prepare_user_model(dir / "seg.onnx", Task::kClassify);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("set task: segment"));
  // The sidecar says what the outputs cannot: the rank is not asked.
  testing::write_text(dir / "cls.json", R"({"task": "classify"})");
  UserModelOptions o;
  o.model_path = dir / "cls.onnx";
  auto spec = user_model_spec(o);
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->models[0].task.has_value());
}

TEST(UserModelTest, DetectsTheDataFolderKind) {
  TempDir dir;
  testing::save(fixtures::tiny_resnet(32, 8), dir / "cls.onnx");
  for (int i = 0; i < 3; ++i) testing::write_image(dir / ("data/" + std::to_string(i) + ".png"), 40, 40, i);
  testing::write_text(dir / "data/labels.csv", "file,label\n0.png,1\n1.png,2\n2.png,3\n");
  auto e = prepare_user_model(dir / "cls.onnx", std::nullopt, dir / "data");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  ASSERT_TRUE(e->data.count("cls"));
  EXPECT_EQ(e->data.at("cls").kind, DataKind::kFolder);
  EXPECT_EQ(e->data.at("cls").samples.size(), 3u);
  auto missing = prepare_user_model(dir / "cls.onnx", std::nullopt, dir / "nodata");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nodata"));
}

/// init's YAML, read back by the strict reader, plans the same strategies, cuts and exits.
void expect_init_round_trip(const std::string& model_path) {
  UserModelOptions o;
  o.model_path = model_path;
  auto spec = user_model_spec(o);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  auto prepared = prepare_experiment(*spec);
  ASSERT_TRUE(prepared.ok()) << prepared.status().to_string();
  auto yaml = user_model_yaml(*spec, &*prepared);
  ASSERT_TRUE(yaml.ok()) << yaml.status().to_string();
  auto reread = parse_spec(*yaml, "/", "init.yaml");
  ASSERT_TRUE(reread.ok()) << reread.status().to_string() << "\n" << *yaml;
  auto replanned = prepare_experiment(*reread);
  ASSERT_TRUE(replanned.ok()) << replanned.status().to_string();
  const Plan &a = prepared->plan, &b = replanned->plan;
  ASSERT_EQ(a.strategies.size(), b.strategies.size()) << *yaml;
  for (size_t i = 0; i < a.strategies.size(); ++i) {
    EXPECT_EQ(a.strategies[i].name(), b.strategies[i].name());
    EXPECT_EQ(a.strategies[i].cuts, b.strategies[i].cuts) << a.strategies[i].name();
    EXPECT_EQ(a.strategies[i].exit_from, b.strategies[i].exit_from) << a.strategies[i].name();
    EXPECT_EQ(a.strategies[i].exit_to, b.strategies[i].exit_to) << a.strategies[i].name();
  }
  ASSERT_EQ(a.dropped.size(), b.dropped.size());
  for (size_t i = 0; i < a.dropped.size(); ++i) EXPECT_EQ(a.dropped[i].reason, b.dropped[i].reason);
  EXPECT_TRUE(same_plan(a, b));
  // The chosen exit is named by tensor; the cut too when every partitioned chain uses one.
  for (const auto& s : a.strategies) {
    if (!s.exit_from.empty())
      EXPECT_THAT(*yaml, HasSubstr("exit: {from: \"" + s.exit_from + "\", to: \"" + s.exit_to));
  }
  EXPECT_THAT(*yaml, HasSubstr("Chosen automatically"));
}

TEST(UserModelTest, InitReadsBackToTheSamePlan) {
  TempDir dir;
  testing::save(fixtures::tiny_resnet(32, 8), dir / "cls.onnx");
  expect_init_round_trip(dir / "cls.onnx");
  testing::save(fixtures::tiny_segmenter(), dir / "seg.onnx");
  expect_init_round_trip(dir / "seg.onnx");
}

TEST(UserModelTest, InitNamesTheCutWhenOneCutServesEveryChain) {
  TempDir dir;
  testing::save(fixtures::tiny_resnet(32, 8), dir / "cls.onnx");
  UserModelOptions o;
  o.model_path = dir / "cls.onnx";
  auto spec = user_model_spec(o);
  ASSERT_TRUE(spec.ok());
  spec->operators = {*parse_op_chain("I"), *parse_op_chain("P"), *parse_op_chain("QP")};
  auto prepared = prepare_experiment(*spec);
  ASSERT_TRUE(prepared.ok()) << prepared.status().to_string();
  auto yaml = user_model_yaml(*spec, &*prepared);
  ASSERT_TRUE(yaml.ok());
  const auto* p = &prepared->plan.strategies.back();
  ASSERT_FALSE(p->cuts.empty());
  EXPECT_THAT(*yaml, HasSubstr("cut: {tensors: [[\"" + p->cuts[0][0] + "\"]]"));
  auto reread = parse_spec(*yaml, "/", "init.yaml");
  ASSERT_TRUE(reread.ok()) << reread.status().to_string();
  EXPECT_FALSE(reread->cut.automatic);
  auto replanned = prepare_experiment(*reread);
  ASSERT_TRUE(replanned.ok());
  EXPECT_TRUE(same_plan(prepared->plan, replanned->plan));
}

TEST(UserModelTest, ReportsTheExitChainsOfAModelWithoutSkippableRegion) {
  TempDir dir;
  testing::save(fixtures::chain_model(), dir / "chain.onnx");
  auto e = prepare_user_model(dir / "chain.onnx");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  int exit_dropped = 0;
  for (const auto& d : e->plan.dropped) {
    if (d.ops == "EE" && d.placement == "M") {
      EXPECT_THAT(d.reason, HasSubstr(no_skippable_region_reason()));
      ++exit_dropped;
    }
  }
  EXPECT_GT(exit_dropped, 0);
  expect_init_round_trip(dir / "chain.onnx");
}

TEST(UserModelTest, DropsDynamicExitsTheDecoderGoesAround) {
  TempDir dir;
  testing::save(decoder_segmenter(), dir / "dec.onnx");
  auto e = prepare_user_model(dir / "dec.onnx");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_THAT(e->models[0].dynamic_exit_reason, HasSubstr("does not narrow to the exit tensor"));
  bool ee_planned = false;
  for (const auto& s : e->plan.strategies) {
    EXPECT_NE(s.ops.exit, ExitMode::kDynamic) << s.name();
    ee_planned |= s.ops.name() == "EE";
  }
  EXPECT_TRUE(ee_planned);  // the static exit still applies
  bool dee_dropped = false;
  for (const auto& d : e->plan.dropped)
    dee_dropped |= d.ops == "DEE@0.8" && d.placement == "M" &&
                   d.reason.find("does not narrow") != std::string::npos;
  EXPECT_TRUE(dee_dropped);
}

}  // namespace
}  // namespace edgetier
