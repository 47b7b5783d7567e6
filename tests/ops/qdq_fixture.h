/// A hand-made QDQ (int8) form of a float fixture, shaped like ONNX Runtime's static quantizer
/// output: Q/DQ pairs on every float activation, int8 weights behind a DequantizeLinear.
#pragma once

#include <onnx/onnx_pb.h>

namespace edgetier::testing {

/// Keeps every original tensor name: activation X is produced as before, read by
/// QuantizeLinear -> X_quantized -> DequantizeLinear -> X_dequantized, which the old readers
/// now read. Scales are fixed (not calibrated): the point is the graph shape, not accuracy.
onnx::ModelProto to_qdq(const onnx::ModelProto& float_model);

}  // namespace edgetier::testing
