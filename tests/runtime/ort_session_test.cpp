/// Tests for the ONNX Runtime wrapper: runs, input checks and errors turned into Status.
#include "runtime/ort_session.h"

#include <gtest/gtest.h>

#include <random>

#include "graph/fixtures.h"
#include "test_util.h"

namespace edgetier {
namespace {

Tensor random_input(const std::string& name, std::vector<int64_t> shape, uint32_t seed) {
  Tensor t = Tensor::zeros(name, DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  for (size_t i = 0; i < t.num_elements(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

TEST(OrtSession, RunsABuilderModelDeterministically) {
  auto session = OrtSession::from_bytes(fixtures::residual_model().SerializeAsString());
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  ASSERT_EQ((*session)->inputs().size(), 1u);
  EXPECT_EQ((*session)->inputs()[0].shape, (std::vector<int64_t>{1, 3, 16, 16}));
  EXPECT_GT((*session)->load_ns(), 0);
  Tensor in = random_input("input", {1, 3, 16, 16}, 1);
  auto a = (*session)->run({in});
  auto b = (*session)->run({in});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].shape, (std::vector<int64_t>{1, 10}));
  EXPECT_EQ((*a)[0].data, (*b)[0].data);
  EXPECT_GT((*session)->last_run_ns(), 0);
  EXPECT_FALSE(ort_version().empty());
}

TEST(OrtSession, RejectsWrongNameDtypeShapeAndSize) {
  auto session = OrtSession::from_bytes(fixtures::chain_model().SerializeAsString());
  ASSERT_TRUE(session.ok());
  auto wrong_name = (*session)->run({random_input("inptu", {1, 3, 16, 16}, 1)});
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_NE(wrong_name.status().message().find("no input 'inptu'"), std::string::npos);
  Tensor ints = Tensor::zeros("input", DType::kInt64, {1, 3, 16, 16});
  auto wrong_dtype = (*session)->run({ints});
  ASSERT_FALSE(wrong_dtype.ok());
  EXPECT_NE(wrong_dtype.status().message().find("expects float32"), std::string::npos);
  auto wrong_shape = (*session)->run({random_input("input", {1, 3, 8, 8}, 1)});
  ASSERT_FALSE(wrong_shape.ok());
  EXPECT_NE(wrong_shape.status().message().find("1x3x16x16"), std::string::npos);
  Tensor short_data = random_input("input", {1, 3, 16, 16}, 1);
  short_data.data.resize(10);
  EXPECT_FALSE((*session)->run({short_data}).ok());
  EXPECT_FALSE((*session)->run({}).ok());
}

TEST(OrtSession, TurnsLoadFailuresIntoStatus) {
  auto garbage = OrtSession::from_bytes("definitely not onnx", {}, "garbage.onnx");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("garbage.onnx"), std::string::npos);
  auto missing = OrtSession::from_file("/nonexistent/x.onnx");
  ASSERT_FALSE(missing.ok());
  SessionOptions cuda;
  cuda.execution_provider = "cuda";
  auto no_cuda = OrtSession::from_bytes(fixtures::chain_model().SerializeAsString(), cuda);
  if (!no_cuda.ok()) {
    EXPECT_NE(no_cuda.status().message().find("cuda"), std::string::npos);
  }
  SessionOptions bogus;
  bogus.execution_provider = "tpu";
  auto bad_provider = OrtSession::from_bytes(fixtures::chain_model().SerializeAsString(), bogus);
  ASSERT_FALSE(bad_provider.ok());
  EXPECT_NE(bad_provider.status().message().find("'tpu'"), std::string::npos);
}

TEST(OrtSession, ProfilingWritesATrace) {
  TempDir dir;
  SessionOptions options;
  options.enable_profiling = true;
  options.profile_prefix = dir.file("trace");
  auto session = OrtSession::from_bytes(fixtures::chain_model().SerializeAsString(), options);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->run({random_input("input", {1, 3, 16, 16}, 2)}).ok());
  auto path = (*session)->end_profiling();
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  EXPECT_NE(read_file(*path).find("\"cat\""), std::string::npos);
}

}  // namespace
}  // namespace edgetier
