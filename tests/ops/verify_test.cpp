/// Tests for ops/verify: exact variants agree fully, exits are measured, bad input is rejected.
#include "ops/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "graph/cuts.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/dynamic_exit.h"
#include "ops/early_exit.h"
#include "ops/model_preprocess.h"
#include "ops/ops_test_util.h"
#include "ops/partition.h"
#include "ops/trunk.h"
#include "ops/variant_dir.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

struct VerifyData {
  std::string root, model_path, data;
};

VerifyData make_setup(const TempDir& tmp, const onnx::ModelProto& model, int samples) {
  VerifyData s;
  s.root = tmp.path();
  s.model_path = s.root + "/model.onnx";
  EXPECT_TRUE(save_model(model, s.model_path).ok());
  s.data = s.root + "/data";
  fs::create_directories(s.data);
  for (int i = 0; i < samples; ++i) {
    auto t = random_inputs(model, 300 + i)[0];
    EXPECT_TRUE(save_npy(t, s.data + "/" + std::to_string(10 + i) + ".npy").ok());
  }
  std::ofstream(s.data + "/README.txt") << "ignored";
  return s;
}

VerifyOptions exact(const std::string& data) {
  VerifyOptions o;
  o.data_dir = data;
  o.session = one_thread();
  o.session.graph_opt_level = GraphOptLevel::kDisabled;
  return o;
}

TEST(Verify, PartitionedVariantIsBitIdenticalAndAgreesFully) {
  const auto model = fixtures::tiny_resnet();
  TempDir tmp;
  const VerifyData s = make_setup(tmp, model, 6);
  std::vector<onnx::ModelProto> parts;
  ASSERT_TRUE(partition(model, {{{"/Relu_4/Relu_output_0"}}}, &parts).ok());
  VariantManifest m;
  m.ops = "P";
  ASSERT_TRUE(write_variant(s.root + "/P", parts, m).ok());
  auto r = verify_variant(s.model_path, s.root + "/P", exact(s.data));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->samples, 6);
  EXPECT_TRUE(r->bit_identical);
  EXPECT_EQ(r->max_abs_diff, 0.0);
  EXPECT_DOUBLE_EQ(r->top1_agreement, 100.0);  // points
  EXPECT_EQ(r->outputs, std::vector<std::string>{model.graph().output(0).name()});
  auto j = verify_report_to_json(*r);
  EXPECT_EQ(j["top1_agreement"], 100.0);  // points
  EXPECT_FALSE(j.contains("miou"));
}

TEST(Verify, EarlyExitDiffersAndDynamicExitsAreCounted) {
  const auto model = fixtures::tiny_resnet();
  TempDir tmp;
  const VerifyData s = make_setup(tmp, model, 5);
  EarlyExitOptions ee;
  ee.skip_last = 2;
  onnx::ModelProto exited;
  ASSERT_TRUE(early_exit(model, ee, &exited).ok());
  VariantManifest m;
  m.ops = "EE";
  ASSERT_TRUE(write_variant(s.root + "/EE", {exited}, m).ok());
  auto r = verify_variant(s.model_path, s.root + "/EE", exact(s.data));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->bit_identical);
  EXPECT_GT(r->max_abs_diff, 0.0);
  EXPECT_GE(r->top1_agreement, 0.0);
  EXPECT_LE(r->top1_agreement, 100.0);

  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  auto view = GraphView::build(model.graph());
  auto shapes = infer_shapes(model);
  auto trunk = last_stage_trunk(*view, *shapes, *analyze_cuts(*view, *shapes));
  ASSERT_TRUE(trunk.ok());
  const std::string exit_at = trunk->tensors[trunk->block_ends[0]];
  Status st = dynamic_exit(model, {exit_at, "", 0.0, "", {}}, &parts, &policy);
  ASSERT_TRUE(st.ok()) << st.to_string();
  m.ops = "DEE";
  m.exit_policy = policy;
  ASSERT_TRUE(write_variant(s.root + "/DEE", parts, m).ok());
  r = verify_variant(s.model_path, s.root + "/DEE", exact(s.data));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->exited_early, 5);
}

TEST(Verify, SegmentationReportsMiou) {
  const auto model = fixtures::tiny_segmenter();
  TempDir tmp;
  const VerifyData s = make_setup(tmp, model, 3);
  std::vector<onnx::ModelProto> parts;
  ASSERT_TRUE(partition(model, {{{"/Relu_0/Relu_output_0"}}}, &parts).ok());
  VariantManifest m;
  m.ops = "P";
  m.task = "segment";
  ASSERT_TRUE(write_variant(s.root + "/P", parts, m).ok());
  auto r = verify_variant(s.model_path, s.root + "/P", exact(s.data));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->task, "segment");
  EXPECT_DOUBLE_EQ(r->miou, 100.0);  // points
  EXPECT_LT(r->top1_agreement, 0.0) << "not a classification metric";
  // An early exit on the segmenter changes the map: mIoU below 1 but defined.
  EarlyExitOptions ee;
  ee.skip_last = 1;
  onnx::ModelProto exited;
  ASSERT_TRUE(early_exit(model, ee, &exited).ok());
  ASSERT_TRUE(write_variant(s.root + "/EE", {exited}, m).ok());
  r = verify_variant(s.model_path, s.root + "/EE", exact(s.data));
  ASSERT_TRUE(r.ok());
  EXPECT_GE(r->miou, 0.0);
  EXPECT_LT(r->miou, 100.0);
}

TEST(Verify, rejects_missing_data_variants_and_mismatched_tensors) {
  const auto model = fixtures::tiny_resnet();
  TempDir tmp;
  const VerifyData s = make_setup(tmp, model, 1);
  VariantManifest m;
  ASSERT_TRUE(write_variant(s.root + "/I", {model}, m).ok());
  auto r = verify_variant(s.model_path, s.root + "/I", exact(s.root + "/nowhere"));
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  fs::create_directories(s.root + "/empty");
  r = verify_variant(s.model_path, s.root + "/I", exact(s.root + "/empty"));
  EXPECT_NE(r.status().message().find("holds no .npy"), std::string::npos);
  r = verify_variant(s.model_path, s.root + "/nothing", exact(s.data));
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  // A tensor of the wrong shape names the model input's expectation.
  fs::create_directories(s.root + "/wrong");
  ASSERT_TRUE(
      save_npy(Tensor::zeros("input", DType::kFloat32, {1, 3, 8, 8}), s.root + "/wrong/a.npy")
          .ok());
  r = verify_variant(s.model_path, s.root + "/I", exact(s.root + "/wrong"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("1x3x8x8"), std::string::npos) << r.status().message();
  // A variant of another model: output names do not match.
  VariantManifest om;
  GraphBuilder b("renamed");
  std::string x = b.input("input", {1, 3, 32, 32});
  b.output(b.relu(x));
  ASSERT_TRUE(write_variant(s.root + "/other", {*b.build()}, om).ok());
  r = verify_variant(s.model_path, s.root + "/other", exact(s.data));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no output named like the reference"), std::string::npos)
      << r.status().message();
}

TEST(Verify, RefusesAManifestWhosePreprocessingIsNotTheModels) {
  // A variant recording the ImageNet default for a model whose sidecar says "no resize, no
  // crop": comparing both sides on the manifest's recipe would hide it.
  const auto model = fixtures::tiny_resnet();
  TempDir tmp;
  const VerifyData s = make_setup(tmp, model, 0);
  std::ofstream(tmp.file("model.json"))
      << R"({"preprocess": {"resize_shorter": 0, "center_crop": false}})";
  for (int i = 0; i < 3; ++i) {
    cv::Mat image(40, 48, CV_8UC3, cv::Scalar(30 * i, 80, 200 - 40 * i));
    ASSERT_TRUE(cv::imwrite(s.data + "/" + std::to_string(i) + ".png", image));
  }
  VariantManifest m;
  m.ops = "I";
  m.preprocess = PreprocessSpec::for_input("input", 32, 32);  // what variants used to write
  ASSERT_TRUE(write_variant(s.root + "/stale", {model}, m).ok());
  auto stale = verify_variant(s.model_path, s.root + "/stale", exact(s.data));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("resize_shorter 37 (reference: 0)"), std::string::npos)
      << stale.status().message();
  EXPECT_NE(stale.status().message().find("center_crop true (reference: false)"),
            std::string::npos)
      << stale.status().message();

  // The recipe model_preprocess resolves (what variants now writes) verifies.
  auto resolved = model_preprocess(s.model_path, model);
  ASSERT_TRUE(resolved.ok() && resolved->has_value());
  m.preprocess = **resolved;
  ASSERT_TRUE(write_variant(s.root + "/I", {model}, m).ok());
  auto ok = verify_variant(s.model_path, s.root + "/I", exact(s.data));
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_TRUE(ok->bit_identical);

  // A flag naming the manifest's recipe makes it the reference's too.
  VerifyOptions flagged = exact(s.data);
  flagged.preprocess = {{"resize_shorter", 37}, {"center_crop", true}};
  EXPECT_TRUE(verify_variant(s.model_path, s.root + "/stale", flagged).ok());
}

}  // namespace
}  // namespace edgetier
