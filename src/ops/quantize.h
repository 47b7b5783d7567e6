/// Post-training static int8 quantization of an ONNX model (QDQ or QOperator format).
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/calibrate.h"

namespace edgetier {

enum class QuantFormat {
  /// QuantizeLinear/DequantizeLinear pairs around float ops; ONNX Runtime fuses each
  /// DQ -> op -> Q group into an int8 kernel (QLinearConv, QLinearAdd, ...). Portable.
  kQdq,
  /// Explicit integer operators (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd, QGemm,
  /// QLinearConcat, QLinearGlobalAveragePool, QLinearAveragePool).
  kQOperator,
};

std::string_view quant_format_name(QuantFormat format);
Result<QuantFormat> parse_quant_format(std::string_view name);

/// Whether weights take 7 bits instead of 8 (QuantizeOptions::reduce_range): experiment.yaml's
/// quantize.reduce_range and `edgetier quantize --reduce-range`.
enum class ReduceRange { kAuto, kOn, kOff };
/// "auto" | "true" | "false".
Result<ReduceRange> parse_reduce_range(std::string_view name);
/// kAuto is on where this machine's int8 dot product saturates (x86 without VNNI,
/// core/procfs.h): the variants run here, and 8-bit weights lose accuracy there.
bool resolve_reduce_range(ReduceRange choice);

/// What quantize() did; filled when QuantizeOptions::report is set.
struct QuantizeReport {
  std::map<std::string, int> quantized_ops;  // op type -> nodes running in int8
  std::vector<std::string> quantized_nodes;  // their names (labels), in graph order
  std::vector<std::string> excluded_nodes;   // left in float because the options said so
  std::vector<std::string>
      unsupported_nodes;  // "name (op): reason" for quantizable op types left in float
  /// Float nodes with float32 outputs by op type and why they stayed float, e.g.
  /// {"HardSwish": {"no int8 kernel in ONNX Runtime": 21}}.
  std::map<std::string, std::map<std::string, int>> float_ops;
  int folded_batchnorms = 0;
  int absorbed_relus = 0;     // ReLUs made redundant by the uint8 clamp of the producer's output
  int quantized_tensors = 0;  // activations with a quantization step
};

struct QuantizeOptions {
  /// Activation ranges from calibrate() or read_calibration_table(), keyed by tensor name.
  CalibrationTable table;
  QuantFormat format = QuantFormat::kQdq;
  /// Symmetric int8 weights with one scale per output channel (else one per tensor).
  bool per_channel = true;
  /// kUInt8 (asymmetric; fastest with ONNX Runtime on AVX2) or kInt8 (asymmetric).
  DType activation_dtype = DType::kUInt8;
  /// 7-bit weights, for CPUs whose u8 x s8 dot product can saturate (x86 without VNNI). By
  /// default what suits this machine, where the variants are built and measured.
  bool reduce_range = resolve_reduce_range(ReduceRange::kAuto);
  /// Node names (or labels such as "Conv#12" for unnamed nodes) to keep in float.
  std::vector<std::string> exclude;
  /// Restrict quantization to these op types (e.g. {"Conv"}); empty = every supported type.
  std::vector<std::string> op_types;
  bool fold_batchnorm = true;
  /// Optional: receives a summary of the rewrite on success.
  QuantizeReport* report = nullptr;
};

/// The op types quantize() can run in int8: Conv, Gemm, MatMul, Add, Mul, Concat, MaxPool,
/// AveragePool, GlobalAveragePool, Sigmoid, LeakyRelu, Resize, Flatten, Reshape, Transpose,
/// Squeeze, Unsqueeze, Slice (and Relu, absorbed into the preceding quantized op).
const std::vector<std::string>& quantizable_op_types();

/// Quantizes `in`: normalises it (ops/normalize.h), folds BatchNormalization into Conv, upgrades
/// opset < 13 to 13, absorbs ReLUs that follow quantized ops, quantizes weights to int8 (per
/// channel, symmetric) and biases to
/// int32 (scale = input scale x weight scale), and places quantization steps on every activation
/// between quantized ops with the table's ranges, so ONNX Runtime fuses each op into its int8
/// kernel. Fails (writing nothing to `out`) when the model has no quantizable op, the table lacks
/// a needed tensor, or an excluded name is unknown.
Status quantize(const onnx::ModelProto& in, const QuantizeOptions& options, onnx::ModelProto* out);

}  // namespace edgetier
