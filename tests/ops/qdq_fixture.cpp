/// Hand-made QDQ fixture: inserts Q/DQ pairs and int8 conv weights into a float model.
#include "ops/qdq_fixture.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace edgetier::testing {
namespace {

void add_scalar(onnx::GraphProto* g, const std::string& name, float value) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(value);
}

void add_zero_point(onnx::GraphProto* g, const std::string& name, int32_t dtype, int value) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(dtype);
  const char byte = static_cast<char>(value);
  t->set_raw_data(std::string(1, byte));
}

onnx::NodeProto make_node(const std::string& op, const std::vector<std::string>& ins,
                          const std::string& out) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(out + "_node");
  for (const auto& i : ins) n.add_input(i);
  n.add_output(out);
  return n;
}

}  // namespace

onnx::ModelProto to_qdq(const onnx::ModelProto& float_model) {
  onnx::ModelProto m = float_model;
  onnx::GraphProto* g = m.mutable_graph();
  std::set<std::string> outputs;
  for (const auto& o : g->output()) outputs.insert(o.name());
  add_scalar(g, "qdq_act_scale", 0.05f);
  add_zero_point(g, "qdq_act_zp", onnx::TensorProto::UINT8, 128);
  add_zero_point(g, "qdq_w_zp", onnx::TensorProto::INT8, 0);

  // Conv weights become int8 initializers behind a DequantizeLinear.
  std::vector<onnx::NodeProto> weight_dq;
  for (auto& node : *g->mutable_node()) {
    if (node.op_type() != "Conv") continue;
    const std::string w = node.input(1);
    auto it = std::find_if(g->mutable_initializer()->begin(), g->mutable_initializer()->end(),
                           [&](const onnx::TensorProto& t) { return t.name() == w; });
    if (it == g->mutable_initializer()->end()) continue;
    const size_t count = it->raw_data().size() / sizeof(float);
    std::vector<float> values(count);
    std::memcpy(values.data(), it->raw_data().data(), count * sizeof(float));
    float max_abs = 1e-8f;
    for (float v : values) max_abs = std::max(max_abs, std::fabs(v));
    const float scale = max_abs / 127.0f;
    std::string q(count, '\0');
    for (size_t i = 0; i < count; ++i)
      q[i] = static_cast<char>(static_cast<int8_t>(std::lround(values[i] / scale)));
    it->set_name(w + "_quantized");
    it->set_data_type(onnx::TensorProto::INT8);
    it->set_raw_data(q);
    add_scalar(g, w + "_scale", scale);
    weight_dq.push_back(
        make_node("DequantizeLinear", {w + "_quantized", w + "_scale", "qdq_w_zp"}, w));
  }

  // Every float activation X (graph input or node output) gets X -> Q -> DQ; readers move to DQ.
  std::vector<std::string> activations;
  for (const auto& in : g->input()) {
    if (in.type().tensor_type().elem_type() == onnx::TensorProto::FLOAT)
      activations.push_back(in.name());
  }
  for (const auto& node : g->node()) {
    if (node.op_type() == "Shape" || node.op_type() == "Gather" || node.op_type() == "Unsqueeze" ||
        node.op_type() == "Concat" || node.op_type() == "Flatten" || node.op_type() == "Gemm") {
      continue;  // int64 side branches, and the classifier head stays float
    }
    for (const auto& out : node.output()) {
      if (!outputs.count(out)) activations.push_back(out);
    }
  }
  std::vector<onnx::NodeProto> nodes(g->node().begin(), g->node().end());
  std::vector<onnx::NodeProto> result = weight_dq;
  auto rename_readers = [&](const std::string& from, const std::string& to, size_t start) {
    for (size_t i = start; i < nodes.size(); ++i) {
      for (auto& in : *nodes[i].mutable_input()) {
        if (in == from) in = to;
      }
    }
  };
  std::set<std::string> act_set(activations.begin(), activations.end());
  for (const auto& in : g->input()) {
    if (!act_set.count(in.name())) continue;
    result.push_back(make_node("QuantizeLinear", {in.name(), "qdq_act_scale", "qdq_act_zp"},
                               in.name() + "_quantized"));
    result.push_back(make_node("DequantizeLinear",
                               {in.name() + "_quantized", "qdq_act_scale", "qdq_act_zp"},
                               in.name() + "_dequantized"));
    rename_readers(in.name(), in.name() + "_dequantized", 0);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    result.push_back(nodes[i]);
    for (const auto& out : nodes[i].output()) {
      if (!act_set.count(out)) continue;
      rename_readers(out, out + "_dequantized", i + 1);
      result.push_back(
          make_node("QuantizeLinear", {out, "qdq_act_scale", "qdq_act_zp"}, out + "_quantized"));
      result.push_back(make_node("DequantizeLinear",
                                 {out + "_quantized", "qdq_act_scale", "qdq_act_zp"},
                                 out + "_dequantized"));
    }
  }
  g->clear_node();
  for (auto& n : result) *g->add_node() = std::move(n);
  g->clear_value_info();
  return m;
}

}  // namespace edgetier::testing
