/// decode_jpeg_strict with libjpeg(-turbo), decoding as OpenCV's JPEG codec does; setjmp/longjmp
/// is libjpeg's error model, so the function that calls setjmp keeps to C objects and writes its
/// result through a pointer into its caller's frame.
#include "runtime/jpeg_decode.h"

#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <new>
#include <opencv2/core.hpp>
#include <string>

namespace edgetier {
namespace {

// OpenCV's CV_IO_MAX_IMAGE_WIDTH/HEIGHT and CV_IO_MAX_IMAGE_PIXELS: what imdecode refuses.
constexpr int64_t kMaxSidePx = int64_t{1} << 20;
constexpr int64_t kMaxPixels = int64_t{1} << 30;
constexpr int kRowsPerRead = 16;

struct StrictErrors {
  jpeg_error_mgr manager;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<StrictErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning (the data is damaged); levels >= 0 are trace output.
void on_message(j_common_ptr info, int level) {
  if (level < 0) fail(info);
}

/// The TIFF data of an Exif APP1 segment, read with OpenCV's byte order rule (imgcodecs
/// exif.cpp): "II" is little-endian, anything else big-endian; reads past the end fail.
class TiffData {
 public:
  TiffData(const uint8_t* data, size_t size)
      : data_(data),
        size_(size),
        little_(size >= 1 && data[0] == 'I' && (size < 2 || data[1] == 'I')) {}
  size_t size() const { return size_; }
  bool u16(size_t offset, uint32_t* value) const {
    if (offset + 1 >= size_) return false;
    const uint32_t a = data_[offset], b = data_[offset + 1];
    *value = little_ ? a | b << 8 : a << 8 | b;
    return true;
  }
  bool u32(size_t offset, uint32_t* value) const {
    uint32_t first = 0, second = 0;
    if (offset + 3 >= size_ || !u16(offset, &first) || !u16(offset + 2, &second)) return false;
    *value = little_ ? first | second << 16 : first << 16 | second;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  bool little_;
};

bool is_string_tag(uint32_t tag) {
  // ImageDescription, Make, Model, Software, DateTime, Copyright.
  return tag == 0x010E || tag == 0x010F || tag == 0x0110 || tag == 0x0131 || tag == 0x0132 ||
         tag == 0x8298;
}

/// The orientation tag of IFD0 as OpenCV 4.6's ExifReader finds it (1 when there is none). It
/// reads the entries in order and stops at the first it cannot read, keeping what it read before:
/// Orientation counts when its entry comes first. Before it in a TIFF-ordered IFD0 OpenCV reads
/// only strings (ImageDescription, Make, Model), whose bounds it checks as here.
uint32_t exif_orientation(const TiffData& tiff) {
  constexpr uint32_t kOrientationTag = 0x0112, kTiffMark = 0x002A;
  constexpr size_t kEntryBytes = 12;
  uint32_t mark = 0, ifd = 0, entries = 0;
  if (!tiff.u16(2, &mark) || mark != kTiffMark || !tiff.u32(4, &ifd) || !tiff.u16(ifd, &entries)) {
    return 1;
  }
  size_t offset = size_t{ifd} + 2;
  for (uint32_t i = 0; i < entries; ++i, offset += kEntryBytes) {
    uint32_t tag = 0;
    if (!tiff.u16(offset, &tag)) return 1;
    if (tag == kOrientationTag) {
      uint32_t orientation = 1;
      return tiff.u16(offset + 8, &orientation) ? orientation : 1;
    }
    if (is_string_tag(tag)) {
      uint32_t bytes = 0, data_offset = 8;  // OpenCV's offset of a string of <= 4 bytes
      if (!tiff.u32(offset + 4, &bytes)) return 1;
      if (bytes > 4 && !tiff.u32(offset + 8, &data_offset)) return 1;
      if (data_offset > tiff.size() || size_t{data_offset} + bytes > tiff.size()) return 1;
    }
  }
  return 1;
}

/// OpenCV's icvCvt_CMYK2BGR_8u_C4C3R: libjpeg hands Adobe's inverted CMYK through as stored.
void cmyk_to_bgr(const uint8_t* cmyk, uint8_t* bgr, int width) {
  for (int x = 0; x < width; ++x, cmyk += 4, bgr += 3) {
    const int k = cmyk[3];
    bgr[2] = static_cast<uint8_t>(k - ((255 - cmyk[0]) * k >> 8));
    bgr[1] = static_cast<uint8_t>(k - ((255 - cmyk[1]) * k >> 8));
    bgr[0] = static_cast<uint8_t>(k - ((255 - cmyk[2]) * k >> 8));
  }
}

enum class Outcome { kDecoded, kCorrupt, kTooLarge, kOutOfMemory };

/// The libjpeg part. OpenCV's settings: the default DCT method and fancy upsampling, BGR out of
/// libjpeg-turbo's colour converter (grey is expanded there too), CMYK converted per row, and
/// the first APP1 segment's orientation, read before libjpeg frees the saved markers.
Outcome decode_with_libjpeg(std::string_view encoded, DecodedImage* out, uint32_t* orientation,
                            StrictErrors* errors) {
  jpeg_decompress_struct info;
  info.err = jpeg_std_error(&errors->manager);
  errors->manager.error_exit = fail;
  errors->manager.emit_message = on_message;
  errors->message[0] = '\0';
  if (setjmp(errors->jump) != 0) {
    jpeg_destroy_decompress(&info);
    return Outcome::kCorrupt;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(encoded.data()),
               static_cast<unsigned long>(encoded.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&info, TRUE);
  const bool cmyk = info.num_components == 4;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_BGR;
  jpeg_calc_output_dimensions(&info);
  out->width = static_cast<int>(info.output_width);
  out->height = static_cast<int>(info.output_height);
  const int64_t width = out->width, height = out->height;
  if (width > kMaxSidePx || height > kMaxSidePx || width * height > kMaxPixels) {
    jpeg_destroy_decompress(&info);
    return Outcome::kTooLarge;
  }
  *orientation = 1;
  for (jpeg_saved_marker_ptr marker = info.marker_list; marker; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1) continue;
    constexpr size_t kExifHeaderBytes = 6;  // "Exif\0\0" before the TIFF header
    if (marker->data_length > kExifHeaderBytes) {
      *orientation = exif_orientation(
          TiffData(marker->data + kExifHeaderBytes, marker->data_length - kExifHeaderBytes));
    }
    break;
  }
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  out->bgr.reset(new (std::nothrow) uint8_t[row_bytes * static_cast<size_t>(height)]);
  if (!out->bgr) {
    jpeg_destroy_decompress(&info);
    return Outcome::kOutOfMemory;
  }
  jpeg_start_decompress(&info);
  if (cmyk) {
    JSAMPARRAY row = (*info.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&info), JPOOL_IMAGE,
                                               info.output_width * 4, 1);
    while (info.output_scanline < info.output_height) {
      uint8_t* target = out->bgr.get() + row_bytes * info.output_scanline;
      jpeg_read_scanlines(&info, row, 1);
      cmyk_to_bgr(row[0], target, out->width);
    }
  } else {
    JSAMPROW rows[kRowsPerRead];
    while (info.output_scanline < info.output_height) {
      const JDIMENSION first = info.output_scanline;
      const JDIMENSION count = std::min<JDIMENSION>(kRowsPerRead, info.output_height - first);
      for (JDIMENSION i = 0; i < count; ++i) rows[i] = out->bgr.get() + row_bytes * (first + i);
      jpeg_read_scanlines(&info, rows, count);
    }
  }
  jpeg_finish_decompress(&info);  // reads up to EOI: damage after the last row shows here
  jpeg_destroy_decompress(&info);
  return Outcome::kDecoded;
}

/// OpenCV's ExifTransform (imgcodecs loadsave.cpp), with its flips and transpose.
void apply_orientation(uint32_t orientation, DecodedImage* image) {
  cv::Mat pixels(image->height, image->width, CV_8UC3, image->bgr.get());
  switch (orientation) {
    case 2: cv::flip(pixels, pixels, 1); return;
    case 3: cv::flip(pixels, pixels, -1); return;
    case 4: cv::flip(pixels, pixels, 0); return;
    case 5:
    case 6:
    case 7:
    case 8: break;
    default: return;  // 1, and values the tag does not define
  }
  std::unique_ptr<uint8_t[]> turned(new uint8_t[pixels.total() * 3]);
  cv::Mat transposed(image->width, image->height, CV_8UC3, turned.get());
  cv::transpose(pixels, transposed);
  if (orientation == 6) cv::flip(transposed, transposed, 1);
  if (orientation == 7) cv::flip(transposed, transposed, -1);
  if (orientation == 8) cv::flip(transposed, transposed, 0);
  std::swap(image->width, image->height);
  image->bgr = std::move(turned);
}

}  // namespace

bool is_jpeg(std::string_view encoded) {
  return encoded.size() >= 2 && static_cast<uint8_t>(encoded[0]) == 0xFF &&
         static_cast<uint8_t>(encoded[1]) == 0xD8;
}

Result<DecodedImage> decode_jpeg_strict(std::string_view encoded) {
  DecodedImage image;
  uint32_t orientation = 1;
  StrictErrors errors;
  switch (decode_with_libjpeg(encoded, &image, &orientation, &errors)) {
    case Outcome::kDecoded: break;
    case Outcome::kCorrupt:
      return invalid_argument("JPEG is truncated or corrupt (" + std::string(errors.message) +
                              ", " + std::to_string(encoded.size()) +
                              " bytes); send the whole file");
    case Outcome::kTooLarge:
      return invalid_argument("JPEG is " + std::to_string(image.width) + "x" +
                              std::to_string(image.height) + " pixels; the decoder's limit is " +
                              std::to_string(kMaxSidePx) + " pixels a side and " +
                              std::to_string(kMaxPixels) + " pixels");
    case Outcome::kOutOfMemory:
      return resource_exhausted("JPEG of " + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + " pixels: out of memory");
  }
  try {
    apply_orientation(orientation, &image);
  } catch (const std::exception& e) {  // cv::Exception and bad_alloc
    return resource_exhausted(std::string("JPEG orientation: ") + e.what());
  }
  return image;
}

}  // namespace edgetier
