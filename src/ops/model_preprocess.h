/// The preprocessing of an ONNX model's image input: what variants, partition, quantize,
/// calibrate, verify and deploy record and apply (runtime/model_sidecar.h resolve_preprocess).
#pragma once

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "graph/shapes.h"
#include "runtime/preprocess.h"

namespace edgetier {

/// resolve_preprocess for the model's one image input: `overrides` (a --preprocess flag's
/// keys) > the sidecar beside `model_path` > the input-size default; the input's shape is taken
/// from `input_shapes` when it is named there. nullopt when the model does not take one image:
/// not exactly one 4-D float32/uint8 input, or its height and width are unknown and neither
/// the flag nor the sidecar gives them.
Result<std::optional<PreprocessSpec>> model_preprocess(
    const std::string& model_path, const onnx::ModelProto& model,
    const nlohmann::json& overrides = nlohmann::json::object(),
    const InputShapes& input_shapes = {});

}  // namespace edgetier
