/// Internal to normalize_model(): bit-exact evaluation of simple ONNX ops on constant tensors.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace edgetier::fold {

/// A constant tensor as raw little-endian bytes.
struct ConstTensor {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> dims;
  std::string bytes;
};

/// The tensor's bytes (raw_data or the typed field); nullopt for external data, strings and
/// types without a fixed element size, or when the data does not match the dims.
std::optional<ConstTensor> from_proto(const onnx::TensorProto& tensor);
onnx::TensorProto to_proto(const ConstTensor& tensor, const std::string& name);

/// The value of a Constant node (attribute value, value_float(s), value_int(s)), or nullopt.
std::optional<ConstTensor> constant_value(const onnx::NodeProto& node);

/// Evaluates `node` (default domain) on constant inputs (empty optional inputs as nullptr);
/// nullopt when the op, its attributes or its dtypes are not among those folded exactly.
std::optional<ConstTensor> evaluate(const onnx::NodeProto& node,
                                    const std::vector<const ConstTensor*>& inputs, int64_t opset);

/// Shape(x) for a statically known shape of x, honouring start/end (opset 15).
std::optional<ConstTensor> evaluate_shape(const onnx::NodeProto& node,
                                          const std::vector<int64_t>& dims);

/// The op types evaluate() may fold (Shape through evaluate_shape()).
bool is_foldable_op(const std::string& op_type);

}  // namespace edgetier::fold
