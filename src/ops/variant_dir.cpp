/// Variant directories: atomic swap-in, part descriptions, integrity-checked opening.
#include "ops/variant_dir.h"

#include <unistd.h>

#include <filesystem>

#include "core/files.h"
#include "core/sha256.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/model_preprocess.h"
#include "runtime/model_sidecar.h"
#include "strategy/task.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

Result<std::vector<TensorInfo>> io_infos(
    const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& list, const ShapeMap& shapes) {
  std::vector<TensorInfo> out;
  for (const auto& vi : list) {
    auto it = shapes.find(vi.name());
    TensorInfo info = it != shapes.end() ? it->second : tensor_info_from_type(vi.type());
    info.name = vi.name();
    out.push_back(std::move(info));
  }
  return out;
}

int64_t sum_bytes(const std::vector<TensorInfo>& ts) {
  int64_t total = 0;
  for (const auto& t : ts) {
    const int64_t b = tensor_bytes(t);
    if (b < 0) return -1;
    total += b;
  }
  return total;
}

}  // namespace

std::string model_name_from_path(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.size() > 5 && name.substr(name.size() - 5) == ".onnx") name.resize(name.size() - 5);
  return name;
}

Result<VariantManifest> source_manifest(const std::string& model_path,
                                        const onnx::ModelProto& model, const std::string& task,
                                        const InputShapes& input_shapes,
                                        const nlohmann::json& preprocess_overrides) {
  VariantManifest m;
  m.model_name = model_name_from_path(model_path);
  m.source_model = fs::path(model_path).filename().string();
  ASSIGN_OR_RETURN(m.source_sha256, sha256_file(model_path));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, input_shapes));
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(model_path));
  if (!task.empty()) {
    auto parsed = parse_task(task);
    if (!parsed.ok()) {
      return invalid_argument("task '" + task + "' is not classify, segment or detect");
    }
    m.task = std::string(task_name(*parsed));
  } else if (sidecar && sidecar->task) {
    m.task = std::string(task_name(*sidecar->task));
  } else {
    ASSIGN_OR_RETURN(m.task, task_from_output(shapes.at(view.outputs().at(0))));
  }
  if (m.task == task_name(Task::kDetect)) {
    // The detections' format travels with every variant: the last part answers with them.
    ASSIGN_OR_RETURN(std::vector<TensorInfo> outputs, io_infos(model.graph().output(), shapes));
    auto detection = resolve_detection_outputs(
        outputs, sidecar ? sidecar->detection : nlohmann::json(),
        sidecar ? sidecar->path : fs::path(model_path).replace_extension(".json").string());
    if (!detection.ok()) return detection.status().with_context(model_path);
    m.detection = *detection;
  }
  ASSIGN_OR_RETURN(m.preprocess,
                   model_preprocess(model_path, model, preprocess_overrides, input_shapes));
  return m;
}

Status write_dir_atomically(const std::string& dir,
                            const std::function<Status(const std::string&)>& fill) {
  const fs::path target = fs::absolute(fs::path(dir)).lexically_normal();
  const std::string base = target.filename().string();
  if (base.empty()) return invalid_argument("output directory '" + dir + "' has no name");
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) {
      return already_exists("output '" + dir +
                            "' exists and is not a directory; remove it or pick another");
    }
    const bool empty = fs::is_empty(target, ec);
    if (!empty && !fs::exists(target / kManifestFile, ec)) {
      return already_exists("refusing to replace '" + dir +
                            "': it exists and is not a variant directory (no manifest.json)");
    }
  }
  return replace_directory_atomic(target.string(), fill);
}

Status write_variant(const std::string& dir, const std::vector<onnx::ModelProto>& parts,
                     VariantManifest manifest, const InputShapes& input_shapes) {
  if (parts.empty()) return invalid_argument("write_variant: no parts");
  manifest.parts.clear();
  manifest.cuts.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    InputShapes shapes_for_part;
    for (const auto& in : parts[i].graph().input()) {
      auto it = input_shapes.find(in.name());
      if (it != input_shapes.end()) shapes_for_part[in.name()] = it->second;
    }
    ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(parts[i], shapes_for_part));
    ManifestPart p;
    p.file = "part" + std::to_string(i) + ".onnx";
    ASSIGN_OR_RETURN(p.inputs, io_infos(parts[i].graph().input(), shapes));
    // Old-style models list initializers among the inputs; the manifest lists what is fed.
    std::erase_if(p.inputs, [&](const TensorInfo& t) {
      for (const auto& init : parts[i].graph().initializer()) {
        if (init.name() == t.name) return true;
      }
      return false;
    });
    ASSIGN_OR_RETURN(p.outputs, io_infos(parts[i].graph().output(), shapes));
    p.bytes_in = sum_bytes(p.inputs);
    p.bytes_out = sum_bytes(p.outputs);
    manifest.parts.push_back(std::move(p));
  }
  const int exit_part = manifest.exit_policy ? manifest.exit_policy->exit_part : -1;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (static_cast<int>(i) == exit_part) continue;
    manifest.cuts.push_back(
        {static_cast<int>(i), manifest.parts[i].outputs, manifest.parts[i].bytes_out});
  }
  return write_dir_atomically(dir, [&](const std::string& tmp) -> Status {
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string path = (fs::path(tmp) / manifest.parts[i].file).string();
      RETURN_IF_ERROR(save_model(parts[i], path));
      ASSIGN_OR_RETURN(manifest.parts[i].sha256, sha256_file(path));
    }
    return write_manifest(tmp, manifest);
  });
}

Result<std::unique_ptr<PartRunner>> open_variant(const std::string& dir,
                                                 const SessionOptions& options,
                                                 VariantManifest* manifest_out) {
  ASSIGN_OR_RETURN(VariantManifest manifest, read_manifest(dir));
  std::vector<std::string> paths;
  for (const auto& part : manifest.parts) {
    const std::string path = (fs::path(dir) / part.file).string();
    ASSIGN_OR_RETURN(std::string digest, sha256_file(path));
    if (digest != part.sha256) {
      return data_loss("'" + path + "' does not match the sha256 in its manifest (" + digest +
                       " vs " + part.sha256 + "); the variant was modified: rebuild it");
    }
    paths.push_back(path);
  }
  ASSIGN_OR_RETURN(auto runner, PartRunner::from_files(paths, options, manifest.exit_policy));
  if (manifest_out) *manifest_out = std::move(manifest);
  return runner;
}

}  // namespace edgetier
