/// Graph-surgery helpers: symbolic type inference, closures, part extraction.
#include "ops/subgraph.h"

#include <algorithm>
#include <deque>
#include <unordered_set>

#include "core/strings.h"
#include "graph/shapes.h"

namespace edgetier {

Result<TypeMap> infer_types(const onnx::ModelProto& model) {
  onnx::ModelProto m = model;
  RETURN_IF_ERROR(run_shape_inference(&m));
  TypeMap types;
  for (const auto& vi : m.graph().input()) types[vi.name()] = vi.type();
  for (const auto& vi : m.graph().value_info()) types[vi.name()] = vi.type();
  // Declared outputs win over inferred value_info: they are what the exporter promised.
  for (const auto& vi : m.graph().output()) {
    if (vi.type().has_tensor_type() || !types.count(vi.name())) types[vi.name()] = vi.type();
  }
  for (const auto& init : m.graph().initializer()) {
    onnx::TypeProto t;
    auto* tt = t.mutable_tensor_type();
    tt->set_elem_type(init.data_type());
    auto* shape = tt->mutable_shape();
    for (int64_t d : init.dims()) shape->add_dim()->set_dim_value(d);
    types[init.name()] = t;
  }
  return types;
}

Status unknown_tensor(const std::string& who, const std::string& name, const GraphView& view) {
  const std::string nearest = nearest_name(name, view.all_tensor_names());
  return not_found(who + ": tensor '" + name + "' not found in the model" +
                   (nearest.empty() ? std::string() : "; nearest: '" + nearest + "'") +
                   " (edgetier inspect -v lists the cut and skip tensors)");
}

std::vector<bool> ancestors_of(const GraphView& view, const std::vector<std::string>& tensors) {
  std::vector<bool> mark(view.num_nodes(), false);
  std::deque<int> queue;
  for (const auto& t : tensors) {
    const int p = view.producer(t);
    if (p >= 0 && !mark[p]) {
      mark[p] = true;
      queue.push_back(p);
    }
  }
  while (!queue.empty()) {
    const int n = queue.front();
    queue.pop_front();
    for (const auto& in : view.node_inputs(n)) {
      const int p = view.producer(in);
      if (p >= 0 && !mark[p]) {
        mark[p] = true;
        queue.push_back(p);
      }
    }
  }
  return mark;
}

std::vector<bool> descendants_of(const GraphView& view, const std::vector<std::string>& tensors) {
  std::vector<bool> mark(view.num_nodes(), false);
  std::deque<int> queue;
  auto visit = [&](const std::string& t) {
    for (int c : view.consumers(t)) {
      if (!mark[c]) {
        mark[c] = true;
        queue.push_back(c);
      }
    }
  };
  for (const auto& t : tensors) visit(t);
  while (!queue.empty()) {
    const int n = queue.front();
    queue.pop_front();
    for (const auto& out : view.node(n).output()) {
      if (!out.empty()) visit(out);
    }
  }
  return mark;
}

Result<onnx::ModelProto> extract_model(const onnx::ModelProto& source, const GraphView& view,
                                       const SubgraphSpec& spec, const TypeMap& types) {
  const int n = view.num_nodes();
  std::vector<bool> keep = spec.keep;
  keep.resize(n, false);
  // Pull in the constant subgraphs that feed kept nodes or outputs: they need no inputs, so
  // every part that reads them recomputes them instead of shipping them between tiers.
  std::deque<std::string> pending(spec.outputs.begin(), spec.outputs.end());
  for (int i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    for (const auto& in : view.node_inputs(i)) pending.push_back(in);
  }
  const std::unordered_set<std::string> input_set(spec.inputs.begin(), spec.inputs.end());
  while (!pending.empty()) {
    const std::string t = pending.front();
    pending.pop_front();
    if (input_set.count(t)) continue;
    const int p = view.producer(t);
    if (p < 0 || keep[p] || !view.is_constant_node(p)) continue;
    keep[p] = true;
    for (const auto& in : view.node_inputs(p)) pending.push_back(in);
  }

  onnx::ModelProto part;
  part.set_ir_version(source.ir_version());
  part.set_producer_name(source.producer_name());
  part.set_producer_version(source.producer_version());
  part.set_domain(source.domain());
  part.set_model_version(source.model_version());
  part.set_doc_string(source.doc_string());
  *part.mutable_opset_import() = source.opset_import();
  *part.mutable_metadata_props() = source.metadata_props();
  *part.mutable_functions() = source.functions();
  onnx::GraphProto* g = part.mutable_graph();
  g->set_name(spec.graph_name);

  std::unordered_set<std::string> needed;  // tensors read by kept nodes
  std::unordered_set<std::string> produced;
  for (int i : view.topo_order()) {
    if (!keep[i]) continue;
    *g->add_node() = view.node(i);
    for (const auto& in : view.node_inputs(i)) needed.insert(in);
    for (const auto& out : view.node(i).output()) produced.insert(out);
  }
  for (const auto& init : source.graph().initializer()) {
    if (needed.count(init.name()) ||
        (!produced.count(init.name()) &&
         std::find(spec.outputs.begin(), spec.outputs.end(), init.name()) != spec.outputs.end())) {
      *g->add_initializer() = init;
    }
  }
  for (const auto& init : source.graph().sparse_initializer()) {
    if (needed.count(init.values().name())) *g->add_sparse_initializer() = init;
  }
  auto add_io = [&](const std::string& name,
                    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
                    const char* role) -> Status {
    auto it = types.find(name);
    if (it == types.end() || !it->second.has_tensor_type() ||
        it->second.tensor_type().elem_type() == 0) {
      return failed_precondition(
          "cannot infer the type of " + std::string(role) + " '" + name + "' of part '" +
          spec.graph_name + "'; give the model static shapes (or run onnx shape inference on it)");
    }
    auto* vi = list->Add();
    vi->set_name(name);
    *vi->mutable_type() = it->second;
    return ok_status();
  };
  for (const auto& in : spec.inputs) RETURN_IF_ERROR(add_io(in, g->mutable_input(), "input"));
  for (const auto& out : spec.outputs) RETURN_IF_ERROR(add_io(out, g->mutable_output(), "output"));
  // Keep the source's value_info for tensors inside the part (ORT uses it for planning).
  const std::unordered_set<std::string> io(spec.outputs.begin(), spec.outputs.end());
  for (const auto& vi : source.graph().value_info()) {
    if (produced.count(vi.name()) && !io.count(vi.name())) *g->add_value_info() = vi;
  }
  return part;
}

}  // namespace edgetier
