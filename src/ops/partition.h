/// Partitioning (P): splits a model at one or more cuts into parts that run in sequence on tiers.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier {

struct PartitionOptions {
  /// One entry per boundary, ordered from the inputs to the outputs: K cuts give K + 1 parts.
  /// Each cut is the list of activation tensors that cross that boundary.
  std::vector<std::vector<std::string>> cuts;
  /// On QDQ (int8) models, a float cut tensor whose only reader is a QuantizeLinear moves to that
  /// QuantizeLinear's output: the int8 tensor crosses the link (4x fewer bytes) and both sides
  /// keep their DQ -> op -> Q groups whole, so ONNX Runtime still fuses them into int8 kernels.
  bool quantized_boundary = true;
};

/// Splits `model` into `options.cuts.size() + 1` parts.
///
/// Rules (the contract the part runner and the tiers rely on):
/// - Tensor names are kept: part k's outputs are exactly part k+1's inputs, in the same order
///   and with the same names, so parts chain by name.
/// - A node belongs to the part above a cut when it reads a cut tensor or anything computed from
///   one; every other node stays below (including branches that do not depend on the cut).
/// - Graph outputs computed below a cut (and graph inputs that are also outputs) are carried:
///   they become extra outputs of that part and are passed through each later part (input and
///   output of the same name) until the last part, whose outputs are the model's outputs.
/// - Constant subgraphs (nodes fed only by initializers) are copied into every part that reads
///   them; initializers go only to the parts that read them.
///
/// Errors (nothing is written to `parts` on error): unknown tensor names (with the nearest
/// name), weights or constants in a cut, a cut some input-to-output path avoids (the path is
/// named), a tensor read above a cut that is computed below it but not listed, a cut tensor
/// nothing above reads, empty parts, and cuts listed out of order.
Status partition(const onnx::ModelProto& model, const PartitionOptions& options,
                 std::vector<onnx::ModelProto>* parts);

}  // namespace edgetier
