/// Graph-surgery helpers shared by the operators: tensor types, node closures, part extraction.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "graph/graph_view.h"

namespace edgetier {

/// Tensor name -> ONNX type from onnx shape inference, with symbolic dimensions kept as they
/// are (unlike infer_shapes, which fixes them) so extracted parts keep a dynamic batch.
using TypeMap = std::unordered_map<std::string, onnx::TypeProto>;
Result<TypeMap> infer_types(const onnx::ModelProto& model);

/// "not found" error for a tensor name, with the nearest known name as a suggestion.
Status unknown_tensor(const std::string& who, const std::string& name, const GraphView& view);

/// Marks the nodes each `tensors` entry is computed from (producers and their ancestors),
/// stopping at graph inputs and initializers.
std::vector<bool> ancestors_of(const GraphView& view, const std::vector<std::string>& tensors);
/// Marks every node that reads one of `tensors`, and everything downstream of those nodes.
std::vector<bool> descendants_of(const GraphView& view, const std::vector<std::string>& tensors);

/// What a part model holds: the nodes to keep (by index in `view`), its inputs and outputs.
/// Constant subgraphs the kept nodes or outputs need are copied in (every part recomputes them)
/// and only the initializers actually read are kept.
struct SubgraphSpec {
  std::vector<bool> keep;            // indexed by node
  std::vector<std::string> inputs;   // graph inputs of the part, in order
  std::vector<std::string> outputs;  // graph outputs of the part, in order (may repeat an input)
  std::string graph_name;
};

/// Builds a standalone model from `source` (whose graph `view` indexes). Every input and output
/// needs a type in `types`. Model-level fields (opsets, IR version, functions, metadata) are
/// copied.
Result<onnx::ModelProto> extract_model(const onnx::ModelProto& source, const GraphView& view,
                                       const SubgraphSpec& spec, const TypeMap& types);

}  // namespace edgetier
