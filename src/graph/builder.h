/// GraphBuilder: makes small ONNX models in code (test fixtures, demo graphs) with seeded weights.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/status.h"
#include "core/tensor.h"

namespace edgetier {

struct ConvSpec {
  int64_t out_channels = 8;
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t pad = -1;  // -1: "same" padding for odd kernels (kernel / 2 * dilation)
  int64_t group = 1;
  int64_t dilation = 1;
  bool bias = true;
};

/// Builds a graph node by node; every helper returns the name of the tensor it produced.
/// Shapes are tracked as the graph grows so weights get the right sizes.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string graph_name = "fixture", int64_t opset = 17, uint32_t seed = 42);

  std::string input(const std::string& name, std::vector<int64_t> shape, DType dtype = DType::kFloat32);
  /// Float initializer with explicit values, or seeded random values (scale: std dev) when empty.
  std::string initializer(const std::string& name, std::vector<int64_t> shape,
                          std::vector<float> values = {}, float scale = 0.1f);
  std::string int64_initializer(const std::string& name, std::vector<int64_t> shape,
                                std::vector<int64_t> values);

  std::string conv(const std::string& x, const ConvSpec& spec = {});
  std::string batch_norm(const std::string& x);
  std::string relu(const std::string& x);
  std::string add(const std::string& a, const std::string& b);
  std::string max_pool(const std::string& x, int64_t kernel = 2, int64_t stride = 2, int64_t pad = 0);
  std::string global_avg_pool(const std::string& x);
  std::string flatten(const std::string& x);
  std::string gemm(const std::string& x, int64_t out_features);
  std::string matmul(const std::string& x, int64_t out_features);
  /// Nearest-neighbour Resize by an integer spatial factor.
  std::string resize(const std::string& x, float scale);
  std::string concat(const std::vector<std::string>& xs, int64_t axis = 1);
  std::string softmax(const std::string& x, int64_t axis = -1);
  /// Shape -> Gather(index) -> Unsqueeze: the int64 side branch exporters emit.
  std::string shape_gather_unsqueeze(const std::string& x, int64_t index);
  /// A residual block: conv-bn-relu-conv-bn + identity, relu. Returns the block output.
  std::string residual_block(const std::string& x, int64_t channels);

  /// Generic node with `num_outputs` outputs; shapes of outputs must be given by the caller
  /// through set_shape() if later helpers need them.
  std::vector<std::string> node(const std::string& op_type, const std::vector<std::string>& inputs,
                                int num_outputs = 1,
                                const std::vector<onnx::AttributeProto>& attributes = {},
                                const std::string& name_hint = "");
  void set_shape(const std::string& tensor, std::vector<int64_t> shape, DType dtype = DType::kFloat32);
  const std::vector<int64_t>& shape(const std::string& tensor) const;

  void output(const std::string& tensor);
  /// Finishes the model and checks it with onnx shape inference.
  Result<onnx::ModelProto> build();

  static onnx::AttributeProto attr_int(const std::string& name, int64_t value);
  static onnx::AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& values);
  static onnx::AttributeProto attr_float(const std::string& name, float value);
  static onnx::AttributeProto attr_string(const std::string& name, const std::string& value);

 private:
  std::string fresh(const std::string& hint);
  std::string op_output(const std::string& op_type, const std::vector<std::string>& inputs,
                        std::vector<int64_t> out_shape, const std::vector<onnx::AttributeProto>& attrs = {},
                        DType dtype = DType::kFloat32);

  onnx::ModelProto model_;
  std::mt19937 rng_;
  std::unordered_map<std::string, TensorInfo> shapes_;
  std::unordered_map<std::string, int> counters_;
};

}  // namespace edgetier
