/// normalize_model(): validate, infer shapes, drop Identity nodes, fold constants, merge equal initializers.
#include "ops/normalize.h"

#include <unordered_map>
#include <unordered_set>

#include "core/strings.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/initializers.h"
#include "ops/normalize_fold.h"

namespace edgetier {
namespace {

bool default_domain(const onnx::NodeProto& node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

bool has_subgraph(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute()) {
    if (a.has_g() || a.graphs_size() > 0) return true;
  }
  return false;
}

// Every name a node reads must exist and every graph output must be produced: ONNX Runtime
// would refuse the model later with a less precise message.
Status check_references(const onnx::GraphProto& g, const GraphView& view) {
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& in : g.node(i).input()) {
      if (in.empty() || view.has_tensor(in)) continue;
      return invalid_argument("normalize: node '" + view.node_label(i) + "' (" +
                              g.node(i).op_type() + ") reads tensor '" + in +
                              "', which no node, input or initializer provides; nearest: '" +
                              nearest_name(in, view.all_tensor_names()) + "'");
    }
  }
  for (const auto& out : g.output()) {
    if (!view.has_tensor(out.name())) {
      return invalid_argument("normalize: graph output '" + out.name() +
                              "' is produced by no node, input or initializer");
    }
  }
  return ok_status();
}

// Names read through a subgraph of some node rather than as a plain input: renaming them would
// need the subgraph rewritten, so those tensors keep their names.
std::unordered_set<std::string> captured_names(const GraphView& view) {
  std::unordered_set<std::string> captured;
  for (int i = 0; i < view.num_nodes(); ++i) {
    const auto& node = view.node(i);
    std::unordered_set<std::string> direct(node.input().begin(), node.input().end());
    for (const auto& t : view.node_inputs(i))
      if (!direct.count(t)) captured.insert(t);
  }
  return captured;
}

void rename_inputs(onnx::GraphProto* g, const std::unordered_map<std::string, std::string>& to) {
  for (auto& node : *g->mutable_node()) {
    for (int k = 0; k < node.input_size(); ++k) {
      auto it = to.find(node.input(k));
      if (it != to.end()) node.set_input(k, it->second);
    }
  }
}

// Identity x -> y (y not a graph output): readers of y read x.
Status eliminate_identities(onnx::ModelProto* m, NormalizeReport* report) {
  onnx::GraphProto* g = m->mutable_graph();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(*g));
  const auto captured = captured_names(view);
  std::unordered_map<std::string, std::string> to;  // eliminated output -> surviving tensor
  std::vector<bool> drop(static_cast<size_t>(g->node_size()), false);
  auto resolve = [&](std::string name) {
    for (auto it = to.find(name); it != to.end(); it = to.find(name)) name = it->second;
    return name;
  };
  for (int i : view.topo_order()) {
    const auto& node = g->node(i);
    if (node.op_type() != "Identity" || !default_domain(node) || node.input_size() != 1 ||
        node.output_size() != 1 || node.input(0).empty())
      continue;
    const std::string& out = node.output(0);
    if (view.is_graph_output(out) || captured.count(out)) continue;
    const std::string source = resolve(node.input(0));
    to[out] = source;
    drop[static_cast<size_t>(i)] = true;
    ++report->identities_removed;
    // Activations (and graph inputs) someone may have named keep working through the alias;
    // a constant behind an Identity is no cut or exit point.
    if (!view.is_initializer(source)) report->aliases[out] = source;
  }
  if (to.empty()) return ok_status();
  for (auto& [from, target] : to) target = resolve(target);
  for (auto& [from, target] : report->aliases) target = resolve(target);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g->node_size(); ++i) {
    if (!drop[static_cast<size_t>(i)]) *kept.Add() = std::move(*g->mutable_node(i));
  }
  g->mutable_node()->Swap(&kept);
  rename_inputs(g, to);
  return ok_status();
}

// Nodes whose inputs are all constants become initializers, in topological order so chains
// (Shape -> Gather -> Unsqueeze -> Concat) fold in one pass.
Status fold_constants(onnx::ModelProto* m, NormalizeReport* report) {
  onnx::GraphProto* g = m->mutable_graph();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(*g));
  const int64_t opset = model_opset(*m);
  ShapeMap shapes;
  for (const auto& vi : g->value_info()) shapes[vi.name()] = tensor_info_from_type(vi.type());
  for (const auto& vi : g->input()) shapes[vi.name()] = tensor_info_from_type(vi.type());

  std::unordered_map<std::string, fold::ConstTensor> values;  // constants by name
  for (const auto& t : g->initializer()) {
    // An initializer that is also a graph input can be overridden at run time: not constant.
    if (view.is_graph_input(t.name())) continue;
    auto v = fold::from_proto(t);
    if (v) values.emplace(t.name(), std::move(*v));
  }
  std::vector<bool> folded(static_cast<size_t>(g->node_size()), false);
  std::vector<onnx::TensorProto> added;
  for (int i : view.topo_order()) {
    const auto& node = g->node(i);
    if (!default_domain(node) || has_subgraph(node) || !fold::is_foldable_op(node.op_type()) ||
        node.output_size() != 1 || view.is_graph_output(node.output(0)))
      continue;
    std::optional<fold::ConstTensor> result;
    if (node.op_type() == "Shape") {
      if (node.input_size() != 1) continue;
      auto it = shapes.find(node.input(0));
      auto c = values.find(node.input(0));
      if (c != values.end()) {
        result = fold::evaluate_shape(node, c->second.dims);
      } else if (it != shapes.end() && it->second.dtype != DType::kUndefined) {
        result = fold::evaluate_shape(node, it->second.shape);
      }
    } else {
      std::vector<const fold::ConstTensor*> inputs;
      bool all_constant = true;
      for (const auto& in : node.input()) {
        if (in.empty()) {
          inputs.push_back(nullptr);
          continue;
        }
        auto it = values.find(in);
        if (it == values.end()) {
          all_constant = false;
          break;
        }
        inputs.push_back(&it->second);
      }
      if (!all_constant) continue;
      result = fold::evaluate(node, inputs, opset);
    }
    if (!result) continue;
    folded[static_cast<size_t>(i)] = true;
    ++report->constants_folded;
    ++report->folded_ops[node.op_type()];
    added.push_back(fold::to_proto(*result, node.output(0)));
    values[node.output(0)] = std::move(*result);
  }
  if (added.empty()) return ok_status();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g->node_size(); ++i) {
    if (!folded[static_cast<size_t>(i)]) *kept.Add() = std::move(*g->mutable_node(i));
  }
  g->mutable_node()->Swap(&kept);
  for (auto& t : added) *g->add_initializer() = std::move(t);
  remove_unused_initializers(g);
  return ok_status();
}

// Initializers with equal dtype, dims and bytes: readers of the later ones read the first.
Status merge_duplicate_initializers(onnx::ModelProto* m, NormalizeReport* report) {
  onnx::GraphProto* g = m->mutable_graph();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(*g));
  const auto captured = captured_names(view);
  std::unordered_map<std::string, std::string> first_by_key;  // dtype|dims|bytes -> name
  std::unordered_map<std::string, std::string> to;
  for (const auto& t : g->initializer()) {
    const std::string& name = t.name();
    if (view.is_graph_input(name) || view.is_graph_output(name) || captured.count(name)) continue;
    auto v = fold::from_proto(t);
    if (!v) continue;
    std::string key = std::to_string(static_cast<int>(v->dtype)) + "|";
    for (int64_t d : v->dims) key += std::to_string(d) + ",";
    key += "|" + v->bytes;
    auto [it, inserted] = first_by_key.emplace(std::move(key), name);
    if (!inserted) to[name] = it->second;
  }
  if (to.empty()) return ok_status();
  rename_inputs(g, to);
  report->duplicate_initializers += static_cast<int>(to.size());
  remove_unused_initializers(g);
  return ok_status();
}

// Fixes inputs named in `shapes` (symbolic dimensions only; fixed ones must agree).
Status fix_inputs(onnx::ModelProto* m, const InputShapes& shapes) {
  if (shapes.empty()) return ok_status();
  ASSIGN_OR_RETURN(onnx::ModelProto fixed, model_with_shapes(*m, shapes));
  *m = std::move(fixed);
  return ok_status();
}

}  // namespace

std::string normalized_name(const NormalizeReport& report, const std::string& tensor) {
  auto it = report.aliases.find(tensor);
  return it == report.aliases.end() ? tensor : it->second;
}

Status normalize_model(const onnx::ModelProto& in, const NormalizeOptions& options,
                       onnx::ModelProto* out, NormalizeReport* report) {
  if (out == nullptr) return invalid_argument("normalize: no output model given");
  if (!in.has_graph() || in.graph().node_size() == 0)
    return invalid_argument("normalize: the model has no graph nodes");
  NormalizeReport local;
  NormalizeReport* r = report ? report : &local;
  *r = NormalizeReport{};
  onnx::ModelProto m = in;
  {
    auto view = GraphView::build(m.graph());
    if (!view.ok()) return view.status().with_context("normalize");
    RETURN_IF_ERROR(check_references(m.graph(), *view));
  }
  RETURN_IF_ERROR(fix_inputs(&m, options.input_shapes).with_context("normalize"));
  RETURN_IF_ERROR(eliminate_identities(&m, r));
  // Shapes first: Shape nodes fold where the shape of their input is static. Folding can make
  // more shapes static (a Pad whose pads were computed), so alternate until nothing folds.
  // Each round can unlock the next block's shapes (Swin: one round per shifted-window block),
  // so the cap only guards against a folding bug; rounds end as soon as nothing folds.
  constexpr int kMaxFoldRounds = 256;
  for (int round = 0; round < kMaxFoldRounds; ++round) {
    RETURN_IF_ERROR(run_shape_inference(&m).with_context("normalize"));
    const int before = r->constants_folded;
    RETURN_IF_ERROR(fold_constants(&m, r));
    if (r->constants_folded == before) break;
  }
  RETURN_IF_ERROR(merge_duplicate_initializers(&m, r));
  RETURN_IF_ERROR(run_shape_inference(&m).with_context("normalize"));
  r->value_infos = m.graph().value_info_size();
  *out = std::move(m);
  return ok_status();
}

}  // namespace edgetier
