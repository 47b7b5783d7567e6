/// The last stage's trunk: the chain of same-shaped block outputs before the head. Early exits
/// use it to find "the last N blocks" (--skip-last) and where the head starts (dynamic exits).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"

namespace edgetier {

struct StageTrunk {
  /// Tensors along the trunk in order, each reachable from the previous by a minimal skip
  /// candidate that passes no single-tensor cut (one block or one glue op at a time); e.g. for
  /// torchvision ResNet-50: layer4.0/Add, layer4.0/relu_2, layer4.1/Add, ..., layer4.2/relu_2.
  std::vector<std::string> tensors;
  /// Indices into `tensors` where a block body ends: the step into it contains a node with
  /// multiply-accumulates (Conv, Gemm, MatMul). Steps with none (Relu, BatchNorm) are glue.
  std::vector<int> block_ends;
  std::string head_input() const { return tensors.back(); }
};

/// Finds the last trunk (by position of its end) that has at least one block. Fails with a clear
/// message when the model has none (no same-shaped residual chain).
Result<StageTrunk> last_stage_trunk(const GraphView& view, const ShapeMap& shapes,
                                    const CutAnalysis& analysis);

/// The skip that removes the last `blocks` blocks of `trunk`: from the end of the block before
/// them (or the trunk's first tensor when none is left) to the end of the last block. For a
/// torchvision ResNet, 2 gives /layer4/layer4.0/Add_output_0 -> /layer4/layer4.2/Add_output_0.
Result<std::pair<std::string, std::string>> skip_last_blocks(const StageTrunk& trunk, int blocks);

}  // namespace edgetier
