/// Stage trunks: chains of same-shaped block outputs (a residual stage, transformer blocks, a run
/// of same-shape layers). Early exits skip blocks at the end of one (ops/exit_select.h).
#pragma once

#include <cstdint>
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
  /// Per tensor: FLOPs of the step into it (0 for the first tensor).
  std::vector<int64_t> step_flops;
  /// Per tensor: the step into it ends in an Add of its own entry (a skip connection).
  std::vector<bool> step_residual;
  int end_position = -1;  // topological position of the node making the last tensor
  DType dtype = DType::kUndefined;
  std::string head_input() const { return tensors.back(); }
  /// True when any block of the trunk has a skip connection.
  bool residual() const;
  /// FLOPs of the steps after tensors[from_index] up to and including tensors[to_index].
  int64_t flops_between(int from_index, int to_index) const;
};

/// Every trunk that has at least one block, deepest (by the position of its end) first.
std::vector<StageTrunk> stage_trunks(const GraphView& view, const ShapeMap& shapes,
                                     const CutAnalysis& analysis);

/// The deepest trunk with a block. FAILED_PRECONDITION when the model has none.
Result<StageTrunk> last_stage_trunk(const GraphView& view, const ShapeMap& shapes,
                                    const CutAnalysis& analysis);

/// The skip that removes the last `blocks` blocks of `trunk`: from the end of the block before
/// them (or the trunk's first tensor when none is left) to the end of the last block. For a
/// torchvision ResNet, 2 gives /layer4/layer4.0/Add_output_0 -> /layer4/layer4.2/Add_output_0.
Result<std::pair<std::string, std::string>> skip_last_blocks(const StageTrunk& trunk, int blocks);

/// Index into trunk.tensors where skipping the last `blocks` blocks starts (see skip_last_blocks).
int skip_start_index(const StageTrunk& trunk, int blocks);

/// The one-line reason a model has no early exit (EE, QE, EEP, QEP and the dynamic exit).
std::string no_skippable_region_reason();

}  // namespace edgetier
