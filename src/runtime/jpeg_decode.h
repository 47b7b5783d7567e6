/// A strict JPEG decoder: libjpeg reads every coefficient and any warning it gives (premature
/// end, corrupt data, extraneous bytes) is an error, where decoders fill the rest with grey.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/status.h"

namespace edgetier {

/// A decoded image: `height` rows of `width` pixels, 3 bytes a pixel in blue, green, red order.
struct DecodedImage {
  int width = 0;
  int height = 0;
  std::unique_ptr<uint8_t[]> bgr;
};

/// True when `encoded` starts with a JPEG's start-of-image marker.
bool is_jpeg(std::string_view encoded);

/// Decodes a JPEG at full resolution to BGR with the pixels cv::imdecode(IMREAD_COLOR) gives
/// (OpenCV's libjpeg settings, its CMYK conversion, the EXIF orientation applied as it does).
/// INVALID_ARGUMENT with libjpeg's message and the byte count when the JPEG is truncated or
/// corrupt, or larger than OpenCV decodes (2^20 pixels a side, 2^30 pixels).
Result<DecodedImage> decode_jpeg_strict(std::string_view encoded);

}  // namespace edgetier
