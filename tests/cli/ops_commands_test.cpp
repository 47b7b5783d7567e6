/// End-to-end tests of the operator subcommands through the edgetier binary: outputs on success,
/// one-line errors and no partial output on failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/manifest.h"
#include "ops/ops_test_util.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

class OpsCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    model_ = dir_ + "/tiny.onnx";
    ASSERT_TRUE(save_model(fixtures::tiny_resnet(), model_).ok());
  }
  TempDir tmp_;
  std::string dir_, model_;
};

TEST_F(OpsCommands, PartitionWritesPartsAndManifest) {
  const CommandResult r =
      run_edgetier("partition " + model_ + " --cut /Relu_4/Relu_output_0 -o " + dir_ + "/p --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ops"], "P");
  EXPECT_EQ(j["parts"].size(), 2u);
  EXPECT_TRUE(fs::exists(dir_ + "/p/part0.onnx"));
  EXPECT_TRUE(fs::exists(dir_ + "/p/part1.onnx"));
  auto m = read_manifest(dir_ + "/p");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->cuts[0].tensors[0].name, "/Relu_4/Relu_output_0");
}

TEST_F(OpsCommands, PartitionErrorsAreOneLineAndLeaveNothing) {
  CommandResult r =
      run_edgetier("partition " + model_ + " --cut /Relu_4/Relu_outpt_0 -o " + dir_ + "/p");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nearest: '/Relu_4/Relu_output_0'"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/p"));
  // A cut inside a residual block is bypassed by the identity path.
  r = run_edgetier("partition " + model_ + " --cut /Conv_2/Conv_output_0 -o " + dir_ + "/p");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not separate"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/p"));
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path().filename(), "tiny.onnx");
}

TEST_F(OpsCommands, EarlyExitStaticAndDynamic) {
  CommandResult r =
      run_edgetier("early-exit " + model_ + " --skip-last 1 -o " + dir_ + "/ee.onnx --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["removed_nodes"].size(), 7u);
  EXPECT_TRUE(load_model(dir_ + "/ee.onnx").ok());
  r = run_edgetier("early-exit " + model_ +
                   " --skip /Relu_0/Relu_output_0:/Gemm_0/Gemm_output_0 -o " + dir_ + "/bad.onnx");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the shapes differ"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/bad.onnx"));
  r = run_edgetier("early-exit " + model_ + " --skip-last 1 --dynamic -o " + dir_ + "/x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("at most one of"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/x"));
}

TEST_F(OpsCommands, VariantsCalibratesOnSyntheticImagesWithoutCalibrationData) {
  CommandResult r = run_edgetier("variants " + model_ + " --ops I,QE -o " + dir_ + "/q --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("synthetic images"), std::string::npos) << r.err;
  const auto q = nlohmann::json::parse(r.out);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_TRUE(q[1]["built"].get<bool>()) << q.dump();
  EXPECT_TRUE(fs::exists(dir_ + "/q/QE/manifest.json"));
  r = run_edgetier("variants " + model_ +
                   " --ops I,EE,P,EEP --skip-last 1 --cut auto --max-lower-flops 0.5 -o " + dir_ +
                   "/v --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[3]["ops"], "EEP");
  EXPECT_EQ(j[3]["parts"], 2);
}

TEST_F(OpsCommands, ProfileFeedsTheLatencyObjectiveAndVerifyChecksTheResult) {
  CommandResult r =
      run_edgetier("profile " + model_ + " --runs 2 --warmup 1 -o " + dir_ + "/prof.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_edgetier("partition " + model_ + " --cut auto --objective latency --profile " + dir_ +
                   "/prof.json --bandwidth-mbit 100 --lower-scale 4 -o " + dir_ + "/p --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["auto_cut"]["ranked"][0]["predicted_ms"].get<double>(),
            0.0);
  fs::create_directories(dir_ + "/data");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(save_npy(random_inputs(fixtures::tiny_resnet(), i)[0],
                         dir_ + "/data/" + std::to_string(i) + ".npy")
                    .ok());
  }
  r = run_edgetier("verify " + model_ + " " + dir_ + "/p --data " + dir_ +
                   "/data --graph-opt disabled --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["samples"], 3);
  EXPECT_EQ(j["bit_identical"], true);
  EXPECT_EQ(j["top1_agreement"], 100.0);  // points
}

}  // namespace
}  // namespace edgetier
