/// Building one strategy variant for the runner (operators, int8 calibration, cache) and
/// opening it for in-process accuracy, behind plain types: the operators' headers and the plan's
/// share type names (CutChoice) and stay in separate translation units.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "experiment/datasets.h"
#include "ops/quantize.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "strategy/chain.h"

namespace edgetier {

struct QuantizeSearchMemo;  // ops/quantize_hook.h

struct VariantBuildRequest {
  std::string model_path;
  std::string ops;  // canonical chain name (strategy/chain.h)
  std::string skip_from, skip_to;
  std::vector<std::vector<std::string>> cuts;
  std::string task;  // classify | segment
  std::string input_name;
  std::vector<int64_t> input_shape;
  std::string out_dir;        // the variant goes to <out_dir>/<ops>/
  PreprocessSpec preprocess;  // recorded in the manifest: what the tiers apply
  // Calibration and quantization (Q chains).
  std::string calibration_dir;
  std::string calibration_method = "minmax";
  int64_t calibration_samples = 100;
  double calibration_percentile = 99.99;
  std::string quant_format = "qdq";
  std::string activations = "uint8";
  bool per_channel = true;
  bool reduce_range = resolve_reduce_range(ReduceRange::kAuto);  // quantize.reduce_range, resolved
  bool exit_then_quantize = kDefaultExitThenQuantize;  // see VariantOptions
  /// Accuracy budget in points (spec quantize.max_accuracy_loss): the sensitivity search keeps
  /// nodes in float until the int8 loss on `search_data` fits. Part of the variant's cache key.
  std::optional<double> max_accuracy_loss;
  /// What the search scores on: labelled (top-1 / mIoU against labels or masks), else the
  /// agreement with the float model on its images. The runner passes a slice held out from the
  /// images it reports accuracy on (runner_variants.cpp: search_dataset).
  Dataset search_data;
  /// Shared by the builds of one run (make_quantize_search_memo) so that the Q chains of a model
  /// search once; empty: every build searches.
  std::shared_ptr<QuantizeSearchMemo> search_memo;
};

/// A memo for VariantBuildRequest::search_memo.
std::shared_ptr<QuantizeSearchMemo> make_quantize_search_memo();

struct BuiltVariantInfo {
  std::string dir;
  std::string hash;  // source and options hash: equal hashes, equal parts
  bool cached = false;
  /// Q chains built with a budget: the manifest's quantize step options, which hold
  /// max_accuracy_loss, float_nodes (kept in float by the search) and search (its measured
  /// loss: metric, labelled, samples, initial_loss_points, loss_points). Null otherwise.
  nlohmann::json quantize_search;
};

/// Builds (or finds up to date) the variant; its manifest records `preprocess`.
Result<BuiltVariantInfo> build_strategy_variant(const VariantBuildRequest& request);

/// Opens the variant's parts in process (sha256 checked) for accuracy.
Result<std::unique_ptr<PartRunner>> open_variant_runner(const std::string& dir,
                                                        const SessionOptions& options);

}  // namespace edgetier
