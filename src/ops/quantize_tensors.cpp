/// The numeric side of quantization: activation parameters from a range, int8 weights, int32
/// biases, quantized constants, and the small initializers and nodes the writers emit.
#include <algorithm>
#include <cmath>

#include "ops/initializers.h"
#include "ops/quantize_plan.h"

namespace edgetier::quant {

QParams params_for_range(float min, float max, DType dtype) {
  const int32_t qmin = dtype == DType::kInt8 ? -128 : 0;
  const int32_t qmax = dtype == DType::kInt8 ? 127 : 255;
  const double rmin = std::min(0.0, static_cast<double>(min));
  const double rmax = std::max(0.0, static_cast<double>(max));
  QParams p;
  p.dtype = dtype;
  double scale = (rmax - rmin) / static_cast<double>(qmax - qmin);
  if (!(scale > 1e-30) || !std::isfinite(scale)) {
    p.scale = 1.0f;  // an all-zero tensor: any scale represents it exactly
    p.zero_point = 0;
    return p;
  }
  const double zp = std::round(static_cast<double>(qmin) - rmin / scale);
  p.zero_point =
      static_cast<int32_t>(std::clamp(zp, static_cast<double>(qmin), static_cast<double>(qmax)));
  p.scale = static_cast<float>(scale);
  return p;
}

int64_t weight_axis(const onnx::NodeProto& node, OpKind kind, bool per_channel) {
  if (!per_channel) return -1;
  switch (kind) {
    case OpKind::kConv: return 0;
    case OpKind::kGemm: return node_attr_int(node, "transB", 0) ? 0 : 1;
    case OpKind::kMatMul: return 1;
    default: return -1;
  }
}

Result<QuantizedWeight> quantize_weight(const onnx::TensorProto& weight, int64_t axis,
                                        bool reduce_range) {
  ASSIGN_OR_RETURN(std::vector<float> w, float_values(weight));
  QuantizedWeight q;
  q.dims.assign(weight.dims().begin(), weight.dims().end());
  q.axis = axis;
  const int64_t channels = axis >= 0 ? q.dims[static_cast<size_t>(axis)] : 1;
  int64_t inner = 1;
  if (axis >= 0) {
    for (size_t d = static_cast<size_t>(axis) + 1; d < q.dims.size(); ++d) inner *= q.dims[d];
  }
  auto channel_of = [&](size_t index) {
    return axis >= 0 ? static_cast<size_t>((static_cast<int64_t>(index) / inner) % channels)
                     : size_t{0};
  };
  std::vector<float> amax(static_cast<size_t>(channels), 0.0f);
  for (size_t i = 0; i < w.size(); ++i)
    amax[channel_of(i)] = std::max(amax[channel_of(i)], std::fabs(w[i]));
  // Symmetric [-127, 127] (or 7-bit [-63, 63]) so zero stays exact and the zero point is 0.
  const float qmax = reduce_range ? 63.0f : 127.0f;
  q.scales.resize(static_cast<size_t>(channels));
  for (size_t c = 0; c < amax.size(); ++c) q.scales[c] = amax[c] > 0.0f ? amax[c] / qmax : 1.0f;
  q.values.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const float v = std::round(w[i] / q.scales[channel_of(i)]);
    q.values[i] = static_cast<int8_t>(std::clamp(v, -qmax, qmax));
  }
  return q;
}

Result<std::vector<int32_t>> quantize_bias(const onnx::TensorProto& bias, float input_scale,
                                           const std::vector<float>& weight_scales,
                                           std::vector<float>* bias_scales) {
  ASSIGN_OR_RETURN(std::vector<float> b, float_values(bias));
  if (weight_scales.size() != 1 && weight_scales.size() != b.size()) {
    return internal_error("bias '" + bias.name() + "' has " + std::to_string(b.size()) +
                          " values for " + std::to_string(weight_scales.size()) + " weight scales");
  }
  bias_scales->resize(weight_scales.size());
  for (size_t c = 0; c < weight_scales.size(); ++c)
    (*bias_scales)[c] = input_scale * weight_scales[c];
  std::vector<int32_t> q(b.size());
  constexpr double kLimit = 2147483647.0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double s = (*bias_scales)[weight_scales.size() == 1 ? 0 : i];
    q[i] = static_cast<int32_t>(std::clamp(std::round(b[i] / s), -kLimit, kLimit));
  }
  return q;
}

Result<std::pair<std::vector<uint8_t>, QParams>> quantize_constant(
    const onnx::TensorProto& constant, DType dtype) {
  ASSIGN_OR_RETURN(std::vector<float> v, float_values(constant));
  float lo = 0.0f, hi = 0.0f;
  for (float x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  QParams p = params_for_range(lo, hi, dtype);
  const int32_t qmin = dtype == DType::kInt8 ? -128 : 0;
  const int32_t qmax = dtype == DType::kInt8 ? 127 : 255;
  std::vector<uint8_t> bytes(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const int32_t q =
        std::clamp(static_cast<int32_t>(std::lround(v[i] / p.scale)) + p.zero_point, qmin, qmax);
    bytes[i] =
        static_cast<uint8_t>(q & 0xff);  // two's complement: the same bytes serve int8 and uint8
  }
  return std::make_pair(std::move(bytes), p);
}

onnx::TensorProto scalar_initializer(const std::string& name, float value) {
  return make_initializer(name, DType::kFloat32, {}, std::vector<float>{value});
}

onnx::TensorProto zero_point_initializer(const std::string& name, DType dtype, int32_t value) {
  if (dtype == DType::kInt8)
    return make_initializer(name, dtype, {}, std::vector<int8_t>{static_cast<int8_t>(value)});
  return make_initializer(name, dtype, {}, std::vector<uint8_t>{static_cast<uint8_t>(value)});
}

onnx::NodeProto make_node(const std::string& op_type, const std::string& name,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& domain) {
  onnx::NodeProto n;
  n.set_op_type(op_type);
  n.set_name(name);
  if (!domain.empty()) n.set_domain(domain);
  for (const auto& i : inputs) n.add_input(i);
  for (const auto& o : outputs) n.add_output(o);
  return n;
}

}  // namespace edgetier::quant
