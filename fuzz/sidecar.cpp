/// Fuzzes the model sidecar "<model>.json" (load_model_sidecar) and the one preprocessing
/// resolution every command makes over it (resolve_preprocess); the same bytes also go through
/// the --preprocess inline-JSON reader (read_preprocess_arg).
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "runtime/model_sidecar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  const std::string text(fuzz::as_view(data, size));
  fuzz::write_temp_file("model.json", text);
  const TensorInfo image_input{"input", DType::kFloat32, {1, 3, 224, 224}};
  auto sidecar = load_model_sidecar(fuzz::temp_dir() + "/model.onnx");
  if (sidecar.ok() && sidecar->has_value()) {
    auto spec = resolve_preprocess(image_input, &**sidecar, nlohmann::json::object(), "model.onnx");
    if (spec.ok()) (void)spec->validate();
  }
  if (!text.empty() && text[0] == '{') {
    auto overrides = read_preprocess_arg(text);
    if (overrides.ok()) {
      (void)resolve_preprocess(image_input, nullptr, *overrides, "--preprocess");
    }
  }
  return 0;
}
