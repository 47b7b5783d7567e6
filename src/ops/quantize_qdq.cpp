/// QDQ writer: QuantizeLinear after each quantized activation, one DequantizeLinear per reader.
///
/// Placement follows what ONNX Runtime's QDQ fusion matches (DQ inputs -> op -> Q output):
/// - a quantized tensor's producer writes only into its QuantizeLinear (the fusion requires every
///   output edge to be a Q), and every reader, int8 or float, gets its own DequantizeLinear;
/// - a graph output is re-created by a DequantizeLinear, so the producer never writes a graph
///   output itself (which would block the fusion) and output names stay unchanged;
/// - weights are int8 initializers behind a DequantizeLinear (per-channel axis), biases int32;
/// - pass-through ops (MaxPool, Resize, reshapes) get equal Q/DQ parameters so the pair is dropped.
#include "graph/graph_view.h"
#include "ops/initializers.h"
#include "ops/quantize_writer.h"

namespace edgetier::quant {
namespace {

void set_axis(onnx::NodeProto* node, int64_t axis) {
  if (axis >= 0) set_node_attr_int(node, "axis", axis);
}

// DequantizeLinear nodes for the int8 weight and int32 bias; rewires `node` to read them.
// `original` is the node before its inputs were rewired (the bias scale needs its input's name).
Status dequantize_weights(GraphWriter* w, OpKind kind, const onnx::NodeProto& original,
                          onnx::NodeProto* node) {
  ASSIGN_OR_RETURN(GraphWriter::Weights q, w->add_weights(original, kind));
  const std::string weight_name = node->input(1);
  const std::string wf = w->fresh(weight_name + "_dequantized");
  onnx::NodeProto dq = make_node("DequantizeLinear", w->fresh(weight_name + "_DequantizeLinear"),
                                 {q.weight, q.weight_scale, q.weight_zero_point}, {wf});
  set_axis(&dq, q.axis);
  w->add_node(std::move(dq));
  node->set_input(1, wf);
  if (q.bias.empty()) return ok_status();
  const std::string bias_name = node->input(2);
  const std::string bf = w->fresh(bias_name + "_dequantized");
  onnx::NodeProto bdq = make_node("DequantizeLinear", w->fresh(bias_name + "_DequantizeLinear"),
                                  {q.bias, q.bias_scale, q.bias_zero_point}, {bf});
  set_axis(&bdq, q.axis >= 0 ? 0 : -1);
  w->add_node(std::move(bdq));
  node->set_input(2, bf);
  return ok_status();
}

}  // namespace

Status write_qdq(const QuantPlan& plan, onnx::ModelProto* out) {
  const onnx::GraphProto& g = plan.model.graph();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(g));
  GraphWriter w(plan);
  std::unordered_set<std::string> init_names;
  for (const auto& t : g.initializer()) init_names.insert(t.name());

  // The QuantizeLinear output of each quantized activation.
  std::unordered_map<std::string, std::string> quantized_name;
  for (const auto& in : view.inputs()) {
    if (plan.is_quantized_tensor(in))
      quantized_name[in] = w.add_quantize(in, in, w.fresh(in + "_quantized"));
  }

  for (int i : view.topo_order()) {
    onnx::NodeProto node = g.node(i);
    const bool quantized = plan.quantized[static_cast<size_t>(i)];
    const OpKind kind = plan.kind[static_cast<size_t>(i)];
    // Readers of quantized activations each get their own DequantizeLinear.
    std::unordered_map<std::string, std::string> dequantized;
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& t = node.input(k);
      if (!plan.is_quantized_tensor(t)) continue;
      auto it = dequantized.find(t);
      if (it == dequantized.end())
        it = dequantized.emplace(t, w.add_dequantize(t, quantized_name.at(t))).first;
      node.set_input(k, it->second);
    }
    if (quantized) {
      for (int slot : activation_slots(node, kind, init_names)) {
        const std::string& t = node.input(slot);
        if (!init_names.count(t)) continue;
        ASSIGN_OR_RETURN(GraphWriter::Constant c, w.add_constant(t));
        const std::string f = w.fresh(t + "_dequantized");
        w.add_node(make_node("DequantizeLinear", w.fresh(t + "_DequantizeLinear"),
                             {c.data, c.scale, c.zero_point}, {f}));
        node.set_input(slot, f);
      }
      const bool has_weight = kind == OpKind::kConv || kind == OpKind::kGemm ||
                              (kind == OpKind::kMatMul && init_names.count(node.input(1)));
      if (has_weight) RETURN_IF_ERROR(dequantize_weights(&w, kind, g.node(i), &node));
    }
    // Outputs: the producer writes into its QuantizeLinear only.
    std::vector<std::pair<std::string, std::string>> graph_outputs;  // (name, producer-side name)
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string t = node.output(k);
      if (!plan.is_quantized_tensor(t)) continue;
      if (view.is_graph_output(t)) {
        const std::string pre = w.fresh(t + "_prequantize");
        node.set_output(k, pre);
        graph_outputs.emplace_back(t, pre);
      } else {
        graph_outputs.emplace_back("", t);
      }
    }
    w.add_node(std::move(node));
    for (const auto& [graph_output, source] : graph_outputs) {
      const std::string t = graph_output.empty() ? source : graph_output;
      quantized_name[t] = w.add_quantize(t, source, w.fresh(t + "_quantized"));
      if (!graph_output.empty()) w.add_dequantize(t, quantized_name[t], t);
    }
  }
  return w.finish(out);
}

}  // namespace edgetier::quant
