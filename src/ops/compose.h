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
#include "ops/exit_select.h"
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
  /// > 0 (--skip-last N), when skip_from/skip_to are empty: exactly the last N blocks of the
  /// chosen stage. 0: chosen by `exit_select` (about 10% of the FLOPs: ops/exit_select.h).
  int skip_last = 0;
  ExitSelectOptions exit_select;
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

/// One per requested chain, in request order: built (dir set), not applicable, or failed.
struct VariantResult {
  std::string ops;
  std::string dir;  // empty when not built
  bool cached = false;  // an up-to-date variant was already there
  int parts = 0;
  std::string not_applicable;  // why an operator of the chain does not apply to this model
  std::string failed;          // the error that stopped building it
  bool built() const { return !dir.empty(); }
};

/// Writes `out_dir`/<OPS>/ (parts + manifest.json) for each requested strategy that applies,
/// and one result per requested chain. Each variant directory is swapped in atomically; a variant
/// whose manifest already records the same source hash and options hash is left as is. A chain
/// that does not apply (no skippable region, no cut in the window, no quantizer) or fails is
/// reported in its result and the others are still built; nothing of a failed one is left
/// behind. Returns the first failure; FAILED_PRECONDITION (with every reason) when nothing
/// applies; INVALID_ARGUMENT for invalid explicit options (--skip, --cut, --skip-last).
Status build_variants(const std::string& model_path, const VariantOptions& options,
                      const std::string& out_dir, std::vector<VariantResult>* results);

}  // namespace edgetier
