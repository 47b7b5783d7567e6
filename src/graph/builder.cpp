/// GraphBuilder implementation: shape tracking per op and He-style seeded weights.
#include "graph/builder.h"

#include <cmath>
#include <stdexcept>

#include "graph/shapes.h"

namespace edgetier {

GraphBuilder::GraphBuilder(std::string graph_name, int64_t opset, uint32_t seed) : rng_(seed) {
  model_.set_ir_version(8);
  model_.set_producer_name("edgetier-builder");
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name(std::move(graph_name));
}

onnx::AttributeProto GraphBuilder::attr_int(const std::string& name, int64_t value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
  return a;
}

onnx::AttributeProto GraphBuilder::attr_ints(const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
  return a;
}

onnx::AttributeProto GraphBuilder::attr_float(const std::string& name, float value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(value);
  return a;
}

onnx::AttributeProto GraphBuilder::attr_string(const std::string& name, const std::string& value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(value);
  return a;
}

std::string GraphBuilder::fresh(const std::string& hint) {
  const int n = counters_[hint]++;
  return "/" + hint + "_" + std::to_string(n);
}

void GraphBuilder::set_shape(const std::string& tensor, std::vector<int64_t> shape, DType dtype) {
  shapes_[tensor] = TensorInfo{tensor, dtype, std::move(shape)};
}

const std::vector<int64_t>& GraphBuilder::shape(const std::string& tensor) const {
  auto it = shapes_.find(tensor);
  // Programmer error in a fixture: the builder only tracks tensors it made.
  if (it == shapes_.end()) throw std::logic_error("GraphBuilder: unknown tensor " + tensor);
  return it->second.shape;
}

std::string GraphBuilder::input(const std::string& name, std::vector<int64_t> shape, DType dtype) {
  TensorInfo info{name, dtype, shape};
  set_value_info(info, model_.mutable_graph()->add_input());
  shapes_[name] = info;
  return name;
}

std::string GraphBuilder::initializer(const std::string& name, std::vector<int64_t> shape,
                                      std::vector<float> values, float scale) {
  const int64_t n = shape_num_elements(shape);
  if (values.empty()) {
    std::normal_distribution<float> dist(0.0f, scale);
    values.resize(static_cast<size_t>(n));
    for (auto& v : values) v = dist(rng_);
  }
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  shapes_[name] = TensorInfo{name, DType::kFloat32, shape};
  return name;
}

std::string GraphBuilder::int64_initializer(const std::string& name, std::vector<int64_t> shape,
                                            std::vector<int64_t> values) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : shape) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t)));
  shapes_[name] = TensorInfo{name, DType::kInt64, shape};
  return name;
}

std::vector<std::string> GraphBuilder::node(const std::string& op_type, const std::vector<std::string>& inputs,
                                            int num_outputs, const std::vector<onnx::AttributeProto>& attributes,
                                            const std::string& name_hint) {
  const std::string base = fresh(name_hint.empty() ? op_type : name_hint);
  auto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op_type);
  n->set_name(base);
  for (const auto& in : inputs) n->add_input(in);
  std::vector<std::string> outs;
  for (int i = 0; i < num_outputs; ++i) {
    outs.push_back(base + "/" + op_type + "_output_" + std::to_string(i));
    n->add_output(outs.back());
  }
  for (const auto& a : attributes) *n->add_attribute() = a;
  return outs;
}

std::string GraphBuilder::op_output(const std::string& op_type, const std::vector<std::string>& inputs,
                                    std::vector<int64_t> out_shape, const std::vector<onnx::AttributeProto>& attrs,
                                    DType dtype) {
  std::string out = node(op_type, inputs, 1, attrs)[0];
  set_shape(out, std::move(out_shape), dtype);
  return out;
}

std::string GraphBuilder::conv(const std::string& x, const ConvSpec& spec) {
  const auto& s = shape(x);  // N C H W
  const int64_t pad = spec.pad >= 0 ? spec.pad : spec.kernel / 2 * spec.dilation;
  const int64_t in_c = s[1];
  const std::string base = fresh("conv_w");
  // He initialisation keeps activations at a sane scale through deep fixtures.
  const float scale = std::sqrt(2.0f / static_cast<float>(in_c / spec.group * spec.kernel * spec.kernel));
  std::vector<std::string> ins = {x, initializer(base + ".weight",
                                                 {spec.out_channels, in_c / spec.group, spec.kernel, spec.kernel},
                                                 {}, scale)};
  if (spec.bias) ins.push_back(initializer(base + ".bias", {spec.out_channels}, {}, 0.01f));
  const int64_t eff_k = spec.dilation * (spec.kernel - 1) + 1;
  const int64_t h = (s[2] + 2 * pad - eff_k) / spec.stride + 1;
  const int64_t w = (s[3] + 2 * pad - eff_k) / spec.stride + 1;
  return op_output("Conv", ins, {s[0], spec.out_channels, h, w},
                   {attr_ints("kernel_shape", {spec.kernel, spec.kernel}), attr_ints("strides", {spec.stride, spec.stride}),
                    attr_ints("pads", {pad, pad, pad, pad}), attr_ints("dilations", {spec.dilation, spec.dilation}),
                    attr_int("group", spec.group)});
}

std::string GraphBuilder::batch_norm(const std::string& x) {
  const int64_t c = shape(x)[1];
  const std::string base = fresh("bn");
  std::uniform_real_distribution<float> pos(0.5f, 1.5f);
  std::vector<float> gamma(c), beta(c), mean(c), var(c);
  std::normal_distribution<float> small(0.0f, 0.1f);
  for (int64_t i = 0; i < c; ++i) {
    gamma[i] = pos(rng_);
    beta[i] = small(rng_);
    mean[i] = small(rng_);
    var[i] = pos(rng_);
  }
  return op_output("BatchNormalization",
                   {x, initializer(base + ".gamma", {c}, gamma), initializer(base + ".beta", {c}, beta),
                    initializer(base + ".mean", {c}, mean), initializer(base + ".var", {c}, var)},
                   shape(x), {attr_float("epsilon", 1e-5f)});
}

std::string GraphBuilder::relu(const std::string& x) { return op_output("Relu", {x}, shape(x)); }

std::string GraphBuilder::add(const std::string& a, const std::string& b) { return op_output("Add", {a, b}, shape(a)); }

std::string GraphBuilder::max_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t pad) {
  const auto& s = shape(x);
  return op_output("MaxPool", {x},
                   {s[0], s[1], (s[2] + 2 * pad - kernel) / stride + 1, (s[3] + 2 * pad - kernel) / stride + 1},
                   {attr_ints("kernel_shape", {kernel, kernel}), attr_ints("strides", {stride, stride}),
                    attr_ints("pads", {pad, pad, pad, pad})});
}

std::string GraphBuilder::global_avg_pool(const std::string& x) {
  const auto& s = shape(x);
  return op_output("GlobalAveragePool", {x}, {s[0], s[1], 1, 1});
}

std::string GraphBuilder::flatten(const std::string& x) {
  const auto& s = shape(x);
  int64_t rest = 1;
  for (size_t i = 1; i < s.size(); ++i) rest *= s[i];
  return op_output("Flatten", {x}, {s[0], rest}, {attr_int("axis", 1)});
}

std::string GraphBuilder::gemm(const std::string& x, int64_t out_features) {
  const auto& s = shape(x);
  const std::string base = fresh("fc");
  const float scale = std::sqrt(1.0f / static_cast<float>(s[1]));
  return op_output("Gemm",
                   {x, initializer(base + ".weight", {out_features, s[1]}, {}, scale),
                    initializer(base + ".bias", {out_features}, {}, 0.01f)},
                   {s[0], out_features}, {attr_int("transB", 1)});
}

std::string GraphBuilder::matmul(const std::string& x, int64_t out_features) {
  const auto& s = shape(x);
  const std::string base = fresh("mm");
  const float scale = std::sqrt(1.0f / static_cast<float>(s.back()));
  std::vector<int64_t> out = s;
  out.back() = out_features;
  return op_output("MatMul", {x, initializer(base + ".weight", {s.back(), out_features}, {}, scale)}, out);
}

std::string GraphBuilder::resize(const std::string& x, float scale) {
  const auto& s = shape(x);
  const std::string base = fresh("resize");
  const std::string scales = initializer(base + ".scales", {4}, {1.0f, 1.0f, scale, scale});
  return op_output("Resize", {x, "", scales},
                   {s[0], s[1], static_cast<int64_t>(s[2] * scale), static_cast<int64_t>(s[3] * scale)},
                   {attr_string("mode", "nearest")});
}

std::string GraphBuilder::concat(const std::vector<std::string>& xs, int64_t axis) {
  std::vector<int64_t> out = shape(xs[0]);
  const size_t a = static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(out.size()) : axis);
  for (size_t i = 1; i < xs.size(); ++i) out[a] += shape(xs[i])[a];
  return op_output("Concat", xs, out, {attr_int("axis", axis)}, shapes_.at(xs[0]).dtype);
}

std::string GraphBuilder::softmax(const std::string& x, int64_t axis) {
  return op_output("Softmax", {x}, shape(x), {attr_int("axis", axis)});
}

std::string GraphBuilder::shape_gather_unsqueeze(const std::string& x, int64_t index) {
  const std::string s = op_output("Shape", {x}, {static_cast<int64_t>(shape(x).size())}, {}, DType::kInt64);
  const std::string idx = fresh("gather_idx");
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(idx);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_int64_data(index);  // scalar
  shapes_[idx] = TensorInfo{idx, DType::kInt64, {}};
  const std::string g = op_output("Gather", {s, idx}, {}, {attr_int("axis", 0)}, DType::kInt64);
  const std::string axes = int64_initializer(fresh("unsq_axes"), {1}, {0});
  return op_output("Unsqueeze", {g, axes}, {1}, {}, DType::kInt64);
}

std::string GraphBuilder::residual_block(const std::string& x, int64_t channels) {
  ConvSpec spec;
  spec.out_channels = channels;
  std::string y = relu(batch_norm(conv(x, spec)));
  y = batch_norm(conv(y, spec));
  return relu(add(y, x));
}

void GraphBuilder::output(const std::string& tensor) {
  auto it = shapes_.find(tensor);
  TensorInfo info = it != shapes_.end() ? it->second : TensorInfo{tensor, DType::kFloat32, {}};
  info.name = tensor;
  set_value_info(info, model_.mutable_graph()->add_output());
}

Result<onnx::ModelProto> GraphBuilder::build() {
  // Validate through onnx's own inference so a fixture can never be silently malformed.
  auto shapes = infer_shapes(model_);
  if (!shapes.ok()) return shapes.status().with_context("GraphBuilder");
  return model_;
}

}  // namespace edgetier
