/// Tests for model loading and saving: round trips, external data, truncated and missing files.
#include "graph/model_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "graph/fixtures.h"
#include "test_util.h"

namespace edgetier {
namespace {
namespace fs = std::filesystem;

TEST(ModelIo, RoundTripsAModel) {
  TempDir dir;
  onnx::ModelProto model = fixtures::residual_model();
  ASSERT_TRUE(save_model(model, dir.file("m.onnx")).ok());
  auto loaded = load_model(dir.file("m.onnx"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->SerializeAsString() == model.SerializeAsString());
  EXPECT_FALSE(fs::exists(dir.file("m.onnx.tmp")));
  EXPECT_EQ(model_opset(*loaded), 17);
}

TEST(ModelIo, WritesAndReadsExternalData) {
  TempDir dir;
  onnx::ModelProto model = fixtures::tiny_resnet();
  SaveOptions options;
  options.external_data_threshold_bytes = 0;  // force external data
  ASSERT_TRUE(save_model(model, dir.file("big.onnx"), options).ok());
  ASSERT_TRUE(fs::exists(dir.file("big.onnx.data")));
  EXPECT_LT(fs::file_size(dir.file("big.onnx")), fs::file_size(dir.file("big.onnx.data")));
  auto loaded = load_model(dir.file("big.onnx"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->SerializeAsString() == model.SerializeAsString());
}

TEST(ModelIo, RejectsMissingExternalDataFile) {
  TempDir dir;
  SaveOptions options;
  options.external_data_threshold_bytes = 0;
  ASSERT_TRUE(save_model(fixtures::tiny_resnet(), dir.file("x.onnx"), options).ok());
  fs::remove(dir.file("x.onnx.data"));
  auto loaded = load_model(dir.file("x.onnx"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("x.onnx.data"), std::string::npos) << loaded.status().message();
}

TEST(ModelIo, RejectsMissingFile) {
  auto loaded = load_model("/nonexistent/model.onnx");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("/nonexistent/model.onnx"), std::string::npos);
}

TEST(ModelIo, RejectsTruncatedAndGarbageFiles) {
  TempDir dir;
  const std::string bytes = fixtures::residual_model().SerializeAsString();
  write_file(dir.file("trunc.onnx"), bytes.substr(0, bytes.size() / 2));
  auto truncated = load_model(dir.file("trunc.onnx"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss);
  write_file(dir.file("garbage.onnx"), "this is not a protobuf at all \x01\x02\x03");
  auto garbage = load_model(dir.file("garbage.onnx"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kDataLoss);
  write_file(dir.file("empty.onnx"), "");
  EXPECT_FALSE(load_model(dir.file("empty.onnx")).ok());
}

}  // namespace
}  // namespace edgetier
