/// Manifest JSON (strict schema) and its atomic file I/O.
#include "ops/manifest.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/files.h"
#include "core/json_reader.h"
#include "strategy/task.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

using json = nlohmann::json;

/// Checks `j` is an object holding exactly `keys` (and maybe some of `optional`); `path`
/// prefixes error messages.
Status check_keys(const json& j, const std::set<std::string>& keys, const std::string& path,
                  const std::set<std::string>& optional = {}) {
  if (!j.is_object()) return invalid_argument("manifest: '" + path + "' must be an object");
  for (const auto& [key, value] : j.items()) {
    if (!keys.count(key) && !optional.count(key)) {
      return invalid_argument("manifest: unknown key '" + path + (path.empty() ? "" : ".") + key +
                              "'");
    }
  }
  for (const auto& key : keys) {
    if (!j.contains(key)) {
      return invalid_argument("manifest: missing key '" + path + (path.empty() ? "" : ".") + key +
                              "'");
    }
  }
  return ok_status();
}

json tensor_to_json(const TensorInfo& t) {
  return {{"name", t.name}, {"dtype", std::string(dtype_name(t.dtype))}, {"shape", t.shape}};
}

Result<TensorInfo> tensor_from_json(const json& j, const std::string& path) {
  RETURN_IF_ERROR(check_keys(j, {"name", "dtype", "shape"}, path));
  TensorInfo t;
  t.name = j.at("name").get<std::string>();
  ASSIGN_OR_RETURN(t.dtype, dtype_from_name(j.at("dtype").get<std::string>()));
  const json& shape = j.at("shape");
  if (!shape.is_array()) return invalid_argument("manifest: '" + path + ".shape' must be an array");
  for (size_t d = 0; d < shape.size(); ++d) {
    ASSIGN_OR_RETURN(const int64_t dim, json_whole_number(shape[d], "manifest: " + path + ".shape[" +
                                                                        std::to_string(d) + "]"));
    t.shape.push_back(dim);
  }
  return t;
}

Result<std::vector<TensorInfo>> tensors_from_json(const json& j, const std::string& path) {
  if (!j.is_array()) return invalid_argument("manifest: '" + path + "' must be an array");
  std::vector<TensorInfo> out;
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(TensorInfo t, tensor_from_json(j[i], path + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(t));
  }
  return out;
}

json tensors_to_json(const std::vector<TensorInfo>& ts) {
  json a = json::array();
  for (const auto& t : ts) a.push_back(tensor_to_json(t));
  return a;
}

Result<VariantManifest> parse(const json& j) {
  RETURN_IF_ERROR(check_keys(
      j,
      {"format_version", "model_name", "source_model", "source_sha256", "task", "ops", "chain",
       "parts", "cuts", "preprocess", "calibration", "exit_policy", "options_sha256"},
      "", {"detection"}));
  VariantManifest m;
  ASSIGN_OR_RETURN(m.format_version, json_whole_number(j.at("format_version"),
                                                       "manifest: format_version", 0, INT32_MAX));
  if (m.format_version != kManifestFormatVersion) {
    return invalid_argument("manifest: format_version " + std::to_string(m.format_version) +
                            " is not supported (this edgetier reads " +
                            std::to_string(kManifestFormatVersion) + "); rebuild the variant");
  }
  m.model_name = j.at("model_name").get<std::string>();
  m.source_model = j.at("source_model").get<std::string>();
  m.source_sha256 = j.at("source_sha256").get<std::string>();
  m.task = j.at("task").get<std::string>();
  if (auto task = parse_task(m.task); !task.ok() || task_name(*task) != m.task) {
    return invalid_argument("manifest: task '" + m.task + "' is not classify, segment or detect");
  }
  m.ops = j.at("ops").get<std::string>();
  m.options_sha256 = j.at("options_sha256").get<std::string>();
  const json& chain = j.at("chain");
  if (!chain.is_array()) return invalid_argument("manifest: 'chain' must be an array");
  for (size_t i = 0; i < chain.size(); ++i) {
    RETURN_IF_ERROR(check_keys(chain[i], {"op", "options"}, "chain[" + std::to_string(i) + "]"));
    m.chain.push_back({chain[i].at("op").get<std::string>(), chain[i].at("options")});
  }
  const json& parts = j.at("parts");
  if (!parts.is_array() || parts.empty())
    return invalid_argument("manifest: 'parts' must be a non-empty array");
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string path = "parts[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(check_keys(
        parts[i], {"file", "inputs", "outputs", "bytes_in", "bytes_out", "sha256"}, path));
    ManifestPart p;
    p.file = parts[i].at("file").get<std::string>();
    if (p.file.empty() || p.file.find('/') != std::string::npos ||
        p.file.find("..") != std::string::npos) {
      return invalid_argument("manifest: " + path + ".file '" + p.file +
                              "' must be a plain file name inside the variant directory");
    }
    ASSIGN_OR_RETURN(p.inputs, tensors_from_json(parts[i].at("inputs"), path + ".inputs"));
    ASSIGN_OR_RETURN(p.outputs, tensors_from_json(parts[i].at("outputs"), path + ".outputs"));
    ASSIGN_OR_RETURN(p.bytes_in, json_whole_number(parts[i].at("bytes_in"),
                                                   "manifest: " + path + ".bytes_in"));
    ASSIGN_OR_RETURN(p.bytes_out, json_whole_number(parts[i].at("bytes_out"),
                                                    "manifest: " + path + ".bytes_out"));
    p.sha256 = parts[i].at("sha256").get<std::string>();
    m.parts.push_back(std::move(p));
  }
  const json& cuts = j.at("cuts");
  if (!cuts.is_array()) return invalid_argument("manifest: 'cuts' must be an array");
  for (size_t i = 0; i < cuts.size(); ++i) {
    const std::string path = "cuts[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(check_keys(cuts[i], {"after_part", "tensors", "bytes"}, path));
    ManifestCut c;
    ASSIGN_OR_RETURN(c.after_part, json_whole_number(cuts[i].at("after_part"),
                                                     "manifest: " + path + ".after_part", 0,
                                                     INT32_MAX));
    ASSIGN_OR_RETURN(c.tensors, tensors_from_json(cuts[i].at("tensors"), path + ".tensors"));
    ASSIGN_OR_RETURN(c.bytes, json_whole_number(cuts[i].at("bytes"), "manifest: " + path + ".bytes"));
    m.cuts.push_back(std::move(c));
  }
  if (!j.at("preprocess").is_null()) {
    auto pre = preprocess_from_json(j.at("preprocess"));
    if (!pre.ok()) return pre.status().with_context("manifest");
    m.preprocess = *pre;
  }
  if (!j.at("calibration").is_null()) {
    RETURN_IF_ERROR(check_keys(j.at("calibration"), {"path", "sha256"}, "calibration"));
    m.calibration = CalibrationRecord{j.at("calibration").at("path").get<std::string>(),
                                      j.at("calibration").at("sha256").get<std::string>()};
  }
  if (!j.at("exit_policy").is_null()) {
    auto policy = exit_policy_from_json(j.at("exit_policy"));
    if (!policy.ok()) return policy.status().with_context("manifest");
    if (policy->exit_part >= static_cast<int>(m.parts.size()) - 1) {
      return invalid_argument("manifest: exit_policy.exit_part " +
                              std::to_string(policy->exit_part) + " leaves no part after it (" +
                              std::to_string(m.parts.size()) + " parts)");
    }
    m.exit_policy = *policy;
  }
  if (j.contains("detection")) {
    ASSIGN_OR_RETURN(m.detection, detection_outputs_from_json(j.at("detection"), "manifest"));
  }
  if (m.task == task_name(Task::kDetect) && !m.detection) {
    return invalid_argument("manifest: task detect without a 'detection' block (the format and "
                            "outputs of the detections); rebuild the variant");
  }
  return m;
}

}  // namespace

json manifest_to_json(const VariantManifest& m) {
  json j;
  j["format_version"] = m.format_version;
  j["model_name"] = m.model_name;
  j["source_model"] = m.source_model;
  j["source_sha256"] = m.source_sha256;
  j["task"] = m.task;
  j["ops"] = m.ops;
  j["chain"] = json::array();
  for (const auto& op : m.chain) j["chain"].push_back({{"op", op.op}, {"options", op.options}});
  j["parts"] = json::array();
  for (const auto& p : m.parts) {
    j["parts"].push_back({{"file", p.file},
                          {"inputs", tensors_to_json(p.inputs)},
                          {"outputs", tensors_to_json(p.outputs)},
                          {"bytes_in", p.bytes_in},
                          {"bytes_out", p.bytes_out},
                          {"sha256", p.sha256}});
  }
  j["cuts"] = json::array();
  for (const auto& c : m.cuts) {
    j["cuts"].push_back({{"after_part", c.after_part},
                         {"tensors", tensors_to_json(c.tensors)},
                         {"bytes", c.bytes}});
  }
  j["preprocess"] = m.preprocess ? preprocess_to_json(*m.preprocess) : json(nullptr);
  j["calibration"] = m.calibration
                         ? json{{"path", m.calibration->path}, {"sha256", m.calibration->sha256}}
                         : json(nullptr);
  j["exit_policy"] = m.exit_policy ? exit_policy_to_json(*m.exit_policy) : json(nullptr);
  if (m.detection) j["detection"] = detection_outputs_to_json(*m.detection);
  j["options_sha256"] = m.options_sha256;
  return j;
}

Result<VariantManifest> manifest_from_json(const json& j) {
  try {
    return parse(j);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("manifest: wrong value type: ") + e.what());
  }
}

Status write_manifest(const std::string& dir, const VariantManifest& manifest) {
  return write_file_atomic((fs::path(dir) / kManifestFile).string(),
                           manifest_to_json(manifest).dump(2) + "\n");
}

Result<VariantManifest> read_manifest(const std::string& dir) {
  const fs::path path = fs::path(dir) / kManifestFile;
  std::ifstream in(path);
  if (!in) {
    return not_found("manifest file '" + path.string() + "' not found: is '" + dir +
                     "' a variant directory (made by edgetier partition/early-exit/variants)?");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto j = parse_json(buffer.str(), path.string());
  if (!j.ok()) return data_loss("manifest file " + j.status().message());
  auto m = manifest_from_json(*j);
  if (!m.ok()) return m.status().with_context(path.string());
  return m;
}

Result<std::string> task_from_output(const TensorInfo& output) {
  if (output.shape.size() == 2) return std::string("classify");
  if (output.shape.size() == 4) return std::string("segment");
  return invalid_argument("cannot tell the task from output '" + output.name + "' of shape " +
                          shape_to_string(output.shape) +
                          ": expected [N, classes] (classify) or [N, classes, H, W] (segment); "
                          "pass --task");
}

}  // namespace edgetier
