/// QOperator writer: quantized nodes become explicit integer operators on 8-bit tensors, with
/// QuantizeLinear/DequantizeLinear only where float and int8 parts of the graph meet.
#include <algorithm>

#include "graph/graph_view.h"
#include "ops/initializers.h"
#include "ops/quantize_writer.h"

namespace edgetier::quant {
namespace {

struct QInput {
  std::string data, scale, zero_point;
};

void copy_attributes(const onnx::NodeProto& from, onnx::NodeProto* to,
                     const std::vector<std::string>& skip = {}) {
  for (const auto& a : from.attribute()) {
    if (std::find(skip.begin(), skip.end(), a.name()) == skip.end()) *to->add_attribute() = a;
  }
}

}  // namespace

Status write_qoperator(const QuantPlan& plan, onnx::ModelProto* out) {
  const onnx::GraphProto& g = plan.model.graph();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(g));
  GraphWriter w(plan);
  std::unordered_set<std::string> init_names;
  for (const auto& t : g.initializer()) init_names.insert(t.name());

  auto reads_int8 = [&](int consumer, const std::string& t) {
    if (!plan.quantized[static_cast<size_t>(consumer)]) return false;
    const onnx::NodeProto& c = view.node(consumer);
    for (int slot : activation_slots(c, plan.kind[static_cast<size_t>(consumer)], init_names)) {
      if (c.input(slot) == t) return true;
    }
    return false;
  };
  auto needs_int8 = [&](const std::string& t) {
    for (int c : view.consumers(t)) {
      if (reads_int8(c, t)) return true;
    }
    return false;
  };
  auto needs_float = [&](const std::string& t) {
    if (view.is_graph_output(t)) return true;
    for (int c : view.consumers(t)) {
      const onnx::NodeProto& node = view.node(c);
      // A quantized reader may still take the tensor in a float slot (e.g. a Resize size input).
      int plain_reads = 0;
      for (const auto& in : node.input()) plain_reads += in == t ? 1 : 0;
      if (!reads_int8(c, t)) return true;
      int int8_reads = 0;
      for (int slot : activation_slots(node, plan.kind[static_cast<size_t>(c)], init_names)) {
        int8_reads += node.input(slot) == t ? 1 : 0;
      }
      if (plain_reads > int8_reads) return true;
    }
    return false;
  };
  std::unordered_map<std::string, std::string> int8_name;
  auto int8_of = [&](const std::string& t) -> const std::string& {
    auto it = int8_name.find(t);
    if (it == int8_name.end()) it = int8_name.emplace(t, w.fresh(t + "_quantized")).first;
    return it->second;
  };
  auto input_of = [&](const std::string& t) -> Result<QInput> {
    if (init_names.count(t)) {
      ASSIGN_OR_RETURN(GraphWriter::Constant c, w.add_constant(t));
      return QInput{c.data, c.scale, c.zero_point};
    }
    const auto params = w.activation_params(t);
    return QInput{int8_of(t), params.first, params.second};
  };

  for (const auto& in : view.inputs()) {
    if (plan.is_quantized_tensor(in) && needs_int8(in)) w.add_quantize(in, in, int8_of(in));
  }

  for (int i : view.topo_order()) {
    const onnx::NodeProto& node = g.node(i);
    const std::string label = node.name().empty() ? node.op_type() : node.name();
    if (!plan.quantized[static_cast<size_t>(i)]) {
      w.add_node(node);
      for (const auto& t : node.output()) {
        if (plan.is_quantized_tensor(t) && needs_int8(t)) w.add_quantize(t, t, int8_of(t));
      }
      continue;
    }
    const OpKind kind = plan.kind[static_cast<size_t>(i)];
    const std::string y = node.output(0);
    const bool float_y = plan.float_outputs.count(y) > 0;
    std::vector<std::string> y_params;
    if (!float_y) {
      const auto params = w.activation_params(y);
      y_params = {params.first, params.second};
    }
    const std::string y_out = float_y ? y : int8_of(y);
    onnx::NodeProto q;
    switch (kind) {
      case OpKind::kConv: {
        ASSIGN_OR_RETURN(QInput x, input_of(node.input(0)));
        ASSIGN_OR_RETURN(GraphWriter::Weights wt, w.add_weights(node, kind));
        q = make_node("QLinearConv", w.fresh(label + "_quant"),
                      {x.data, x.scale, x.zero_point, wt.weight, wt.weight_scale,
                       wt.weight_zero_point, y_params[0], y_params[1]},
                      {y_out});
        if (!wt.bias.empty()) q.add_input(wt.bias);
        copy_attributes(node, &q);
        break;
      }
      case OpKind::kGemm: {
        ASSIGN_OR_RETURN(QInput a, input_of(node.input(0)));
        ASSIGN_OR_RETURN(GraphWriter::Weights wt, w.add_weights(node, kind));
        q = make_node("QGemm", w.fresh(label + "_quant"),
                      {a.data, a.scale, a.zero_point, wt.weight, wt.weight_scale,
                       wt.weight_zero_point, wt.bias},
                      {y_out}, kMsDomain);
        for (const auto& p : y_params) q.add_input(p);
        copy_attributes(node, &q, {"beta"});
        break;
      }
      case OpKind::kMatMul: {
        ASSIGN_OR_RETURN(QInput a, input_of(node.input(0)));
        QInput b;
        if (init_names.count(node.input(1))) {
          ASSIGN_OR_RETURN(GraphWriter::Weights wt, w.add_weights(node, kind));
          b = {wt.weight, wt.weight_scale, wt.weight_zero_point};
        } else {
          ASSIGN_OR_RETURN(b, input_of(node.input(1)));
        }
        q = make_node("QLinearMatMul", w.fresh(label + "_quant"),
                      {a.data, a.scale, a.zero_point, b.data, b.scale, b.zero_point, y_params[0],
                       y_params[1]},
                      {y_out});
        break;
      }
      case OpKind::kBinary: {
        ASSIGN_OR_RETURN(QInput a, input_of(node.input(0)));
        ASSIGN_OR_RETURN(QInput b, input_of(node.input(1)));
        q = make_node("QLinear" + node.op_type(), w.fresh(label + "_quant"),
                      {a.data, a.scale, a.zero_point, b.data, b.scale, b.zero_point, y_params[0],
                       y_params[1]},
                      {y_out}, kMsDomain);
        break;
      }
      case OpKind::kConcat: {
        q = make_node("QLinearConcat", w.fresh(label + "_quant"), {y_params[0], y_params[1]},
                      {y_out}, kMsDomain);
        for (const auto& t : node.input()) {
          ASSIGN_OR_RETURN(QInput x, input_of(t));
          q.add_input(x.data);
          q.add_input(x.scale);
          q.add_input(x.zero_point);
        }
        copy_attributes(node, &q);
        break;
      }
      case OpKind::kPool: {
        ASSIGN_OR_RETURN(QInput x, input_of(node.input(0)));
        q = make_node("QLinear" + node.op_type(), w.fresh(label + "_quant"),
                      {x.data, x.scale, x.zero_point, y_params[0], y_params[1]}, {y_out},
                      kMsDomain);
        copy_attributes(node, &q);
        set_node_attr_int(&q, "channels_last", 0);
        break;
      }
      case OpKind::kUnary: {
        ASSIGN_OR_RETURN(QInput x, input_of(node.input(0)));
        q = make_node("QLinear" + node.op_type(), w.fresh(label + "_quant"),
                      {x.data, x.scale, x.zero_point, y_params[0], y_params[1]}, {y_out},
                      kMsDomain);
        copy_attributes(node, &q);
        break;
      }
      case OpKind::kPassThrough: {
        q = node;
        q.set_input(0, int8_of(node.input(0)));
        q.set_output(0, y_out);
        break;
      }
    }
    w.add_node(std::move(q));
    if (!float_y && needs_float(y)) w.add_dequantize(y, y_out, y);
  }
  return w.finish(out);
}

}  // namespace edgetier::quant
