/// experiment.yaml -> ExperimentSpec: strict parsing (unknown keys, wrong types and bad values
/// are errors naming the key path), defaults, presets and scenario sweeps.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include "core/strings.h"
#include "experiment/spec.h"
#include "experiment/spec_yaml_internal.h"
#include "experiment/yaml_reader.h"
#include "graph/graph_view.h"
#include "ops/quantize.h"

namespace edgetier {
namespace {

using spec_yaml::check_choice;
using spec_yaml::check_range;
using spec_yaml::parse_measurement;
using spec_yaml::parse_scenarios;
using spec_yaml::parse_testbed;
using spec_yaml::resolve_path;

Result<std::pair<int64_t, int64_t>> parse_hw(const YamlCursor& at) {
  if (at.node && at.node.IsSequence()) {
    if (at.node.size() != 2)
      return at.error("expected [height, width] or one integer, got a list of " +
                      std::to_string(at.node.size()));
    ASSIGN_OR_RETURN(int64_t h, yaml_int(at.element(0)));
    ASSIGN_OR_RETURN(int64_t w, yaml_int(at.element(1)));
    if (h <= 0 || w <= 0) return at.error("height and width must be positive");
    return std::make_pair(h, w);
  }
  ASSIGN_OR_RETURN(int64_t s, yaml_int(at));
  if (s <= 0) return at.error("size must be positive, got " + std::to_string(s));
  return std::make_pair(s, s);
}

Result<std::array<float, 3>> parse_rgb(const YamlCursor& at) {
  ASSIGN_OR_RETURN(std::vector<double> v, yaml_double_list(at));
  if (v.size() != 3)
    return at.error("expected three values (R, G, B), got " + std::to_string(v.size()));
  return std::array<float, 3>{static_cast<float>(v[0]), static_cast<float>(v[1]),
                              static_cast<float>(v[2])};
}

Result<PreprocessOverrides> parse_preprocess(const YamlCursor& at) {
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  PreprocessOverrides p;
  if (m.has("resize")) {
    ASSIGN_OR_RETURN(int64_t r, yaml_int(m.at("resize")));
    if (r < 0) return m.at("resize").error("must be >= 0 (0 resizes straight to the final size)");
    p.resize = r;
  }
  if (m.has("crop")) {
    ASSIGN_OR_RETURN(auto hw, parse_hw(m.at("crop")));
    p.crop = hw;
  }
  if (m.has("size")) {
    ASSIGN_OR_RETURN(auto hw, parse_hw(m.at("size")));
    p.size = hw;
    if (p.crop)
      return m.at("size").error(
          "give either size (fixed resize) or crop (resize then centre crop), not both");
  }
  if (m.has("letterbox")) {
    ASSIGN_OR_RETURN(auto hw, parse_hw(m.at("letterbox")));
    if (p.crop || p.size || p.resize)
      return m.at("letterbox").error(
          "letterbox fits the whole image into H x W; remove resize, crop and size");
    p.letterbox = hw;
  }
  if (m.has("mean")) {
    ASSIGN_OR_RETURN(auto v, parse_rgb(m.at("mean")));
    p.mean = v;
  }
  if (m.has("std")) {
    ASSIGN_OR_RETURN(auto v, parse_rgb(m.at("std")));
    for (float x : v) {
      if (x <= 0) return m.at("std").error("every std value must be positive");
    }
    p.std = v;
  }
  if (m.has("layout")) {
    ASSIGN_OR_RETURN(std::string v, yaml_string(m.at("layout")));
    RETURN_IF_ERROR(check_choice(m.at("layout"), v, {"NCHW", "NHWC"}));
    p.layout = v;
  }
  if (m.has("bgr")) {
    ASSIGN_OR_RETURN(bool v, yaml_bool(m.at("bgr")));
    p.bgr = v;
  }
  if (m.has("dtype")) {
    ASSIGN_OR_RETURN(std::string v, yaml_string(m.at("dtype")));
    RETURN_IF_ERROR(check_choice(m.at("dtype"), v, {"float32", "uint8"}));
    p.dtype = v;
  }
  RETURN_IF_ERROR(m.finish());
  return p;
}

Result<DataSpec> parse_data(const YamlCursor& at, const std::string& base_dir) {
  DataSpec d;
  if (at.node && at.node.IsScalar()) {
    // Shorthand: `data: synth` or `data: path/to/folder` (kind detected from its contents).
    const std::string v = at.node.Scalar();
    if (v != "synth") {
      d.kind = DataKind::kAuto;
      d.path = resolve_path(base_dir, v);
    }
    return d;
  }
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  std::string kind;
  RETURN_IF_ERROR(m.get("kind", &kind));
  std::string path;
  RETURN_IF_ERROR(m.get("path", &path));
  if (kind.empty()) kind = path.empty() ? "synth" : "auto";
  static const std::map<std::string, DataKind> kKinds = {{"auto", DataKind::kAuto},
                                                         {"synth", DataKind::kSynth},
                                                         {"folder", DataKind::kFolder},
                                                         {"imagenet", DataKind::kImagenet},
                                                         {"segmentation", DataKind::kSegmentation},
                                                         {"unlabeled", DataKind::kUnlabeled},
                                                         {"coco", DataKind::kCoco},
                                                         {"yolo", DataKind::kYolo}};
  RETURN_IF_ERROR(check_choice(m.at("kind"), kind,
                               {"auto", "synth", "folder", "imagenet", "segmentation", "unlabeled",
                                "coco", "yolo"}));
  d.kind = kKinds.at(kind);
  if (d.kind == DataKind::kSynth) {
    if (!path.empty())
      return m.at("path").error(
          "synth data is generated; remove 'path' or set kind to a folder kind");
    RETURN_IF_ERROR(m.get("count", &d.synth_count));
    RETURN_IF_ERROR(m.get("size", &d.synth_size));
    int64_t seed = static_cast<int64_t>(d.synth_seed);
    RETURN_IF_ERROR(m.get("seed", &seed));
    if (seed < 0) return m.at("seed").error("must be >= 0");
    d.synth_seed = static_cast<uint64_t>(seed);
    if (d.synth_count <= 0) return m.at("count").error("must be positive");
    if (d.synth_size < 16 || d.synth_size > 4096)
      return m.at("size").error("must be in [16, 4096]");
  } else {
    if (path.empty())
      return m.cursor().error("data of kind '" + kind + "' needs a 'path' (a folder)");
    d.path = resolve_path(base_dir, path);
  }
  RETURN_IF_ERROR(m.get("labels", &d.labels));
  RETURN_IF_ERROR(m.get("classes", &d.classes));
  RETURN_IF_ERROR(m.get("images", &d.images));
  RETURN_IF_ERROR(m.get("masks", &d.masks));
  RETURN_IF_ERROR(m.get("annotations", &d.annotations));
  RETURN_IF_ERROR(m.get("num_classes", &d.num_classes));
  RETURN_IF_ERROR(m.get("ignore_index", &d.ignore_index));
  RETURN_IF_ERROR(m.get("limit", &d.limit));
  if (d.num_classes < 0)
    return m.at("num_classes").error("must be >= 0 (0 = from classes.txt or the model)");
  if (d.ignore_index < -1 || d.ignore_index > 255)
    return m.at("ignore_index").error("must be a mask value 0..255 or -1 (none)");
  if (d.limit < 0) return m.at("limit").error("must be >= 0 (0 = all images)");
  RETURN_IF_ERROR(m.finish());
  return d;
}

/// One boundary's tensors: a name or a list of names; `[[a], [b]]` lists two boundaries (MEC).
Status parse_cut_tensors(const YamlCursor& at, CutSpec* c) {
  if (at.node && at.node.IsScalar() && at.node.Scalar() == "auto") {
    c->automatic = true;
    c->tensors.clear();
    return ok_status();
  }
  c->automatic = false;
  c->tensors.clear();
  if (at.node && at.node.IsSequence() && at.node.size() > 0 && at.node[0].IsSequence()) {
    if (at.node.size() > 2)
      return at.error("at most two boundaries (three tiers), got " +
                      std::to_string(at.node.size()));
    for (size_t i = 0; i < at.node.size(); ++i) {
      ASSIGN_OR_RETURN(auto names, yaml_string_list(at.element(i)));
      if (names.empty()) return at.element(i).error("a boundary needs at least one tensor name");
      c->tensors.push_back(std::move(names));
    }
    return ok_status();
  }
  ASSIGN_OR_RETURN(auto names, yaml_string_list(at));
  if (names.empty()) return at.error("expected 'auto' or tensor names");
  c->tensors.push_back(std::move(names));
  return ok_status();
}

Result<CutSpec> parse_cut(const YamlCursor& at, CutSpec c) {
  if (!at.node || !at.node.IsMap()) {
    RETURN_IF_ERROR(parse_cut_tensors(at, &c));
    return c;
  }
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  if (m.has("tensors")) RETURN_IF_ERROR(parse_cut_tensors(m.at("tensors"), &c));
  RETURN_IF_ERROR(m.get("min_flops_share", &c.min_flops_share));
  RETURN_IF_ERROR(m.get("max_flops_share", &c.max_flops_share));
  RETURN_IF_ERROR(check_range(m.at("min_flops_share"), c.min_flops_share, 0, 1, "in [0, 1]"));
  RETURN_IF_ERROR(check_range(m.at("max_flops_share"), c.max_flops_share, 0, 1, "in [0, 1]"));
  if (c.min_flops_share > c.max_flops_share) {
    return m.at("max_flops_share")
        .error("must be >= min_flops_share (" + std::to_string(c.min_flops_share) + ")");
  }
  RETURN_IF_ERROR(m.finish());
  return c;
}

Result<ExitSpec> parse_exit(const YamlCursor& at, ExitSpec e) {
  if (at.node && at.node.IsScalar() && at.node.Scalar() == "auto") {
    e.automatic = true;
    return e;
  }
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  if (m.has("skip")) {
    ASSIGN_OR_RETURN(std::string v, yaml_string(m.at("skip")));
    if (v != "auto")
      return m.at("skip").error("expected 'auto' (or give 'from' and 'to' tensor names)");
    e.automatic = true;
  }
  const bool has_from = m.has("from"), has_to = m.has("to");
  if (has_from != has_to)
    return m.cursor().error("give both 'from' and 'to' (the skipped region's entry and exit)");
  if (has_from) {
    e.automatic = false;
    RETURN_IF_ERROR(m.get("from", &e.from));
    RETURN_IF_ERROR(m.get("to", &e.to));
  }
  RETURN_IF_ERROR(m.get("max_flops_share", &e.max_flops_share));
  RETURN_IF_ERROR(check_range(m.at("max_flops_share"), e.max_flops_share, 0, 1, "in [0, 1]"));
  RETURN_IF_ERROR(m.get("target_flops_share", &e.target_flops_share));
  RETURN_IF_ERROR(
      check_range(m.at("target_flops_share"), e.target_flops_share, 0, 1, "in [0, 1]"));
  RETURN_IF_ERROR(m.get("confidence", &e.confidence));
  RETURN_IF_ERROR(check_choice(m.at("confidence"), e.confidence, {"max_prob", "margin"}));
  RETURN_IF_ERROR(m.finish());
  return e;
}

Result<ModelSpec> parse_model(const YamlCursor& at, const ExperimentSpec& spec) {
  ModelSpec model;
  if (at.node && at.node.IsScalar()) {  // shorthand: just the path
    model.path = resolve_path(spec.base_dir, at.node.Scalar());
  } else {
    ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
    std::string path;
    RETURN_IF_ERROR(m.get("path", &path));
    if (path.empty()) return m.cursor().error("a model needs a 'path' to its .onnx file");
    model.path = resolve_path(spec.base_dir, path);
    RETURN_IF_ERROR(m.get("name", &model.name));
    if (m.has("task")) {
      ASSIGN_OR_RETURN(std::string t, yaml_string(m.at("task")));
      RETURN_IF_ERROR(check_choice(m.at("task"), t, {"classify", "segment", "detect"}));
      model.task = *parse_task(t);
    }
    if (m.has("input")) {
      ASSIGN_OR_RETURN(std::string in, yaml_string(m.at("input")));
      model.input = in;
    }
    if (m.has("preprocess")) {
      ASSIGN_OR_RETURN(model.preprocess, parse_preprocess(m.at("preprocess")));
    }
    if (m.has("classes")) {
      ASSIGN_OR_RETURN(std::string c, yaml_string(m.at("classes")));
      model.classes_file = resolve_path(spec.base_dir, c);
    }
    if (m.has("data")) {
      ASSIGN_OR_RETURN(DataSpec d, parse_data(m.at("data"), spec.base_dir));
      model.data = d;
    }
    if (m.has("cut")) {
      ASSIGN_OR_RETURN(CutSpec c, parse_cut(m.at("cut"), spec.cut));
      model.cut = c;
    }
    if (m.has("exit")) {
      ASSIGN_OR_RETURN(ExitSpec e, parse_exit(m.at("exit"), spec.exit));
      model.exit = e;
    }
    RETURN_IF_ERROR(m.finish());
  }
  if (model.name.empty()) model.name = std::filesystem::path(model.path).stem().string();
  for (char c : model.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return at.error("model name '" + model.name +
                      "' may only use letters, digits, '_', '-' and '.' (set 'name')");
    }
  }
  return model;
}

}  // namespace

Result<ExperimentSpec> parse_spec(const std::string& yaml_text, const std::string& base_dir,
                                  const std::string& label) {
  ExperimentSpec spec;
  spec.source = label;
  spec.base_dir = std::filesystem::absolute(base_dir).lexically_normal().string();
  spec.yaml_text = yaml_text;
  spec.output_dir = resolve_path(spec.base_dir, "results");
  ASSIGN_OR_RETURN(spec.testbed, testbed_preset("default"));

  RETURN_IF_ERROR(check_yaml_text(yaml_text, label));
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return invalid_argument(label + ":" + std::to_string(e.mark.line + 1) + ":" +
                            std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return invalid_argument(label + ": YAML error: " + e.what());
  }
  try {
    YamlCursor top(root, "", label);
    ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(top));
    // A misspelt top-level key is reported first, before the errors its absence causes.
    for (const char* key :
         {"name", "models", "data", "calibration", "quantize", "cut", "exit", "operators",
          "placements", "testbed", "scenarios", "measurement", "response", "seed", "output"}) {
      m.allow(key);
    }
    RETURN_IF_ERROR(m.finish());
    RETURN_IF_ERROR(m.get("name", &spec.name));
    int64_t seed = static_cast<int64_t>(spec.seed);
    RETURN_IF_ERROR(m.get("seed", &seed));
    if (seed < 0) return m.at("seed").error("must be >= 0");
    spec.seed = static_cast<uint64_t>(seed);
    if (m.has("response")) {
      ASSIGN_OR_RETURN(std::string response, yaml_string(m.at("response")));
      if (response != "task" && response != "raw") {
        return m.at("response").error("is '" + response +
                                      "'; expected task (what an app receives) or raw (the "
                                      "last part's outputs)");
      }
      spec.raw_response = response == "raw";
    }
    if (m.has("output")) {
      ASSIGN_OR_RETURN(std::string out, yaml_string(m.at("output")));
      spec.output_dir = resolve_path(spec.base_dir, out);
    }
    if (m.has("data")) {
      ASSIGN_OR_RETURN(spec.data, parse_data(m.at("data"), spec.base_dir));
    }
    if (m.has("cut")) {
      ASSIGN_OR_RETURN(spec.cut, parse_cut(m.at("cut"), spec.cut));
    }
    if (m.has("exit")) {
      ASSIGN_OR_RETURN(spec.exit, parse_exit(m.at("exit"), spec.exit));
    }
    if (m.has("calibration")) {
      ASSIGN_OR_RETURN(YamlMap c, YamlMap::open(m.at("calibration")));
      RETURN_IF_ERROR(c.get("method", &spec.calibration.method));
      RETURN_IF_ERROR(check_choice(c.at("method"), spec.calibration.method,
                                   {"minmax", "entropy", "percentile"}));
      RETURN_IF_ERROR(c.get("samples", &spec.calibration.samples));
      if (spec.calibration.samples < 1) return c.at("samples").error("must be >= 1");
      RETURN_IF_ERROR(c.get("percentile", &spec.calibration.percentile));
      RETURN_IF_ERROR(
          check_range(c.at("percentile"), spec.calibration.percentile, 50, 100, "in [50, 100]"));
      if (c.has("data")) {
        ASSIGN_OR_RETURN(DataSpec d, parse_data(c.at("data"), spec.base_dir));
        spec.calibration.data = d;
      }
      RETURN_IF_ERROR(c.finish());
    }
    if (m.has("quantize")) {
      ASSIGN_OR_RETURN(YamlMap q, YamlMap::open(m.at("quantize")));
      RETURN_IF_ERROR(q.get("format", &spec.quantize.format));
      RETURN_IF_ERROR(check_choice(q.at("format"), spec.quantize.format, {"qdq", "qoperator"}));
      RETURN_IF_ERROR(q.get("activations", &spec.quantize.activations));
      RETURN_IF_ERROR(
          check_choice(q.at("activations"), spec.quantize.activations, {"uint8", "int8"}));
      RETURN_IF_ERROR(q.get("per_channel", &spec.quantize.per_channel));
      RETURN_IF_ERROR(q.get("reduce_range", &spec.quantize.reduce_range));
      if (auto rr = parse_reduce_range(spec.quantize.reduce_range); !rr.ok())
        return q.at("reduce_range").error(rr.status().message());
      if (q.has("max_accuracy_loss")) {
        double budget = 0;
        RETURN_IF_ERROR(q.get("max_accuracy_loss", &budget));
        RETURN_IF_ERROR(
            check_range(q.at("max_accuracy_loss"), budget, 0, 100, "in [0, 100] accuracy points"));
        spec.quantize.max_accuracy_loss = budget;
      }
      RETURN_IF_ERROR(q.finish());
    }
    if (m.has("operators")) {
      ASSIGN_OR_RETURN(auto names, yaml_string_list(m.at("operators")));
      spec.operators.clear();
      for (size_t i = 0; i < names.size(); ++i) {
        YamlCursor el = m.at("operators");
        if (el.node.IsSequence()) el = el.element(i);
        auto chain = parse_op_chain(names[i]);
        if (!chain.ok()) return el.error(chain.status().message());
        if (std::find(spec.operators.begin(), spec.operators.end(), *chain) !=
            spec.operators.end()) {
          return el.error("operator chain '" + chain->name() + "' is listed twice");
        }
        spec.operators.push_back(*chain);
      }
      if (spec.operators.empty()) return m.at("operators").error("the operator list is empty");
    }
    if (m.has("placements")) {
      ASSIGN_OR_RETURN(auto names, yaml_string_list(m.at("placements")));
      spec.placements.clear();
      for (size_t i = 0; i < names.size(); ++i) {
        YamlCursor el = m.at("placements");
        if (el.node.IsSequence()) el = el.element(i);
        auto p = parse_placement(names[i]);
        if (!p.ok()) return el.error(p.status().message());
        if (std::find(spec.placements.begin(), spec.placements.end(), *p) !=
            spec.placements.end()) {
          return el.error("placement '" + p->name() + "' is listed twice");
        }
        spec.placements.push_back(*p);
      }
      if (spec.placements.empty()) return m.at("placements").error("the placement list is empty");
    }
    if (m.has("testbed")) {
      ASSIGN_OR_RETURN(spec.testbed, parse_testbed(m.at("testbed"), spec.base_dir));
    }
    if (m.has("scenarios")) {
      RETURN_IF_ERROR(parse_scenarios(m.at("scenarios"), spec.testbed, &spec.scenarios));
    } else {
      spec.scenarios.push_back({"default", spec.testbed.links});
    }
    if (m.has("measurement")) {
      ASSIGN_OR_RETURN(spec.measurement, parse_measurement(m.at("measurement")));
    } else {
      spec.measurement.precision_pct = kDefaultPrecisionPct;  // no count fixed: until stable
    }
    // Models last: their cut/exit/data settings start from the experiment-wide ones above.
    YamlCursor models_at = m.at("models");
    if (models_at.is_null())
      return top.error("'models' is missing: list at least one model (path to an .onnx file)");
    if (models_at.node.IsScalar()) {
      ASSIGN_OR_RETURN(ModelSpec model, parse_model(models_at, spec));
      spec.models.push_back(std::move(model));
    } else if (models_at.node.IsSequence()) {
      for (size_t i = 0; i < models_at.node.size(); ++i) {
        ASSIGN_OR_RETURN(ModelSpec model, parse_model(models_at.element(i), spec));
        for (size_t j = 0; j < spec.models.size(); ++j) {
          if (spec.models[j].name == model.name) {
            return models_at.element(i).error("model name '" + model.name +
                                              "' is already used by models[" + std::to_string(j) +
                                              "]; set a distinct 'name'");
          }
        }
        spec.models.push_back(std::move(model));
      }
    } else {
      return models_at.error("expected a list of models, got " + describe_yaml(models_at.node));
    }
    if (spec.models.empty()) return models_at.error("the model list is empty");
    RETURN_IF_ERROR(m.finish());
  } catch (const YAML::Exception& e) {
    return invalid_argument(label + ": YAML error: " + e.what());
  }
  return spec;
}

}  // namespace edgetier
