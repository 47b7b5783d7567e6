/// The load check every entry point makes first: can ONNX Runtime run this model at all?
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"

namespace edgetier {

/// Creates an ONNX Runtime session for the model at `model_path` (`model` is its parsed form,
/// used to name what failed) and returns OK when it loads. Otherwise FAILED_PRECONDITION with
/// one line naming the op, its domain and the model's opset for that domain, e.g.
///   model 'x.onnx' cannot run in ONNX Runtime 1.30.0: op 'FooBar' (domain 'ai.onnx', opset 17)
///   is not supported; ...
/// or the opset ONNX Runtime does not know (ai.onnx opset 99). Operators and inspect call it
/// before any work so that nothing is built from, or measured about, a model no tier can load.
Status check_model_runs(const std::string& model_path, const onnx::ModelProto& model);

}  // namespace edgetier
