/// Helpers for reading and writing ONNX initializers (TensorProto) used by the graph rewrites.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgetier {

/// Name -> initializer of `graph` (pointers into the graph; invalidated when it changes).
std::unordered_map<std::string, const onnx::TensorProto*> initializer_map(
    const onnx::GraphProto& graph);

/// The values of a float32 initializer (raw_data or float_data). Errors name the tensor.
Result<std::vector<float>> float_values(const onnx::TensorProto& tensor);
/// The values of an int64 initializer (raw_data or int64_data).
Result<std::vector<int64_t>> int64_values(const onnx::TensorProto& tensor);

/// Makes an initializer holding `values` as raw little-endian data.
template <typename T>
onnx::TensorProto make_initializer(const std::string& name, DType dtype,
                                   const std::vector<int64_t>& dims, const std::vector<T>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(static_cast<int32_t>(dtype));
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

/// The value of the attribute `name` of `node`, or `fallback` when absent.
int64_t node_attr_int(const onnx::NodeProto& node, const std::string& name, int64_t fallback);
float node_attr_float(const onnx::NodeProto& node, const std::string& name, float fallback);
std::vector<int64_t> node_attr_ints(const onnx::NodeProto& node, const std::string& name);
/// Sets (or replaces) an INT attribute.
void set_node_attr_int(onnx::NodeProto* node, const std::string& name, int64_t value);

/// Drops initializers (and their graph-input entries) that no node and no graph output reads.
void remove_unused_initializers(onnx::GraphProto* graph);

/// A name not yet used by any tensor or initializer in `taken`; adds it to `taken`.
std::string unique_name(const std::string& base, std::unordered_map<std::string, int>* taken);

}  // namespace edgetier
