/// Model sidecars and the one preprocessing resolution (flag > sidecar > input-size default).
#include "runtime/model_sidecar.h"

#include <filesystem>

#include "core/files.h"
#include "core/json_reader.h"

namespace edgetier {

Result<std::optional<ModelSidecar>> load_model_sidecar(const std::string& model_path) {
  std::filesystem::path p(model_path);
  p.replace_extension(".json");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::optional<ModelSidecar>();
  ASSIGN_OR_RETURN(nlohmann::json j, read_json_file(p.string()));
  ASSIGN_OR_RETURN(JsonMap map, JsonMap::open(j, p.string()));
  ModelSidecar sidecar;
  sidecar.path = p.string();
  std::string task;
  RETURN_IF_ERROR(map.get("task", &task));
  if (!task.empty()) {
    auto parsed = parse_task(task);
    if (!parsed.ok()) return map.error("task", parsed.status().message());
    sidecar.task = *parsed;
  }
  if (map.has("preprocess")) {
    if (!map.at("preprocess").is_object())
      return map.error("preprocess", "expected an object of preprocessing keys");
    sidecar.preprocess = map.at("preprocess");
  }
  RETURN_IF_ERROR(map.get("classes", &sidecar.classes));
  if (map.has("detection")) {
    if (!map.at("detection").is_object())
      return map.error("detection", "expected an object: {\"format\": \"yolo\" | \"boxes\", ...}");
    sidecar.detection = map.at("detection");
  }
  // Free-form record of how the model was made (commands, seeds, accuracy); informative only.
  map.allow("provenance");
  RETURN_IF_ERROR(map.finish());
  return std::optional<ModelSidecar>(std::move(sidecar));
}

Result<PreprocessSpec> resolve_preprocess(const TensorInfo& input, const ModelSidecar* sidecar,
                                          const nlohmann::json& overrides,
                                          const std::string& label) {
  if (!overrides.is_object())
    return invalid_argument(label + ": preprocessing overrides must be a JSON object");
  // The layout decides which dims are the height and width of the default.
  std::string layout;
  for (const nlohmann::json* keys : {&overrides, sidecar ? &sidecar->preprocess : nullptr}) {
    if (layout.empty() && keys && keys->contains("layout") && keys->at("layout").is_string())
      layout = keys->at("layout").get<std::string>();
  }
  const auto& s = input.shape;
  if (layout.empty()) layout = s.size() == 4 && s[3] == 3 && s[1] != 3 ? "NHWC" : "NCHW";
  const bool nhwc = layout == "NHWC";
  const int64_t h = s.size() == 4 ? s[nhwc ? 1 : 2] : -1;
  const int64_t w = s.size() == 4 ? s[nhwc ? 2 : 3] : -1;
  PreprocessSpec base;
  if (h > 0 && w > 0) base = PreprocessSpec::for_input(input.name, h, w);
  base.input_name = input.name;
  base.layout = layout;
  if (input.dtype == DType::kUInt8) base.dtype = DType::kUInt8;

  nlohmann::json merged = preprocess_to_json(base);
  if (sidecar) {
    for (const auto& [key, value] : sidecar->preprocess.items()) merged[key] = value;
  }
  for (const auto& [key, value] : overrides.items()) merged[key] = value;
  auto spec = preprocess_from_json(merged);
  if (!spec.ok()) {
    // Name the file when the sidecar brought the bad value.
    const bool from_sidecar = sidecar && !preprocess_from_json(sidecar->preprocess).ok();
    return invalid_argument(label + ": " + spec.status().message() +
                            (from_sidecar ? " (in " + sidecar->path + ")" : ""));
  }
  return spec;
}

Result<nlohmann::json> read_preprocess_arg(const std::string& arg) {
  std::string text = arg;
  const auto first = arg.find_first_not_of(" \t\n");
  if (first == std::string::npos)
    return invalid_argument("--preprocess is empty; pass a JSON file or inline JSON");
  const bool inline_json = arg[first] == '{';
  if (!inline_json) {
    auto bytes = read_file_bytes(arg);
    if (!bytes.ok()) return bytes.status().with_context("--preprocess");
    text = *bytes;
  }
  auto j = parse_json(text, inline_json ? "(inline JSON)" : arg);
  if (!j.ok()) return j.status().with_context("--preprocess");
  if (!j->is_object()) return invalid_argument("--preprocess: expected a JSON object of keys");
  // Checked on their own (over the default) so that a typo is named as the flag's.
  auto checked = preprocess_from_json(*j);
  if (!checked.ok()) return checked.status().with_context("--preprocess");
  return *j;
}

}  // namespace edgetier
