/// Tests for the strict JPEG decoder: the pixels of cv::imdecode(IMREAD_COLOR) on photos, grey,
/// CMYK and every EXIF orientation, and truncated or corrupt JPEGs refused.
#include "runtime/jpeg_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <jpeglib.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "core/files.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

cv::Mat imdecode_color(const std::string& encoded) {
  const cv::Mat buffer(1, static_cast<int>(encoded.size()), CV_8UC1,
                       const_cast<char*>(encoded.data()));
  return cv::imdecode(buffer, cv::IMREAD_COLOR);
}

void expect_as_imdecode(const std::string& jpeg, const std::string& what) {
  const cv::Mat want = imdecode_color(jpeg);
  ASSERT_FALSE(want.empty()) << what;
  auto got = decode_jpeg_strict(jpeg);
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().to_string();
  ASSERT_EQ(got->width, want.cols) << what;
  ASSERT_EQ(got->height, want.rows) << what;
  const cv::Mat mine(got->height, got->width, CV_8UC3, got->bgr.get());
  EXPECT_EQ(cv::norm(mine, want, cv::NORM_INF), 0.0) << what << ": pixels differ from imdecode";
}

// Gradients, noise and a disc: chroma and luma detail, so a wrong upsampling or DCT shows.
cv::Mat photo(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(7);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uchar>(x * 255 / width), static_cast<uchar>(y * 255 / height),
                    static_cast<uchar>(rng.uniform(0, 256)));
    }
  }
  cv::circle(image, {width / 3, height / 2}, height / 3, {20, 200, 90}, -1);
  return image;
}

std::string encode(const cv::Mat& image, const std::vector<int>& params = {}) {
  std::vector<uchar> bytes;
  EXPECT_TRUE(cv::imencode(".jpg", image, bytes, params));
  return std::string(bytes.begin(), bytes.end());
}

// TIFF data in either byte order: an IFD0 of 12-byte entries at offset 8, then `tail`.
struct Entry {
  uint16_t tag, type;
  uint32_t count, value;  // a SHORT value sits in the first two bytes of the field
};
std::string tiff(bool little, const std::vector<Entry>& entries, const std::string& tail = "") {
  std::string out;
  auto u16 = [&](uint32_t v) {
    out += static_cast<char>(little ? v & 0xff : v >> 8 & 0xff);
    out += static_cast<char>(little ? v >> 8 & 0xff : v & 0xff);
  };
  auto u32 = [&](uint32_t v) {
    little ? (u16(v & 0xffff), u16(v >> 16)) : (u16(v >> 16), u16(v & 0xffff));
  };
  out += little ? "II" : "MM";
  u16(0x002A);
  u32(8);
  u16(static_cast<uint32_t>(entries.size()));
  for (const Entry& e : entries) {
    u16(e.tag), u16(e.type), u32(e.count);
    if (e.type == 3) {
      u16(e.value), u16(0);
    } else {
      u32(e.value);
    }
  }
  u32(0);  // no next IFD
  return out + tail;
}

// `jpeg` with an APP1 segment of `payload` right after its start-of-image marker.
std::string with_app1(const std::string& jpeg, const std::string& payload) {
  const size_t length = payload.size() + 2;
  std::string segment = "\xFF\xE1";
  segment += static_cast<char>(length >> 8);
  segment += static_cast<char>(length & 0xff);
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

std::string exif(const std::string& tiff_data) { return std::string("Exif\0\0", 6) + tiff_data; }

// A 4-component JPEG in `space` (CMYK or YCCK) written with libjpeg: cv::imencode writes none.
std::string four_component_jpeg(int width, int height, J_COLOR_SPACE space) {
  jpeg_compress_struct info;
  jpeg_error_mgr errors;
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &out, &size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 4;
  info.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&info);
  jpeg_set_colorspace(&info, space);
  jpeg_set_quality(&info, 90, TRUE);
  jpeg_start_compress(&info, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(width) * 4);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &row[static_cast<size_t>(x) * 4];
      p[0] = static_cast<uint8_t>(x * 255 / width), p[1] = static_cast<uint8_t>(y * 255 / height);
      p[2] = static_cast<uint8_t>((x * y) % 256), p[3] = static_cast<uint8_t>(128 + (x % 64));
    }
    JSAMPROW pointer = row.data();
    jpeg_write_scanlines(&info, &pointer, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::string bytes(reinterpret_cast<const char*>(out), size);
  std::free(out);
  return bytes;
}

TEST(DecodeJpegStrict, EveryPaperImageHasImdecodesPixels) {
  const fs::path root = fs::path(EDGETIER_SHARED_DIR) / "paper-data" / "images";
  int decoded = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::string ext = entry.path().extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".jpg" && ext != ".jpeg") continue;
    auto bytes = read_file_bytes(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    expect_as_imdecode(*bytes, entry.path().filename().string());
    ++decoded;
  }
  EXPECT_GE(decoded, 16) << "JPEGs under " << root;
}

TEST(DecodeJpegStrict, EncodingsHaveImdecodesPixels) {
  const cv::Mat image = photo(67, 45);  // not a multiple of the 8/16-pixel blocks
  expect_as_imdecode(encode(image), "baseline 4:2:0");
  expect_as_imdecode(encode(image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), "progressive");
  // Different luma and chroma quality make OpenCV write 4:4:4.
  expect_as_imdecode(
      encode(image, {cv::IMWRITE_JPEG_LUMA_QUALITY, 90, cv::IMWRITE_JPEG_CHROMA_QUALITY, 70}),
      "4:4:4");
  expect_as_imdecode(encode(image, {cv::IMWRITE_JPEG_RST_INTERVAL, 2}), "restart markers");
  cv::Mat grey;
  cv::extractChannel(image, grey, 1);
  const std::string grey_jpeg = encode(grey);
  expect_as_imdecode(grey_jpeg, "grayscale");
  auto decoded = decode_jpeg_strict(grey_jpeg);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->bgr[0], decoded->bgr[1]);  // grey comes out as three equal channels
  expect_as_imdecode(four_component_jpeg(41, 29, JCS_CMYK), "CMYK");
  expect_as_imdecode(four_component_jpeg(41, 29, JCS_YCCK), "YCCK");
}

TEST(DecodeJpegStrict, EveryExifOrientationIsAppliedAsImdecodeDoes) {
  const std::string plain = encode(photo(48, 30));
  for (bool little : {true, false}) {
    for (uint32_t orientation = 1; orientation <= 8; ++orientation) {
      const std::string what =
          std::string(little ? "II" : "MM") + " orientation " + std::to_string(orientation);
      const std::string jpeg = with_app1(plain, exif(tiff(little, {{0x0112, 3, 1, orientation}})));
      expect_as_imdecode(jpeg, what);
      auto decoded = decode_jpeg_strict(jpeg);
      ASSERT_TRUE(decoded.ok()) << what;
      EXPECT_EQ(decoded->width, orientation >= 5 ? 30 : 48) << what;
    }
  }
}

TEST(DecodeJpegStrict, OddExifSegmentsAreReadAsImdecodeReadsThem) {
  const std::string plain = encode(photo(48, 30));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"orientation after a Make string inside the segment",
       exif(tiff(true, {{0x010F, 2, 6, 26}, {0x0112, 3, 1, 6}}, "Canon\0"))},
      {"orientation after a Make string past the segment's end",
       exif(tiff(true, {{0x010F, 2, 60, 26}, {0x0112, 3, 1, 6}}))},
      {"orientation after unknown tags",
       exif(tiff(false, {{0x0100, 4, 1, 48}, {0x0112, 3, 1, 8}}))},
      {"orientation 9", exif(tiff(true, {{0x0112, 3, 1, 9}}))},
      {"orientation 0", exif(tiff(true, {{0x0112, 3, 1, 0}}))},
      {"entry count past the end", exif(tiff(true, {{0x0112, 3, 1, 6}}).substr(0, 12))},
      {"IFD offset past the end", exif(std::string("II*\0\xFF\0\0\0", 8))},
      {"no TIFF mark", exif(std::string("II+\0\x08\0\0\0", 8) + std::string(20, '\0'))},
      {"XMP, not Exif", "http://ns.adobe.com/xap/1.0/" + std::string(1, '\0') + "<x:xmpmeta/>"},
      {"header only", std::string("Exif\0\0", 6)},
  };
  for (const auto& [what, payload] : cases) expect_as_imdecode(with_app1(plain, payload), what);
  // Only the first APP1 segment counts.
  expect_as_imdecode(with_app1(with_app1(plain, exif(tiff(true, {{0x0112, 3, 1, 3}}))), "XMP"),
                     "XMP before Exif");
}

TEST(DecodeJpegStrict, TruncatedAndCorruptJpegsAreRefused) {
  const std::string jpeg = encode(photo(160, 120), {cv::IMWRITE_JPEG_QUALITY, 90});
  ASSERT_TRUE(decode_jpeg_strict(jpeg).ok());
  for (int percent = 10; percent <= 95; percent += 5) {
    const std::string cut = jpeg.substr(0, jpeg.size() * static_cast<size_t>(percent) / 100);
    auto result = decode_jpeg_strict(cut);
    ASSERT_FALSE(result.ok()) << percent << "% was decoded";
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr("truncated or corrupt")) << percent << "%";
    EXPECT_THAT(result.status().message(), HasSubstr(std::to_string(cut.size()) + " bytes"));
    EXPECT_THAT(result.status().message(), HasSubstr("send the whole file"));
  }
  std::string corrupt = jpeg;  // an end-of-image marker in the entropy-coded data
  corrupt[corrupt.size() * 6 / 10] = static_cast<char>(0xff);
  corrupt[corrupt.size() * 6 / 10 + 1] = static_cast<char>(0xd9);
  auto result = decode_jpeg_strict(corrupt);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("Corrupt JPEG data"));
  EXPECT_FALSE(decode_jpeg_strict(jpeg.substr(0, 2)).ok());
}

// The CLI, the runner and calibration read images through load_image_tensor: as strict as a tier.
TEST(DecodeJpegStrict, PreprocessingRefusesATruncatedJpegNamingTheFile) {
  TempDir dir;
  const std::string jpeg = encode(photo(160, 120));
  write_file(dir.file("cut.jpg"), jpeg.substr(0, jpeg.size() / 2));
  const PreprocessSpec spec = PreprocessSpec::for_input("input", 32, 32);
  auto tensor = load_image_tensor(dir.file("cut.jpg"), spec);
  ASSERT_FALSE(tensor.ok());
  EXPECT_EQ(tensor.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(tensor.status().message(), HasSubstr(dir.file("cut.jpg")));
  EXPECT_THAT(tensor.status().message(), HasSubstr("truncated or corrupt"));
  write_file(dir.file("whole.jpg"), jpeg);
  EXPECT_TRUE(load_image_tensor(dir.file("whole.jpg"), spec).ok());
}

TEST(IsJpeg, LooksAtTheStartOfImageMarker) {
  EXPECT_TRUE(is_jpeg(std::string("\xFF\xD8\xFF\xE0", 4)));
  EXPECT_FALSE(is_jpeg("\x89PNG\r\n\x1a\n"));
  EXPECT_FALSE(is_jpeg(std::string("\xFF", 1)));
  EXPECT_FALSE(is_jpeg(""));
}

}  // namespace
}  // namespace edgetier
