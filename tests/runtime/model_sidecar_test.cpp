/// Tests for the one preprocessing resolution: flag > sidecar > input-size default, the layout
/// and dtype of the input, and --preprocess arguments.
#include "runtime/model_sidecar.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgetier {
namespace {

const TensorInfo kImage{"img", DType::kFloat32, {1, 3, 96, 96}};

TEST(ResolvePreprocess, FlagOverSidecarOverDefault) {
  TempDir dir;
  write_file(dir.file("m.json"),
             R"({"preprocess": {"resize_shorter": 0, "center_crop": false, "mean": [0.5, 0.5, 0.5]}})");
  auto sidecar = load_model_sidecar(dir.file("m.onnx"));
  ASSERT_TRUE(sidecar.ok() && sidecar->has_value()) << sidecar.status().to_string();

  auto plain = resolve_preprocess(kImage, nullptr, nlohmann::json::object(), "m");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->resize_shorter, 110);  // the study's 256/224 of 96
  EXPECT_TRUE(plain->center_crop);
  EXPECT_EQ(plain->input_name, "img");

  auto with_sidecar = resolve_preprocess(kImage, &**sidecar, nlohmann::json::object(), "m");
  ASSERT_TRUE(with_sidecar.ok());
  EXPECT_EQ(with_sidecar->resize_shorter, 0);
  EXPECT_FALSE(with_sidecar->center_crop);
  EXPECT_FLOAT_EQ(with_sidecar->mean[0], 0.5f);
  EXPECT_EQ(with_sidecar->height, 96);

  auto flagged = resolve_preprocess(kImage, &**sidecar, {{"mean", {0.1, 0.2, 0.3}}}, "m");
  ASSERT_TRUE(flagged.ok());
  EXPECT_FLOAT_EQ(flagged->mean[0], 0.1f);
  EXPECT_EQ(flagged->resize_shorter, 0);  // not in the flag: the sidecar's

  auto bad = resolve_preprocess(kImage, &**sidecar, {{"hieght", 3}}, "model 'm'");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("hieght"), std::string::npos);
  EXPECT_NE(bad.status().message().find("model 'm'"), std::string::npos);
}

TEST(ResolvePreprocess, TakesLayoutSizeAndDtypeFromTheInput) {
  auto nhwc = resolve_preprocess(TensorInfo{"x", DType::kUInt8, {1, 64, 48, 3}}, nullptr,
                                 nlohmann::json::object(), "m");
  ASSERT_TRUE(nhwc.ok()) << nhwc.status().to_string();
  EXPECT_EQ(nhwc->layout, "NHWC");
  EXPECT_EQ(nhwc->height, 64);
  EXPECT_EQ(nhwc->width, 48);
  EXPECT_EQ(nhwc->dtype, DType::kUInt8);
  auto dynamic = resolve_preprocess(TensorInfo{"x", DType::kFloat32, {-1, 3, -1, -1}}, nullptr,
                                    nlohmann::json::object(), "m");
  ASSERT_TRUE(dynamic.ok());
  EXPECT_EQ(dynamic->height, 224);
}

TEST(ReadPreprocessArg, InlineOrFileWithEveryKeyChecked) {
  TempDir dir;
  auto keys = read_preprocess_arg(R"({"height": 64, "width": 48, "resize_shorter": 0})");
  ASSERT_TRUE(keys.ok()) << keys.status().to_string();
  EXPECT_EQ(keys->size(), 3u);  // only what was given: the rest comes from below
  EXPECT_EQ((*keys)["height"], 64);
  write_file(dir.file("p.json"), R"({"bgr": true})");
  auto from_file = read_preprocess_arg(dir.file("p.json"));
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ((*from_file)["bgr"], true);
  EXPECT_FALSE(read_preprocess_arg(R"({"hieght": 64})").ok());
  EXPECT_EQ(read_preprocess_arg(dir.file("missing.json")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgetier
