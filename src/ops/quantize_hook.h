/// The quantizer as operator composition calls it: calibrate the model it is handed, then
/// quantize it (or quantize with a fixed calibration table).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ops/calibrate.h"
#include "ops/compose.h"
#include "ops/quantize.h"
#include "ops/sensitivity.h"

namespace edgetier {

/// Search outcomes shared by the hooks of several builds: the Q, QE, QP and QEP variants of one
/// model quantize the same model with the same options, so the search runs once for them.
struct QuantizeSearchMemo {
  std::mutex mu;
  std::map<std::string, SensitivityReport> found;  // by sha256 of the model, then options
};

struct QuantizeHookOptions {
  /// Used when `table` is unset: the model the hook receives is calibrated on this data, so a
  /// chain that cuts the exit first calibrates the shorter model.
  CalibrationOptions calibration;
  /// A fixed table (e.g. from `edgetier calibrate`); its tensors must cover the model.
  std::optional<CalibrationTable> table;
  /// Format, per-channel, activation dtype...; its table is replaced by the one above.
  QuantizeOptions quantize;
  /// Time the int8 model against the model it was made from (1 thread, interleaved) and log
  /// both times, as a warning when int8 is slower: a Q strategy must not silently be a slowdown.
  bool check_speed = true;
  /// Accuracy budget in points: when set, the sensitivity search (ops/sensitivity.h) keeps the
  /// most sensitive nodes in float until the loss on `eval` is at most this; a budget the search
  /// cannot meet is FAILED_PRECONDITION (the chain does not apply), naming the loss reached.
  std::optional<double> max_accuracy_loss;
  EvalOptions eval;
  /// Called with the search's outcome (the nodes it kept in float, the loss it measured).
  std::function<void(const SensitivityReport&)> on_search;
  /// When set, an outcome for the same model bytes and `memo_options` (every option the search
  /// depends on, e.g. the variant's quantize options as JSON) is reused instead of searching.
  std::shared_ptr<QuantizeSearchMemo> memo;
  std::string memo_options;
};

/// Binds the options into a QuantizeFn for VariantOptions::quantize_fn.
QuantizeFn make_quantize_hook(QuantizeHookOptions options);

}  // namespace edgetier
