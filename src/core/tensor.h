/// Tensor: a named, typed, shaped byte buffer that crosses module and process boundaries.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier {

/// Element types; values match onnx::TensorProto_DataType so they convert by cast.
enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
};

/// Bytes per element; 0 for undefined/string.
size_t dtype_size_bytes(DType dtype);
/// ONNX-style name ("float32"); KServe v2 names come from tier/protocol.
std::string_view dtype_name(DType dtype);
Result<DType> dtype_from_name(std::string_view name);

/// Number of elements of a fully known shape (no negative dims); -1 if any dim is unknown or the
/// product overflows int64_t.
int64_t shape_num_elements(const std::vector<int64_t>& shape);
std::string shape_to_string(const std::vector<int64_t>& shape);  // "1x3x224x224"
/// Parses "1x3x224x224" (also accepts ',' as separator).
Result<std::vector<int64_t>> parse_shape(std::string_view text);

/// Name, element type and shape of a tensor; -1 marks a dynamic dimension.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
};

struct Tensor {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // row-major, native little-endian

  size_t num_elements() const { return dtype_size_bytes(dtype) ? data.size() / dtype_size_bytes(dtype) : 0; }
  size_t size_bytes() const { return data.size(); }
  template <typename T>
  const T* data_as() const { return reinterpret_cast<const T*>(data.data()); }
  template <typename T>
  T* data_as() { return reinterpret_cast<T*>(data.data()); }

  /// Checks that data size matches shape x dtype.
  Status validate() const;

  static Tensor zeros(std::string name, DType dtype, std::vector<int64_t> shape);
  template <typename T>
  static Tensor from_vector(std::string name, DType dtype, std::vector<int64_t> shape,
                            const std::vector<T>& values) {
    Tensor t{std::move(name), dtype, std::move(shape), {}};
    t.data.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
    return t;
  }
};

}  // namespace edgetier
