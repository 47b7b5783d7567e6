/// Model summary behind `edgetier inspect`: I/O, op histogram, parameters, MACs, cuts and skips.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "graph/cuts.h"
#include "graph/shapes.h"

namespace edgetier {

struct ModelSummary {
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  int64_t opset = 0;
  int64_t ir_version = 0;
  int nodes = 0;
  int64_t params = 0;       // elements of float/int initializers
  int64_t param_bytes = 0;
  int64_t macs = 0;
  int64_t flops = 0;
  std::map<std::string, int> ops;              // op type -> count
  std::map<std::string, int64_t> macs_by_op;   // op type -> MACs
  CutAnalysis cuts;
};

Result<ModelSummary> summarize_model(const onnx::ModelProto& model, const InputShapes& input_shapes = {});

/// The `inspect --json` schema.
nlohmann::json summary_to_json(const ModelSummary& summary);
/// A human-readable report (cuts and skips are listed in full only when `verbose`).
std::string summary_to_text(const ModelSummary& summary, bool verbose);

}  // namespace edgetier
