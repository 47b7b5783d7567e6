/// Fuzzes a tier's validation of a KServe v2 ModelInfer request from its serialized bytes: the
/// protobuf parse gRPC makes, then what InferenceService::compute checks before running anything
/// (tensors_from_request against a part's inputs, or image_from_request and the image header for
/// a part that decodes images) and the parameters a tier reads.
#include <climits>
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "proto/grpc_predict_v2.pb.h"
#include "tier/image_header.h"
#include "tier/protocol.h"
#include "tier/server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  if (size > static_cast<size_t>(INT_MAX)) return 0;
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  // A part with a dynamic batch, fixed and dynamic dims, several dtypes and a BYTES input.
  static const std::vector<TensorInfo> expected = {
      {"input", DType::kFloat32, {-1, 3, 4, 4}},
      {"ids", DType::kInt64, {1, -1}},
      {"mask", DType::kUInt8, {2, 2}},
      {"text", DType::kString, {-1}},
  };
  (void)tier::tensors_from_request(request, expected);
  static const std::vector<TensorInfo> single = {{"x", DType::kFloat32, {1, -1}}};
  (void)tier::tensors_from_request(request, single);
  auto image = tier::image_from_request(request, "input");
  if (image.ok()) {
    auto header = tier::read_image_header(*image);
    if (header.ok()) {
      (void)tier::check_image_pixels(*header, tier::ServeOptions{}.max_image_pixels);
    }
  }
  (void)tier::get_int_param(request.parameters(), std::string(tier::kBytesIn));
  (void)tier::get_string_param(request.parameters(), std::string(tier::kHopsParam));
  return 0;
}
