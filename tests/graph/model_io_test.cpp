/// Tests for model loading and saving: round trips, external data, truncated and missing files.
#include "graph/model_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

// A model whose first external initializer has the external_data entries `entries` (key, value),
// written beside a 64-byte data file "w.bin"; returns the model's path.
std::string model_with_external(const TempDir& dir,
                                const std::vector<std::pair<std::string, std::string>>& entries) {
  onnx::ModelProto model = fixtures::tiny_resnet();
  onnx::TensorProto* t = model.mutable_graph()->mutable_initializer(0);
  t->clear_raw_data();
  t->clear_float_data();
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : entries) {
    auto* e = t->add_external_data();
    e->set_key(key);
    e->set_value(value);
  }
  fs::create_directories(dir.file("m"));
  write_file(dir.file("m/w.bin"), std::string(64, '\x01'));
  write_file(dir.file("m/m.onnx"), model.SerializeAsString());
  return dir.file("m/m.onnx");
}

// The fuzzer's external-data findings: std::stoll threw on a non-number, offset + length
// overflowed int64, and a location could name any file on the machine.
TEST(ModelIo, RefusesExternalDataOutsideTheFolderOrTheFile) {
  TempDir dir;
  write_file(dir.file("secret.bin"), std::string(64, '\x02'));
  const std::string name = fixtures::tiny_resnet().graph().initializer(0).name();
  const std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>>
      cases = {
          {{{"location", "../secret.bin"}}, "location '../secret.bin' is outside the model's folder"},
          {{{"location", dir.file("secret.bin")}}, "is outside the model's folder"},
          {{{"location", "sub/../../secret.bin"}}, "is outside the model's folder"},
          {{{"location", "w.bin"}, {"offset", "x"}}, "external data offset 'x' is not a non-negative"},
          {{{"location", "w.bin"}, {"offset", "-1"}}, "offset '-1'"},
          {{{"location", "w.bin"}, {"length", "99999999999999999999"}}, "length '99999999999999999999'"},
          {{{"location", "w.bin"}, {"offset", "8"}, {"length", "9223372036854775807"}},
           "wants 9223372036854775807 bytes at offset 8 of 'w.bin' but the file has 64"},
          {{{"location", "w.bin"}, {"offset", "65"}}, "at offset 65 of 'w.bin'"},
          {{{"location", "."}}, "cannot be opened"},
      };
  for (const auto& [entries, want] : cases) {
    auto loaded = load_model(model_with_external(dir, entries));
    ASSERT_FALSE(loaded.ok()) << want;
    EXPECT_NE(loaded.status().message().find("initializer '" + name + "'"), std::string::npos)
        << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(want), std::string::npos) << loaded.status().message();
  }
  // A symbolic link beside the model that points out of the folder is refused too.
  fs::create_symlink(dir.file("secret.bin"), dir.file("m/link.bin"));
  auto linked = load_model(model_with_external(dir, {{"location", "link.bin"}}));
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.status().message().find("outside the model's folder"), std::string::npos)
      << linked.status().message();
  // A location inside the folder with a valid range still loads (the shape check comes later).
  auto inside = load_model(model_with_external(dir, {{"location", "./w.bin"}, {"offset", "8"}, {"length", "16"}}));
  ASSERT_TRUE(inside.ok()) << inside.status().to_string();
  EXPECT_EQ(inside->graph().initializer(0).raw_data().size(), 16u);
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
