/// The planner's view of a model's cuts: per-node costs (profile or FLOPs) in topological order
/// and the cut options a partitioned strategy can move to.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/planner.h"
#include "core/status.h"
#include "graph/cuts.h"
#include "graph/shapes.h"

namespace edgetier {

/// Per-node mean times from an `edgetier profile` JSON ({"nodes": [{"name", "mean_us"}, ...]},
/// other keys ignored): node name (or "<op>#<index>" for unnamed nodes) -> microseconds.
Result<std::map<std::string, double>> read_profile_node_times(const std::string& path);

/// A model's cuts with the cost of every node, indexed by topological position.
struct ModelGraph {
  std::string path;
  std::string cost_source;  // "profile <file>" or "FLOPs (no profile)"
  CutAnalysis analysis;
  std::vector<double> cost;           // per topological position
  std::vector<int> position_of_node;  // node index -> topological position
  std::vector<std::string> notes;
};

/// Loads `model_path`, infers shapes at `input_shapes` and enumerates its cuts; costs come from
/// `profile_path` when given (nodes it lacks cost 0, noted), else from FLOPs.
Result<ModelGraph> load_model_graph(const std::string& model_path, const InputShapes& input_shapes,
                                    const std::string& profile_path);

/// What was measured at a partitioned strategy's cut (medians, ms and bytes).
struct MeasuredCut {
  std::string lower_tier, upper_tier;
  std::vector<std::string> cut_links;
  double lower_compute_ms = 0, upper_compute_ms = 0;
  double boundary_ms = 0;
  double cut_link_bytes_up = 0;  // message bytes on the first cut link, up
  /// Cuts leaving less or more of the FLOPs below them are not options (the measured one is).
  double min_flops_share = 0, max_flops_share = 1;
};

/// The cut options of a strategy whose plan (strategies.plan_json) cut at `measured_tensors`,
/// with the early exit's skipped region `exit_from` -> `exit_to` (empty: none). FAILED_PRECONDITION
/// says why the cut cannot move (measured cut not among the model's, no cost below it, ...).
Result<CutModel> make_cut_model(const ModelGraph& graph,
                                const std::vector<std::string>& measured_tensors,
                                const std::string& exit_from, const std::string& exit_to,
                                const MeasuredCut& measured);

}  // namespace edgetier
