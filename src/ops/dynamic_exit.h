/// Dynamic early exit (DEE) without training: the original head is copied onto an intermediate
/// tensor; at run time the copy answers when it is confident enough, else the rest runs.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"
#include "runtime/part_runner.h"

namespace edgetier {

struct DynamicExitOptions {
  std::string exit_at;     // --exit-at T (default: where the automatic static exit starts)
  std::string head_input;  // where the original head starts (default: end of the last stage)
  double threshold = 0.9;  // stop when confidence >= threshold (0..1)
  std::string task;        // classify | segment (default: from the output's rank)
  InputShapes input_shapes;
};

/// Produces three parts and the policy that runs them:
///   part0 = the model up to T (trunk), part1 = a copy of the head attached at T (early head),
///   part2 = the rest of the model from T (its remaining blocks and the original head).
/// part1 and part2 produce outputs of the same names, so callers see one interface.
/// Classification exits on the highest softmax probability, segmentation on the mean over pixels
/// of the highest per-pixel probability (outputs are treated as logits).
Status dynamic_exit(const onnx::ModelProto& model, const DynamicExitOptions& options,
                    std::vector<onnx::ModelProto>* parts, ExitPolicy* policy);

/// Why a dynamic exit cannot stop at `exit_at`: `bypass` (graph/cuts.h separates) is a path
/// around it. The one wording for dynamic_exit and `inspect`.
std::string dynamic_exit_bypass_reason(const std::string& exit_at,
                                       std::vector<std::string> bypass);

}  // namespace edgetier
