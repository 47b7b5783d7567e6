/// Model summary: gathers counts and cut analysis, prints JSON or text.
#include "graph/summary.h"

#include <cstdio>
#include <sstream>

#include "graph/flops.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"

namespace edgetier {
namespace {

nlohmann::json tensor_json(const TensorInfo& t) {
  return {{"name", t.name}, {"dtype", std::string(dtype_name(t.dtype))}, {"shape", t.shape}};
}

std::string human(double value, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (value >= 1000.0 && i < 4) {
    value /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s%s", value, prefixes[i], unit);
  return buf;
}

}  // namespace

Result<ModelSummary> summarize_model(const onnx::ModelProto& model, const InputShapes& input_shapes) {
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, input_shapes));
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ModelSummary s;
  s.opset = model_opset(model);
  s.ir_version = model.ir_version();
  s.nodes = view.num_nodes();
  for (const auto& name : view.inputs()) s.inputs.push_back(shapes.count(name) ? shapes.at(name) : TensorInfo{name, DType::kUndefined, {}});
  for (const auto& name : view.outputs()) s.outputs.push_back(shapes.count(name) ? shapes.at(name) : TensorInfo{name, DType::kUndefined, {}});
  for (const auto& init : model.graph().initializer()) {
    int64_t n = 1;
    for (int64_t d : init.dims()) n *= d;
    s.params += n;
    s.param_bytes += n * static_cast<int64_t>(dtype_size_bytes(static_cast<DType>(init.data_type())));
  }
  for (int i = 0; i < view.num_nodes(); ++i) {
    const auto& node = view.node(i);
    ++s.ops[node.op_type()];
    const NodeCost cost = node_cost(node, shapes);
    s.macs += cost.macs;
    s.flops += cost.flops;
    if (cost.macs) s.macs_by_op[node.op_type()] += cost.macs;
  }
  ASSIGN_OR_RETURN(s.cuts, analyze_cuts(view, shapes));
  return s;
}

nlohmann::json summary_to_json(const ModelSummary& s) {
  nlohmann::json j;
  j["inputs"] = nlohmann::json::array();
  for (const auto& t : s.inputs) j["inputs"].push_back(tensor_json(t));
  j["outputs"] = nlohmann::json::array();
  for (const auto& t : s.outputs) j["outputs"].push_back(tensor_json(t));
  j["opset"] = s.opset;
  j["ir_version"] = s.ir_version;
  j["nodes"] = s.nodes;
  j["params"] = s.params;
  j["param_bytes"] = s.param_bytes;
  j["macs"] = s.macs;
  j["flops"] = s.flops;
  j["ops"] = s.ops;
  j["macs_by_op"] = s.macs_by_op;
  j["cuts"] = nlohmann::json::array();
  const double total = static_cast<double>(std::max<int64_t>(s.cuts.total_flops, 1));
  for (const auto& c : s.cuts.cuts) {
    nlohmann::json cj;
    cj["tensors"] = c.names();
    cj["shapes"] = nlohmann::json::array();
    cj["dtypes"] = nlohmann::json::array();
    for (const auto& t : c.tensors) {
      cj["shapes"].push_back(t.shape);
      cj["dtypes"].push_back(std::string(dtype_name(t.dtype)));
    }
    cj["single"] = c.single();
    cj["bytes"] = c.bytes;
    cj["flops_before"] = c.flops_before;
    cj["flops_after"] = c.flops_after;
    cj["flops_before_fraction"] = static_cast<double>(c.flops_before) / total;
    j["cuts"].push_back(std::move(cj));
  }
  j["skips"] = nlohmann::json::array();
  for (const auto& k : s.cuts.skips) {
    j["skips"].push_back({{"from", k.from}, {"to", k.to}, {"shape", k.shape}, {"nodes", k.nodes}, {"flops", k.flops}});
  }
  return j;
}

std::string summary_to_text(const ModelSummary& s, bool verbose) {
  std::ostringstream out;
  out << "opset " << s.opset << ", " << s.nodes << " nodes, " << human(static_cast<double>(s.params), "")
      << " parameters (" << human(static_cast<double>(s.param_bytes), "B") << "), "
      << human(static_cast<double>(s.macs), "MAC") << "\n";
  for (const auto& t : s.inputs) {
    out << "  input  " << t.name << "  " << dtype_name(t.dtype) << " " << shape_to_string(t.shape) << "\n";
  }
  for (const auto& t : s.outputs) {
    out << "  output " << t.name << "  " << dtype_name(t.dtype) << " " << shape_to_string(t.shape) << "\n";
  }
  out << "ops:";
  for (const auto& [op, count] : s.ops) out << " " << op << "=" << count;
  out << "\n";
  int singles = 0;
  for (const auto& c : s.cuts.cuts) singles += c.single();
  out << s.cuts.cuts.size() << " cuts (" << singles << " single-tensor), " << s.cuts.skips.size()
      << " skip candidates\n";
  const double total = static_cast<double>(std::max<int64_t>(s.cuts.total_flops, 1));
  const size_t limit = verbose ? SIZE_MAX : 12;
  size_t shown = 0;
  for (const auto& c : s.cuts.cuts) {
    if (!verbose && !c.single()) continue;
    if (shown++ >= limit) {
      out << "  ... (--verbose lists all)\n";
      break;
    }
    char frac[32];
    std::snprintf(frac, sizeof frac, "%5.1f%%", 100.0 * static_cast<double>(c.flops_before) / total);
    out << "  cut " << frac << " flops below  " << human(static_cast<double>(c.bytes), "B") << "  ";
    for (size_t i = 0; i < c.tensors.size(); ++i) {
      out << (i ? ", " : "") << c.tensors[i].name << " " << shape_to_string(c.tensors[i].shape);
    }
    out << "\n";
  }
  shown = 0;
  for (const auto& k : s.cuts.skips) {
    if (shown++ >= limit) {
      out << "  ... (--verbose lists all)\n";
      break;
    }
    out << "  skip " << k.from << " -> " << k.to << "  (" << k.nodes << " nodes, "
        << human(static_cast<double>(k.flops), "FLOP") << ")\n";
  }
  return out.str();
}

}  // namespace edgetier
