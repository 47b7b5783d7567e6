/// Constant folding kernels: data movement is byte-exact; arithmetic uses the element type itself.
#include "ops/normalize_fold.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>

#include "ops/initializers.h"

namespace edgetier::fold {
namespace {

// Folded tensors larger than this stay as nodes: the model file would grow for little gain.
constexpr int64_t kMaxFoldBytes = int64_t{1} << 28;

int64_t count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

size_t elem_size(DType t) { return t == DType::kString ? 0 : dtype_size_bytes(t); }

template <typename T>
std::vector<T> values_of(const ConstTensor& t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(T));
  return v;
}

template <typename T>
ConstTensor make(DType dtype, std::vector<int64_t> dims, const std::vector<T>& values) {
  ConstTensor t{dtype, std::move(dims), {}};
  t.bytes.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  return t;
}

// An int64 or int32 1-D list (axes, shapes, indices).
std::optional<std::vector<int64_t>> int_list(const ConstTensor* t) {
  if (!t) return std::nullopt;
  if (t->dtype == DType::kInt64) return values_of<int64_t>(*t);
  if (t->dtype == DType::kInt32) {
    auto v = values_of<int32_t>(*t);
    return std::vector<int64_t>(v.begin(), v.end());
  }
  return std::nullopt;
}

bool has_attr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return true;
  return false;
}

// Normalises axis `a` against `rank`; nullopt when out of range.
std::optional<int64_t> norm_axis(int64_t a, int64_t rank) {
  if (a < 0) a += rank;
  if (a < 0 || a >= rank) return std::nullopt;
  return a;
}

// Calls f(T{}) with the C++ type of `dtype` for the numeric types folded arithmetically.
template <typename F>
bool with_type(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUInt8: f(uint8_t{}); return true;
    case DType::kBool: f(bool{}); return true;
    default: return false;
  }
}

std::optional<ConstTensor> reshape(const onnx::NodeProto& node, const ConstTensor& data,
                                   const ConstTensor* shape_t) {
  auto target = int_list(shape_t);
  if (!target) return std::nullopt;
  const bool allow_zero = node_attr_int(node, "allowzero", 0) != 0;
  std::vector<int64_t> dims = *target;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && !allow_zero) {
      if (i >= data.dims.size()) return std::nullopt;
      dims[i] = data.dims[i];
    }
    if (dims[i] == -1) {
      if (infer >= 0) return std::nullopt;
      infer = static_cast<int>(i);
    } else if (dims[i] < 0) {
      return std::nullopt;
    } else {
      known *= dims[i];
    }
  }
  const int64_t n = count(data.dims);
  if (infer >= 0) {
    if (known == 0 || n % known != 0) return std::nullopt;
    dims[static_cast<size_t>(infer)] = n / known;
  } else if (known != n) {
    return std::nullopt;
  }
  return ConstTensor{data.dtype, dims, data.bytes};
}

std::optional<ConstTensor> unsqueeze(const onnx::NodeProto& node, const ConstTensor& data,
                                     const ConstTensor* axes_t, int64_t opset) {
  auto axes = opset >= 13 ? int_list(axes_t) : std::optional(node_attr_ints(node, "axes"));
  if (!axes || axes->empty()) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(data.dims.size() + axes->size());
  std::vector<bool> is_new(static_cast<size_t>(rank), false);
  for (int64_t a : *axes) {
    auto n = norm_axis(a, rank);
    if (!n || is_new[static_cast<size_t>(*n)]) return std::nullopt;
    is_new[static_cast<size_t>(*n)] = true;
  }
  std::vector<int64_t> dims;
  size_t src = 0;
  for (int64_t i = 0; i < rank; ++i) dims.push_back(is_new[static_cast<size_t>(i)] ? 1 : data.dims[src++]);
  return ConstTensor{data.dtype, dims, data.bytes};
}

std::optional<ConstTensor> squeeze(const onnx::NodeProto& node, const ConstTensor& data,
                                   const ConstTensor* axes_t, int64_t opset) {
  std::vector<int64_t> axes;
  if (opset >= 13) {
    if (axes_t) {
      auto a = int_list(axes_t);
      if (!a) return std::nullopt;
      axes = *a;
    }
  } else {
    axes = node_attr_ints(node, "axes");
  }
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  std::vector<bool> drop(data.dims.size(), false);
  if (axes.empty()) {
    for (size_t i = 0; i < data.dims.size(); ++i) drop[i] = data.dims[i] == 1;
  }
  for (int64_t a : axes) {
    auto n = norm_axis(a, rank);
    if (!n || data.dims[static_cast<size_t>(*n)] != 1) return std::nullopt;
    drop[static_cast<size_t>(*n)] = true;
  }
  std::vector<int64_t> dims;
  for (size_t i = 0; i < data.dims.size(); ++i)
    if (!drop[i]) dims.push_back(data.dims[i]);
  return ConstTensor{data.dtype, dims, data.bytes};
}

// Row-major strides of `dims` in elements.
std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * dims[static_cast<size_t>(i) + 1];
  return s;
}

std::optional<ConstTensor> transpose(const onnx::NodeProto& node, const ConstTensor& data) {
  const size_t rank = data.dims.size();
  std::vector<int64_t> perm = node_attr_ints(node, "perm");
  if (perm.empty()) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  }
  if (perm.size() != rank) return std::nullopt;
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) return std::nullopt;
    seen[static_cast<size_t>(p)] = true;
  }
  const size_t es = elem_size(data.dtype);
  std::vector<int64_t> out_dims(rank);
  for (size_t i = 0; i < rank; ++i) out_dims[i] = data.dims[static_cast<size_t>(perm[i])];
  const auto in_strides = strides_of(data.dims);
  const int64_t n = count(data.dims);
  ConstTensor out{data.dtype, out_dims, std::string(data.bytes.size(), '\0')};
  std::vector<int64_t> idx(rank, 0);  // index into the output
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < rank; ++i) src += idx[i] * in_strides[static_cast<size_t>(perm[i])];
    std::memcpy(&out.bytes[static_cast<size_t>(o) * es], &data.bytes[static_cast<size_t>(src) * es], es);
    for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
      if (++idx[static_cast<size_t>(i)] < out_dims[static_cast<size_t>(i)]) break;
      idx[static_cast<size_t>(i)] = 0;
    }
  }
  return out;
}

template <typename S, typename D>
bool convert_value(S s, D* d) {
  if constexpr (std::is_same_v<D, bool>) {
    *d = s != S{};
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    // Out-of-range float -> int is undefined in C++ (and unspecified in ONNX): not folded.
    if (!std::isfinite(s)) return false;
    const double t = std::trunc(static_cast<double>(s));
    if (t < static_cast<double>(std::numeric_limits<D>::lowest()) ||
        t > static_cast<double>(std::numeric_limits<D>::max()))
      return false;
    *d = static_cast<D>(t);
  } else if constexpr (std::is_integral_v<S> && std::is_integral_v<D> && !std::is_same_v<S, bool>) {
    if (!std::in_range<D>(s)) return false;  // wrapping differs between runtimes
    *d = static_cast<D>(s);
  } else {
    *d = static_cast<D>(s);
  }
  return true;
}

std::optional<ConstTensor> cast(const onnx::NodeProto& node, const ConstTensor& data) {
  const DType to = static_cast<DType>(node_attr_int(node, "to", 0));
  if (to == data.dtype) return data;
  std::optional<ConstTensor> out;
  bool ok = true;
  with_type(data.dtype, [&](auto s_tag) {
    using S = decltype(s_tag);
    // bool is stored as one byte (std::vector<bool> has no contiguous storage).
    using SStore = std::conditional_t<std::is_same_v<S, bool>, uint8_t, S>;
    const auto in = values_of<SStore>(data);
    with_type(to, [&](auto d_tag) {
      using D = decltype(d_tag);
      using DStore = std::conditional_t<std::is_same_v<D, bool>, uint8_t, D>;
      std::vector<DStore> res(in.size());
      for (size_t i = 0; i < in.size() && ok; ++i) {
        D d{};
        ok = convert_value<S, D>(static_cast<S>(in[i]), &d);
        res[i] = static_cast<DStore>(d);
      }
      if (ok) out = make(to, data.dims, res);
    });
  });
  return ok ? out : std::nullopt;
}

std::optional<ConstTensor> concat(const onnx::NodeProto& node,
                                  const std::vector<const ConstTensor*>& inputs) {
  if (inputs.empty() || !inputs[0]) return std::nullopt;
  const auto& first = *inputs[0];
  const int64_t rank = static_cast<int64_t>(first.dims.size());
  auto axis = norm_axis(node_attr_int(node, "axis", 0), rank);
  if (!axis) return std::nullopt;
  const size_t ax = static_cast<size_t>(*axis);
  std::vector<int64_t> dims = first.dims;
  dims[ax] = 0;
  for (const ConstTensor* t : inputs) {
    if (!t || t->dtype != first.dtype || t->dims.size() != first.dims.size()) return std::nullopt;
    for (size_t d = 0; d < dims.size(); ++d)
      if (d != ax && t->dims[d] != first.dims[d]) return std::nullopt;
    dims[ax] += t->dims[ax];
  }
  const int64_t outer = count({first.dims.begin(), first.dims.begin() + *axis});
  int64_t inner = static_cast<int64_t>(elem_size(first.dtype));
  for (size_t d = ax + 1; d < dims.size(); ++d) inner *= dims[d];
  ConstTensor out{first.dtype, dims, {}};
  for (int64_t o = 0; o < outer; ++o) {
    for (const ConstTensor* t : inputs) {
      const int64_t chunk = t->dims[ax] * inner;
      out.bytes.append(t->bytes, static_cast<size_t>(o * chunk), static_cast<size_t>(chunk));
    }
  }
  return out;
}

std::optional<ConstTensor> gather(const onnx::NodeProto& node, const ConstTensor& data,
                                  const ConstTensor* indices_t) {
  auto indices = int_list(indices_t);
  if (!indices) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  auto axis = norm_axis(node_attr_int(node, "axis", 0), rank);
  if (!axis) return std::nullopt;
  const size_t ax = static_cast<size_t>(*axis);
  const int64_t axis_dim = data.dims[ax];
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + *axis);
  dims.insert(dims.end(), indices_t->dims.begin(), indices_t->dims.end());
  dims.insert(dims.end(), data.dims.begin() + *axis + 1, data.dims.end());
  const int64_t outer = count({data.dims.begin(), data.dims.begin() + *axis});
  int64_t inner = static_cast<int64_t>(elem_size(data.dtype));
  for (size_t d = ax + 1; d < data.dims.size(); ++d) inner *= data.dims[d];
  ConstTensor out{data.dtype, dims, {}};
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i : *indices) {
      if (i < 0) i += axis_dim;
      if (i < 0 || i >= axis_dim) return std::nullopt;
      out.bytes.append(data.bytes, static_cast<size_t>((o * axis_dim + i) * inner),
                       static_cast<size_t>(inner));
    }
  }
  return out;
}

// Numpy-style broadcast of two shapes; nullopt when incompatible.
std::optional<std::vector<int64_t>> broadcast(const std::vector<int64_t>& a,
                                              const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Element offsets of `dims` (right-aligned in `out`) for every output position.
std::vector<int64_t> broadcast_offsets(const std::vector<int64_t>& dims,
                                       const std::vector<int64_t>& out) {
  std::vector<int64_t> padded(out.size() - dims.size(), 1);
  padded.insert(padded.end(), dims.begin(), dims.end());
  const auto strides = strides_of(padded);
  const int64_t n = count(out);
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  std::vector<int64_t> idx(out.size(), 0);
  for (int64_t o = 0; o < n; ++o) {
    int64_t off = 0;
    for (size_t i = 0; i < out.size(); ++i) off += padded[i] == 1 ? 0 : idx[i] * strides[i];
    offsets[static_cast<size_t>(o)] = off;
    for (int i = static_cast<int>(out.size()) - 1; i >= 0; --i) {
      if (++idx[static_cast<size_t>(i)] < out[static_cast<size_t>(i)]) break;
      idx[static_cast<size_t>(i)] = 0;
    }
  }
  return offsets;
}

std::optional<ConstTensor> binary(const std::string& op, const ConstTensor& a,
                                  const ConstTensor& b, bool fmod) {
  if (a.dtype != b.dtype) return std::nullopt;
  const DType t = a.dtype;
  const bool is_int = t == DType::kInt64 || t == DType::kInt32;
  const bool is_float = t == DType::kFloat32 || t == DType::kFloat64;
  if (!is_int && !is_float) return std::nullopt;
  // Float division is exact in IEEE too, but runtimes may compute it as a reciprocal multiply.
  if ((op == "Div" || op == "Mod") && !is_int) return std::nullopt;
  auto dims = broadcast(a.dims, b.dims);
  if (!dims) return std::nullopt;
  const auto oa = broadcast_offsets(a.dims, *dims);
  const auto ob = broadcast_offsets(b.dims, *dims);
  std::optional<ConstTensor> out;
  with_type(t, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool> || sizeof(T) < 4) {
      return;
    } else {
      const auto va = values_of<T>(a);
      const auto vb = values_of<T>(b);
      std::vector<T> r(oa.size());
      for (size_t i = 0; i < r.size(); ++i) {
        const T x = va[static_cast<size_t>(oa[i])], y = vb[static_cast<size_t>(ob[i])];
        if constexpr (std::is_integral_v<T>) {
          using U = std::make_unsigned_t<T>;  // two's-complement wrap, no undefined overflow
          if (op == "Add") r[i] = static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
          else if (op == "Sub") r[i] = static_cast<T>(static_cast<U>(x) - static_cast<U>(y));
          else if (op == "Mul") r[i] = static_cast<T>(static_cast<U>(x) * static_cast<U>(y));
          else {
            if (y == 0 || (x == std::numeric_limits<T>::min() && y == -1)) return;
            if (op == "Div") {
              r[i] = static_cast<T>(x / y);
            } else {
              // Mod: the sign of the divisor (Python's %), or of the dividend with fmod=1.
              T m = static_cast<T>(x % y);
              if (!fmod && m != 0 && ((m < 0) != (y < 0))) m = static_cast<T>(m + y);
              r[i] = m;
            }
          }
        } else {
          if (op == "Add") r[i] = x + y;
          else if (op == "Sub") r[i] = x - y;
          else r[i] = x * y;
        }
      }
      out = make(t, *dims, r);
    }
  });
  return out;
}

std::optional<ConstTensor> slice(const onnx::NodeProto& node,
                                 const std::vector<const ConstTensor*>& in, int64_t opset) {
  const ConstTensor& data = *in[0];
  auto arg = [&](size_t i) -> const ConstTensor* { return i < in.size() ? in[i] : nullptr; };
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset >= 10) {
    auto s = int_list(arg(1)), e = int_list(arg(2));
    if (!s || !e) return std::nullopt;
    starts = *s;
    ends = *e;
    if (arg(3)) {
      auto a = int_list(arg(3));
      if (!a) return std::nullopt;
      axes = *a;
    }
    if (arg(4)) {
      auto st = int_list(arg(4));
      if (!st) return std::nullopt;
      steps = *st;
    }
  } else {
    starts = node_attr_ints(node, "starts");
    ends = node_attr_ints(node, "ends");
    axes = node_attr_ints(node, "axes");
  }
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return std::nullopt;
  std::vector<int64_t> first(data.dims.size(), 0), step(data.dims.size(), 1), dims = data.dims;
  std::vector<bool> seen(data.dims.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto ax = norm_axis(axes[i], rank);
    if (!ax || seen[static_cast<size_t>(*ax)] || steps[i] == 0) return std::nullopt;
    const size_t a = static_cast<size_t>(*ax);
    seen[a] = true;
    const int64_t dim = data.dims[a];
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (steps[i] > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      dims[a] = e > b ? (e - b + steps[i] - 1) / steps[i] : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      dims[a] = b > e ? (b - e - steps[i] - 1) / (-steps[i]) : 0;
    }
    first[a] = b;
    step[a] = steps[i];
  }
  const size_t es = elem_size(data.dtype);
  const auto strides = strides_of(data.dims);
  const int64_t n = count(dims);
  ConstTensor out{data.dtype, dims, std::string(static_cast<size_t>(n) * es, '\0')};
  std::vector<int64_t> idx(dims.size(), 0);
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < dims.size(); ++i) src += (first[i] + idx[i] * step[i]) * strides[i];
    std::memcpy(&out.bytes[static_cast<size_t>(o) * es], &data.bytes[static_cast<size_t>(src) * es], es);
    for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
      if (++idx[static_cast<size_t>(i)] < dims[static_cast<size_t>(i)]) break;
      idx[static_cast<size_t>(i)] = 0;
    }
  }
  return out;
}

std::optional<ConstTensor> constant_of_shape(const onnx::NodeProto& node, const ConstTensor* shape) {
  auto dims = int_list(shape);
  if (!dims) return std::nullopt;
  for (int64_t d : *dims)
    if (d < 0) return std::nullopt;
  ConstTensor value{DType::kFloat32, {}, std::string(sizeof(float), '\0')};
  for (const auto& a : node.attribute()) {
    if (a.name() != "value") continue;
    auto v = from_proto(a.t());
    if (!v || count(v->dims) != 1) return std::nullopt;
    value = *v;
  }
  const int64_t n = count(*dims);
  if (n * static_cast<int64_t>(value.bytes.size()) > kMaxFoldBytes) return std::nullopt;
  ConstTensor out{value.dtype, *dims, {}};
  out.bytes.reserve(static_cast<size_t>(n) * value.bytes.size());
  for (int64_t i = 0; i < n; ++i) out.bytes += value.bytes;
  return out;
}

}  // namespace

std::optional<ConstTensor> from_proto(const onnx::TensorProto& tensor) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
  ConstTensor t;
  t.dtype = static_cast<DType>(tensor.data_type());
  t.dims.assign(tensor.dims().begin(), tensor.dims().end());
  const size_t es = elem_size(t.dtype);
  if (es == 0) return std::nullopt;
  for (int64_t d : t.dims)
    if (d < 0) return std::nullopt;
  const size_t n = static_cast<size_t>(count(t.dims));
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != n * es) return std::nullopt;
    t.bytes = tensor.raw_data();
    return t;
  }
  auto take = [&](const auto& field, auto tag) -> bool {
    using T = decltype(tag);
    if (static_cast<size_t>(field.size()) != n) return false;
    std::vector<T> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(field.Get(static_cast<int>(i)));
    t.bytes.assign(reinterpret_cast<const char*>(v.data()), n * sizeof(T));
    return true;
  };
  bool ok = false;
  switch (t.dtype) {
    case DType::kFloat32: ok = take(tensor.float_data(), float{}); break;
    case DType::kFloat64: ok = take(tensor.double_data(), double{}); break;
    case DType::kInt64: ok = take(tensor.int64_data(), int64_t{}); break;
    case DType::kUInt64: ok = take(tensor.uint64_data(), uint64_t{}); break;
    case DType::kUInt32: ok = take(tensor.uint64_data(), uint32_t{}); break;
    case DType::kInt32: ok = take(tensor.int32_data(), int32_t{}); break;
    case DType::kInt16: ok = take(tensor.int32_data(), int16_t{}); break;
    case DType::kUInt16:
    case DType::kFloat16: ok = take(tensor.int32_data(), uint16_t{}); break;
    case DType::kInt8: ok = take(tensor.int32_data(), int8_t{}); break;
    case DType::kUInt8:
    case DType::kBool: ok = take(tensor.int32_data(), uint8_t{}); break;
    default: ok = false;
  }
  if (!ok) return std::nullopt;
  return t;
}

onnx::TensorProto to_proto(const ConstTensor& tensor, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(static_cast<int32_t>(tensor.dtype));
  for (int64_t d : tensor.dims) p.add_dims(d);
  p.set_raw_data(tensor.bytes);
  return p;
}

std::optional<ConstTensor> constant_value(const onnx::NodeProto& node) {
  if (node.attribute_size() != 1 || node.output_size() != 1) return std::nullopt;
  const auto& a = node.attribute(0);
  if (a.name() == "value") return from_proto(a.t());
  if (a.name() == "value_float") return make(DType::kFloat32, {}, std::vector<float>{a.f()});
  if (a.name() == "value_int") return make(DType::kInt64, {}, std::vector<int64_t>{a.i()});
  if (a.name() == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    return make(DType::kFloat32, {static_cast<int64_t>(v.size())}, v);
  }
  if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    return make(DType::kInt64, {static_cast<int64_t>(v.size())}, v);
  }
  return std::nullopt;  // sparse tensors and strings stay as they are
}

bool is_foldable_op(const std::string& op) {
  static const char* kOps[] = {"Constant", "Identity", "Reshape", "Unsqueeze", "Squeeze",
                               "Transpose", "Cast",    "Concat",  "Gather",    "Slice",
                               "ConstantOfShape",      "Add",     "Sub",       "Mul",
                               "Div",       "Mod",     "Shape"};
  return std::any_of(std::begin(kOps), std::end(kOps), [&](const char* o) { return op == o; });
}

std::optional<ConstTensor> evaluate(const onnx::NodeProto& node,
                                    const std::vector<const ConstTensor*>& in, int64_t opset) {
  const std::string& op = node.op_type();
  if (node.output_size() != 1) return std::nullopt;
  auto arg = [&](size_t i) -> const ConstTensor* { return i < in.size() ? in[i] : nullptr; };
  std::optional<ConstTensor> out;
  if (op == "Constant") {
    out = constant_value(node);
  } else if (!arg(0)) {
    return std::nullopt;
  } else if (op == "Identity") {
    out = *arg(0);
  } else if (op == "Reshape") {
    out = reshape(node, *arg(0), arg(1));
  } else if (op == "Unsqueeze") {
    out = unsqueeze(node, *arg(0), arg(1), opset);
  } else if (op == "Squeeze") {
    out = squeeze(node, *arg(0), arg(1), opset);
  } else if (op == "Transpose") {
    out = transpose(node, *arg(0));
  } else if (op == "Cast") {
    if (has_attr(node, "saturate") && opset >= 19) return std::nullopt;
    out = cast(node, *arg(0));
  } else if (op == "Concat") {
    out = concat(node, in);
  } else if (op == "Gather") {
    out = gather(node, *arg(0), arg(1));
  } else if (op == "Slice") {
    out = slice(node, in, opset);
  } else if (op == "ConstantOfShape") {
    out = constant_of_shape(node, arg(0));
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Mod") {
    if (!arg(1)) return std::nullopt;
    out = binary(op, *arg(0), *arg(1), node_attr_int(node, "fmod", 0) != 0);
  }
  if (out && static_cast<int64_t>(out->bytes.size()) > kMaxFoldBytes) return std::nullopt;
  return out;
}

std::optional<ConstTensor> evaluate_shape(const onnx::NodeProto& node,
                                          const std::vector<int64_t>& dims) {
  for (int64_t d : dims)
    if (d < 0) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(dims.size());
  int64_t start = node_attr_int(node, "start", 0);
  int64_t end = node_attr_int(node, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> v;
  for (int64_t i = start; i < end; ++i) v.push_back(dims[static_cast<size_t>(i)]);
  return make(DType::kInt64, {static_cast<int64_t>(v.size())}, v);
}

}  // namespace edgetier::fold
