/// Building one strategy variant for the runner (operators, int8 calibration, cache) and
/// opening it for in-process accuracy, behind plain types: the operators' headers and the plan's
/// share type names (CutChoice) and stay in separate translation units.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "strategy/chain.h"

namespace edgetier {

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
  bool exit_then_quantize = kDefaultExitThenQuantize;  // see VariantOptions
};

struct BuiltVariantInfo {
  std::string dir;
  std::string hash;  // source and options hash: equal hashes, equal parts
  bool cached = false;
};

/// Builds (or finds up to date) the variant; its manifest records `preprocess`.
Result<BuiltVariantInfo> build_strategy_variant(const VariantBuildRequest& request);

/// Opens the variant's parts in process (sha256 checked) for accuracy.
Result<std::unique_ptr<PartRunner>> open_variant_runner(const std::string& dir,
                                                        const SessionOptions& options);

}  // namespace edgetier
