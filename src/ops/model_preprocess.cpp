/// model_preprocess: the model's image input found, then the one resolution applied to it.
#include "ops/model_preprocess.h"

#include "runtime/model_sidecar.h"

namespace edgetier {

Result<std::optional<PreprocessSpec>> model_preprocess(const std::string& model_path,
                                                       const onnx::ModelProto& model,
                                                       const nlohmann::json& overrides,
                                                       const InputShapes& input_shapes) {
  std::vector<TensorInfo> inputs;
  for (const auto& in : model.graph().input()) {
    bool is_initializer = false;
    for (const auto& init : model.graph().initializer()) is_initializer |= init.name() == in.name();
    if (is_initializer) continue;
    TensorInfo info = tensor_info_from_type(in.type());
    info.name = in.name();
    auto it = input_shapes.find(in.name());
    if (it != input_shapes.end()) info.shape = it->second;
    inputs.push_back(std::move(info));
  }
  if (inputs.size() != 1) return std::optional<PreprocessSpec>();
  const TensorInfo& input = inputs[0];
  if (input.shape.size() != 4 || (input.dtype != DType::kFloat32 && input.dtype != DType::kUInt8))
    return std::optional<PreprocessSpec>();
  // Images have 3 channels, first (NCHW) or last (NHWC): an 8-channel cut tensor is no image.
  const auto& s = input.shape;
  if (s[1] != 3 && s[3] != 3 && s[1] > 0 && s[3] > 0) return std::optional<PreprocessSpec>();
  ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(model_path));
  const bool known = (input.shape[1] > 0 && input.shape[2] > 0 && input.shape[3] > 0) ||
                     overrides.contains("height") ||
                     (sidecar && sidecar->preprocess.contains("height"));
  if (!known) return std::optional<PreprocessSpec>();
  ASSIGN_OR_RETURN(PreprocessSpec spec,
                   resolve_preprocess(input, sidecar ? &*sidecar : nullptr, overrides, model_path));
  return std::optional<PreprocessSpec>(std::move(spec));
}

}  // namespace edgetier
