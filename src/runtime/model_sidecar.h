/// A model's preprocessing, resolved in one place for every command: flag > sidecar > default.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/preprocess.h"
#include "strategy/task.h"

namespace edgetier {

/// Defaults a model ships beside its .onnx as "<model>.json":
/// {"task": "classify", "preprocess": {PreprocessSpec keys}, "classes": ["cat", ...]}, and for a
/// detector "detection": its output format (read by metrics/detection_outputs.h).
struct ModelSidecar {
  std::string path;  // the .json file
  std::optional<Task> task;
  nlohmann::json preprocess = nlohmann::json::object();
  std::vector<std::string> classes;
  /// The "detection" block as written (null when absent); resolve_detection_outputs reads it.
  nlohmann::json detection;
};
/// Reads "<stem>.json" beside `model_path`; nullopt when there is none. Unknown keys are errors.
Result<std::optional<ModelSidecar>> load_model_sidecar(const std::string& model_path);

/// THE preprocessing of a model's image input, for variants, partition, quantize, calibrate,
/// verify, deploy and the experiment alike: `overrides` (PreprocessSpec keys: a --preprocess
/// flag, or the experiment's preprocess block) over the sidecar's "preprocess" over the default
/// for `input` (the study's rule, PreprocessSpec::for_input, at its height and width, in its
/// layout, with its dtype when uint8). `input` is the model's image input [N, C, H, W] or
/// [N, H, W, C] (dims <= 0 unknown: the 224 default). Errors name `label` and the bad key.
Result<PreprocessSpec> resolve_preprocess(const TensorInfo& input, const ModelSidecar* sidecar,
                                          const nlohmann::json& overrides,
                                          const std::string& label);

/// PreprocessSpec keys from a --preprocess argument: inline JSON ("{...}") or a JSON file.
/// Every key is checked (unknown keys, types); what is not given comes from the layers below.
Result<nlohmann::json> read_preprocess_arg(const std::string& arg);

}  // namespace edgetier
