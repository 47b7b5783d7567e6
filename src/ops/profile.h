/// Per-node timing of a model from ONNX Runtime's profiler (`edgetier profile`), used by the
/// latency objective of automatic cut selection.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"
#include "runtime/ort_session.h"

namespace edgetier {

struct NodeTime {
  std::string name;  // the node's name, or "<op_type>#<index>" when it has none
  std::string op;
  double mean_us = 0.0;  // mean time per run attributed to this node
};

struct ModelProfile {
  int format_version = 1;
  std::string model;  // file the profile was measured on
  std::string model_sha256;
  std::string ort_version;
  int threads = 1;
  std::string graph_opt_level = "all";
  int runs = 0;  // profiled runs (after warm-up)
  int warmup = 0;
  std::vector<NodeTime> nodes;   // every node of the model, in topological order
  double total_us = 0.0;         // mean kernel time per run (sum over nodes + unattributed)
  double unattributed_us = 0.0;  // kernels that match no model node (layout reorders, ...)
  double wall_us = 0.0;          // mean wall time of a run as measured around Session::Run
};

struct ProfileOptions {
  int threads = 1;
  int runs = 20;
  int warmup = 3;
  GraphOptLevel graph_opt_level = GraphOptLevel::kAll;
  InputShapes input_shapes;
  uint32_t seed = 1;
};

/// Runs `model_path` with seeded random inputs `warmup + runs` times under ONNX Runtime's
/// profiler and attributes kernel times to the model's nodes. ORT renames nodes it fuses or
/// moves to the NCHWc layout (after their last output, "<tensor>_nchwc"); such a kernel's time
/// is split over the fused group (the named node plus the unprofiled nodes feeding only it) in
/// proportion to their FLOPs.
Result<ModelProfile> profile_model(const std::string& model_path, const ProfileOptions& options);

/// Attributes an ORT profiler trace (the JSON array ORT writes) to the nodes of `model`,
/// skipping the first `skip_runs` runs. Exposed for tests; profile_model uses it.
Result<ModelProfile> attribute_trace(const nlohmann::json& trace, const onnx::ModelProto& model,
                                     const InputShapes& input_shapes, int skip_runs);

nlohmann::json profile_to_json(const ModelProfile& profile);
/// Strict: unknown and missing keys are errors.
Result<ModelProfile> profile_from_json(const nlohmann::json& j);
Status write_profile(const std::string& path, const ModelProfile& profile);
Result<ModelProfile> read_profile(const std::string& path);

}  // namespace edgetier
