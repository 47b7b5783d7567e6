/// Post-training calibration: run the model on sample data and record a clipping range per tensor.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ops/histogram.h"
#include "runtime/preprocess.h"

namespace edgetier {

enum class CalibrationMethod {
  kMinMax,      // observed min/max
  kPercentile,  // clip |x| at a percentile of its histogram
  kEntropy,     // TensorRT-style KL-divergence threshold
};

std::string_view calibration_method_name(CalibrationMethod method);
/// "minmax" | "percentile" | "entropy"; errors suggest the nearest name.
Result<CalibrationMethod> parse_calibration_method(std::string_view name);

struct CalibrationOptions {
  /// Folder of images or .npy tensors (see ops/calibration_data.h).
  std::string data_dir;
  CalibrationMethod method = CalibrationMethod::kEntropy;
  /// Use at most this many samples (sorted file order); 0 = every file in the folder.
  int64_t max_samples = 0;
  double percentile = 99.99;
  /// Histogram bins per tensor: memory is tensors x bins x 8 bytes, whatever the sample count.
  int num_bins = 4096;
  /// Image preprocessing; default: resize the shorter side to 256/224 of the input size, centre
  /// crop, ImageNet mean/std, NCHW.
  std::optional<PreprocessSpec> preprocess;
  /// Tensors to calibrate; empty = every float activation (node outputs and graph inputs).
  std::vector<std::string> tensors;
  /// ONNX Runtime intra-op threads (0 = ONNX Runtime's default).
  int intra_op_threads = 0;
  /// Called after each sample (may be empty).
  std::function<void(int64_t done, int64_t total)> progress;
};

struct TensorCalibration {
  TensorRange range;     // the clipping range the method chose
  TensorRange observed;  // the observed min/max
};

struct CalibrationTable {
  std::string method;       // calibration_method_name()
  double percentile = 0.0;  // for "percentile"
  int64_t samples = 0;
  std::string model_graph;  // graph name of the calibrated model (informational)
  std::map<std::string, TensorCalibration> tensors;

  const TensorCalibration* find(const std::string& tensor) const {
    auto it = tensors.find(tensor);
    return it == tensors.end() ? nullptr : &it->second;
  }
};

/// Runs `model` (normalised and BatchNormalization folded first, so tensor names match what
/// quantize() sees; `options.tensors` may use names normalisation removed)
/// with ONNX Runtime over the data folder, exposing the calibrated tensors as extra outputs of a
/// copy of the model, and streams each into a fixed-size histogram: memory is independent of
/// the number of samples.
Result<CalibrationTable> calibrate(const onnx::ModelProto& model,
                                   const CalibrationOptions& options);

nlohmann::json calibration_table_to_json(const CalibrationTable& table);
Result<CalibrationTable> calibration_table_from_json(const nlohmann::json& j);
/// Writes JSON atomically (temporary file, then rename).
Status write_calibration_table(const CalibrationTable& table, const std::string& path);
Result<CalibrationTable> read_calibration_table(const std::string& path);

}  // namespace edgetier
