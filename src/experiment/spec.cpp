/// Experiment spec: names, presets, sidecars, normalised JSON and the spec hash.
#include "experiment/spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "core/files.h"
#include "core/json_reader.h"
#include "core/strings.h"
#include "testbed/presets.h"

namespace edgetier {
namespace {

nlohmann::json data_to_json(const DataSpec& d) {
  nlohmann::json j = {{"kind", std::string(data_kind_name(d.kind))}, {"limit", d.limit}};
  switch (d.kind) {
    case DataKind::kSynth:
      j.update({{"count", d.synth_count}, {"size", d.synth_size}, {"seed", d.synth_seed}});
      break;
    case DataKind::kFolder:
      j.update({{"path", d.path}, {"labels", d.labels}, {"classes", d.classes}});
      break;
    case DataKind::kImagenet: j.update({{"path", d.path}, {"classes", d.classes}}); break;
    case DataKind::kSegmentation:
      j.update({{"path", d.path},
                {"images", d.images},
                {"masks", d.masks},
                {"classes", d.classes},
                {"num_classes", d.num_classes},
                {"ignore_index", d.ignore_index}});
      break;
    case DataKind::kAuto:
      j.update({{"path", d.path},
                {"labels", d.labels},
                {"classes", d.classes},
                {"images", d.images},
                {"masks", d.masks},
                {"num_classes", d.num_classes},
                {"ignore_index", d.ignore_index}});
      // Only when set: specs written before the key existed keep their hash.
      if (d.annotations != DataSpec{}.annotations) j["annotations"] = d.annotations;
      break;
    case DataKind::kUnlabeled: j.update({{"path", d.path}}); break;
    case DataKind::kCoco:
      j.update({{"path", d.path}, {"annotations", d.annotations}, {"images", d.images}});
      break;
    case DataKind::kYolo: j.update({{"path", d.path}, {"classes", d.classes}}); break;
  }
  return j;
}

nlohmann::json cut_to_json(const CutSpec& c) {
  nlohmann::json j = {{"min_flops_share", c.min_flops_share},
                      {"max_flops_share", c.max_flops_share}};
  if (c.automatic) {
    j["tensors"] = "auto";
  } else {
    j["tensors"] = c.tensors;
  }
  return j;
}

nlohmann::json exit_to_json(const ExitSpec& e) {
  nlohmann::json j = {{"confidence", e.confidence}, {"max_flops_share", e.max_flops_share}};
  // Only when set: specs written before the key existed keep their hash (and stay resumable).
  if (e.target_flops_share != ExitSpec{}.target_flops_share)
    j["target_flops_share"] = e.target_flops_share;
  if (e.automatic) {
    j["skip"] = "auto";
  } else {
    j["from"] = e.from;
    j["to"] = e.to;
  }
  return j;
}

nlohmann::json link_to_json(const LinkSpec& l) {
  return {{"rate_mbit", l.rate_mbit},
          {"rtt_ms", l.rtt_ms()},
          {"jitter_ms", l.jitter_ms},
          {"loss_pct", l.loss_pct}};
}

nlohmann::json preprocess_overrides_to_json(const PreprocessOverrides& p) {
  nlohmann::json j = nlohmann::json::object();
  if (p.resize) j["resize"] = *p.resize;
  if (p.crop) j["crop"] = {p.crop->first, p.crop->second};
  if (p.size) j["size"] = {p.size->first, p.size->second};
  if (p.letterbox) j["letterbox"] = {p.letterbox->first, p.letterbox->second};
  if (p.mean) j["mean"] = *p.mean;
  if (p.std) j["std"] = *p.std;
  if (p.layout) j["layout"] = *p.layout;
  if (p.bgr) j["bgr"] = *p.bgr;
  if (p.dtype) j["dtype"] = *p.dtype;
  return j;
}

}  // namespace

CutSelectOptions cut_select_options(const CutSpec& spec) {
  CutSelectOptions o;
  o.min_lower_flops = spec.min_flops_share;
  o.max_lower_flops = spec.max_flops_share;
  o.prefer_single_tensor = true;
  return o;
}

ExitSelectOptions exit_select_options(const ExitSpec& spec) {
  ExitSelectOptions o;
  o.target_flops_share = spec.target_flops_share;
  o.max_flops_share = spec.max_flops_share;
  return o;
}

// ---------------------------------------------------------------------------------------------

std::string_view data_kind_name(DataKind kind) {
  switch (kind) {
    case DataKind::kAuto: return "auto";
    case DataKind::kSynth: return "synth";
    case DataKind::kFolder: return "folder";
    case DataKind::kImagenet: return "imagenet";
    case DataKind::kSegmentation: return "segmentation";
    case DataKind::kUnlabeled: return "unlabeled";
    case DataKind::kCoco: return "coco";
    case DataKind::kYolo: return "yolo";
  }
  return "?";
}

const TierSpec* TestbedSpec::tier(std::string_view n) const {
  for (const auto& t : tiers) {
    if (t.name == n) return &t;
  }
  return nullptr;
}

const LinkSpec* TestbedSpec::link(std::string_view n) const {
  for (const auto& l : links) {
    if (l.name() == n) return &l;
  }
  return nullptr;
}

std::vector<std::string> testbed_preset_names() { return testbed::topology_preset_names(); }

Result<TestbedSpec> testbed_preset(std::string_view name) {
  ASSIGN_OR_RETURN(testbed::PresetTopology preset, testbed::preset_topology(name));
  TestbedSpec t;
  t.preset = preset.name;
  t.tiers = std::move(preset.tiers);
  t.links = std::move(preset.links);
  return t;
}

Status apply_measurement_preset(std::string_view name, MeasurementSpec* m) {
  if (name.empty()) return ok_status();
  if (name == "study") {
    // 6 sequential passes over 100 inputs, the first discarded: 500 samples per strategy.
    m->warmup = 0;
    m->requests = 100;
    m->passes = 6;
    m->discard_passes = 1;
    m->concurrency = 1;
    m->rate_rps = 0;
  } else if (name == "quick") {
    m->warmup = 1;
    m->requests = 5;
    m->passes = 1;
    m->discard_passes = 0;
  } else {
    return invalid_argument(
        "unknown measurement preset '" + std::string(name) + "'; did you mean '" +
        nearest_name(std::string(name), {"study", "quick"}) + "'? (presets: study, quick)");
  }
  m->preset = std::string(name);
  return ok_status();
}

const ScenarioSpec* ExperimentSpec::scenario(std::string_view n) const {
  for (const auto& s : scenarios) {
    if (s.name == n) return &s;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------

nlohmann::json preprocess_override_keys(const ModelSpec& model) {
  nlohmann::json keys = nlohmann::json::object();
  const PreprocessOverrides& o = model.preprocess;
  if (model.input) keys["input_name"] = *model.input;
  if (o.size) {
    keys["height"] = o.size->first;
    keys["width"] = o.size->second;
    keys["resize_shorter"] = 0;
    keys["center_crop"] = false;
  }
  if (o.letterbox) {
    keys["height"] = o.letterbox->first;
    keys["width"] = o.letterbox->second;
    keys["letterbox"] = true;
    keys["resize_shorter"] = 0;
    keys["center_crop"] = false;
  }
  if (o.crop) {
    keys["height"] = o.crop->first;
    keys["width"] = o.crop->second;
    keys["center_crop"] = true;
  }
  if (o.resize) keys["resize_shorter"] = *o.resize;
  if (o.mean) keys["mean"] = *o.mean;
  if (o.std) keys["std"] = *o.std;
  if (o.layout) keys["layout"] = *o.layout;
  if (o.bgr) keys["bgr"] = *o.bgr;
  if (o.dtype) keys["dtype"] = *o.dtype;
  return keys;
}

// ---------------------------------------------------------------------------------------------

nlohmann::json spec_to_json(const ExperimentSpec& s) {
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : s.models) {
    nlohmann::json j = {{"name", m.name},
                        {"path", m.path},
                        {"preprocess", preprocess_overrides_to_json(m.preprocess)}};
    if (m.task) j["task"] = std::string(task_name(*m.task));
    if (m.input) j["input"] = *m.input;
    if (m.data) j["data"] = data_to_json(*m.data);
    if (m.cut) j["cut"] = cut_to_json(*m.cut);
    if (m.exit) j["exit"] = exit_to_json(*m.exit);
    if (!m.classes_file.empty()) j["classes"] = m.classes_file;
    models.push_back(std::move(j));
  }
  nlohmann::json ops = nlohmann::json::array(), placements = nlohmann::json::array();
  for (const auto& o : s.operators) ops.push_back(o.name());
  for (const auto& p : s.placements) placements.push_back(p.name());
  nlohmann::json tiers = nlohmann::json::object(), links = nlohmann::json::object();
  for (const auto& t : s.testbed.tiers) {
    tiers[t.name] = {{"enabled", t.enabled},
                     {"cpus", t.cpus},
                     {"memory_bytes", t.memory_bytes},
                     {"threads", t.threads}};
  }
  for (const auto& l : s.testbed.links) links[l.name()] = link_to_json(l);
  nlohmann::json scenarios = nlohmann::json::array();
  for (const auto& sc : s.scenarios) {
    nlohmann::json sl = nlohmann::json::object();
    for (const auto& l : sc.links) sl[l.name()] = link_to_json(l);
    nlohmann::json j = {{"name", sc.name}, {"links", sl}};
    if (!sc.measured) j["measure"] = false;  // only when set: older specs keep their hash
    scenarios.push_back(std::move(j));
  }
  const MeasurementSpec& m = s.measurement;
  nlohmann::json calibration = {{"method", s.calibration.method},
                                {"samples", s.calibration.samples},
                                {"percentile", s.calibration.percentile}};
  if (s.calibration.data) calibration["data"] = data_to_json(*s.calibration.data);
  nlohmann::json quantize = {{"format", s.quantize.format},
                             {"activations", s.quantize.activations},
                             {"per_channel", s.quantize.per_channel}};
  // Only when set, so the hash of a spec without a budget stays what it was.
  if (s.quantize.reduce_range != "auto") quantize["reduce_range"] = s.quantize.reduce_range;
  if (s.quantize.max_accuracy_loss) quantize["max_accuracy_loss"] = *s.quantize.max_accuracy_loss;
  nlohmann::json measurement = {{"preset", m.preset},
                                 {"warmup", m.warmup},
                                 {"requests", m.requests},
                                 {"passes", m.passes},
                                 {"discard_passes", m.discard_passes},
                                 {"concurrency", m.concurrency},
                                 {"rate_rps", m.rate_rps},
                                 {"timeout_ms", m.timeout_ms}};
  // The stopping rule changes results only when it is on; a fixed-count spec keeps its hash.
  if (m.adaptive()) {
    measurement["precision_pct"] = *m.precision_pct;
    measurement["min_requests"] = m.min_requests;
    measurement["max_requests"] = m.max_requests;
    measurement["max_seconds"] = m.max_seconds;
    measurement["round_requests"] = m.round_requests;
    measurement["interleave"] = m.interleave;
  }
  return {
      {"name", s.name},
      {"models", models},
      {"data", data_to_json(s.data)},
      {"calibration", calibration},
      {"quantize", quantize},
      {"cut", cut_to_json(s.cut)},
      {"exit", exit_to_json(s.exit)},
      {"operators", ops},
      {"placements", placements},
      {"testbed",
       {{"preset", s.testbed.preset},
        {"network", s.testbed.network},
        {"tiers", tiers},
        {"links", links}}},
      {"scenarios", scenarios},
      {"measurement", measurement},
      {"response", s.raw_response ? "raw" : "task"},
      {"seed", s.seed},
  };
}

std::string fnv1a_hex(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string spec_hash(const ExperimentSpec& spec) { return fnv1a_hex(spec_to_json(spec).dump()); }

Result<ExperimentSpec> load_spec_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return not_found("experiment file '" + path +
                     "' does not exist (run `edgetier run` with no file for the demo)");
  }
  ASSIGN_OR_RETURN(std::string text, read_file_bytes(path));
  const auto abs = std::filesystem::absolute(path).lexically_normal();
  return parse_spec(text, abs.parent_path().string(), path);
}

}  // namespace edgetier
