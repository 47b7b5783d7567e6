/// Accuracy-budgeted quantization: find the nodes to keep in float so the int8 loss fits a budget.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "ops/accuracy_eval.h"
#include "ops/quantize.h"

namespace edgetier {

struct SensitivityOptions {
  /// How to quantize (table, format, ...); its `exclude` list is kept and extended.
  QuantizeOptions quantize;
  /// Allowed loss on the evaluation folder, in points of top-1 (or mIoU).
  double max_accuracy_loss = 0.5;
  EvalOptions eval;
  /// Stop after this many exclusions even if the budget is not met (0 = no limit).
  int max_excluded = 0;
  /// Called with a progress line (may be empty).
  std::function<void(const std::string&)> progress;
};

struct NodeSensitivity {
  std::string node;
  double error_reduction = 0.0;  // drop in output error when this node alone stays in float
};

struct SensitivityReport {
  AccuracyResult initial;                // everything quantized (but the user's exclusions)
  AccuracyResult final;                  // with `excluded` left in float
  std::vector<NodeSensitivity> ranking;  // most sensitive first
  std::vector<std::string> excluded;     // nodes this search left in float, in order
  bool within_budget = false;
};

nlohmann::json sensitivity_to_json(const SensitivityReport& report);

/// Quantizes with every quantizable node, measures the loss on the evaluation folder and, while it
/// exceeds the budget, ranks the nodes by sensitivity (the output error removed by leaving each one
/// alone in float, on the first eval.error_samples samples) and excludes the most sensitive ones
/// greedily until the measured loss fits. Reports what it excluded.
Result<SensitivityReport> find_sensitive_nodes(const onnx::ModelProto& model,
                                               const SensitivityOptions& options);

}  // namespace edgetier
