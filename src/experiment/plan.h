/// The plan: models x operator chains x placements x scenarios, with the combinations that cannot
/// run dropped (and the reason kept), after every model and data folder has been checked.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "experiment/datasets.h"
#include "experiment/spec.h"
#include "graph/cuts.h"
#include "metrics/detection_outputs.h"
#include "ops/trunk.h"

namespace edgetier {

/// Where a skip candidate sits: topological positions of its first and last node, the op types
/// producing its entry and exit, and the dtype flowing through.
struct SkipSpan {
  int first = 0;
  int last = 0;
  std::string from_op;
  std::string to_op;
  DType dtype = DType::kUndefined;
};

/// What planning needs to know about one model: loaded, shapes inferred at the preprocessed
/// input size, cuts and skip candidates enumerated.
struct ModelFacts {
  std::string name;
  std::string path;
  Task task = Task::kClassify;
  PreprocessSpec preprocess;
  std::vector<std::string> classes;  // names by index (spec classes file > sidecar), may be empty
  int64_t num_classes = 0;  // from the output shape: [1, K] or [1, K, H, W]; detect: the block's
  /// Detectors: the outputs holding the detections and their decoding (the sidecar's block,
  /// checked against the outputs, or recognised from them).
  std::optional<DetectionOutputs> detection;
  TensorInfo input;                  // at the preprocessed size
  std::vector<TensorInfo> outputs;
  CutAnalysis analysis;
  std::vector<SkipSpan> skip_spans;  // parallel to analysis.skips
  /// The stages an automatic exit chooses from (ops/trunk.h, deepest first).
  std::vector<StageTrunk> trunks;
  /// Why a dynamic exit cannot stop at the chosen exit's entry (the graph goes around it, as a
  /// decoder reading earlier features does); empty when it can or there is no exit.
  std::string dynamic_exit_reason;
};

/// Loads and checks one model: the file exists and parses, the input and task fit the outputs,
/// preprocessing matches the input, explicit cut/exit tensors exist (nearest name suggested) and
/// separate the graph.
Result<ModelFacts> analyze_model(const ModelSpec& model, const ExperimentSpec& spec);

/// Checks that a dataset suits the model (task vs kind, labels within the model's classes) and
/// fills a segmentation set's class count from the model when the data does not say.
Status check_data_fits_model(const ModelFacts& facts, Dataset* data);

struct CutChoice {
  std::vector<std::vector<std::string>> boundaries;  // tensor names per boundary, lowest first
  std::vector<int64_t> bytes;                        // per boundary, per request
  std::vector<double> flops_share_below;             // per boundary, of the (exited) model
};

/// Picks `num_boundaries` (1 or 2) cuts. Auto: single-tensor cuts only; each part below a
/// boundary carries at least spec.min_flops_share of the FLOPs and the parts below the last
/// boundary at most spec.max_flops_share; the smallest total bytes wins, the earliest on ties.
/// With `skip` (an early exit applied first), cuts inside or at the end of the skipped region
/// are excluded and the shares count the exited model's FLOPs. Explicit: each boundary must be
/// one of the analysis's cuts. FAILED_PRECONDITION = no such cut (the strategy is dropped);
/// INVALID_ARGUMENT = the spec names a non-cut (an error).
Result<CutChoice> choose_cuts(const ModelFacts& facts, const CutSpec& spec, int num_boundaries,
                              const SkipCandidate* skip = nullptr, const SkipSpan* span = nullptr);

/// The early exit's skipped region. Auto: chosen by ops/exit_select.h from facts.trunks (the
/// deepest skippable blocks, about spec.target_flops_share of the FLOPs: for a ResNet-50 the
/// last 2 blocks of the last stage). Explicit: the candidate with that
/// from/to. FAILED_PRECONDITION when the model has no candidate; returns the index into
/// analysis.skips.
Result<size_t> choose_skip(const ModelFacts& facts, const ExitSpec& spec);

struct PlannedStrategy {
  std::string model;
  OpChain ops;
  Placement placement;
  std::string scenario;
  std::vector<std::vector<std::string>> cuts;  // one list per boundary (partitioned chains)
  std::string exit_from, exit_to;              // the skipped region (exit chains)
  /// "QEP@ME": the study's naming (ARCHITECTURE.md).
  std::string name() const { return strategy_label(ops.name(), placement.name()); }
  /// Strategies with equal keys share one built variant (same model, operators, cuts, exit).
  std::string variant_key() const;
};

struct DroppedStrategy {
  std::string model;
  std::string ops;
  std::string placement;
  std::string scenario;
  std::string reason;
  /// True for a real strategy this model or testbed cannot run (no cut, no exit, missing tier):
  /// the store records it as infeasible. False when the chain does not fit the placement's
  /// number of tiers (P on one tier): not a strategy at all.
  bool infeasible = false;
};

struct Plan {
  std::vector<PlannedStrategy> strategies;  // model-major, then ops, placement, scenario order
  std::vector<DroppedStrategy> dropped;     // same order; one row per scenario
};

/// Pure: the cross product with every combination either planned or dropped with a reason.
/// INVALID_ARGUMENT when a model ends up with nothing to run (the reasons are listed) or the
/// spec names cuts/exits that do not exist.
Result<Plan> make_plan(const ExperimentSpec& spec, const std::vector<ModelFacts>& models);

/// Everything `edgetier run` checks before it measures anything.
struct PreparedExperiment {
  ExperimentSpec spec;
  std::string hash;                            // spec_hash(spec)
  std::vector<ModelFacts> models;              // spec order
  std::map<std::string, Dataset> data;         // model name -> evaluation data (absent: synth)
  std::map<std::string, Dataset> calibration;  // model name -> calibration data (absent: synth)
  Plan plan;
};

/// Loads every model and data folder, checks them against each other (task vs data kind, label
/// range vs the model's classes), then makes the plan. Nothing is written.
Result<PreparedExperiment> prepare_experiment(const ExperimentSpec& spec);

/// `run --plan-only --json`: {"spec_hash", "strategies": [{model, ops, placement, scenario,
/// name, cuts, exit}], "dropped": [{model, ops, placement, scenario, reason}], "models": [...]}.
nlohmann::json plan_to_json(const PreparedExperiment& experiment);
/// A terminal summary: the strategies to run and the dropped ones grouped by reason.
std::string plan_to_text(const PreparedExperiment& experiment);

}  // namespace edgetier
