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

}  // namespace
}  // namespace edgetier
