/// Node cost estimates from inferred shapes.
#include "graph/flops.h"

namespace edgetier {
namespace {

int64_t elements(const ShapeMap& shapes, const std::string& name) {
  auto it = shapes.find(name);
  if (it == shapes.end()) return 0;
  const int64_t n = shape_num_elements(it->second.shape);
  return n < 0 ? 0 : n;
}

const std::vector<int64_t>* shape_of(const ShapeMap& shapes, const std::string& name) {
  auto it = shapes.find(name);
  if (it == shapes.end() || shape_num_elements(it->second.shape) < 0) return nullptr;
  return &it->second.shape;
}

int64_t attr_int(const onnx::NodeProto& node, const char* name, int64_t fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return a.i();
  }
  return fallback;
}

}  // namespace

NodeCost node_cost(const onnx::NodeProto& node, const ShapeMap& shapes) {
  NodeCost cost;
  const std::string& op = node.op_type();
  const int64_t out_elems = node.output_size() > 0 ? elements(shapes, node.output(0)) : 0;
  if (op == "Conv" || op == "QLinearConv" || op == "ConvInteger") {
    // weight is input 1 (Conv/ConvInteger) or input 3 (QLinearConv): [Cout, Cin/group, k...]
    const int w_index = op == "QLinearConv" ? 3 : 1;
    const auto* w = node.input_size() > w_index ? shape_of(shapes, node.input(w_index)) : nullptr;
    if (w && !w->empty() && (*w)[0] > 0) {
      int64_t per_out = 1;
      for (size_t i = 1; i < w->size(); ++i) per_out *= (*w)[i];
      cost.macs = out_elems * per_out;
    }
  } else if (op == "ConvTranspose") {
    const auto* w = node.input_size() > 1 ? shape_of(shapes, node.input(1)) : nullptr;
    if (w) {
      int64_t kernel = 1;
      for (size_t i = 2; i < w->size(); ++i) kernel *= (*w)[i];
      cost.macs = elements(shapes, node.input(0)) * (*w)[1] * attr_int(node, "group", 1) * kernel;
    }
  } else if (op == "Gemm" || op == "MatMul" || op == "QLinearMatMul" || op == "MatMulInteger") {
    const int a_index = 0;
    const auto* a = shape_of(shapes, node.input(a_index));
    if (a && !a->empty()) {
      int64_t k = a->back();
      if (op == "Gemm" && attr_int(node, "transA", 0) && a->size() == 2) k = (*a)[0];
      cost.macs = out_elems * k;
    }
  }
  cost.flops = cost.macs > 0 ? 2 * cost.macs : out_elems;
  return cost;
}

}  // namespace edgetier
