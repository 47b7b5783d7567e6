/// Tests for streaming histograms, calibration, the data folder reader and calibration tables.
#include "ops/calibrate.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "graph/builder.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/calibration_data.h"
#include "ops/histogram.h"
#include "ops/quant_test_util.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using testing::write_npy_samples;

TEST(TensorHistogram, MinMaxAndCount) {
  TensorHistogram h(256);
  const std::vector<float> v = {-2.0f, 0.5f, 3.0f, 0.0f};
  h.add(v.data(), v.size());
  EXPECT_EQ(h.count(), 4);
  EXPECT_FLOAT_EQ(h.minmax_range().min, -2.0f);
  EXPECT_FLOAT_EQ(h.minmax_range().max, 3.0f);
}

TEST(TensorHistogram, GrowingRangeRebinsExactly) {
  // Small values first then a large one must give the same bins as seeing the large one first.
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> small(5000);
  for (auto& x : small) x = dist(rng);
  const std::vector<float> large = {37.5f};
  TensorHistogram grown(512), direct(512);
  grown.add(small.data(), small.size());
  grown.add(large.data(), large.size());
  direct.add(large.data(), large.size());
  direct.add(small.data(), small.size());
  EXPECT_EQ(grown.limit(), direct.limit());
  EXPECT_EQ(grown.bins(), direct.bins());
  EXPECT_EQ(grown.count(), 5001);
}

TEST(TensorHistogram, MemoryDoesNotGrowWithBatches) {
  TensorHistogram h(2048);
  const size_t before = h.state_bytes();
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  std::vector<float> batch(1000);
  for (int b = 0; b < 500; ++b) {
    for (auto& x : batch) x = dist(rng) * static_cast<float>(1 + b % 7);
    h.add(batch.data(), batch.size());
  }
  EXPECT_EQ(h.state_bytes(), before);
  EXPECT_EQ(h.count(), 500000);
}

TEST(TensorHistogram, PercentileClipsOutliers) {
  std::vector<float> v(100000);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (auto& x : v) x = dist(rng);
  v[17] = 1000.0f;  // one outlier
  TensorHistogram h(4096);
  h.add(v.data(), v.size());
  EXPECT_FLOAT_EQ(h.minmax_range().max, 1000.0f);
  const TensorRange r = h.percentile_range(99.9);
  EXPECT_GE(r.min, 0.0f);  // one-sided data stays one-sided
  EXPECT_GT(r.max, 0.9f);
  EXPECT_LT(r.max, 1.6f);  // one bin of a [0, 1024) histogram is 0.25 wide
}

TEST(TensorHistogram, EntropyThresholdIsBetweenBulkAndMax) {
  std::vector<float> v(200000);
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& x : v) x = dist(rng);
  v[3] = 40.0f;
  v[4] = -35.0f;
  TensorHistogram h(2048);
  h.add(v.data(), v.size());
  const TensorRange r = h.entropy_range(128);
  EXPECT_GT(r.max, 2.0f);   // keeps the bulk of a unit Gaussian
  EXPECT_LT(r.max, 20.0f);  // but not the far outliers
  EXPECT_FLOAT_EQ(r.min, -r.max);
}

TEST(TensorHistogram, IgnoresNonFiniteValues) {
  TensorHistogram h(256);
  const std::vector<float> v = {1.0f, std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::infinity(), -1.0f};
  h.add(v.data(), v.size());
  EXPECT_EQ(h.count(), 2);
  EXPECT_FLOAT_EQ(h.minmax_range().max, 1.0f);
}

TEST(Calibrate, CoversEveryFloatActivationOfTheFoldedModel) {
  const onnx::ModelProto model = fixtures::tiny_resnet();
  const CalibrationTable table = testing::calibrate_random(model, 6);
  EXPECT_EQ(table.samples, 6);
  EXPECT_EQ(table.method, "minmax");
  EXPECT_TRUE(table.find("input"));
  for (const auto& n : model.graph().node()) {
    // BN outputs stay (the folded Conv writes them); Conv outputs that fed a BN are gone.
    if (n.op_type() == "BatchNormalization") {
      EXPECT_TRUE(table.find(n.output(0))) << n.output(0);
      EXPECT_FALSE(table.find(n.input(0))) << n.input(0);
    }
    if (n.op_type() == "Relu") {
      const TensorCalibration* c = table.find(n.output(0));
      ASSERT_TRUE(c) << n.output(0);
      EXPECT_GE(c->range.min, 0.0f);
      EXPECT_GT(c->range.max, 0.0f);
    }
  }
  for (const auto& [name, c] : table.tensors) EXPECT_LE(c.range.min, c.range.max) << name;
}

// A reshape whose target no static inference can compute (Tile by a Max is neither propagated by
// ONNX nor by ONNX Runtime nor folded): its output has no known rank, like the tensors after
// ShuffleNetV2's channel shuffle.
onnx::ModelProto reshape_of_unknown_rank() {
  GraphBuilder b("unknown_rank_reshape");
  const auto x = b.input("input", {1, 3, 8, 8});
  const auto c = b.conv(x, {.out_channels = 8, .kernel = 3});
  const auto one = b.int64_initializer("one", {1}, {1});
  const auto reps = b.node("Max", {one, one})[0];
  b.set_shape(reps, {1}, DType::kInt64);
  const auto target =
      b.node("Tile", {b.int64_initializer("target", {4}, {1, 8, 8, 8}), reps})[0];
  b.set_shape(target, {4}, DType::kInt64);
  const auto shuffled = b.node("Reshape", {c, target})[0];
  b.set_shape(shuffled, {1, 8, 8, 8});
  const auto y = b.relu(b.conv(shuffled, {.out_channels = 4, .kernel = 3}));
  b.output(b.conv(y, {.out_channels = 4, .kernel = 3}));
  auto m = b.build();
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

TEST(Calibrate, LoadsWhenAnActivationHasNoInferredRank) {
  const onnx::ModelProto model = reshape_of_unknown_rank();
  std::string sliced;
  for (const auto& n : model.graph().node())
    if (n.op_type() == "Reshape") sliced = n.output(0);
  auto shapes = infer_shapes(model);
  ASSERT_TRUE(shapes.ok());
  // The condition this test is about: static inference does not know the rank.
  ASSERT_TRUE(!shapes->count(sliced) || shapes->at(sliced).shape == std::vector<int64_t>{-1})
      << shape_to_string(shapes->at(sliced).shape);
  const CalibrationTable table = testing::calibrate_random(model, 3);
  const TensorCalibration* c = table.find(sliced);
  ASSERT_TRUE(c) << sliced;
  EXPECT_LE(c->range.min, c->range.max);
}

TEST(Calibrate, PercentileAndEntropyClipWithinObservedRange) {
  const onnx::ModelProto model = fixtures::chain_model();
  for (auto method : {CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    const CalibrationTable table = testing::calibrate_random(model, 8, method);
    EXPECT_EQ(table.method, calibration_method_name(method));
    for (const auto& [name, c] : table.tensors) {
      EXPECT_GE(c.range.min, c.observed.min) << name;
      EXPECT_LE(c.range.max, c.observed.max) << name;
    }
  }
}

TEST(Calibrate, HonoursSampleLimitInSortedOrder) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 5);
  CalibrationOptions options;
  options.data_dir = dir.path();
  options.max_samples = 3;
  auto table = calibrate(model, options);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(table->samples, 3);
}

TEST(Calibrate, ReadsImagesWithDefaultPreprocessing) {
  const std::string images = std::string(EDGETIER_SHARED_DIR) + "/paper-data/images/imagenet";
  ASSERT_TRUE(fs::exists(images)) << images;
  const onnx::ModelProto model = fixtures::tiny_resnet(32);
  CalibrationOptions options;
  options.data_dir = images;
  auto table = calibrate(model, options);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(table->samples, static_cast<int64_t>(std::distance(fs::directory_iterator(images),
                                                               fs::directory_iterator())));
  // ImageNet-normalised pixels span roughly [-2.1, 2.6].
  const TensorCalibration* in = table->find("input");
  ASSERT_TRUE(in);
  EXPECT_LT(in->observed.min, -1.0f);
  EXPECT_GT(in->observed.max, 1.0f);
}

TEST(Calibrate, RejectsEmptyMissingAndMixedFolders) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  CalibrationOptions options;
  options.data_dir = dir.path();
  std::ofstream(dir.file("notes.txt")) << "not a sample";
  auto empty = calibrate(model, options);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find(dir.path()), std::string::npos)
      << empty.status().message();
  EXPECT_NE(empty.status().message().find("no samples"), std::string::npos)
      << empty.status().message();

  options.data_dir = dir.file("missing");
  EXPECT_EQ(calibrate(model, options).status().code(), StatusCode::kNotFound);

  write_npy_samples(model, dir.path(), 2);
  fs::copy_file(
      std::string(EDGETIER_SHARED_DIR) + "/paper-data/images/imagenet/ILSVRC2012_val_00011015.JPEG",
      dir.file("photo.jpg"));
  options.data_dir = dir.path();
  auto mixed = calibrate(model, options);
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mixed.status().message().find("mixes"), std::string::npos) << mixed.status().message();
}

TEST(Calibrate, RejectsCorruptAndMisshapenSamplesNamingTheFile) {
  const onnx::ModelProto model = fixtures::chain_model();
  TempDir dir;
  write_npy_samples(model, dir.path(), 2);
  std::ofstream(dir.file("002.npy")) << "garbage";
  CalibrationOptions options;
  options.data_dir = dir.path();
  auto corrupt = calibrate(model, options);
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(corrupt.status().message().find("002.npy"), std::string::npos)
      << corrupt.status().message();

  fs::remove(dir.file("002.npy"));
  ASSERT_TRUE(save_npy(testing::random_tensor("input", {1, 3, 8, 8}, 1), dir.file("003.npy")).ok());
  auto misshapen = calibrate(model, options);
  EXPECT_EQ(misshapen.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(misshapen.status().message().find("003.npy"), std::string::npos)
      << misshapen.status().message();
}

TEST(Calibrate, RejectsBadOptions) {
  const onnx::ModelProto model = fixtures::chain_model();
  CalibrationOptions options;
  EXPECT_EQ(calibrate(model, options).status().code(), StatusCode::kInvalidArgument);  // no folder
  options.data_dir = "/tmp";
  options.percentile = 120.0;
  EXPECT_EQ(calibrate(model, options).status().code(), StatusCode::kInvalidArgument);
  auto method = parse_calibration_method("entropi");
  ASSERT_FALSE(method.ok());
  EXPECT_NE(method.status().message().find("'entropy'"), std::string::npos)
      << method.status().message();
}

TEST(CalibrationData, AddsBatchDimension) {
  TempDir dir;
  ASSERT_TRUE(save_npy(testing::random_tensor("x", {3, 16, 16}, 2), dir.file("a.npy")).ok());
  auto reader =
      CalibrationDataReader::open(dir.path(), TensorInfo{"input", DType::kFloat32, {1, 3, 16, 16}});
  ASSERT_TRUE(reader.ok()) << reader.status().to_string();
  auto t = reader->read(0);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->shape, (std::vector<int64_t>{1, 3, 16, 16}));
  EXPECT_EQ(t->name, "input");
}

TEST(CalibrationTable, RoundTripsThroughJson) {
  CalibrationTable table;
  table.method = "percentile";
  table.percentile = 99.9;
  table.samples = 12;
  table.model_graph = "g";
  table.tensors["a"] = {{-1.5f, 2.25f}, {-3.0f, 4.0f}};
  table.tensors["b/c:0"] = {{0.0f, 6.0f}, {0.0f, 6.5f}};
  TempDir dir;
  ASSERT_TRUE(write_calibration_table(table, dir.file("t.json")).ok());
  EXPECT_FALSE(fs::exists(dir.file("t.json.tmp")));
  auto back = read_calibration_table(dir.file("t.json"));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->method, "percentile");
  EXPECT_EQ(back->samples, 12);
  EXPECT_DOUBLE_EQ(back->percentile, 99.9);
  ASSERT_EQ(back->tensors.size(), 2u);
  EXPECT_FLOAT_EQ(back->find("a")->range.min, -1.5f);
  EXPECT_FLOAT_EQ(back->find("b/c:0")->observed.max, 6.5f);
}

TEST(CalibrationTable, RejectsBadTables) {
  TempDir dir;
  std::ofstream(dir.file("bad.json")) << "{ not json";
  EXPECT_EQ(read_calibration_table(dir.file("bad.json")).status().code(),
            StatusCode::kInvalidArgument);
  std::ofstream(dir.file("other.json")) << R"({"tensors": {}})";
  auto other = read_calibration_table(dir.file("other.json"));
  EXPECT_NE(other.status().message().find("edgetier calibrate"), std::string::npos)
      << other.status().message();
  std::ofstream(dir.file("range.json"))
      << R"({"format": "edgetier-calibration", "version": 1, "method": "minmax", "samples": 1,
             "tensors": {"x": {"min": 2.0, "max": 1.0}}})";
  auto range = read_calibration_table(dir.file("range.json"));
  EXPECT_EQ(range.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(range.status().message().find("'x'"), std::string::npos) << range.status().message();
  EXPECT_EQ(read_calibration_table(dir.file("missing.json")).status().code(),
            StatusCode::kNotFound);
}

// Tables that used to throw out of the reader (a "format" that is not a string: j.value() throws)
// or reach undefined conversions (a bound beyond float, a sample count of 1e300).
TEST(CalibrationTable, RefusesWrongTypesAndHugeNumbersAsErrors) {
  const std::string head = R"({"format": "edgetier-calibration", "version": 1, "method": "minmax", )";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"format": 7, "tensors": {}})", "edgetier calibrate"},
      {R"({"format": ["edgetier-calibration"]})", "edgetier calibrate"},
      {head + R"("samples": 1e300, "tensors": {"x": {"min": 0, "max": 1}}})",
       "calibration table: samples: expected a whole number"},
      {head + R"("samples": 1.5, "tensors": {"x": {"min": 0, "max": 1}}})",
       "calibration table: samples: expected a whole number"},
      {head + R"("samples": 1, "tensors": {"x": {"min": -1e300, "max": 1}}})",
       "tensor 'x'.min: -1e+300 is not a finite float"},
      {head + R"("samples": 1, "tensors": {"x": {"min": 0, "max": 1, "observed_max": "a"}}})",
       "tensor 'x'.observed_max: expected a number"},
      {head + R"("samples": 1, "tensors": {"x": [0, 1]}})", "tensor 'x': expected an object"},
      {head + R"("samples": 1, "model_graph": 3, "tensors": {"x": {"min": 0, "max": 1}}})",
       "calibration table: "},
  };
  for (const auto& [text, want] : cases) {
    auto j = nlohmann::json::parse(text);
    auto table = calibration_table_from_json(j);
    ASSERT_FALSE(table.ok()) << text;
    EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(table.status().message().find(want), std::string::npos)
        << text << " -> " << table.status().message();
  }
}

// Peak RSS (KiB) of `edgetier calibrate` as a child process.
long calibrate_peak_kib(const std::string& model, const std::string& data,
                        const std::string& table) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl(EDGETIER_BINARY, EDGETIER_BINARY, "--log-level", "warn", "calibrate", model.c_str(),
          "--data", data.c_str(), "--method", "entropy", "-o", table.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return -1;
  return usage.ru_maxrss;
}

TEST(Calibrate, PeakMemoryDoesNotGrowWithSampleCount) {
  // 196 KiB per sample: keeping 200 samples would add ~38 MiB.
  GraphBuilder b("mem");
  std::string x = b.input("input", {1, 3, 128, 128});
  x = b.relu(b.conv(x, {.out_channels = 8, .stride = 2}));
  x = b.relu(b.conv(x, {.out_channels = 8}));
  b.output(b.gemm(b.flatten(b.global_avg_pool(x)), 10));
  const onnx::ModelProto model = *b.build();
  TempDir dir;
  ASSERT_TRUE(save_model(model, dir.file("m.onnx")).ok());
  write_npy_samples(model, dir.file("few"), 10);
  write_npy_samples(model, dir.file("many"), 200);
  const long few = calibrate_peak_kib(dir.file("m.onnx"), dir.file("few"), dir.file("few.json"));
  const long many = calibrate_peak_kib(dir.file("m.onnx"), dir.file("many"), dir.file("many.json"));
  ASSERT_GT(few, 0);
  ASSERT_GT(many, 0);
  EXPECT_LE(static_cast<double>(many), 1.2 * static_cast<double>(few))
      << few << " KiB vs " << many << " KiB";
  EXPECT_LT(many - few, 16 * 1024) << few << " KiB vs " << many << " KiB";
}

}  // namespace
}  // namespace edgetier
