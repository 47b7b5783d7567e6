/// Shared by `calibrate` and `quantize`: preprocessing and evaluation data from flags and sidecars.
#pragma once

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

#include "core/status.h"
#include "ops/accuracy_eval.h"
#include "runtime/preprocess.h"

namespace edgetier::cli {

/// Image preprocessing for calibration/evaluation: `--preprocess` keys (JSON file or inline
/// JSON) over the model's sidecar ("<model>.json") over the input-size default
/// (model_preprocess); nullopt when the model takes no image (.npy tensors only).
Result<std::optional<PreprocessSpec>> quantize_preprocess(const std::string& arg,
                                                          const std::string& model_path,
                                                          const onnx::ModelProto& model);

/// Evaluation options for `--eval DIR`: labelled when the folder is a dataset edgetier reads
/// (labels.csv, class subfolders, images/ + masks/), scored against the float model's own
/// predictions otherwise (including .npy folders).
Result<EvalOptions> quantize_eval_options(const std::string& dir, const std::string& model_path);

}  // namespace edgetier::cli
