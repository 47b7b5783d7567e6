/// Read-only index over an ONNX graph: producers, consumers, topological order, initializers.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"

namespace edgetier {

class GraphView {
 public:
  /// Indexes `graph`, which must outlive the view. Fails on a cycle or a tensor with two producers.
  static Result<GraphView> build(const onnx::GraphProto& graph);

  const onnx::GraphProto& graph() const { return *graph_; }
  int num_nodes() const { return graph_->node_size(); }
  const onnx::NodeProto& node(int index) const { return graph_->node(index); }
  /// A printable node label: its name, else "<op_type>#<index>".
  std::string node_label(int index) const;

  /// Node indices in a topological order (stable: follows file order where allowed).
  const std::vector<int>& topo_order() const { return topo_order_; }
  /// Position of each node in topo_order().
  int topo_position(int node) const { return topo_position_[node]; }

  /// Index of the node producing `tensor`, or -1 for graph inputs, initializers and unknown names.
  int producer(const std::string& tensor) const;
  /// Nodes reading `tensor` (including nodes whose subgraphs capture it).
  const std::vector<int>& consumers(const std::string& tensor) const;
  /// Tensors a node reads: its inputs plus outer-scope names captured by its subgraphs.
  const std::vector<std::string>& node_inputs(int node) const { return node_inputs_[node]; }

  bool is_initializer(const std::string& tensor) const { return initializers_.count(tensor) > 0; }
  bool is_graph_input(const std::string& tensor) const { return graph_inputs_.count(tensor) > 0; }
  bool is_graph_output(const std::string& tensor) const { return graph_outputs_.count(tensor) > 0; }
  /// True for tensors computed by a node (not weights, not constants folded into initializers).
  bool is_activation(const std::string& tensor) const { return producer(tensor) >= 0; }
  bool has_tensor(const std::string& tensor) const;

  /// Graph inputs that are not initializers, in declaration order.
  const std::vector<std::string>& inputs() const { return input_names_; }
  const std::vector<std::string>& outputs() const { return output_names_; }
  /// Every tensor name known to the graph (inputs, initializers, node outputs).
  std::vector<std::string> all_tensor_names() const;

  /// True when the node (and everything it needs) depends on no graph input: constant subgraph.
  bool is_constant_node(int node) const { return constant_node_[node]; }

 private:
  GraphView() = default;

  const onnx::GraphProto* graph_ = nullptr;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::vector<std::vector<std::string>> node_inputs_;
  std::unordered_set<std::string> initializers_;
  std::unordered_set<std::string> graph_inputs_;
  std::unordered_set<std::string> graph_outputs_;
  std::vector<std::string> input_names_;
  std::vector<std::string> output_names_;
  std::vector<int> topo_order_;
  std::vector<int> topo_position_;
  std::vector<bool> constant_node_;
};

}  // namespace edgetier
