/// Image header parsing on real encodings and on damaged bytes.
#include "tier/image_header.h"

#include <gtest/gtest.h>

#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

TEST(ImageHeader, ReadsJpegAndPngSizes) {
  for (const std::string ext : {".jpg", ".png"}) {
    const std::string encoded = tier_test::encode_test_image(37, 23, ext);
    auto header = read_image_header(encoded);
    ASSERT_TRUE(header.ok()) << ext << ": " << header.status().to_string();
    EXPECT_EQ(header->width, 37) << ext;
    EXPECT_EQ(header->height, 23) << ext;
    EXPECT_EQ(header->format, ext == ".jpg" ? "jpeg" : "png");
  }
}

TEST(ImageHeader, RejectsOtherFormatsAndTruncation) {
  EXPECT_FALSE(read_image_header("").ok());
  EXPECT_FALSE(read_image_header("GIF89a....").ok());
  const std::string jpeg = tier_test::encode_test_image(20, 10, ".jpg");
  EXPECT_FALSE(read_image_header(jpeg.substr(0, 20)).ok());
  const std::string png = tier_test::encode_test_image(20, 10, ".png");
  EXPECT_FALSE(read_image_header(png.substr(0, 16)).ok());
}

TEST(ImageHeader, SurvivesEveryPrefixAndByteFlip) {
  const std::string jpeg = tier_test::encode_test_image(24, 16, ".jpg");
  for (size_t n = 0; n < std::min<size_t>(jpeg.size(), 700); ++n) {
    (void)read_image_header(std::string_view(jpeg).substr(0, n));
    std::string flipped = jpeg;
    flipped[n] = static_cast<char>(flipped[n] ^ 0xff);
    auto header = read_image_header(flipped);
    if (header.ok()) {
      EXPECT_GE(header->width, 0);
      EXPECT_GE(header->height, 0);
    }
  }
}

}  // namespace
}  // namespace edgetier::tier
