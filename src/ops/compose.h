/// Operator composition (`edgetier variants`): builds I, Q, EE, QE, P, QP, EEP, QEP ... as
/// variant directories, in one documented order, with a cache.
#pragma once

#include <onnx/onnx_pb.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"
#include "ops/cut_select.h"
#include "strategy/chain.h"

namespace edgetier {

/// The quantizer as composition sees it: float model in, int8 (QDQ) model out. The caller binds
/// the quantizer's own options (calibration table or data folder) into the function.
using QuantizeFn = std::function<Status(const onnx::ModelProto& in, onnx::ModelProto* out)>;

struct VariantOptions {
  /// Strategy operators to build, by canonical chain name (strategy/chain.h), e.g. I, QE, QEP.
  std::vector<std::string> ops;

  // --- EE: the skip, resolved on the float model (names survive quantization) ---
  std::string skip_from;  // --skip FROM:TO
  std::string skip_to;
  int skip_last = 2;  // used when skip_from/skip_to are empty (the study skips 2 blocks)
  /// false (default, the study's QE): quantize the whole model, then cut the exit out of the
  /// int8 graph. true: cut the exit first, then calibrate and quantize the shorter model.
  bool exit_then_quantize = kDefaultExitThenQuantize;

  // --- Q ---
  QuantizeFn quantize_fn;  // empty: the quantizer is not available and Q variants fail
  nlohmann::json quantize_options = nlohmann::json::object();  // recorded and part of the cache key
  std::string calibration_table;  // recorded in the manifest with its sha256 when set

  // --- P ---
  std::vector<std::vector<std::string>> cuts;  // named on the float model
  std::optional<CutSelectOptions> auto_cut;    // when `cuts` is empty
  bool quantized_boundary = true;

  // --- common ---
  /// PreprocessSpec keys over the model's sidecar over the input-size default (a --preprocess
  /// flag, or the experiment's resolved recipe): the manifest's preprocessing.
  nlohmann::json preprocess = nlohmann::json::object();
  std::string task;  // classify | segment; default from the output's rank
  InputShapes input_shapes;
  bool force = false;  // rebuild even when a variant's manifest says it is up to date
};

struct VariantResult {
  std::string ops;
  std::string dir;
  bool cached = false;  // an up-to-date variant was already there
  int parts = 0;
};

/// Writes `out_dir`/<OPS>/ (parts + manifest.json) for each requested strategy. Each variant
/// directory is swapped in atomically; a variant whose manifest already records the same source
/// hash and options hash is left as is. On error, variants finished before it stay (they are
/// complete) and nothing of the failing one is left behind.
Status build_variants(const std::string& model_path, const VariantOptions& options,
                      const std::string& out_dir, std::vector<VariantResult>* results);

}  // namespace edgetier
