/// Speed check of a quantized model: fp32 and int8 timed alternately on this machine.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"

namespace edgetier {

struct SpeedCheckOptions {
  int runs = 7;     // timed runs per model (after one warm-up run each)
  int threads = 1;  // ONNX Runtime intra-op threads
};

struct SpeedCheck {
  double fp32_ms = 0.0;  // median
  double int8_ms = 0.0;  // median
  int runs = 0;
  int threads = 1;
  double ratio() const { return fp32_ms > 0.0 ? int8_ms / fp32_ms : 0.0; }
  bool int8_slower() const { return int8_ms > fp32_ms; }
};

/// Runs both models on the same seeded input, alternating fp32 and int8 so machine noise hits
/// both alike, and returns the median latencies. Models with inputs other than float tensors of
/// a fixed shape (batch 1 where dynamic) are refused.
Result<SpeedCheck> check_speed(const onnx::ModelProto& fp32, const onnx::ModelProto& int8,
                               const SpeedCheckOptions& options = {});

/// One line for logs: "int8 12.3 ms vs fp32 10.1 ms (1.22x, median of 7 interleaved runs,
/// 1 thread)".
std::string speed_check_summary(const SpeedCheck& check);

}  // namespace edgetier
