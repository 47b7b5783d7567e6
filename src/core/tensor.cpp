/// Tensor helpers: dtype sizes and names, shape parsing and printing, validation.
#include "core/tensor.h"

#include <charconv>

namespace edgetier {

size_t dtype_size_bytes(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: case DType::kInt32: case DType::kUInt32: return 4;
    case DType::kUInt8: case DType::kInt8: case DType::kBool: return 1;
    case DType::kUInt16: case DType::kInt16: case DType::kFloat16: return 2;
    case DType::kInt64: case DType::kFloat64: case DType::kUInt64: return 8;
    case DType::kUndefined: case DType::kString: return 0;
  }
  return 0;
}

namespace {
struct DTypeName {
  DType dtype;
  std::string_view name;
};
constexpr DTypeName kDTypeNames[] = {
    {DType::kFloat32, "float32"}, {DType::kUInt8, "uint8"},     {DType::kInt8, "int8"},
    {DType::kUInt16, "uint16"},   {DType::kInt16, "int16"},     {DType::kInt32, "int32"},
    {DType::kInt64, "int64"},     {DType::kString, "string"},   {DType::kBool, "bool"},
    {DType::kFloat16, "float16"}, {DType::kFloat64, "float64"}, {DType::kUInt32, "uint32"},
    {DType::kUInt64, "uint64"},
};
}  // namespace

std::string_view dtype_name(DType dtype) {
  for (const auto& entry : kDTypeNames) {
    if (entry.dtype == dtype) return entry.name;
  }
  return "undefined";
}

Result<DType> dtype_from_name(std::string_view name) {
  for (const auto& entry : kDTypeNames) {
    if (entry.name == name) return entry.dtype;
  }
  if (name == "float") return DType::kFloat32;
  return invalid_argument("unknown dtype '" + std::string(name) +
                          "'; expected one of float32, uint8, int8, int32, int64, float16, ...");
}

int64_t shape_num_elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
  }
  return n;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += 'x';
    out += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return out.empty() ? "scalar" : out;
}

Result<std::vector<int64_t>> parse_shape(std::string_view text) {
  std::vector<int64_t> dims;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of("x,", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(pos, end - pos);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value <= 0) {
      return invalid_argument("bad shape '" + std::string(text) +
                              "': each dimension must be a positive integer, e.g. 1x3x224x224");
    }
    dims.push_back(value);
    pos = end + 1;
  }
  return dims;
}

Status Tensor::validate() const {
  if (dtype_size_bytes(dtype) == 0) {
    return invalid_argument("tensor '" + name + "' has unsupported dtype " + std::string(dtype_name(dtype)));
  }
  // Checked multiplication: dimensions come from files and requests, and a product that wraps
  // (2^32 x 2^32) could match a small buffer.
  size_t want = dtype_size_bytes(dtype);
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("tensor '" + name + "' has unknown dimensions " + shape_to_string(shape));
    if (__builtin_mul_overflow(want, static_cast<size_t>(d), &want)) {
      return invalid_argument("tensor '" + name + "': shape " + shape_to_string(shape) + " of " +
                              std::string(dtype_name(dtype)) + " is too large (its byte size overflows)");
    }
  }
  if (want != data.size()) {
    return invalid_argument("tensor '" + name + "': shape " + shape_to_string(shape) + " of " +
                            std::string(dtype_name(dtype)) + " needs " + std::to_string(want) +
                            " bytes, got " + std::to_string(data.size()));
  }
  return ok_status();
}

Tensor Tensor::zeros(std::string name, DType dtype, std::vector<int64_t> shape) {
  Tensor t{std::move(name), dtype, std::move(shape), {}};
  const int64_t n = shape_num_elements(t.shape);
  t.data.assign(static_cast<size_t>(n < 0 ? 0 : n) * dtype_size_bytes(dtype), 0);
  return t;
}

}  // namespace edgetier
