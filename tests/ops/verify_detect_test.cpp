/// Tests for ops/verify on detectors: the float model against itself is 100, partitions are
/// bit-identical, labels score both sides, a model without detection outputs is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "graph/detector_fixtures.h"
#include "graph/fixtures.h"
#include "ops/compose.h"
#include "ops/detector_fixture.h"
#include "ops/ops_test_util.h"
#include "ops/verify.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

VerifyOptions exact(const std::string& data) {
  VerifyOptions o;
  o.data_dir = data;
  o.session = one_thread();
  o.session.graph_opt_level = GraphOptLevel::kDisabled;
  return o;
}

TEST(VerifyDetect, YoloDetectorAgainstItselfIs100AndItsFpnPartitionIsBitIdentical) {
  TempDir tmp;
  const auto model = fixtures::tiny_yolo_detector();
  const DetectorFiles f = write_detector(tmp.path(), "yolo", model, 6);
  VariantOptions o;
  o.ops = {"I", "P"};
  o.cuts = {fixtures::tiny_yolo_fpn_cut(model)};
  ASSERT_EQ(o.cuts[0].size(), 2u);
  std::vector<VariantResult> results;
  Status st = build_variants(f.model_path, o, tmp.file("v"), &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  for (const std::string ops : {"I", "P"}) {
    auto r = verify_variant(f.model_path, tmp.file("v/" + ops), exact(f.images));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->task, "detect");
    EXPECT_EQ(r->samples, 6);
    EXPECT_TRUE(r->bit_identical) << ops;
    EXPECT_DOUBLE_EQ(r->agree_map, 100.0) << ops;  // points
    EXPECT_LT(r->map, 0.0) << "no labels given";
    const auto j = verify_report_to_json(*r);
    EXPECT_EQ(j["agree_map"], 100.0);
    EXPECT_FALSE(j.contains("map"));
    EXPECT_FALSE(j.contains("top1_agreement"));
  }
}

TEST(VerifyDetect, LabelsScoreBothModelsInPoints) {
  TempDir tmp;
  const auto model = fixtures::tiny_yolo_detector();
  const DetectorFiles f = write_detector(tmp.path(), "yolo", model, 5);
  VariantOptions o;
  o.ops = {"I"};
  ASSERT_TRUE(build_variants(f.model_path, o, tmp.file("v"), nullptr).ok());
  VerifyOptions v = exact(f.images);
  v.samples = self_labelled_samples(f);
  ASSERT_EQ(v.samples.size(), 5u);
  size_t objects = 0;
  for (const Sample& s : v.samples) objects += s.boxes.size();
  ASSERT_GT(objects, 0u) << "the fixture finds nothing to label";
  auto r = verify_variant(f.model_path, tmp.file("v/I"), v);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // The labels are the model's own boxes (in image pixels, through the letterbox): 100.
  EXPECT_DOUBLE_EQ(r->reference_map, 100.0);
  EXPECT_DOUBLE_EQ(r->map, 100.0);
  EXPECT_DOUBLE_EQ(r->map50, 100.0);
  EXPECT_DOUBLE_EQ(r->map_loss, 0.0);
  // Labels moved by half their size: the model no longer matches them at IoU .5 for every box.
  for (Sample& s : v.samples) {
    for (TruthBox& t : s.boxes) t.box.x = std::max(0.0, t.box.x - t.box.w / 2);
  }
  r = verify_variant(f.model_path, tmp.file("v/I"), v);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_LT(r->map, 100.0);
  EXPECT_DOUBLE_EQ(r->map, r->reference_map);  // the same model on both sides
  EXPECT_DOUBLE_EQ(r->agree_map, 100.0);
}

TEST(VerifyDetect, BoxesScoresLabelsDetectorAgainstItselfIs100) {
  TempDir tmp;
  const auto model = fixtures::tiny_box_detector();
  const DetectorFiles f = write_detector(tmp.path(), "boxes", model, 4);
  VariantOptions o;
  o.ops = {"I", "P"};
  o.auto_cut = CutSelectOptions{};
  std::vector<VariantResult> results;
  Status st = build_variants(f.model_path, o, tmp.file("v"), &results);
  ASSERT_TRUE(st.ok()) << st.to_string();
  for (const auto& r : results) ASSERT_TRUE(r.built()) << r.ops << ": " << r.not_applicable;
  for (const std::string ops : {"I", "P"}) {
    auto r = verify_variant(f.model_path, tmp.file("v/" + ops), exact(f.images));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(r->bit_identical);
    EXPECT_DOUBLE_EQ(r->agree_map, 100.0);
    EXPECT_EQ(r->outputs.size(), 3u);
  }
}

TEST(VerifyDetect, RefusesAModelWhoseOutputsMatchNoDetectionFormat) {
  TempDir tmp;
  // A classifier told it is a detector: [1, 10] holds no boxes.
  const auto model = fixtures::tiny_resnet();
  const DetectorFiles f = write_detector(tmp.path(), "cls", model, 2);
  VariantOptions o;
  o.ops = {"I"};
  Status st = build_variants(f.model_path, o, tmp.file("v"), nullptr);
  ASSERT_FALSE(st.ok());
  const std::string output = model.graph().output(0).name();
  EXPECT_NE(st.message().find("match no known detection format"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("'" + output + "' float32 1x10"), std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << "one line";
  EXPECT_FALSE(fs::exists(tmp.file("v"))) << "nothing partial written";

  // verify --task detect on a classifier variant names the tensor the same way.
  std::ofstream(tmp.file("cls.json")) << R"({"task": "classify"})";
  ASSERT_TRUE(build_variants(f.model_path, o, tmp.file("v"), nullptr).ok());
  VerifyOptions v = exact(f.images);
  v.task = "detect";
  auto r = verify_variant(f.model_path, tmp.file("v/I"), v);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'" + output + "'"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace edgetier
