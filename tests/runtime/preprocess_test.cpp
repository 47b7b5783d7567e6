/// Tests for preprocessing and .npy reading on untrusted input: sizes, numbers and headers.
#include "runtime/preprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_util.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;

// A .npy file: magic, version 1.0, little-endian header length, header, data.
std::string npy_bytes(const std::string& header, const std::string& data = "") {
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

TEST(LoadNpy, ReadsWhatSaveNpyWrites) {
  TempDir dir;
  Tensor t = Tensor::zeros("x", DType::kFloat32, {2, 3});
  t.data_as<float>()[4] = 1.5f;
  ASSERT_TRUE(save_npy(t, dir.file("x.npy")).ok());
  auto back = load_npy(dir.file("x.npy"), "x");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back->data, t.data);
}

// Headers the fuzzer found: std::stoll threw out of the reader on a dimension that is not a
// number or does not fit int64; a missing quote or tuple read past the header.
TEST(LoadNpy, BadHeadersAreErrorsNamingTheFile) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "dimension 'x'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
       "dimension '99999999999999999999'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "dimension '-2'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "needs 24 bytes, got 0"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", "no shape tuple"},
      {"{'descr': '<f4', 'fortran_order': False, }", "no shape tuple"},
      {"{'descr': '<f4", "descr is not a quoted string"},
  };
  for (const auto& [header, want] : cases) {
    write_file(dir.file("bad.npy"), npy_bytes(header));
    auto t = load_npy(dir.file("bad.npy"), "x");
    ASSERT_FALSE(t.ok()) << header;
    EXPECT_THAT(t.status().message(), HasSubstr(dir.file("bad.npy"))) << header;
    EXPECT_THAT(t.status().message(), HasSubstr(want)) << header;
  }
}

// Sidecar numbers beyond int64 reached get<int64_t>() (undefined float -> int conversion), and
// sizes past the cap made OpenCV allocate gigabytes.
TEST(PreprocessFromJson, RefusesHugeFractionalAndOversizedSizes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"height": 1e300})", "preprocess: height: expected a whole number, got 1e+300"},
      {R"({"width": 2.5})", "preprocess: width: expected a whole number, got 2.5"},
      {R"({"resize_shorter": -1e19})", "preprocess: resize_shorter: expected a whole number"},
      {R"({"height": 8193})", "must be at most 8192 pixels"},
      {R"({"resize_shorter": 100000})", "must be at most 8192 pixels"},
  };
  for (const auto& [text, want] : cases) {
    auto spec = preprocess_from_json(nlohmann::json::parse(text));
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_THAT(spec.status().message(), HasSubstr(want)) << text;
  }
  auto ok = preprocess_from_json(nlohmann::json::parse(R"({"height": 8192.0, "width": 16})"));
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->height, 8192);
}

TEST(DecodeAndPreprocess, RefusesAResizeBeyondTheSideLimit) {
  // A 1x64 strip whose shorter side goes to 256 would be 16384 pixels long.
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", cv::Mat(1, 64, CV_8UC3, cv::Scalar(10, 20, 30)), png));
  PreprocessSpec spec;
  auto t = decode_and_preprocess(std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), spec);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("64x1 image"));
  EXPECT_THAT(t.status().message(), HasSubstr("longer side 16384 pixels, over the limit of 8192"));
  spec.resize_shorter = 0;
  EXPECT_TRUE(decode_and_preprocess(std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), spec).ok());
}

// The geometry must say where the pixels really went: a white square drawn on a grey image is
// found in the preprocessed tensor where image_to_input maps its corners, for every resize rule.
struct GeometryCase {
  const char* name;
  int image_width, image_height;
  nlohmann::json spec;
};

TEST(ImageToInput, MapsPixelsWhereThePreprocessingPutsThem) {
  const std::vector<GeometryCase> cases = {
      {"letterbox wide", 200, 100, {{"height", 64}, {"width", 64}, {"letterbox", true}}},
      {"letterbox tall", 90, 180, {{"height", 64}, {"width", 96}, {"letterbox", true}}},
      {"resize and centre crop", 160, 120, {{"height", 64}, {"width", 64}, {"resize_shorter", 80}}},
      {"fixed resize", 150, 100, {{"height", 60}, {"width", 50}, {"resize_shorter", 0}}},
      {"shorter side smaller than the crop: stretched", 100, 100,
       {{"height", 64}, {"width", 64}, {"resize_shorter", 48}}},
  };
  for (const GeometryCase& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json keys = c.spec;
    keys["mean"] = {0, 0, 0};
    keys["std"] = {1, 1, 1};
    auto spec = preprocess_from_json(keys);
    ASSERT_TRUE(spec.ok()) << spec.status().to_string();
    cv::Mat image(c.image_height, c.image_width, CV_8UC3, cv::Scalar(60, 60, 60));
    const int x0 = c.image_width * 3 / 8, y0 = c.image_height * 3 / 8;
    const int x1 = c.image_width * 5 / 8, y1 = c.image_height * 5 / 8;  // exclusive
    image(cv::Rect(x0, y0, x1 - x0, y1 - y0)).setTo(cv::Scalar(255, 255, 255));
    std::vector<uint8_t> png;
    ASSERT_TRUE(cv::imencode(".png", image, png));
    ImageToInput g;
    auto t = decode_and_preprocess(
        std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), *spec, &g);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    EXPECT_EQ(g.image_width, c.image_width);
    EXPECT_EQ(g.image_height, c.image_height);
    // The bright region of channel 0 in the tensor.
    const int64_t H = spec->height, W = spec->width;
    int64_t min_x = W, min_y = H, max_x = -1, max_y = -1;
    for (int64_t y = 0; y < H; ++y) {
      for (int64_t x = 0; x < W; ++x) {
        if (t->data_as<float>()[y * W + x] > 0.7f) {
          min_x = std::min(min_x, x), max_x = std::max(max_x, x);
          min_y = std::min(min_y, y), max_y = std::max(max_y, y);
        }
      }
    }
    ASSERT_GE(max_x, 0) << "the square was not found";
    // Pixel edges: the square spans [x0, x1) in the image, [x0 * s + o, x1 * s + o) in the input;
    // interpolation blurs each edge by at most a pixel.
    EXPECT_NEAR(min_x, x0 * g.scale_x + g.offset_x, 1.01);
    EXPECT_NEAR(max_x + 1, x1 * g.scale_x + g.offset_x, 1.01);
    EXPECT_NEAR(min_y, y0 * g.scale_y + g.offset_y, 1.01);
    EXPECT_NEAR(max_y + 1, y1 * g.scale_y + g.offset_y, 1.01);
    // And back.
    EXPECT_NEAR(g.to_image_x(x0 * g.scale_x + g.offset_x), x0, 1e-9);
    EXPECT_NEAR(g.to_image_y(y1 * g.scale_y + g.offset_y), y1, 1e-9);
  }
}

TEST(ImageToInput, LetterboxPadsWithGreyAndKeepsTheAspectRatio) {
  auto spec = preprocess_from_json({{"height", 64}, {"width", 64}, {"letterbox", true},
                                    {"mean", {0, 0, 0}}, {"std", {1, 1, 1}}});
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  auto g = image_to_input(*spec, 200, 100);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_DOUBLE_EQ(g->scale_x, 64.0 / 200);
  EXPECT_DOUBLE_EQ(g->scale_y, 32.0 / 100);
  EXPECT_DOUBLE_EQ(g->offset_x, 0);
  EXPECT_DOUBLE_EQ(g->offset_y, 16);
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", cv::Mat(100, 200, CV_8UC3, cv::Scalar(0, 0, 0)), png));
  auto t = decode_and_preprocess(
      std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), *spec);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->data_as<float>()[0], 114.0f / 255.0f, 1e-6);         // padding row 0
  EXPECT_NEAR(t->data_as<float>()[32 * 64 + 10], 0.0f, 1e-6);        // image
  EXPECT_EQ(preprocess_to_json(*spec).value("letterbox", false), true);
  // Unset, the key is not written: manifests of models without it stay as they were.
  EXPECT_FALSE(preprocess_to_json(PreprocessSpec{}).contains("letterbox"));
}

TEST(ImageToInput, RefusesImpossibleImageSizes) {
  for (auto [w, h] : std::vector<std::pair<int64_t, int64_t>>{{0, 10}, {10, -1}, {int64_t{1} << 40, 1}}) {
    auto g = image_to_input(PreprocessSpec{}, w, h);
    ASSERT_FALSE(g.ok());
    EXPECT_THAT(g.status().message(), HasSubstr("is not between 1 and"));
  }
}

}  // namespace
}  // namespace edgetier
