/// Model normalisation before every operator: Identity elimination, constant folding, initializer de-duplication, shape inference.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>

#include "core/status.h"
#include "graph/shapes.h"

namespace edgetier {

struct NormalizeOptions {
  /// Concrete shapes for inputs with symbolic dimensions; those inputs are fixed to them in the
  /// normalised model. Inputs not named keep their declared (possibly symbolic) dimensions.
  InputShapes input_shapes;
};

/// What normalize_model() did.
struct NormalizeReport {
  int identities_removed = 0;
  int constants_folded = 0;         // nodes replaced by initializers (Constant included)
  int duplicate_initializers = 0;   // initializers merged into an equal one
  int value_infos = 0;              // intermediate tensors with a shape after inference
  std::map<std::string, int> folded_ops;  // op type -> nodes folded
  /// Activation names that no longer exist -> the tensor that now carries their value
  /// (the input of an eliminated Identity). Surviving activations are never renamed.
  std::map<std::string, std::string> aliases;
};

/// The name `tensor` has after normalisation: itself unless it was the output of an eliminated
/// Identity (then the tensor that carries its value).
std::string normalized_name(const NormalizeReport& report, const std::string& tensor);

/// What ONNX Runtime's quant_pre_process does before its quantizer, so that every operator sees
/// weights and shapes directly:
/// - Identity nodes are removed and their readers read the Identity's input (torch.onnx.export
///   shares equal initializers, e.g. every zero Conv bias, through Identity nodes). An Identity
///   that produces a graph output is kept so the model's output names never change.
/// - Nodes whose inputs are all constants are evaluated bit-exactly and become initializers
///   (Constant, ConstantOfShape, Reshape, Unsqueeze, Squeeze, Transpose, Cast, Concat, Gather,
///   Slice, integer and float Add/Sub/Mul, integer Div/Mod, Shape of a statically known shape);
///   anything else stays. Folding and shape inference alternate until nothing more folds.
/// - Initializers with equal dtype, shape and bytes become one.
/// - Shapes are inferred (inputs fixed from `options.input_shapes`) and stored as value_info.
/// Fails with the node and tensor named on a malformed graph (a cycle, a tensor with two
/// producers, an input nobody produces, a graph output nobody produces). `out` is written only on
/// success and may not alias `in`.
Status normalize_model(const onnx::ModelProto& in, const NormalizeOptions& options,
                       onnx::ModelProto* out, NormalizeReport* report = nullptr);

}  // namespace edgetier
