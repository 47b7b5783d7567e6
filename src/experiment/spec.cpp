/// Experiment spec: names, presets, sidecars, normalised JSON and the spec hash.
#include "experiment/spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>

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
      break;
    case DataKind::kUnlabeled: j.update({{"path", d.path}}); break;
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
  if (p.mean) j["mean"] = *p.mean;
  if (p.std) j["std"] = *p.std;
  if (p.layout) j["layout"] = *p.layout;
  if (p.bgr) j["bgr"] = *p.bgr;
  if (p.dtype) j["dtype"] = *p.dtype;
  return j;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string OpChain::name() const {
  if (!quantize && exit == ExitMode::kNone && !partition) return "I";
  std::string out = quantize ? "Q" : "";
  if (exit == ExitMode::kStatic) out += quantize ? "E" : "EE";  // the study's QE, QEP
  if (exit == ExitMode::kDynamic) out += "DEE";
  if (partition) out += "P";
  if (exit == ExitMode::kDynamic) {
    out += '@';  // appended in two steps: GCC 12 warns falsely (-Wrestrict) on "@" + string
    out += shortest_number(exit_threshold);
  }
  return out;
}

std::vector<std::string> OpChain::steps() const {
  std::vector<std::string> out;
  if (exit == ExitMode::kStatic) out.push_back("early_exit");
  if (exit == ExitMode::kDynamic) out.push_back("dynamic_exit");
  if (quantize) out.push_back("quantize");
  if (partition) out.push_back("partition");
  return out;
}

std::vector<OpChain> standard_op_chains() {
  std::vector<OpChain> out;
  for (const char* n : {"I", "Q", "EE", "QE", "P", "QP", "EEP", "QEP"})
    out.push_back(*parse_op_chain(n));
  return out;
}

Result<OpChain> parse_op_chain(std::string_view text) {
  const std::string all = upper(text);
  std::string head = all, threshold;
  if (auto at = all.find('@'); at != std::string::npos) {
    head = all.substr(0, at);
    threshold = all.substr(at + 1);
  }
  auto bad = [&](const std::string& why) -> Status {
    static const std::vector<std::string> kNames = {"I",       "Q",        "EE",       "QE",
                                                    "P",       "QP",       "EEP",      "QEP",
                                                    "DEE@0.8", "QDEE@0.8", "DEEP@0.8", "QDEEP@0.8"};
    return invalid_argument(
        "operator chain '" + std::string(text) + "': " + why + "; did you mean '" +
        nearest_name(all, kNames) +
        "'? (chains: I, Q, EE, QE, P, QP, EEP, QEP, DEE@p, QDEE@p, DEEP@p, QDEEP@p)");
  };
  OpChain chain;
  if (head == "I") {
    if (!threshold.empty()) return bad("identity takes no threshold");
    return chain;
  }
  size_t i = 0;
  if (head.compare(i, 1, "Q") == 0) {
    chain.quantize = true;
    ++i;
  }
  if (head.compare(i, 3, "DEE") == 0) {
    chain.exit = ExitMode::kDynamic;
    i += 3;
  } else if (head.compare(i, 2, "EE") == 0) {
    chain.exit = ExitMode::kStatic;
    i += 2;
  } else if (chain.quantize && head.compare(i, 1, "E") == 0) {
    chain.exit = ExitMode::kStatic;
    i += 1;
  }
  if (head.compare(i, 1, "P") == 0) {
    chain.partition = true;
    ++i;
  }
  if (i != head.size() || head.empty()) return bad("unknown operator chain");
  if (chain.exit == ExitMode::kDynamic) {
    if (threshold.empty()) return bad("a dynamic exit needs a confidence threshold such as @0.8");
    double v = 0;
    auto [end, ec] = std::from_chars(threshold.data(), threshold.data() + threshold.size(), v);
    if (ec != std::errc() || end != threshold.data() + threshold.size() || !(v > 0.0 && v <= 1.0)) {
      return bad("threshold '" + threshold + "' must be a number in (0, 1]");
    }
    chain.exit_threshold = v;
  } else if (!threshold.empty()) {
    return bad("only dynamic exits (DEE) take an @threshold");
  }
  return chain;
}

std::string_view tier_role_name(TierRole role) {
  switch (role) {
    case TierRole::kMobile: return "mobile";
    case TierRole::kEdge: return "edge";
    case TierRole::kCloud: return "cloud";
  }
  return "?";
}

char tier_role_letter(TierRole role) { return "MEC"[static_cast<int>(role)]; }

std::string Placement::name() const {
  std::string out;
  for (TierRole t : tiers) out += tier_role_letter(t);
  return out;
}

std::vector<Placement> all_placements() {
  std::vector<Placement> out;
  for (const char* n : {"M", "E", "C", "ME", "EC", "MC", "MEC"}) out.push_back(*parse_placement(n));
  return out;
}

Result<Placement> parse_placement(std::string_view text) {
  static const std::vector<std::string> kNames = {"M", "E", "C", "ME", "EC", "MC", "MEC"};
  const std::string name = upper(text);
  Placement p;
  for (char c : name) {
    const size_t role = std::string_view("MEC").find(c);
    if (role == std::string_view::npos) {
      return invalid_argument(
          "placement '" + std::string(text) + "': unknown tier '" + std::string(1, c) +
          "'; did you mean '" + nearest_name(name, kNames) +
          "'? (M = Mobile, E = Edge, C = Cloud; placements: M, E, C, ME, EC, MC, MEC)");
    }
    p.tiers.push_back(static_cast<TierRole>(role));
  }
  const bool ascending = !p.tiers.empty() && std::adjacent_find(p.tiers.begin(), p.tiers.end(),
                                                                [](TierRole a, TierRole b) {
                                                                  return a >= b;
                                                                }) == p.tiers.end();
  if (!ascending) {
    std::string guess = name;
    std::sort(guess.begin(), guess.end(), [](char a, char b) {
      return std::string_view("MEC").find(a) < std::string_view("MEC").find(b);
    });
    return invalid_argument(
        "placement '" + std::string(text) +
        "': parts run up the chain Mobile -> Edge -> Cloud, each tier once; did you mean '" +
        nearest_name(guess, kNames) + "'? (placements: M, E, C, ME, EC, MC, MEC)");
  }
  return p;
}

std::string_view data_kind_name(DataKind kind) {
  switch (kind) {
    case DataKind::kAuto: return "auto";
    case DataKind::kSynth: return "synth";
    case DataKind::kFolder: return "folder";
    case DataKind::kImagenet: return "imagenet";
    case DataKind::kSegmentation: return "segmentation";
    case DataKind::kUnlabeled: return "unlabeled";
  }
  return "?";
}

std::vector<std::string> link_names() { return {"mobile-edge", "edge-cloud"}; }

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

Result<std::optional<ModelSidecar>> load_model_sidecar(const std::string& model_path) {
  std::filesystem::path p(model_path);
  p.replace_extension(".json");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::optional<ModelSidecar>();
  ASSIGN_OR_RETURN(std::string text, read_file_bytes(p.string()));
  ModelSidecar sidecar;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object()) return invalid_argument(p.string() + ": expected a JSON object");
    for (const auto& [key, value] : j.items()) {
      if (key == "task") {
        ASSIGN_OR_RETURN(Task task, parse_task(value.get<std::string>()));
        sidecar.task = task;
      } else if (key == "preprocess") {
        if (!value.is_object())
          return invalid_argument(p.string() + ": 'preprocess' must be an object");
        sidecar.preprocess = value;
      } else if (key == "classes") {
        sidecar.classes = value.get<std::vector<std::string>>();
      } else if (key == "provenance") {
        // Free-form record of how the model was made (commands, seeds, accuracy); informative only.
      } else {
        return invalid_argument(p.string() + ": unknown key '" + key + "'; did you mean '" +
                                nearest_name(key, {"task", "preprocess", "classes", "provenance"}) +
                                "'?");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(p.string() + ": " + e.what());
  }
  return std::optional<ModelSidecar>(std::move(sidecar));
}

Result<PreprocessSpec> resolve_preprocess(const ModelSpec& model, const ModelSidecar* sidecar,
                                          const std::string& input_name, int64_t input_height,
                                          int64_t input_width) {
  PreprocessSpec base;
  if (input_height > 0 && input_width > 0)
    base = PreprocessSpec::for_input(input_name, input_height, input_width);
  base.input_name = input_name;
  nlohmann::json merged = preprocess_to_json(base);
  if (sidecar) {
    for (const auto& [key, value] : sidecar->preprocess.items()) merged[key] = value;
  }
  const PreprocessOverrides& o = model.preprocess;
  if (model.input) merged["input_name"] = *model.input;
  if (o.size) {
    merged["height"] = o.size->first;
    merged["width"] = o.size->second;
    merged["resize_shorter"] = 0;
    merged["center_crop"] = false;
  }
  if (o.crop) {
    merged["height"] = o.crop->first;
    merged["width"] = o.crop->second;
    merged["center_crop"] = true;
  }
  if (o.resize) merged["resize_shorter"] = *o.resize;
  if (o.mean) merged["mean"] = *o.mean;
  if (o.std) merged["std"] = *o.std;
  if (o.layout) merged["layout"] = *o.layout;
  if (o.bgr) merged["bgr"] = *o.bgr;
  if (o.dtype) merged["dtype"] = *o.dtype;
  auto spec = preprocess_from_json(merged);
  if (!spec.ok()) return spec.status().with_context("model '" + model.name + "'");
  return spec;
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
    scenarios.push_back({{"name", sc.name}, {"links", sl}});
  }
  const MeasurementSpec& m = s.measurement;
  nlohmann::json calibration = {{"method", s.calibration.method},
                                {"samples", s.calibration.samples},
                                {"percentile", s.calibration.percentile}};
  if (s.calibration.data) calibration["data"] = data_to_json(*s.calibration.data);
  return {
      {"name", s.name},
      {"models", models},
      {"data", data_to_json(s.data)},
      {"calibration", calibration},
      {"quantize",
       {{"format", s.quantize.format},
        {"activations", s.quantize.activations},
        {"per_channel", s.quantize.per_channel}}},
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
      {"measurement",
       {{"preset", m.preset},
        {"warmup", m.warmup},
        {"requests", m.requests},
        {"passes", m.passes},
        {"discard_passes", m.discard_passes},
        {"concurrency", m.concurrency},
        {"rate_rps", m.rate_rps},
        {"timeout_ms", m.timeout_ms}}},
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
