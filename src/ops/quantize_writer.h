/// Internal to quantize(): output-graph assembly shared by the QDQ and QOperator writers.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "ops/quantize_plan.h"

namespace edgetier::quant {

/// Collects the nodes and new initializers of the rewritten graph and hands out unused names.
class GraphWriter {
 public:
  explicit GraphWriter(const QuantPlan& plan);

  const QuantPlan& plan() const { return *plan_; }
  const onnx::TensorProto* initializer(const std::string& name) const;
  bool is_initializer(const std::string& name) const { return initializer(name) != nullptr; }

  /// `base`, or `base_1`, `base_2`... if taken.
  std::string fresh(const std::string& base);
  void add_initializer(onnx::TensorProto t) { new_initializers_.push_back(std::move(t)); }
  void add_node(onnx::NodeProto node) { nodes_.push_back(std::move(node)); }

  /// Scale and zero-point initializer names of activation `t` (created on first use).
  const std::pair<std::string, std::string>& activation_params(const std::string& t);
  /// A DequantizeLinear of `q_input` with `t`'s parameters, named after `t`; returns its output.
  std::string add_dequantize(const std::string& t, const std::string& q_input,
                             const std::string& output = "");
  /// A QuantizeLinear of float `input` with `t`'s parameters; returns its output.
  std::string add_quantize(const std::string& t, const std::string& input,
                           const std::string& output);

  /// Quantized copy of a float constant read by a quantized Add/Mul/Concat: the int8 initializer
  /// and its scale/zero point.
  struct Constant {
    std::string data, scale, zero_point;
  };
  Result<Constant> add_constant(const std::string& name);

  /// Int8 weight (and int32 bias) of a quantized Conv/Gemm/MatMul node, as initializers.
  struct Weights {
    std::string weight, weight_scale, weight_zero_point;
    int64_t axis = -1;  // channel axis of per-channel scales, -1 for per-tensor
    std::string bias, bias_scale, bias_zero_point;  // empty without bias
  };
  Result<Weights> add_weights(const onnx::NodeProto& node, OpKind kind);

  /// Replaces the graph's nodes, adds the new initializers, drops unused ones, and imports
  /// com.microsoft when a node uses it.
  Status finish(onnx::ModelProto* out);

 private:
  const QuantPlan* plan_;
  std::unordered_map<std::string, const onnx::TensorProto*> inits_;
  std::unordered_map<std::string, int> taken_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> params_;
  std::vector<onnx::NodeProto> nodes_;
  std::vector<onnx::TensorProto> new_initializers_;
};

inline constexpr char kMsDomain[] = "com.microsoft";

}  // namespace edgetier::quant
