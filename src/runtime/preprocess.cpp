/// Image preprocessing with OpenCV (JPEGs through the strict decoder), plus .npy tensor files.
#include "runtime/preprocess.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>

#include "core/files.h"
#include "core/json_reader.h"
#include "core/strings.h"
#include "runtime/jpeg_decode.h"

namespace edgetier {

PreprocessSpec PreprocessSpec::for_input(const std::string& name, int64_t height, int64_t width) {
  PreprocessSpec spec;
  spec.input_name = name;
  spec.height = height;
  spec.width = width;
  spec.resize_shorter = static_cast<int64_t>(std::lround(static_cast<double>(std::min(height, width)) * 256.0 / 224.0));
  return spec;
}

Status PreprocessSpec::validate() const {
  if (height <= 0 || width <= 0) {
    return invalid_argument("preprocess: height and width must be positive, got " + std::to_string(height) + "x" +
                            std::to_string(width));
  }
  if (resize_shorter < 0) return invalid_argument("preprocess: resize_shorter must be >= 0");
  if (height > kMaxPreprocessSide || width > kMaxPreprocessSide || resize_shorter > kMaxPreprocessSide) {
    return invalid_argument("preprocess: height " + std::to_string(height) + ", width " + std::to_string(width) +
                            " and resize_shorter " + std::to_string(resize_shorter) + " must be at most " +
                            std::to_string(kMaxPreprocessSide) + " pixels");
  }
  if (layout != "NCHW" && layout != "NHWC") {
    return invalid_argument("preprocess: layout '" + layout + "' is not NCHW or NHWC");
  }
  for (float s : std) {
    if (s <= 0.0f) return invalid_argument("preprocess: every std value must be positive");
  }
  if (dtype != DType::kFloat32 && dtype != DType::kUInt8) {
    return invalid_argument("preprocess: dtype must be float32 or uint8");
  }
  return ok_status();
}

nlohmann::json preprocess_to_json(const PreprocessSpec& s) {
  nlohmann::json j = {{"input_name", s.input_name}, {"height", s.height}, {"width", s.width},
                      {"resize_shorter", s.resize_shorter}, {"center_crop", s.center_crop},
                      {"mean", s.mean}, {"std", s.std}, {"layout", s.layout}, {"bgr", s.bgr},
                      {"dtype", std::string(dtype_name(s.dtype))}};
  // Written only when set, so the manifests and spec hashes of models without it stay as they were.
  if (s.letterbox) j["letterbox"] = true;
  return j;
}

Result<PreprocessSpec> preprocess_from_json(const nlohmann::json& j) {
  static const std::set<std::string> kKeys = {"input_name", "height", "width", "resize_shorter", "center_crop",
                                              "letterbox", "mean", "std", "layout", "bgr", "dtype"};
  if (!j.is_object()) return invalid_argument("preprocess: expected an object");
  PreprocessSpec s;
  try {
    for (const auto& [key, value] : j.items()) {
      if (!kKeys.count(key)) return invalid_argument("preprocess: unknown key '" + key + "'");
    }
    if (j.contains("input_name")) s.input_name = j.at("input_name").get<std::string>();
    if (j.contains("height")) {
      ASSIGN_OR_RETURN(s.height, json_whole_number(j.at("height"), "preprocess: height"));
    }
    if (j.contains("width")) {
      ASSIGN_OR_RETURN(s.width, json_whole_number(j.at("width"), "preprocess: width"));
    }
    if (j.contains("resize_shorter")) {
      ASSIGN_OR_RETURN(s.resize_shorter, json_whole_number(j.at("resize_shorter"), "preprocess: resize_shorter"));
    }
    if (j.contains("center_crop")) s.center_crop = j.at("center_crop").get<bool>();
    if (j.contains("letterbox")) s.letterbox = j.at("letterbox").get<bool>();
    if (j.contains("mean")) s.mean = j.at("mean").get<std::array<float, 3>>();
    if (j.contains("std")) s.std = j.at("std").get<std::array<float, 3>>();
    if (j.contains("layout")) s.layout = j.at("layout").get<std::string>();
    if (j.contains("bgr")) s.bgr = j.at("bgr").get<bool>();
    if (j.contains("dtype")) {
      ASSIGN_OR_RETURN(s.dtype, dtype_from_name(j.at("dtype").get<std::string>()));
    }
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(std::string("preprocess: ") + e.what());
  }
  RETURN_IF_ERROR(s.validate());
  return s;
}

namespace {

/// How an image becomes height x width: one resize, then a centre crop, a second resize (a
/// resized image smaller than the crop is stretched) or letterbox padding. Both the pixels and
/// the geometry follow it, so boxes map back exactly.
struct ResizePlan {
  int resized_width = 0, resized_height = 0;
  enum class Then { kNothing, kCrop, kStretch, kPad } then = Then::kNothing;
  int left = 0, top = 0;  // kCrop: the crop's corner in the resized image; kPad: the padding
};

Result<ResizePlan> plan_resize(const PreprocessSpec& spec, int w, int h) {
  ResizePlan plan;
  const int W = static_cast<int>(spec.width), H = static_cast<int>(spec.height);
  if (spec.letterbox) {
    const double r = std::min(static_cast<double>(W) / w, static_cast<double>(H) / h);
    plan.resized_width = std::clamp(static_cast<int>(std::lround(w * r)), 1, W);
    plan.resized_height = std::clamp(static_cast<int>(std::lround(h * r)), 1, H);
    plan.then = ResizePlan::Then::kPad;
    plan.left = (W - plan.resized_width) / 2;
    plan.top = (H - plan.resized_height) / 2;
    return plan;
  }
  if (spec.resize_shorter == 0) {
    plan.resized_width = W, plan.resized_height = H;
    return plan;
  }
  const double scale = static_cast<double>(spec.resize_shorter) / std::min(h, w);
  const double longer = std::max(h, w) * scale;
  if (longer > static_cast<double>(kMaxPreprocessSide)) {
    return invalid_argument("preprocessing a " + std::to_string(w) + "x" + std::to_string(h) +
                            " image: resizing its shorter side to " + std::to_string(spec.resize_shorter) +
                            " would make the longer side " + std::to_string(std::lround(longer)) +
                            " pixels, over the limit of " + std::to_string(kMaxPreprocessSide));
  }
  plan.resized_height = std::max(1, static_cast<int>(std::lround(h * scale)));
  plan.resized_width = std::max(1, static_cast<int>(std::lround(w * scale)));
  if (plan.resized_height == H && plan.resized_width == W) return plan;
  if (!spec.center_crop || plan.resized_height < H || plan.resized_width < W) {
    plan.then = ResizePlan::Then::kStretch;
  } else {
    plan.then = ResizePlan::Then::kCrop;
    plan.top = (plan.resized_height - H) / 2;
    plan.left = (plan.resized_width - W) / 2;
  }
  return plan;
}

/// Where a `width` x `height` image lands under `plan`: the geometry of the pixels' own steps.
ImageToInput geometry_of(const ResizePlan& plan, const PreprocessSpec& spec, int64_t width,
                         int64_t height) {
  ImageToInput g;
  g.image_width = width, g.image_height = height;
  if (plan.then == ResizePlan::Then::kStretch) {
    g.scale_x = static_cast<double>(spec.width) / width;
    g.scale_y = static_cast<double>(spec.height) / height;
    return g;
  }
  g.scale_x = static_cast<double>(plan.resized_width) / width;
  g.scale_y = static_cast<double>(plan.resized_height) / height;
  if (plan.then == ResizePlan::Then::kCrop) {
    g.offset_x = -plan.left, g.offset_y = -plan.top;
  } else if (plan.then == ResizePlan::Then::kPad) {
    g.offset_x = plan.left, g.offset_y = plan.top;
  }
  return g;
}

}  // namespace

Result<ImageToInput> image_to_input(const PreprocessSpec& spec, int64_t width, int64_t height) {
  RETURN_IF_ERROR(spec.validate());
  // Far beyond any decodable image; keeps the sizes inside int for OpenCV.
  constexpr int64_t kMaxImageSidePx = int64_t{1} << 20;
  if (width <= 0 || height <= 0 || width > kMaxImageSidePx || height > kMaxImageSidePx) {
    return invalid_argument("image size " + std::to_string(width) + "x" + std::to_string(height) +
                            " is not between 1 and " + std::to_string(kMaxImageSidePx) +
                            " pixels a side");
  }
  ASSIGN_OR_RETURN(ResizePlan plan, plan_resize(spec, static_cast<int>(width), static_cast<int>(height)));
  return geometry_of(plan, spec, width, height);
}

Result<Tensor> decode_and_preprocess(std::string_view encoded, const PreprocessSpec& spec,
                                     ImageToInput* geometry) {
  RETURN_IF_ERROR(spec.validate());
  if (encoded.empty()) return invalid_argument("image is empty (0 bytes)");
  cv::Mat image;
  DecodedImage jpeg;  // owns the pixels `image` points at
  if (is_jpeg(encoded)) {
    // One strict decode: a truncated JPEG is refused, where imdecode would fill it with grey.
    ASSIGN_OR_RETURN(jpeg, decode_jpeg_strict(encoded));
    image = cv::Mat(jpeg.height, jpeg.width, CV_8UC3, jpeg.bgr.get());
  } else {
    try {
      cv::Mat buffer(1, static_cast<int>(encoded.size()), CV_8UC1, const_cast<char*>(encoded.data()));
      image = cv::imdecode(buffer, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
      return invalid_argument(std::string("image could not be decoded: ") + e.what());
    }
  }
  if (image.empty()) {
    return invalid_argument("image could not be decoded (" + std::to_string(encoded.size()) +
                            " bytes; expected JPEG or PNG)");
  }
  try {
    ASSIGN_OR_RETURN(ResizePlan plan, plan_resize(spec, image.cols, image.rows));
    if (geometry) *geometry = geometry_of(plan, spec, image.cols, image.rows);
    const cv::Size target(static_cast<int>(spec.width), static_cast<int>(spec.height));
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(plan.resized_width, plan.resized_height), 0, 0, cv::INTER_LINEAR);
    cv::Mat cropped = resized;
    switch (plan.then) {
      case ResizePlan::Then::kNothing: break;
      case ResizePlan::Then::kStretch:
        cv::resize(resized, cropped, target, 0, 0, cv::INTER_LINEAR);
        break;
      case ResizePlan::Then::kCrop:
        cropped = resized(cv::Rect(plan.left, plan.top, target.width, target.height));
        break;
      case ResizePlan::Then::kPad:
        cv::copyMakeBorder(resized, cropped, plan.top, target.height - plan.resized_height - plan.top,
                           plan.left, target.width - plan.resized_width - plan.left, cv::BORDER_CONSTANT,
                           cv::Scalar(114, 114, 114));
        break;
    }
    if (!spec.bgr) cv::cvtColor(cropped, cropped, cv::COLOR_BGR2RGB);

    const int64_t H = spec.height, W = spec.width;
    Tensor t;
    t.name = spec.input_name;
    t.dtype = spec.dtype;
    t.shape = spec.layout == "NCHW" ? std::vector<int64_t>{1, 3, H, W} : std::vector<int64_t>{1, H, W, 3};
    t.data.resize(static_cast<size_t>(3 * H * W) * dtype_size_bytes(spec.dtype));
    const bool nchw = spec.layout == "NCHW";
    for (int64_t y = 0; y < H; ++y) {
      const uint8_t* row = cropped.ptr<uint8_t>(static_cast<int>(y));
      for (int64_t x = 0; x < W; ++x) {
        for (int64_t c = 0; c < 3; ++c) {
          const uint8_t v = row[x * 3 + c];
          const size_t index = nchw ? static_cast<size_t>(c * H * W + y * W + x) : static_cast<size_t>((y * W + x) * 3 + c);
          if (spec.dtype == DType::kUInt8) {
            t.data[index] = v;
          } else {
            const int channel = spec.bgr ? static_cast<int>(2 - c) : static_cast<int>(c);  // mean/std are RGB
            t.data_as<float>()[index] = (static_cast<float>(v) / 255.0f - spec.mean[channel]) / spec.std[channel];
          }
        }
      }
    }
    return t;
  } catch (const cv::Exception& e) {
    return invalid_argument(std::string("preprocessing failed: ") + e.what());
  }
}

Result<Tensor> load_image_tensor(const std::string& path, const PreprocessSpec& spec) {
  ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
  auto tensor = decode_and_preprocess(bytes, spec);
  if (!tensor.ok()) return tensor.status().with_context(path);
  return tensor;
}

Result<Tensor> load_npy(const std::string& path, const std::string& tensor_name) {
  ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
  auto bad = [&](const std::string& why) { return data_loss(path + ": not a supported .npy file: " + why); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return bad("missing magic");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return bad("version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) return bad("truncated header");
  const std::string header = bytes.substr(offset, header_len);
  Tensor t;
  t.name = tensor_name;
  auto descr_pos = header.find("'descr':");
  if (descr_pos == std::string::npos) return bad("no descr");
  const auto q1 = header.find('\'', descr_pos + 8);
  const auto q2 = q1 == std::string::npos ? q1 : header.find('\'', q1 + 1);
  if (q2 == std::string::npos) return bad("descr is not a quoted string");
  const std::string descr = header.substr(q1 + 1, q2 - q1 - 1);
  if (descr == "<f4") t.dtype = DType::kFloat32;
  else if (descr == "|u1") t.dtype = DType::kUInt8;
  else if (descr == "|i1") t.dtype = DType::kInt8;
  else if (descr == "<i8") t.dtype = DType::kInt64;
  else if (descr == "<i4") t.dtype = DType::kInt32;
  else return bad("dtype '" + descr + "' (use float32, uint8, int8, int32 or int64)");
  if (header.find("'fortran_order': True") != std::string::npos) return bad("Fortran order");
  const auto shape_pos = header.find("'shape':");
  const auto lp = shape_pos == std::string::npos ? shape_pos : header.find('(', shape_pos);
  const auto rp = lp == std::string::npos ? lp : header.find(')', lp);
  if (rp == std::string::npos) return bad("no shape tuple");
  // from_chars, not std::stoll: a header is untrusted text, and stoll throws on "x" or 1e99.
  for (const std::string& part : split(std::string_view(header).substr(lp + 1, rp - lp - 1), ',')) {
    const std::string dim = trim(part);
    if (dim.empty()) continue;
    int64_t value = -1;
    const auto [end, ec] = std::from_chars(dim.data(), dim.data() + dim.size(), value);
    if (ec != std::errc() || end != dim.data() + dim.size() || value < 0) {
      return bad("shape dimension '" + dim + "' is not a non-negative integer");
    }
    t.shape.push_back(value);
  }
  const size_t data_offset = offset + header_len;
  t.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
  Status st = t.validate();
  if (!st.ok()) return st.with_context(path);
  return t;
}

Status save_npy(const Tensor& tensor, const std::string& path) {
  std::string descr;
  switch (tensor.dtype) {
    case DType::kFloat32: descr = "<f4"; break;
    case DType::kUInt8: descr = "|u1"; break;
    case DType::kInt8: descr = "|i1"; break;
    case DType::kInt64: descr = "<i8"; break;
    case DType::kInt32: descr = "<i4"; break;
    default: return invalid_argument("save_npy: unsupported dtype " + std::string(dtype_name(tensor.dtype)));
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i) shape += std::to_string(tensor.shape[i]) + ",";
  shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return permission_denied("cannot write '" + path + "': " + std::strerror(errno));
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(tensor.data.data()), static_cast<std::streamsize>(tensor.data.size()));
  out.close();
  if (!out) return resource_exhausted("writing '" + path + "' failed (disk full?)");
  return ok_status();
}

}  // namespace edgetier
