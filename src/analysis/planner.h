/// The what-if planner: predicts every measured strategy's median latency at link bandwidths and
/// RTTs that were never measured, moves partition cuts per setting, names the best strategy, and
/// validates its predictions against the measured scenarios.
///
/// Model. Per strategy (model, ops, placement) the planner keeps
///  - fixed_ms: the median over requests of end-to-end latency minus the time on the shaped links
///    (mobile-edge, edge-cloud). Queue, preprocess, compute, serialize and a detector's
///    postprocess (decoding, NMS) time of every hop, the client and the unshaped client link are
///    in it: none of them depend on the bandwidth.
///  - the median bytes each crossed link carries per request, up and down.
/// Per link it fits, over every (strategy, scenario) median,
///    transfer_ms = overhead_ms + rtt_ms + rate_factor * 8 * (max(0, up - burst) +
///                  max(0, down - burst)) / rate
/// (overhead: protocol and stacks; rate_factor: a shaper that delivers less than it was set to;
/// burst: a token bucket that lets a short message through unshaped). A strategy's prediction is
/// fixed_ms + the transfer of every link it crosses (client -> mobile -> edge -> cloud: E crosses
/// mobile-edge; C, EC, MC and MEC cross both).
/// A partitioned strategy's cut moves along the model's cuts (graph/cuts.h): compute below and
/// above a cut is the model profile's time of those nodes (or their FLOPs without a profile)
/// scaled by the ratio measured on each tier at the measured cut; the boundary's serialization
/// scales with the cut's bytes; the cut tensors cross the links between the two tiers.
///
/// JSON (`edgetier plan --json`, planner_to_json):
///   {"schema_version": 1, "source": "results.db (run 1)", "percentile": 50,
///    "grid": {"mobile_edge_rate_mbit": [1, 10], "edge_cloud_rate_mbit": [1, 10],
///             "rtt_ms": [0]},                      rtt_ms: added on every link crossed
///    "max_accuracy_loss_pts": null | number,
///    "link_models": [{"link", "overhead_ms", "rate_factor", "burst_bytes", "points",
///                     "configured", "burst_min_bytes", "burst_ms", "crossing_ms",
///                     "scenarios": [...], "method"}],
///    "models": [{"model", "strategies": [{"strategy": "P@ME", "ops", "placement", "fixed_ms",
///                   "fixed_breakdown_ms": {"mobile_compute": 3.1, ...}, "requests",
///                   "scenarios": [...], "links": [{"link", "bytes_up", "bytes_down"}],
///                   "accuracy_loss_pts": number | null,
///                   "cut": null | {"tensors": [...], "bytes", "lower_tier", "upper_tier",
///                                  "cost_source", "flops_window": [min, max], "candidates"},
///                   "cut_note": ""}],
///                "missing_strategies": [to_json(MissingStrategy)], "notes": [...]}],
///    "heatmaps": [{"model", "scenario": "" | "RTT 20 ms", "percentile": 50, "rtt_ms",
///      "cells": [{"mobile_edge_rate_mbit", "edge_cloud_rate_mbit", "rtt_ms",
///                 "strategy": best label | null, "latency_ms": its prediction | null,
///                 "cut": null | {"tensors", "bytes"},       the best strategy's best cut
///                 "predictions": [{"strategy", "latency_ms" (measured cut),
///                                  "interval_ms": [p10, p90],
///                                  "best_cut": null | {"tensors", "bytes", "latency_ms"},
///                                  "accuracy_loss_pts", "eligible"}]}]}],
///    "warnings": [...]}
/// Heatmap cells carry the fields the HTML report's heatmap reads (mobile_edge_rate_mbit,
/// edge_cloud_rate_mbit, strategy, latency_ms); everything else is extra.
///
/// Validation JSON (validation_to_json):
///   {"schema_version": 1, "source", "method": "leave-one-scenario-out" | "in-sample",
///    "mdape_pct", "predictions", "excluded", "excluded_mdape_pct", "p90_ape_pct",
///    "interval_coverage_pct",
///    "scenarios": [{"scenario", "links": {"mobile-edge":
///      {"rate_mbit", "rtt_ms"}, ...}, "trained_on": [...], "mdape_pct",
///      "rows": [{"model", "strategy", "measured_ms", "predicted_ms", "error_pct",
///                "interval_ms": [p10, p90], "requests", "in_sample", "excluded"}]}],
///    "link_models": [...], "notes": [...], "warnings": [...]}
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/planner_tbf.h"
#include "analysis/result_set.h"
#include "analysis/result_set_db.h"
#include "core/status.h"

namespace edgetier {

/// The emulated links the planner varies, in request order.
const std::vector<std::string>& planner_links();  // {"mobile-edge", "edge-cloud"}

struct PlannerOptions {
  /// Link -> rates of the grid (Mbit/s). A link left out keeps the rates it was measured at.
  std::map<std::string, std::vector<double>> rates_mbit;
  /// RTTs of the grid (ms), added on every link a request crosses; empty: as measured.
  std::vector<double> rtt_ms;
  std::string model;                               // only this model ("" = all)
  std::map<std::string, std::string> model_files;  // model -> .onnx (default: the stored plan)
  std::map<std::string, std::string> profiles;     // model -> `edgetier profile` JSON
  /// The best strategy of a cell loses at most this many accuracy points against Identity.
  std::optional<double> max_accuracy_loss_pts;
  bool move_cuts = true;  // re-choose partition cuts per cell
  /// Consider every cut, not only those leaving the share of FLOPs below them that the
  /// experiment allowed (cut.min_flops_share..max_flops_share).
  bool any_cut = false;
};

/// Parses "mobile-edge=1,10,50" into `out` (unknown links get the nearest name; rates must be
/// positive and finite). `what` names the flag in errors ("--bandwidth").
Status parse_link_values(const std::string& arg, const std::string& what,
                         std::map<std::string, std::vector<double>>* out);
/// Parses "0,20,50" (RTTs in ms, >= 0).
Status parse_rtt_values(const std::string& arg, std::vector<double>* out);
/// Parses "NAME=PATH" (for --model-file and --profile).
Status parse_name_path(const std::string& arg, const std::string& what,
                       std::map<std::string, std::string>* out);

/// How one link turns bytes into time (see the model above).
struct LinkModel {
  std::string link;
  double overhead_ms = 0;
  double rate_factor = 1;
  int64_t burst_bytes = 0;
  int points = 0;
  std::vector<std::string> scenarios;  // the scenarios the fit used
  std::string method;  // "fitted", "overhead fitted (rate factor 1)", "no data (defaults)",
                       // "configured tbf bucket"
  /// The bucket as the store recorded it (schema v3): max(burst_min_bytes, burst_ms of data at
  /// the rate) at any rate. Without it the planner falls back to the per-message formula below.
  bool configured = false;
  int64_t burst_min_bytes = 0;
  double burst_ms = 0;
  /// With a configured bucket: what a request spends on the link besides bucket holds and RTT
  /// (serialisation, gRPC, forwarding), the 10th percentile of the transfers the buckets let
  /// through unheld.
  double crossing_ms = 0;
  /// The bucket at `rate_mbit` (the configured rule, else the fitted burst).
  double burst_at(double rate_mbit) const;
  /// Predicted transfer by the per-message formula (stores without configured buckets);
  /// rate_mbit <= 0 = unshaped (no serialization term). Never negative.
  double transfer_ms(double bytes_up, double bytes_down, double rate_mbit, double rtt_ms) const;
};

/// Median bytes a strategy sends over one shaped link per request.
struct LinkLoad {
  std::string link;
  double bytes_up = 0;
  double bytes_down = 0;
};

/// One cut a partitioned strategy can move to.
struct CutOption {
  std::vector<std::string> tensors;
  int64_t bytes = 0;       // raw tensor bytes per request
  int position = 0;        // nodes below the cut, in topological order
  double lower_cost = 0;   // profile us (or FLOPs) of the nodes below the cut
  double upper_cost = 0;   // ... and above it (an early exit's skipped nodes left out)
  double flops_share = 0;  // of the model's FLOPs below the cut
};

/// How a partitioned strategy's latency depends on its cut.
struct CutModel {
  std::string lower_tier, upper_tier;                 // "mobile", "edge", "cloud"
  std::vector<std::string> cut_links;                 // links the cut tensors cross
  std::string cost_source;                            // "profile <file>" or "FLOPs (no profile)"
  size_t measured = 0;                                // index of the measured cut in `options`
  double min_flops_share = 0, max_flops_share = 1;    // window of the options (measured: always)
  double lower_compute_ms = 0, upper_compute_ms = 0;  // measured medians
  double lower_ms_per_cost = 0, upper_ms_per_cost = 0;
  double boundary_ms = 0;  // lower serialize + upper preprocess medians; scales with bytes
  double wire_ratio = 1;   // message bytes per tensor byte (below 1 for an int8 cut)
  double wire_overhead_bytes = 0;
  std::vector<CutOption> options;
};

/// What the planner keeps about one measured strategy.
struct StrategyModel {
  std::string model, ops, placement;
  std::string label;                   // "P@ME"
  std::vector<std::string> scenarios;  // its data came from these
  int64_t requests = 0;                // ok requests behind the medians
  double fixed_ms = 0;
  double fixed_p10_ms = 0, fixed_p90_ms = 0;  // the spread of fixed_ms over the requests
  std::map<std::string, double> fixed_breakdown_ms;  // per-hop medians ("mobile_compute")
  std::vector<LinkLoad> links;                       // shaped links crossed
  std::optional<double> accuracy_loss_pts;
  std::optional<CutModel> cut;  // partitioned and its cut can move
  std::string cut_note;         // partitioned but the cut stays: why
  /// With configured buckets: the measured requests of each training scenario in order (bytes
  /// parallel to `links`), replayed through the buckets of the setting to predict.
  std::vector<std::vector<RequestSample>> sequences;
};

/// A prediction and its interval: the 10th and 90th percentiles of the replayed requests (or,
/// without a replay, of the measured requests shifted by the predicted change).
struct LatencyPrediction {
  double median_ms = 0;
  double low_ms = 0;
  double high_ms = 0;
};

/// Rate (0 = unshaped) and RTT of each link in one setting.
struct LinkSetting {
  double rate_mbit = 0;
  double rtt_ms = 0;
};
using LinkSettings = std::map<std::string, LinkSetting>;

/// Predicted median latency at the measured cut; `cut` picks another option of s.cut.
double predict_latency_ms(const StrategyModel& s, const std::vector<LinkModel>& links,
                          const LinkSettings& setting, std::optional<size_t> cut = std::nullopt);
/// The same with its interval.
LatencyPrediction predict_latency(const StrategyModel& s, const std::vector<LinkModel>& links,
                                  const LinkSettings& setting,
                                  std::optional<size_t> cut = std::nullopt);

/// The strategy and link models fitted from some scenarios of a run.
struct PlannerFit {
  std::vector<LinkModel> links;           // one per planner link
  std::vector<StrategyModel> strategies;  // model, then display order
  std::vector<MissingStrategy> missing;   // without ok requests in those scenarios
  std::vector<std::string> notes;
};
/// Fits from the rows of `scenarios` (all when empty). Partition cuts can move when the model
/// file (and optionally a profile) is found.
Result<PlannerFit> fit_planner(const StoredRun& run, const ResultSet& results,
                               const std::vector<std::string>& scenarios,
                               const PlannerOptions& options);

struct StrategyPrediction {
  double latency_ms = 0;           // at the measured cut
  double low_ms = 0, high_ms = 0;  // its interval (LatencyPrediction)
  std::optional<size_t> best_cut;  // index into the strategy's cut options
  std::optional<double> best_cut_latency_ms;
  bool eligible = true;  // within the accuracy budget
  double best_latency_ms() const { return best_cut_latency_ms.value_or(latency_ms); }
};

struct PlanCell {
  LinkSettings links;
  double rtt_ms = 0;
  std::vector<StrategyPrediction> predictions;  // parallel to ModelPlan::strategies
  std::optional<size_t> best;                   // the best eligible strategy
};

struct ModelPlan {
  std::string model;
  std::vector<StrategyModel> strategies;
  std::vector<MissingStrategy> missing;
  std::vector<PlanCell> cells;  // rtt, then edge-cloud rate, then mobile-edge rate
  std::vector<std::string> notes;
};

struct PlanReport {
  std::string source;
  std::map<std::string, std::vector<double>> rates_mbit;  // the grid, per link
  std::vector<double> rtt_ms;
  std::optional<double> max_accuracy_loss_pts;
  std::vector<LinkModel> link_models;
  std::vector<ModelPlan> models;
  std::vector<std::string> warnings;
};

/// Fits on every scenario and predicts the grid.
Result<PlanReport> plan_grid(const StoredRun& run, const PlannerOptions& options);

struct ValidationRow {
  std::string model, strategy;
  double measured_ms = 0;  // median of the scenario's ok requests
  double predicted_ms = 0;
  double error_pct = 0;  // (predicted - measured) / measured * 100
  double low_ms = 0, high_ms = 0;  // the prediction's interval
  int64_t requests = 0;
  bool in_sample = false;  // predicted from its own scenario (no other data)
  /// Left out of the error figure: it crosses no link whose rate or RTT differs from the
  /// scenarios it was predicted from, so its error says nothing about the link model.
  bool excluded = false;
};

struct ScenarioValidation {
  std::string scenario;
  LinkSettings links;
  std::vector<std::string> trained_on;
  std::vector<ValidationRow> rows;
  double mdape_pct = 0;
};

struct ValidationReport {
  std::string source;
  std::string method;  // "leave-one-scenario-out" or "in-sample"
  std::vector<ScenarioValidation> scenarios;
  size_t predictions = 0;              // rows in the error figure
  size_t excluded = 0;                 // rows left out of it (ValidationRow::excluded)
  /// The left-out rows' median absolute percentage error: how well the measurement repeats
  /// between scenarios where no link changed (the floor any link model sits on).
  double excluded_mdape_pct = 0;
  double mdape_pct = 0;                // median absolute percentage error over those rows
  double p90_ape_pct = 0;              // their 90th percentile
  double interval_coverage_pct = 0;    // of them, measured medians inside the interval
  std::vector<LinkModel> link_models;  // fitted on every scenario, for reference
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

/// Predicts every measured scenario's strategy medians from the other scenarios' data (from its
/// own when it is the only one, said in `method` and per row).
Result<ValidationReport> validate_planner(const StoredRun& run, const PlannerOptions& options);

nlohmann::json planner_to_json(const PlanReport& report);
nlohmann::json validation_to_json(const ValidationReport& report);
nlohmann::json to_json(const LinkModel& link);

}  // namespace edgetier
