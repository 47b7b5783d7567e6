/// Reads an encoded image's format and size from its header, before anything is decoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace edgetier::tier {

struct ImageHeader {
  std::string format;  // "jpeg" or "png"
  int64_t width = 0;
  int64_t height = 0;
};

/// Parses the JPEG SOF or PNG IHDR header so a tier can refuse an image whose declared size
/// would make the decoder allocate gigabytes. Anything but JPEG/PNG is INVALID_ARGUMENT.
Result<ImageHeader> read_image_header(std::string_view encoded);

/// OK when the header declares a positive size of at most `max_pixels` pixels (checked without
/// overflow); INVALID_ARGUMENT naming both otherwise.
Status check_image_pixels(const ImageHeader& header, int64_t max_pixels);

}  // namespace edgetier::tier
