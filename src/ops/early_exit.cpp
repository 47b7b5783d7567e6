/// Static early exit: region check, rewiring, pruning.
#include "ops/early_exit.h"

#include <unordered_set>

#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "ops/subgraph.h"
#include "ops/exit_select.h"

namespace edgetier {
namespace {

std::string info_text(const TensorInfo& t) {
  return std::string(dtype_name(t.dtype)) + " " + shape_to_string(t.shape);
}

}  // namespace

Status early_exit(const onnx::ModelProto& model, const EarlyExitOptions& options,
                  onnx::ModelProto* out, EarlyExitReport* report) {
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, options.input_shapes));
  std::string from = options.from, to = options.to;
  if (from.empty() && to.empty()) {
    if (options.skip_last < 0)
      return invalid_argument("early exit: --skip-last must be >= 1, got " +
                              std::to_string(options.skip_last));
    ASSIGN_OR_RETURN(CutAnalysis analysis, analyze_cuts(view, shapes));
    ExitSelectOptions select = options.select;
    select.blocks = options.skip_last;
    ASSIGN_OR_RETURN(ExitChoice choice, choose_exit(view, shapes, analysis, select));
    from = choice.from;
    to = choice.to;
  } else if (from.empty() || to.empty()) {
    return invalid_argument("early exit: --skip needs FROM:TO, got '" + from + ":" + to + "'");
  }
  const std::string label = "early exit " + from + " -> " + to;
  if (!view.has_tensor(from)) return unknown_tensor("early exit", from, view);
  if (!view.has_tensor(to)) return unknown_tensor("early exit", to, view);
  if (from == to) return invalid_argument(label + ": FROM and TO are the same tensor");
  if (!view.is_activation(to))
    return invalid_argument(label + ": '" + to + "' is not computed by a node");
  const TensorInfo& from_info = shapes.at(from);
  const TensorInfo& to_info = shapes.at(to);
  if (from_info.dtype != to_info.dtype || from_info.shape != to_info.shape) {
    return invalid_argument(
        label + ": the shapes differ ('" + from + "' is " + info_text(from_info) + ", '" + to +
        "' is " + info_text(to_info) +
        "); a skip must keep the shape (edgetier inspect -v lists skip candidates)");
  }

  // The region: nodes on some path from FROM to TO.
  const std::vector<bool> after_from = descendants_of(view, {from});
  const std::vector<bool> before_to = ancestors_of(view, {to});
  std::vector<bool> region(view.num_nodes(), false);
  std::unordered_set<std::string> region_tensors;
  int region_size = 0;
  for (int i = 0; i < view.num_nodes(); ++i) {
    region[i] = after_from[i] && before_to[i];
    if (!region[i]) continue;
    ++region_size;
    for (const auto& o : view.node(i).output()) region_tensors.insert(o);
  }
  if (region_size == 0) {
    return invalid_argument(label + ": '" + to + "' is not computed from '" + from +
                            "'; pick TO after FROM");
  }
  for (int i : view.topo_order()) {
    if (!region[i]) continue;
    for (const auto& in : view.node_inputs(i)) {
      if (in == from || region_tensors.count(in) || view.is_initializer(in)) continue;
      const int p = view.producer(in);
      if (p >= 0 && view.is_constant_node(p)) continue;
      return invalid_argument(label + ": the region is entered from outside: node " +
                              view.node_label(i) + " reads '" + in +
                              "', which is not computed from '" + from +
                              "'; pick FROM where the graph narrows to one tensor");
    }
    for (const auto& o : view.node(i).output()) {
      if (o.empty() || o == to) continue;
      if (view.is_graph_output(o)) {
        return invalid_argument(label + ": '" + o +
                                "' inside the region is a graph output; it would disappear");
      }
      for (int c : view.consumers(o)) {
        if (!region[c]) {
          return invalid_argument(
              label + ": the region is left before '" + to + "': node " + view.node_label(c) +
              " reads '" + o + "' from inside it; pick TO where the graph narrows to one tensor");
        }
      }
    }
  }

  // Rewire TO's readers to FROM; an output named TO is re-created by an Identity.
  onnx::ModelProto edited = model;
  onnx::GraphProto* g = edited.mutable_graph();
  g->clear_node();
  EarlyExitReport rep;
  rep.from = from;
  rep.to = to;
  for (int i : view.topo_order()) {
    if (region[i]) {
      rep.removed_nodes.push_back(view.node(i).name().empty() ? view.node_label(i)
                                                              : view.node(i).name());
      continue;
    }
    onnx::NodeProto node = view.node(i);
    for (auto& in : *node.mutable_input()) {
      if (in == to) in = from;
    }
    *g->add_node() = std::move(node);
  }
  if (view.is_graph_output(to)) {
    auto* id = g->add_node();
    id->set_op_type("Identity");
    id->set_name(to + "_early_exit");
    id->add_input(from);
    id->add_output(to);
  }
  // Drop what only the region used (constant subgraphs, initializers) by re-extracting.
  ASSIGN_OR_RETURN(GraphView edited_view, GraphView::build(edited.graph()));
  const std::vector<bool> live = ancestors_of(edited_view, edited_view.outputs());
  std::vector<bool> keep(edited_view.num_nodes(), false);
  for (int i = 0; i < edited_view.num_nodes(); ++i) {
    keep[i] = live[i] && !edited_view.is_constant_node(i);
  }
  ASSIGN_OR_RETURN(TypeMap types, infer_types(model));
  SubgraphSpec spec{keep, edited_view.inputs(), edited_view.outputs(), model.graph().name()};
  ASSIGN_OR_RETURN(onnx::ModelProto result, extract_model(edited, edited_view, spec, types));
  rep.pruned_nodes = edited.graph().node_size() - result.graph().node_size();
  *out = std::move(result);
  if (report) *report = std::move(rep);
  return ok_status();
}

}  // namespace edgetier
