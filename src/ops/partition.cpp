/// Partitioning: validates each cut, then splits the model boundary by boundary.
#include "ops/partition.h"

#include <algorithm>
#include <unordered_set>

#include "core/log.h"
#include "core/strings.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "ops/subgraph.h"

namespace edgetier {
namespace {

std::string cut_label(size_t index, const std::vector<std::string>& tensors) {
  return "cut " + std::to_string(index + 1) + " {" + join(tensors) + "}";
}

/// On a QDQ model, a float tensor read only by a QuantizeLinear (with constant scale and zero
/// point) is replaced by that QuantizeLinear's int8 output.
std::string quantized_name(const GraphView& view, const std::string& tensor) {
  const auto& readers = view.consumers(tensor);
  if (readers.size() != 1 || view.is_graph_output(tensor)) return tensor;
  const auto& q = view.node(readers[0]);
  if (q.op_type() != "QuantizeLinear" || q.output_size() < 1 || q.input(0) != tensor) return tensor;
  for (const auto& in : view.node_inputs(readers[0])) {
    if (in == tensor || view.is_initializer(in)) continue;
    const int p = view.producer(in);
    if (p < 0 || !view.is_constant_node(p)) return tensor;
  }
  return q.output(0);
}

/// Splits `model` at `cut` into a lower and an upper part (see partition.h for the rules).
Status split_once(const onnx::ModelProto& model, const TypeMap& types, std::vector<std::string> cut,
                  size_t index, bool quantized_boundary, onnx::ModelProto* lower,
                  onnx::ModelProto* upper) {
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  const std::string label = "partition: " + cut_label(index, cut);
  const int n = view.num_nodes();

  // Normalise the cut: QDQ boundary, duplicates.
  std::vector<std::string> tensors;
  for (auto& t : cut) {
    if (quantized_boundary) {
      const std::string q = quantized_name(view, t);
      if (q != t) {
        LOG_DEBUG << "partition: '" << t << "' crosses the boundary as its int8 form '" << q << "'";
      }
      t = q;
    }
    if (std::find(tensors.begin(), tensors.end(), t) == tensors.end()) tensors.push_back(t);
  }
  const std::unordered_set<std::string> cut_set(tensors.begin(), tensors.end());

  const std::vector<bool> live = ancestors_of(view, view.outputs());
  const std::vector<bool> below_cut = ancestors_of(view, tensors);
  const std::vector<bool> after_cut = descendants_of(view, tensors);
  std::vector<bool> is_upper(n, false), is_lower(n, false);
  int upper_count = 0, lower_count = 0;
  for (int i = 0; i < n; ++i) {
    if (!live[i] || view.is_constant_node(i)) continue;  // dead code is dropped; constants copied
    is_upper[i] = after_cut[i] && !below_cut[i];
    is_lower[i] = !is_upper[i];
    upper_count += is_upper[i];
    lower_count += is_lower[i];
  }

  // Graph outputs computed below the cut ride along to the last part.
  std::vector<std::string> carried;
  for (const auto& out : view.outputs()) {
    if (cut_set.count(out)) continue;
    const int p = view.producer(out);
    const bool from_below = p >= 0 ? is_lower[p] : view.is_graph_input(out);
    if (from_below && std::find(carried.begin(), carried.end(), out) == carried.end())
      carried.push_back(out);
  }
  std::vector<std::string> boundary = tensors;
  boundary.insert(boundary.end(), carried.begin(), carried.end());
  const std::unordered_set<std::string> boundary_set(boundary.begin(), boundary.end());

  std::vector<std::string> bypass;
  if (!separates(view, boundary, &bypass)) {
    return invalid_argument(label + " does not separate the inputs from the outputs: the path " +
                            join(bypass, " -> ") +
                            " avoids it; add a tensor of that path to the cut");
  }
  if (upper_count == 0) {
    return invalid_argument(label +
                            " leaves nothing above it: every output is computed below "
                            "the cut; pick an earlier tensor");
  }
  if (lower_count == 0) {
    return invalid_argument(label + " leaves nothing below it (part " + std::to_string(index) +
                            " would be empty); pick a later tensor");
  }
  std::unordered_set<std::string> read_above;
  for (int i = 0; i < n; ++i) {
    if (!is_upper[i]) continue;
    for (const auto& in : view.node_inputs(i)) {
      read_above.insert(in);
      if (boundary_set.count(in) || view.is_initializer(in)) continue;
      const int p = view.producer(in);
      if (p >= 0 && (is_upper[p] || view.is_constant_node(p))) continue;
      if (p < 0 && !view.is_graph_input(in)) continue;  // outer-scope or unknown: not ours to move
      return invalid_argument(
          label + ": node " + view.node_label(i) + " above the cut reads '" + in +
          "', which is computed below the cut but is not part of it; add '" + in + "' to the cut");
    }
  }
  for (const auto& t : tensors) {
    if (!read_above.count(t) && !view.is_graph_output(t)) {
      return invalid_argument(label + ": nothing above the cut reads '" + t +
                              "' (every reader is below it); remove it from the cut");
    }
  }

  SubgraphSpec lower_spec{is_lower, view.inputs(), boundary, model.graph().name() + "_lower"};
  SubgraphSpec upper_spec{is_upper, boundary, view.outputs(), model.graph().name() + "_upper"};
  ASSIGN_OR_RETURN(*lower, extract_model(model, view, lower_spec, types));
  ASSIGN_OR_RETURN(*upper, extract_model(model, view, upper_spec, types));
  return ok_status();
}

}  // namespace

Status partition(const onnx::ModelProto& model, const PartitionOptions& options,
                 std::vector<onnx::ModelProto>* parts) {
  if (options.cuts.empty())
    return invalid_argument("partition: no cut given (--cut TENSOR[,TENSOR...])");
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  // Validate every name against the whole model first, so typos get a suggestion.
  for (size_t k = 0; k < options.cuts.size(); ++k) {
    const auto& cut = options.cuts[k];
    if (cut.empty())
      return invalid_argument("partition: cut " + std::to_string(k + 1) + " is empty");
    for (const auto& t : cut) {
      if (!view.has_tensor(t)) return unknown_tensor("partition", t, view);
      if (view.is_initializer(t)) {
        return invalid_argument("partition: " + cut_label(k, cut) + ": '" + t +
                                "' is a weight (initializer); a cut carries activations");
      }
      const int p = view.producer(t);
      if (p >= 0 && view.is_constant_node(p)) {
        return invalid_argument("partition: " + cut_label(k, cut) + ": '" + t +
                                "' is computed from weights only; every part recomputes constants, "
                                "so cut at an activation instead");
      }
    }
  }
  ASSIGN_OR_RETURN(TypeMap types, infer_types(model));

  std::vector<onnx::ModelProto> result;
  onnx::ModelProto current = model;
  for (size_t k = 0; k < options.cuts.size(); ++k) {
    if (k > 0) {
      // Later cuts must lie within what is left above the previous one.
      ASSIGN_OR_RETURN(GraphView rest, GraphView::build(current.graph()));
      for (const auto& t : options.cuts[k]) {
        if (!rest.has_tensor(t)) {
          return invalid_argument("partition: cuts are out of order: '" + t + "' of " +
                                  cut_label(k, options.cuts[k]) + " is computed below " +
                                  cut_label(k - 1, options.cuts[k - 1]) +
                                  "; list cuts from the inputs towards the outputs");
        }
      }
    }
    onnx::ModelProto lower, upper;
    RETURN_IF_ERROR(
        split_once(current, types, options.cuts[k], k, options.quantized_boundary, &lower, &upper));
    lower.mutable_graph()->set_name(model.graph().name() + "_part" + std::to_string(k));
    result.push_back(std::move(lower));
    current = std::move(upper);
  }
  current.mutable_graph()->set_name(model.graph().name() + "_part" +
                                    std::to_string(options.cuts.size()));
  result.push_back(std::move(current));
  *parts = std::move(result);
  return ok_status();
}

}  // namespace edgetier
