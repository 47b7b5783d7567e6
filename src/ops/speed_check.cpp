/// check_speed(): interleaved fp32/int8 timing with ONNX Runtime on seeded inputs.
#include "core/percentile.h"
#include "ops/speed_check.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "core/clock.h"
#include "graph/model_io.h"
#include "runtime/ort_session.h"

namespace edgetier {
namespace {

Result<std::vector<Tensor>> seeded_inputs(const OrtSession& session) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (const TensorInfo& info : session.inputs()) {
    if (info.dtype != DType::kFloat32) {
      return unimplemented("speed check: input '" + info.name + "' is " +
                           std::string(dtype_name(info.dtype)) + ", only float32 inputs are fed");
    }
    std::vector<int64_t> shape = info.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] >= 0) continue;
      if (d != 0) {
        return unimplemented("speed check: input '" + info.name + "' has a dynamic dimension " +
                             std::to_string(d) + "; give the model fixed input shapes");
      }
      shape[d] = 1;
    }
    Tensor t = Tensor::zeros(info.name, info.dtype, shape);
    float* x = t.data_as<float>();
    for (size_t i = 0; i < t.num_elements(); ++i) x[i] = normal(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace

Result<SpeedCheck> check_speed(const onnx::ModelProto& fp32, const onnx::ModelProto& int8,
                               const SpeedCheckOptions& options) {
  if (options.runs < 1 || options.threads < 1)
    return invalid_argument("speed check: runs and threads must be >= 1");
  SessionOptions so;
  so.intra_op_threads = options.threads;
  ASSIGN_OR_RETURN(std::string fp32_bytes, serialize_model(fp32));
  ASSIGN_OR_RETURN(auto a, OrtSession::from_bytes(fp32_bytes, so, "fp32 model"));
  fp32_bytes.clear();
  ASSIGN_OR_RETURN(std::string int8_bytes, serialize_model(int8));
  ASSIGN_OR_RETURN(auto b, OrtSession::from_bytes(int8_bytes, so, "int8 model"));
  int8_bytes.clear();
  ASSIGN_OR_RETURN(std::vector<Tensor> inputs, seeded_inputs(*a));
  std::vector<double> fp32_ms, int8_ms;
  for (int r = -1; r < options.runs; ++r) {  // run -1 warms both sessions up
    for (int side = 0; side < 2; ++side) {
      OrtSession& s = side == 0 ? *a : *b;
      Stopwatch watch;
      auto out = s.run(inputs);
      const double ms = watch.elapsed_ms();
      if (!out.ok()) return out.status().with_context("speed check");
      if (r >= 0) (side == 0 ? fp32_ms : int8_ms).push_back(ms);
    }
  }
  SpeedCheck check;
  check.fp32_ms = median(fp32_ms);
  check.int8_ms = median(int8_ms);
  check.runs = options.runs;
  check.threads = options.threads;
  return check;
}

std::string speed_check_summary(const SpeedCheck& c) {
  char line[192];
  std::snprintf(line, sizeof(line),
                "int8 %.2f ms vs fp32 %.2f ms (%.2fx, median of %d interleaved runs, %d thread%s)",
                c.int8_ms, c.fp32_ms, c.ratio(), c.runs, c.threads, c.threads == 1 ? "" : "s");
  return line;
}

}  // namespace edgetier
