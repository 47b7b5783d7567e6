/// Automatic cut choice (`--cut auto`): smallest transfer, or lowest predicted end-to-end latency.
#pragma once

#include <onnx/onnx_pb.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"
#include "ops/profile.h"

namespace edgetier {

struct CutSelectOptions {
  std::string objective = "bytes";  // "bytes" or "latency"
  /// Only cuts with this share of the model's FLOPs (0..1) below them are eligible.
  double min_lower_flops = 0.0;
  double max_lower_flops = 1.0;
  bool single_tensor_only = false;
  /// Rank every single-tensor cut before any cut of several tensors (the experiment's default:
  /// one tensor per hop where the window has one, several where it has none, e.g. a decoder
  /// reading earlier features).
  bool prefer_single_tensor = false;
  InputShapes input_shapes;  // concrete shapes for byte counts (dynamic batch -> 1)
  // Latency objective: predicted = lower compute + transfer + upper compute.
  std::optional<ModelProfile> profile;        // per-node times on the lower tier
  std::optional<ModelProfile> upper_profile;  // on the upper tier (default: `profile`)
  double lower_scale = 1.0;  // multiplies the lower profile (e.g. 3.0: the device is 3x slower)
  double upper_scale = 1.0;
  double bandwidth_mbit = 0.0;  // link between the two parts
  double rtt_ms = 0.0;          // added once per request
};

struct CutCandidate {
  Cut cut;
  double lower_flops_share = 0.0;
  double lower_ms = 0.0;  // latency objective only
  double transfer_ms = 0.0;
  double upper_ms = 0.0;
  double predicted_ms = 0.0;
};

struct CutSelection {
  CutCandidate best;
  std::vector<CutCandidate> ranked;  // eligible cuts, best first
  int considered = 0;                // cuts before the FLOPs window and tensor-count filters
};

/// The share of the FLOPs below a cut, or nullopt when the cut cannot be used. The default is
/// flops_before over the total; the experiment's plan counts it on the model after an early
/// exit and drops cuts inside the skipped region.
using CutShareFn = std::function<std::optional<double>(const Cut&)>;

/// Ranks the cuts of graph/cuts.h under the objective. Ties on bytes go to the cut with less
/// compute below it (the lower tier is usually the weaker one). Cuts of unknown or zero size are
/// never ranked. FAILED_PRECONDITION when no cut is in the window (the model, not the request,
/// is at fault); INVALID_ARGUMENT for invalid options.
Result<CutSelection> select_cut(const onnx::ModelProto& model, const CutSelectOptions& options);

/// The same ranking over an analysis already made (`options.input_shapes` are then unused).
/// `view` is the analysed graph; only the latency objective reads it (it may be null otherwise).
Result<CutSelection> rank_cuts(const CutAnalysis& analysis, const CutSelectOptions& options,
                               const GraphView* view = nullptr,
                               const CutShareFn& share_below = nullptr);

}  // namespace edgetier
