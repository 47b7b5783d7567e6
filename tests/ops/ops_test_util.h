/// Helpers shared by the operator tests: seeded inputs, whole-model and part-chain runs, diffs.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/ort_session.h"
#include "runtime/part_runner.h"

namespace edgetier::testing {

/// Seeded normal(0, 1) float inputs (uniform small integers for int inputs) for every graph input.
std::vector<Tensor> random_inputs(const onnx::ModelProto& model, uint32_t seed);
/// Session settings of the equivalence tests: 1 thread, everything else at the defaults.
SessionOptions one_thread();
/// Runs the whole model; aborts the test (ADD_FAILURE + empty result) on error.
std::vector<Tensor> run_model(const onnx::ModelProto& model, const std::vector<Tensor>& inputs,
                              const SessionOptions& options = one_thread());
/// Runs parts in sequence through PartRunner.
std::vector<Tensor> run_parts(const std::vector<onnx::ModelProto>& parts,
                              const std::vector<Tensor>& inputs,
                              const SessionOptions& options = one_thread());
/// True when both lists hold the same names, shapes, dtypes and bytes.
bool bit_identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b, std::string* why);
/// Largest max|a - b| / max|a| over float outputs matched by name: the difference relative to
/// the output's range (element-wise ratios blow up where values cancel to near zero).
double max_relative_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b);
double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b);
/// Serialized bytes of a model (fails the test on error).
std::string bytes_of(const onnx::ModelProto& model);

}  // namespace edgetier::testing
