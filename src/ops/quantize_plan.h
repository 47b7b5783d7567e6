/// Internal to quantize(): which nodes run in int8, each activation's scale/zero point, and the
/// weight/bias quantizers shared by the QDQ and QOperator writers.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"
#include "ops/quantize.h"

namespace edgetier::quant {

/// Affine quantization of one activation: real = (q - zero_point) * scale.
struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  DType dtype = DType::kUInt8;
};

/// How an op is rewritten.
enum class OpKind {
  kConv,         // QLinearConv
  kGemm,         // QGemm (com.microsoft)
  kMatMul,       // QLinearMatMul
  kBinary,       // QLinearAdd / QLinearMul (com.microsoft)
  kConcat,       // QLinearConcat (com.microsoft)
  kPool,         // QLinearAveragePool / QLinearGlobalAveragePool (com.microsoft)
  kUnary,        // QLinearSigmoid / QLinearLeakyRelu (com.microsoft): a table lookup per value
  kPassThrough,  // runs unchanged on the 8-bit tensor; output shares the input's parameters
};

struct QuantPlan {
  /// The model being rewritten: normalised (ops/normalize.h), BN folded, opset >= 13,
  /// absorbed ReLUs removed. Node indices below refer to it.
  onnx::ModelProto model;
  /// Per node: runs in int8.
  std::vector<bool> quantized;
  /// Per node: the rewrite kind (meaningful where quantized).
  std::vector<OpKind> kind;
  /// Per node: the name --exclude matches (node name, or "<op>#<index>" before ReLU absorption).
  std::vector<std::string> labels;
  /// Activation tensor -> parameters, for every activation that gets a quantization step.
  std::unordered_map<std::string, QParams> activations;
  /// Outputs of quantized Gemm nodes left in float (nobody downstream runs in int8).
  std::unordered_set<std::string> float_outputs;
  ShapeMap shapes;
  QuantizeOptions options;
  QuantizeReport report;

  bool is_quantized_tensor(const std::string& t) const { return activations.count(t) > 0; }
};

/// Analyses `in` and decides everything; the writers below only follow the plan.
Result<QuantPlan> make_plan(const onnx::ModelProto& in, const QuantizeOptions& options);

/// Input slots of a quantized node that carry quantized activations (or constants quantized
/// like activations), by kind. Weight and bias slots of Conv/Gemm/MatMul are not included.
std::vector<int> activation_slots(const onnx::NodeProto& node, OpKind kind,
                                  const std::unordered_set<std::string>& initializers);

/// Symmetric int8 weights: one scale per slice along `axis` (or one for all when axis < 0).
struct QuantizedWeight {
  std::vector<int8_t> values;
  std::vector<float> scales;
  std::vector<int64_t> dims;
  int64_t axis = -1;
};
Result<QuantizedWeight> quantize_weight(const onnx::TensorProto& weight, int64_t axis,
                                        bool reduce_range);
/// int32 bias with scale input_scale * weight_scale[c] (zero point 0).
Result<std::vector<int32_t>> quantize_bias(const onnx::TensorProto& bias, float input_scale,
                                           const std::vector<float>& weight_scales,
                                           std::vector<float>* bias_scales);
/// Per-tensor asymmetric quantization of a float constant with its own min/max.
Result<std::pair<std::vector<uint8_t>, QParams>> quantize_constant(
    const onnx::TensorProto& constant, DType dtype);
/// Parameters for a [min, max] range (widened to include 0).
QParams params_for_range(float min, float max, DType dtype);

/// Channel axis of the weight of a quantized Conv/Gemm/MatMul node (-1 with per-tensor weights).
int64_t weight_axis(const onnx::NodeProto& node, OpKind kind, bool per_channel);

/// Writers: rewrite plan.model into `out`.
Status write_qdq(const QuantPlan& plan, onnx::ModelProto* out);
Status write_qoperator(const QuantPlan& plan, onnx::ModelProto* out);

/// Small builders shared by the writers.
onnx::TensorProto scalar_initializer(const std::string& name, float value);
onnx::TensorProto zero_point_initializer(const std::string& name, DType dtype, int32_t value);
onnx::NodeProto make_node(const std::string& op_type, const std::string& name,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& domain = "");

}  // namespace edgetier::quant
