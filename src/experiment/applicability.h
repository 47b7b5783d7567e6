/// Which operators apply to a model with the experiment's defaults, and why not where they do not.
#pragma once

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"

namespace edgetier {

struct OperatorApplicability {
  std::string op;      // "Q", "P", "EE", "DEE"
  bool applies = false;
  std::string detail;  // applies: what it would do (the cut, the exit and its FLOPs share)
  std::string reason;  // does not apply: the reason the plan and `variants` give
};

/// Q: every float model (an int8 model is not quantized again); P: a cut exists in
/// the default cut window (CutSpec, ops/cut_select.h); EE: the automatic exit exists
/// (ops/exit_select.h with ExitSpec's defaults); DEE: additionally the graph narrows to the
/// exit's entry tensor (graph/cuts.h separates).
Result<std::vector<OperatorApplicability>> operator_applicability(
    const onnx::ModelProto& model, const InputShapes& input_shapes = {});

nlohmann::json applicability_to_json(const std::vector<OperatorApplicability>& rows);
/// "operators:\n  Q    applies: ...\n  EE   does not apply: ...\n".
std::string applicability_to_text(const std::vector<OperatorApplicability>& rows);

}  // namespace edgetier
