/// JPEG/PNG header parsing (sizes only); written for untrusted bytes.
#include "tier/image_header.h"

namespace edgetier::tier {
namespace {

uint32_t big_endian(std::string_view s, size_t pos, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<uint8_t>(s[pos + i]);
  return v;
}

bool is_start_of_frame(uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

Result<ImageHeader> read_jpeg(std::string_view s) {
  size_t pos = 2;
  while (pos + 4 <= s.size()) {
    if (static_cast<uint8_t>(s[pos]) != 0xFF) {
      return invalid_argument("JPEG: expected a marker at byte " + std::to_string(pos));
    }
    const uint8_t marker = static_cast<uint8_t>(s[pos + 1]);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image / start of scan before a frame
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // markers without a length
      pos += 2;
      continue;
    }
    const uint32_t length = big_endian(s, pos + 2, 2);
    if (length < 2)
      return invalid_argument("JPEG: bad segment length at byte " + std::to_string(pos));
    if (is_start_of_frame(marker)) {
      if (pos + 9 > s.size() || length < 7) return invalid_argument("JPEG: truncated frame header");
      ImageHeader h{"jpeg", big_endian(s, pos + 7, 2), big_endian(s, pos + 5, 2)};
      return h;
    }
    pos += 2 + length;
  }
  return invalid_argument("JPEG: no frame header found (truncated or corrupt image)");
}

Result<ImageHeader> read_png(std::string_view s) {
  // 8-byte signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
  if (s.size() < 24 || s.substr(12, 4) != "IHDR")
    return invalid_argument("PNG: missing IHDR header");
  return ImageHeader{"png", big_endian(s, 16, 4), big_endian(s, 20, 4)};
}

}  // namespace

Result<ImageHeader> read_image_header(std::string_view encoded) {
  if (encoded.size() >= 3 && static_cast<uint8_t>(encoded[0]) == 0xFF &&
      static_cast<uint8_t>(encoded[1]) == 0xD8) {
    return read_jpeg(encoded);
  }
  static constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);
  if (encoded.substr(0, 8) == kPngSignature) return read_png(encoded);
  return invalid_argument("image is neither JPEG nor PNG (" + std::to_string(encoded.size()) +
                          " bytes); send the encoded file's bytes");
}

Status check_image_pixels(const ImageHeader& header, int64_t max_pixels) {
  const std::string size = std::to_string(header.width) + "x" + std::to_string(header.height);
  if (header.width <= 0 || header.height <= 0) {
    return invalid_argument(header.format + " header declares " + size +
                            " pixels; an image needs a width and a height of at least 1");
  }
  if (header.width > max_pixels / header.height) {
    return invalid_argument("image declares " + size + " pixels; the limit is " +
                            std::to_string(max_pixels) + " pixels (serve --max-image-mpixels)");
  }
  return ok_status();
}

}  // namespace edgetier::tier
