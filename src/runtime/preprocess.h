/// Image decoding and preprocessing (OpenCV): encoded JPEG/PNG bytes -> model input tensor.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/image_geometry.h"
#include "core/status.h"
#include "core/tensor.h"

namespace edgetier {

/// The largest side, in pixels, of a preprocessing size (height, width, resize_shorter) and of an
/// image after its resize: sizes come from sidecars, manifests and flags, and a resize to 10^6
/// pixels a side would allocate terabytes.
inline constexpr int64_t kMaxPreprocessSide = 8192;

/// How an encoded image becomes a model input. The default is the torchvision/ImageNet recipe
/// the study used: resize the shorter side, centre crop, scale to [0,1], normalise, NCHW, RGB.
struct PreprocessSpec {
  std::string input_name = "input";
  int64_t height = 224;  // final tensor height (crop size, or fixed resize)
  int64_t width = 224;
  int64_t resize_shorter =
      256;                  // resize the shorter side to this first; 0 = resize to height x width
  bool center_crop = true;  // crop height x width from the centre after resizing
  /// Keep the aspect ratio: scale the image to fit height x width and pad the rest with grey
  /// 114 (the YOLO exporters' rule); resize_shorter and center_crop do not apply.
  bool letterbox = false;
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // RGB, applied after scaling to [0,1]
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
  std::string layout = "NCHW";    // or "NHWC"
  bool bgr = false;               // channel order of the model (OpenCV decodes BGR)
  DType dtype = DType::kFloat32;  // float32, or uint8 for models that normalise inside

  /// The study's rule: shorter side to 256/224 of the model's input size, centre crop to it.
  static PreprocessSpec for_input(const std::string& name, int64_t height, int64_t width);
  Status validate() const;
};

nlohmann::json preprocess_to_json(const PreprocessSpec& spec);
/// Unknown keys are errors that name the key.
Result<PreprocessSpec> preprocess_from_json(const nlohmann::json& j);

/// Where a `width` x `height` image lands in the input `spec` makes of it: the one geometry of
/// resize, crop and letterbox, used by decode_and_preprocess itself. Errors when the resize
/// would exceed kMaxPreprocessSide.
Result<ImageToInput> image_to_input(const PreprocessSpec& spec, int64_t width, int64_t height);

/// Decodes JPEG/PNG bytes and applies `spec`; returns a [1, C, H, W] (or NHWC) tensor, and the
/// image's geometry in `geometry` when given (detection maps boxes back with it). JPEGs are
/// decoded once, strictly (runtime/jpeg_decode.h): a truncated or corrupt one is
/// INVALID_ARGUMENT; other formats go through cv::imdecode.
Result<Tensor> decode_and_preprocess(std::string_view encoded, const PreprocessSpec& spec,
                                     ImageToInput* geometry = nullptr);
/// Reads an image file and preprocesses it; errors name the file.
Result<Tensor> load_image_tensor(const std::string& path, const PreprocessSpec& spec);
/// Reads a .npy file (little-endian float32/uint8/int8/int64, C order) as a tensor.
Result<Tensor> load_npy(const std::string& path, const std::string& tensor_name);
/// Writes a tensor as .npy (for fixtures and calibration folders).
Status save_npy(const Tensor& tensor, const std::string& path);

}  // namespace edgetier
