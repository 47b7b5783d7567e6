/// Cut and skip enumeration: where a graph can be split between tiers, and which regions can be
/// skipped by a black-box early exit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"

namespace edgetier {

/// A set of activation tensors every path from the inputs to the outputs crosses: the live
/// frontier after `position` nodes of the topological order have run.
struct Cut {
  int position = 0;                  // nodes [0, position) of topo_order() are below the cut
  std::vector<TensorInfo> tensors;   // sorted by name
  int64_t bytes = 0;                 // per request at the given input shape (-1 if unknown)
  int64_t flops_before = 0;
  int64_t flops_after = 0;
  bool single() const { return tensors.size() == 1; }
  std::vector<std::string> names() const;
};

/// A region with `from` as its only entry and `to` as its only exit, same shape and dtype:
/// an early exit can connect `from` to `to`'s consumers and drop the region.
struct SkipCandidate {
  std::string from;
  std::string to;
  std::vector<int64_t> shape;
  int nodes = 0;       // nodes skipped
  int64_t flops = 0;   // flops skipped
  std::vector<int> node_indices;  // the region, in topological order
};

struct CutAnalysis {
  std::vector<Cut> cuts;             // nontrivial cuts in topological order, deduplicated
  std::vector<SkipCandidate> skips;  // in topological order of `from`
  int64_t total_flops = 0;
};

/// Enumerates cuts and skip candidates. Constant subgraphs (only weights upstream) never sit in a
/// cut: each part recomputes them.
Result<CutAnalysis> analyze_cuts(const GraphView& view, const ShapeMap& shapes);

/// A model's graph, shapes and cuts together, made once: what the cut and exit choosers read.
struct AnalysedModel {
  GraphView view;
  ShapeMap shapes;
  CutAnalysis analysis;
};
/// The view, the shapes inferred from `input_shapes` and analyze_cuts over them.
Result<AnalysedModel> analyse_model(const onnx::ModelProto& model,
                                    const InputShapes& input_shapes = {});

/// The live frontier after running the first `position` nodes of the topological order.
std::vector<std::string> frontier_at(const GraphView& view, int position);

/// Checks that removing `tensors` disconnects every graph input from every graph output.
/// On failure, `bypass` (when given) receives a path of tensor names that avoids the cut.
bool separates(const GraphView& view, const std::vector<std::string>& tensors,
               std::vector<std::string>* bypass = nullptr);

}  // namespace edgetier
