/// The variant manifest (manifest.json): what a variant directory holds and how it was made.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "metrics/detection_outputs.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "strategy/chain.h"

namespace edgetier {

inline constexpr int kManifestFormatVersion = 1;
inline constexpr const char* kManifestFile = "manifest.json";

/// One applied operator: its short name ("Q", "EE", "DEE", "P") and the options it ran with.
struct ManifestOperator {
  std::string op;
  nlohmann::json options = nlohmann::json::object();
};

struct ManifestPart {
  std::string file;                // relative to the variant directory, e.g. "part0.onnx"
  std::vector<TensorInfo> inputs;  // concrete shapes for one request (batch 1)
  std::vector<TensorInfo> outputs;
  int64_t bytes_in = 0;  // per request; -1 when a shape is not known
  int64_t bytes_out = 0;
  std::string sha256;  // of the file as written
};

/// Tensors crossing one boundary (between consecutive parts on the normal path).
struct ManifestCut {
  int after_part = 0;  // the tensors flow from this part to the next ones
  std::vector<TensorInfo> tensors;
  int64_t bytes = 0;  // per request; -1 when a shape is not known
};

struct CalibrationRecord {
  std::string path;
  std::string sha256;
};

struct VariantManifest {
  int format_version = kManifestFormatVersion;
  std::string model_name;
  std::string source_model;  // file name of the model the variant was built from
  std::string source_sha256;
  std::string task = "classify";            // classify | segment | detect
  std::string ops = identity_chain_name();  // strategy operators, e.g. "QEP"
  std::vector<ManifestOperator> chain;      // in the order they were applied
  std::vector<ManifestPart> parts;
  std::vector<ManifestCut> cuts;
  std::optional<PreprocessSpec> preprocess;
  std::optional<CalibrationRecord> calibration;
  std::optional<ExitPolicy> exit_policy;
  /// Detectors: which outputs hold the detections and how they decode (the source sidecar's
  /// "detection" block, resolved on the model's outputs). The last part carries those outputs.
  std::optional<DetectionOutputs> detection;
  /// Hash of everything that determines the parts besides the source (chain options,
  /// calibration table hash, format version): with source_sha256 it decides cache hits.
  std::string options_sha256;
};

nlohmann::json manifest_to_json(const VariantManifest& manifest);
/// Strict: unknown and missing keys are errors naming the key (and its path).
Result<VariantManifest> manifest_from_json(const nlohmann::json& j);

/// Writes `dir`/manifest.json (atomically: temporary file, then rename).
Status write_manifest(const std::string& dir, const VariantManifest& manifest);
/// Reads and validates `dir`/manifest.json; errors name the file.
Result<VariantManifest> read_manifest(const std::string& dir);

/// "classify" for [N, classes] outputs, "segment" for [N, classes, H, W].
Result<std::string> task_from_output(const TensorInfo& output);

}  // namespace edgetier
