/// Helpers for the calibration/quantization tests: seeded .npy data, model runs, comparisons.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ops/calibrate.h"

namespace edgetier::testing {

/// Seeded N(0, 1) float tensor.
Tensor random_tensor(const std::string& name, const std::vector<int64_t>& shape, uint32_t seed);
/// The model's single input: name and concrete shape.
TensorInfo model_input(const onnx::ModelProto& model);
/// Writes `count` seeded random samples for the model's input as 000.npy, 001.npy... into `dir`.
void write_npy_samples(const onnx::ModelProto& model, const std::string& dir, int count,
                       uint32_t seed = 1);
/// Calibrates on `count` seeded random samples (written to a temporary folder).
CalibrationTable calibrate_random(const onnx::ModelProto& model, int count = 16,
                                  CalibrationMethod method = CalibrationMethod::kMinMax);
/// Runs the model with ONNX Runtime on one input and returns its first output.
Tensor run_first_output(const onnx::ModelProto& model, const Tensor& input);
/// ||a - b|| / ||b|| over float tensors of equal size.
double relative_error(const Tensor& a, const Tensor& b);
/// Index of the largest value in each row of a [N, C] tensor.
std::vector<int> argmax_rows(const Tensor& t);
/// Counts nodes with this op type.
int count_ops(const onnx::ModelProto& model, const std::string& op_type);

}  // namespace edgetier::testing
