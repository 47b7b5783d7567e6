/// GraphView implementation: indexes, Kahn topological sort, outer-scope captures of subgraphs.
#include "graph/graph_view.h"

#include <algorithm>
#include <queue>

namespace edgetier {
namespace {

/// Names a subgraph reads from its enclosing scope (used but not defined inside it).
void collect_captures(const onnx::GraphProto& g, std::unordered_set<std::string>* defined,
                      std::vector<std::string>* captures) {
  std::unordered_set<std::string> local = *defined;
  for (const auto& in : g.input()) local.insert(in.name());
  for (const auto& init : g.initializer()) local.insert(init.name());
  for (const auto& node : g.node()) {
    for (const auto& in : node.input()) {
      if (!in.empty() && !local.count(in)) captures->push_back(in);
    }
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) collect_captures(attr.g(), &local, captures);
      for (const auto& sub : attr.graphs()) collect_captures(sub, &local, captures);
    }
    for (const auto& out : node.output()) local.insert(out);
  }
}

}  // namespace

Result<GraphView> GraphView::build(const onnx::GraphProto& graph) {
  GraphView view;
  view.graph_ = &graph;
  const int n = graph.node_size();
  for (const auto& init : graph.initializer()) view.initializers_.insert(init.name());
  for (const auto& in : graph.input()) {
    if (view.initializers_.count(in.name())) continue;  // old-style models list weights as inputs
    view.graph_inputs_.insert(in.name());
    view.input_names_.push_back(in.name());
  }
  for (const auto& out : graph.output()) {
    view.graph_outputs_.insert(out.name());
    view.output_names_.push_back(out.name());
  }
  for (int i = 0; i < n; ++i) {
    for (const auto& out : graph.node(i).output()) {
      if (out.empty()) continue;
      auto [it, inserted] = view.producer_.emplace(out, i);
      if (!inserted) {
        return invalid_argument("graph is not valid SSA: tensor '" + out +
                                "' is produced by both " + view.node_label(it->second) + " and " +
                                view.node_label(i));
      }
    }
  }
  view.node_inputs_.resize(n);
  for (int i = 0; i < n; ++i) {
    const auto& node = graph.node(i);
    auto& ins = view.node_inputs_[i];
    std::vector<std::string> captures;
    std::unordered_set<std::string> none;
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) collect_captures(attr.g(), &none, &captures);
      for (const auto& sub : attr.graphs()) collect_captures(sub, &none, &captures);
    }
    // Declared inputs first, in order, then subgraph captures; each name once.
    std::unordered_set<std::string> seen;
    for (const auto& in : node.input()) {
      if (!in.empty() && seen.insert(in).second) ins.push_back(in);
    }
    for (const auto& in : captures) {
      if (seen.insert(in).second) ins.push_back(in);
    }
    for (const auto& in : ins) view.consumers_[in].push_back(i);
  }

  // Kahn's algorithm with a min-heap on the file index keeps file order where possible.
  std::vector<int> indegree(n, 0);
  for (int i = 0; i < n; ++i) {
    for (const auto& in : view.node_inputs_[i]) {
      if (view.producer_.count(in)) ++indegree[i];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i) {
    if (indegree[i] == 0) ready.push(i);
  }
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    view.topo_order_.push_back(i);
    for (const auto& out : graph.node(i).output()) {
      auto it = view.consumers_.find(out);
      if (out.empty() || it == view.consumers_.end()) continue;
      for (int c : it->second) {
        if (--indegree[c] == 0) ready.push(c);
      }
    }
  }
  if (static_cast<int>(view.topo_order_.size()) != n) {
    for (int i = 0; i < n; ++i) {
      if (indegree[i] > 0)
        return invalid_argument("graph has a cycle through node " + view.node_label(i));
    }
  }
  view.topo_position_.assign(n, 0);
  for (int p = 0; p < n; ++p) view.topo_position_[view.topo_order_[p]] = p;

  view.constant_node_.assign(n, false);
  for (int i : view.topo_order_) {
    bool constant = true;
    for (const auto& in : view.node_inputs_[i]) {
      if (view.graph_inputs_.count(in)) constant = false;
      auto it = view.producer_.find(in);
      if (it != view.producer_.end() && !view.constant_node_[it->second]) constant = false;
      if (it == view.producer_.end() && !view.initializers_.count(in))
        constant = false;  // unknown: assume live
    }
    view.constant_node_[i] = constant;
  }
  return view;
}

std::string GraphView::node_label(int index) const {
  const auto& node = graph_->node(index);
  if (!node.name().empty()) return "'" + node.name() + "'";
  return "'" + node.op_type() + "#" + std::to_string(index) + "'";
}

int GraphView::producer(const std::string& tensor) const {
  auto it = producer_.find(tensor);
  return it == producer_.end() ? -1 : it->second;
}

const std::vector<int>& GraphView::consumers(const std::string& tensor) const {
  static const std::vector<int> kNone;
  auto it = consumers_.find(tensor);
  return it == consumers_.end() ? kNone : it->second;
}

bool GraphView::has_tensor(const std::string& tensor) const {
  return producer_.count(tensor) || initializers_.count(tensor) || graph_inputs_.count(tensor);
}

std::vector<std::string> GraphView::all_tensor_names() const {
  std::vector<std::string> names(input_names_.begin(), input_names_.end());
  for (const auto& init : initializers_) names.push_back(init);
  for (int i : topo_order_) {
    for (const auto& out : graph_->node(i).output()) {
      if (!out.empty()) names.push_back(out);
    }
  }
  return names;
}

}  // namespace edgetier
