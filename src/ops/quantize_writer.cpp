/// Output-graph assembly for quantize(): names, parameter initializers, weights, final clean-up.
#include "ops/quantize_writer.h"

#include "ops/initializers.h"

namespace edgetier::quant {

GraphWriter::GraphWriter(const QuantPlan& plan) : plan_(&plan) {
  const onnx::GraphProto& g = plan.model.graph();
  inits_ = initializer_map(g);
  for (const auto& t : g.initializer()) taken_[t.name()] = 1;
  for (const auto& v : g.input()) taken_[v.name()] = 1;
  for (const auto& v : g.output()) taken_[v.name()] = 1;
  for (const auto& v : g.value_info()) taken_[v.name()] = 1;
  for (const auto& node : g.node()) {
    if (!node.name().empty()) taken_[node.name()] = 1;
    for (const auto& o : node.output()) taken_[o] = 1;
    for (const auto& i : node.input()) taken_[i] = 1;
  }
}

const onnx::TensorProto* GraphWriter::initializer(const std::string& name) const {
  auto it = inits_.find(name);
  return it == inits_.end() ? nullptr : it->second;
}

std::string GraphWriter::fresh(const std::string& base) { return unique_name(base, &taken_); }

const std::pair<std::string, std::string>& GraphWriter::activation_params(const std::string& t) {
  auto it = params_.find(t);
  if (it != params_.end()) return it->second;
  const QParams& p = plan_->activations.at(t);
  std::pair<std::string, std::string> names{fresh(t + "_scale"), fresh(t + "_zero_point")};
  add_initializer(scalar_initializer(names.first, p.scale));
  add_initializer(zero_point_initializer(names.second, p.dtype, p.zero_point));
  return params_.emplace(t, std::move(names)).first->second;
}

std::string GraphWriter::add_dequantize(const std::string& t, const std::string& q_input,
                                        const std::string& output) {
  const auto params = activation_params(t);
  const std::string out = output.empty() ? fresh(t + "_dequantized") : output;
  add_node(make_node("DequantizeLinear", fresh(t + "_DequantizeLinear"),
                     {q_input, params.first, params.second}, {out}));
  return out;
}

std::string GraphWriter::add_quantize(const std::string& t, const std::string& input,
                                      const std::string& output) {
  const auto params = activation_params(t);
  add_node(make_node("QuantizeLinear", fresh(t + "_QuantizeLinear"),
                     {input, params.first, params.second}, {output}));
  return output;
}

Result<GraphWriter::Constant> GraphWriter::add_constant(const std::string& name) {
  const onnx::TensorProto* t = initializer(name);
  if (!t) return internal_error("quantize: constant '" + name + "' is not an initializer");
  const DType dtype = plan_->options.activation_dtype;
  ASSIGN_OR_RETURN(auto quantized, quantize_constant(*t, dtype));
  Constant c{fresh(name + "_quantized"), fresh(name + "_scale"), fresh(name + "_zero_point")};
  onnx::TensorProto data;
  data.set_name(c.data);
  data.set_data_type(static_cast<int32_t>(dtype));
  for (int64_t d : t->dims()) data.add_dims(d);
  data.set_raw_data(std::string(quantized.first.begin(), quantized.first.end()));
  add_initializer(std::move(data));
  add_initializer(scalar_initializer(c.scale, quantized.second.scale));
  add_initializer(zero_point_initializer(c.zero_point, dtype, quantized.second.zero_point));
  return c;
}

Result<GraphWriter::Weights> GraphWriter::add_weights(const onnx::NodeProto& node, OpKind kind) {
  const QuantizeOptions& o = plan_->options;
  const onnx::TensorProto* w = initializer(node.input(1));
  if (!w)
    return internal_error("quantize: weight '" + node.input(1) + "' of '" + node.name() +
                          "' is not an initializer");
  Weights out;
  out.axis = weight_axis(node, kind, o.per_channel);
  ASSIGN_OR_RETURN(QuantizedWeight qw, quantize_weight(*w, out.axis, o.reduce_range));
  const std::vector<int64_t> param_dims =
      out.axis >= 0 ? std::vector<int64_t>{static_cast<int64_t>(qw.scales.size())}
                    : std::vector<int64_t>{};
  out.weight = fresh(node.input(1) + "_quantized");
  out.weight_scale = fresh(node.input(1) + "_scale");
  out.weight_zero_point = fresh(node.input(1) + "_zero_point");
  add_initializer(make_initializer(out.weight, DType::kInt8, qw.dims, qw.values));
  add_initializer(make_initializer(out.weight_scale, DType::kFloat32, param_dims, qw.scales));
  add_initializer(make_initializer(out.weight_zero_point, DType::kInt8, param_dims,
                                   std::vector<int8_t>(qw.scales.size(), 0)));

  const bool has_bias = (kind == OpKind::kConv || kind == OpKind::kGemm) && node.input_size() > 2 &&
                        !node.input(2).empty();
  if (!has_bias) return out;
  const onnx::TensorProto* b = initializer(node.input(2));
  if (!b)
    return internal_error("quantize: bias '" + node.input(2) + "' of '" + node.name() +
                          "' is not an initializer");
  const float input_scale = plan_->activations.at(node.input(0)).scale;
  std::vector<float> bias_scales;
  ASSIGN_OR_RETURN(std::vector<int32_t> qb,
                   quantize_bias(*b, input_scale, qw.scales, &bias_scales));
  out.bias = fresh(node.input(2) + "_quantized");
  out.bias_scale = fresh(node.input(2) + "_scale");
  out.bias_zero_point = fresh(node.input(2) + "_zero_point");
  // A Gemm's [1, N] bias is stored as [N]: the same broadcast, and the shape the int8 kernels take.
  add_initializer(make_initializer(out.bias, DType::kInt32, {static_cast<int64_t>(qb.size())}, qb));
  add_initializer(make_initializer(out.bias_scale, DType::kFloat32, param_dims, bias_scales));
  add_initializer(make_initializer(out.bias_zero_point, DType::kInt32, param_dims,
                                   std::vector<int32_t>(bias_scales.size(), 0)));
  return out;
}

Status GraphWriter::finish(onnx::ModelProto* out) {
  onnx::ModelProto m = plan_->model;
  onnx::GraphProto* g = m.mutable_graph();
  g->clear_node();
  bool uses_ms = false;
  for (auto& node : nodes_) {
    uses_ms = uses_ms || node.domain() == kMsDomain;
    *g->add_node() = std::move(node);
  }
  nodes_.clear();
  for (auto& t : new_initializers_) *g->add_initializer() = std::move(t);
  new_initializers_.clear();
  remove_unused_initializers(g);
  // Shapes recorded for the float model may now be wrong in dtype; ONNX Runtime re-infers them.
  g->clear_value_info();
  if (uses_ms) {
    bool has = false;
    for (const auto& op : m.opset_import()) has = has || op.domain() == kMsDomain;
    if (!has) {
      auto* op = m.add_opset_import();
      op->set_domain(kMsDomain);
      op->set_version(1);
    }
  }
  *out = std::move(m);
  return ok_status();
}

}  // namespace edgetier::quant
