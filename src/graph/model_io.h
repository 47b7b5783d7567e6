/// ONNX model I/O: load and save ModelProto, with external data and models larger than 2 GB.
#pragma once

#include <cstdint>
#include <string>

#include <onnx/onnx_pb.h>

#include "core/status.h"

namespace edgetier {

struct LoadOptions {
  /// Reads tensors stored in external files (relative to the model's folder) into raw_data.
  bool load_external_data = true;
};

Result<onnx::ModelProto> load_model(const std::string& path, const LoadOptions& options = {});
/// Parses a serialized model held in memory (label names it in errors).
Result<onnx::ModelProto> parse_model(const std::string& bytes, const std::string& label);

struct SaveOptions {
  /// When the serialized model would exceed this size, initializers larger than
  /// external_min_tensor_bytes go to "<file>.data" beside the model (protobuf caps at 2 GB).
  int64_t external_data_threshold_bytes = int64_t{1} << 30;
  int64_t external_min_tensor_bytes = 1024;
};

/// Writes atomically (temporary file then rename) so a crash never leaves a half-written model.
Status save_model(const onnx::ModelProto& model, const std::string& path, const SaveOptions& options = {});
/// Serializes in memory (fails above 2 GB; use save_model for those).
Result<std::string> serialize_model(const onnx::ModelProto& model);

/// The default-domain opset the model imports (0 when absent).
int64_t model_opset(const onnx::ModelProto& model);

}  // namespace edgetier
