/// Variant directories: parts + manifest.json, written atomically and opened for running.
#pragma once

#include <onnx/onnx_pb.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"
#include "ops/manifest.h"
#include "runtime/part_runner.h"

namespace edgetier {

/// Builds `dir` through `fill` (which writes into the temporary directory it is given), then
/// swaps it into place. On any error the temporary directory is removed and `dir` is left as it
/// was: no partial output. An existing `dir` is replaced only if it is empty or holds a
/// manifest.json (a previous variant); any other existing path is an error.
Status write_dir_atomically(const std::string& dir,
                            const std::function<Status(const std::string&)>& fill);

/// Writes part<i>.onnx for each part and the manifest into `dir` (atomically). Fills the
/// manifest's parts (files, concrete I/O at `input_shapes`, bytes, sha256) and cuts (the outputs of
/// every part but the last and the exit part) from the part models; the caller fills the rest.
Status write_variant(const std::string& dir, const std::vector<onnx::ModelProto>& parts,
                     VariantManifest manifest, const InputShapes& input_shapes = {});

/// Reads the manifest, checks each part file against its sha256, and opens a runner.
Result<std::unique_ptr<PartRunner>> open_variant(const std::string& dir,
                                                 const SessionOptions& options,
                                                 VariantManifest* manifest = nullptr);

/// Model name for manifests: the file name without .onnx.
std::string model_name_from_path(const std::string& path);

/// A manifest with the source fields filled: model name, file, sha256, task (`task`, or from the
/// first output's rank when empty) and, for one image input, its preprocessing as
/// model_preprocess resolves it (`preprocess_overrides` > the model's sidecar > the default).
Result<VariantManifest> source_manifest(
    const std::string& model_path, const onnx::ModelProto& model, const std::string& task,
    const InputShapes& input_shapes,
    const nlohmann::json& preprocess_overrides = nlohmann::json::object());

}  // namespace edgetier
