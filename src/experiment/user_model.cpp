/// The default experiment on a user's model: one spec for `run --model` and `init`.
#include "experiment/user_model.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "core/strings.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/manifest.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

/// The task the first output's rank implies (the sidecar, when it names one, wins in
/// analyze_model, so this is only asked when neither the user nor the sidecar says).
Result<Task> task_from_model_output(const std::string& path) {
  ASSIGN_OR_RETURN(onnx::ModelProto proto, load_model(path));
  if (proto.graph().output_size() == 0)
    return invalid_argument("model '" + path + "' has no outputs");
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(proto));
  const std::string out = proto.graph().output(0).name();
  auto it = shapes.find(out);
  TensorInfo info = it != shapes.end() ? it->second : TensorInfo{out, DType::kUndefined, {}};
  info.name = out;
  auto task = task_from_output(info);
  if (!task.ok()) return task.status().with_context(path);
  return parse_task(*task);
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string link_yaml(const LinkSpec& l) {
  return "{rate_mbit: " + number(l.rate_mbit) + ", rtt_ms: " + number(l.rtt_ms()) +
         ", jitter_ms: " + number(l.jitter_ms) + ", loss_pct: " + number(l.loss_pct) + "}";
}

std::string names_yaml(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + quoted(names[i]);
  return s + "]";
}

std::string boundaries_yaml(const std::vector<std::vector<std::string>>& boundaries) {
  std::string s = "[";
  for (size_t i = 0; i < boundaries.size(); ++i) s += (i ? ", " : "") + names_yaml(boundaries[i]);
  return s + "]";
}

std::string data_yaml(const DataSpec& d) {
  if (d.kind == DataKind::kSynth) {
    return "data:\n  kind: synth\n  count: " + std::to_string(d.synth_count) +
           "\n  size: " + std::to_string(d.synth_size) +
           "\n  seed: " + std::to_string(d.synth_seed) + "\n";
  }
  return "data:\n  kind: " + std::string(data_kind_name(d.kind)) + "\n  path: " + quoted(d.path) +
         "\n" + (d.limit > 0 ? "  limit: " + std::to_string(d.limit) + "\n" : "");
}

/// The cut the partitioned strategies of `plan` use, when they all use one.
std::optional<std::vector<std::vector<std::string>>> single_cut(const Plan& plan) {
  std::optional<std::vector<std::vector<std::string>>> cut;
  for (const auto& s : plan.strategies) {
    if (!s.ops.partition || s.ops.exit == ExitMode::kDynamic || s.cuts.empty()) continue;
    if (cut && *cut != s.cuts) return std::nullopt;
    cut = s.cuts;
  }
  return cut;
}

const PlannedStrategy* first_exit(const Plan& plan) {
  for (const auto& s : plan.strategies) {
    if (!s.exit_from.empty()) return &s;
  }
  return nullptr;
}

Result<std::string> write_yaml(const ExperimentSpec& spec, const PreparedExperiment* prepared,
                               bool name_cut);

}  // namespace

Result<ExperimentSpec> user_model_spec(const UserModelOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(options.model_path, ec))
    return not_found("model file '" + options.model_path + "' does not exist");
  ASSIGN_OR_RETURN(ExperimentSpec spec, load_builtin_demo());
  const fs::path model_path = fs::absolute(options.model_path).lexically_normal();
  const fs::path cwd = fs::current_path(ec);
  ModelSpec model;
  model.path = model_path.string();
  model.name = model_path.stem().string();
  for (char& c : model.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  model.task = options.task;
  if (!model.task) {
    auto sidecar = load_model_sidecar(model.path);
    if (!sidecar.ok()) return sidecar.status();
    if (!*sidecar || !(*sidecar)->task) {
      ASSIGN_OR_RETURN(Task task, task_from_model_output(model.path));
      model.task = task;
    }
  }
  spec.name = model.name;
  spec.models = {model};
  if (!options.data_dir.empty()) {
    if (!fs::is_directory(options.data_dir, ec))
      return not_found("data folder '" + options.data_dir + "' does not exist");
    DataSpec data;
    data.kind = DataKind::kAuto;
    data.path = fs::absolute(options.data_dir).lexically_normal().string();
    spec.data = data;
  }
  spec.base_dir = cwd.string();
  spec.source = "<" + model.name + ": default experiment>";
  spec.output_dir = (cwd / "results" / model.name).lexically_normal().string();
  ASSIGN_OR_RETURN(spec.yaml_text, user_model_yaml(spec));
  return spec;
}

namespace {

/// The YAML text; with `name_cut` false an automatic cut stays `auto` even when one was chosen.
Result<std::string> write_yaml(const ExperimentSpec& spec, const PreparedExperiment* prepared,
                               bool name_cut) {
  if (spec.models.size() != 1)
    return invalid_argument("the default experiment has one model, this spec has " +
                            std::to_string(spec.models.size()));
  const ModelSpec& model = spec.models.front();
  std::ostringstream y;
  y << "# edgetier experiment for " << fs::path(model.path).filename().string() << "\n"
    << "# The default experiment (the built-in demo's operators, placements, testbed and\n"
    << "# scenarios), as `edgetier run --model` runs it. Edit it and run it with\n"
    << "# `edgetier run THIS_FILE` (`--plan-only` checks it first).\n"
    << "name: " << quoted(spec.name) << "\n\n";
  y << "models:\n  - path: " << quoted(model.path) << "\n"
    << "    name: " << quoted(model.name) << "  # how results and reports name it\n";
  if (model.task) {
    y << "    # classify (outputs [1, classes]) or segment (outputs [1, classes, H, W])\n"
      << "    task: " << task_name(*model.task) << "\n";
  } else {
    y << "    # task, preprocessing and class names come from the model's sidecar (.json)\n";
  }
  y << "\n";
  if (spec.data.kind == DataKind::kSynth) {
    y << "# Synthetic images of shapes. A model with other classes than the 10 shapes is scored\n"
      << "# against its own float outputs (agreement), not labels. For real accuracy point\n"
      << "# data at a folder: labels.csv, class subfolders, images/ + masks/, or plain images.\n";
  } else {
    y << "# The kind is detected from the folder: labels.csv -> folder, images/ + masks/ ->\n"
      << "# segmentation, class subfolders -> imagenet, otherwise unlabeled (scored against the\n"
      << "# float model's outputs).\n";
  }
  y << data_yaml(spec.data) << "\n";
  y << "# Static int8 quantization calibrated on this many images.\n"
    << "calibration:\n  method: " << spec.calibration.method
    << "\n  samples: " << spec.calibration.samples << "\n\n";
  if (spec.quantize.max_accuracy_loss) {
    y << "# int8 within an accuracy budget: the most sensitive nodes stay float until Q loses at\n"
      << "# most this many points of the primary metric.\n"
      << "quantize:\n  max_accuracy_loss: " << shortest_number(*spec.quantize.max_accuracy_loss)
      << "\n\n";
  }
  y << "# Operator chains (I identity, Q int8, EE early exit, P partition, DEE@T dynamic exit\n"
    << "# at confidence T); chains that do not apply to this model are dropped from the plan\n"
    << "# with the reason (`edgetier run THIS_FILE --plan-only` lists them).\n"
    << "operators: [";
  for (size_t i = 0; i < spec.operators.size(); ++i)
    y << (i ? ", " : "") << spec.operators[i].name();
  y << "]\nplacements: [";
  for (size_t i = 0; i < spec.placements.size(); ++i)
    y << (i ? ", " : "") << spec.placements[i].name();
  y << "]\n\n";

  const CutSpec& cut = spec.cut;
  const ExitSpec& exit = spec.exit;
  const std::string cut_window = "min_flops_share: " + number(cut.min_flops_share) +
                                 ", max_flops_share: " + number(cut.max_flops_share);
  std::optional<std::vector<std::vector<std::string>>> chosen_cut;
  const PlannedStrategy* chosen_exit = nullptr;
  if (prepared) {
    if (name_cut) chosen_cut = single_cut(prepared->plan);
    chosen_exit = first_exit(prepared->plan);
  }
  if (!cut.automatic) {
    y << "cut: {tensors: " << boundaries_yaml(cut.tensors) << ", " << cut_window << "}\n";
  } else if (chosen_cut) {
    y << "# Chosen automatically: the smallest cut (one tensor where one fits) with "
      << format_share(cut.min_flops_share) << "-" << format_share(cut.max_flops_share)
      << " of the FLOPs below it.\n"
      << "# Name other tensors (`edgetier inspect -v MODEL` lists the cuts), or write\n"
      << "# `tensors: auto` to choose again.\n"
      << "cut: {tensors: " << boundaries_yaml(*chosen_cut) << ", " << cut_window << "}\n";
  } else {
    if (prepared) {
      // The cut differs per chain (an early exit moves it) or none exists: `auto` keeps the plan.
      // One line per distinct cut, naming the chains that use it.
      std::vector<std::pair<std::vector<std::vector<std::string>>, std::vector<std::string>>> by_cut;
      for (const auto& s : prepared->plan.strategies) {
        if (!s.ops.partition || s.ops.exit == ExitMode::kDynamic || s.cuts.empty()) continue;
        auto it = std::find_if(by_cut.begin(), by_cut.end(),
                               [&](const auto& e) { return e.first == s.cuts; });
        if (it == by_cut.end()) it = by_cut.insert(by_cut.end(), {s.cuts, {}});
        if (std::find(it->second.begin(), it->second.end(), s.ops.name()) == it->second.end())
          it->second.push_back(s.ops.name());
      }
      if (by_cut.size() > 1) {
        y << "# Chosen automatically, and not one cut for all chains (an early exit moves the\n"
          << "# FLOPs share below a cut), so it stays `auto` here:\n";
      }
      for (const auto& [boundaries, chains] : by_cut)
        y << "#   " << join(chains, ", ") << ": " << boundaries_yaml(boundaries) << "\n";
    }
    y << "# The smallest cut (one tensor where one fits) with " << format_share(cut.min_flops_share) << "-"
      << format_share(cut.max_flops_share) << " of the FLOPs below it; name tensors with\n"
      << "# `tensors: [[a]]` (`edgetier inspect -v MODEL` lists the cuts).\n"
      << "cut: {tensors: auto, " << cut_window << "}\n";
  }
  const std::string exit_rest = "max_flops_share: " + number(exit.max_flops_share) +
                                ", target_flops_share: " + number(exit.target_flops_share) +
                                ", confidence: " + exit.confidence;
  if (!exit.automatic) {
    y << "exit: {from: " << quoted(exit.from) << ", to: " << quoted(exit.to) << ", " << exit_rest
      << "}\n\n";
  } else if (chosen_exit) {
    y << "# Chosen automatically: the deepest skippable blocks, about "
      << format_share(exit.target_flops_share) << " of the FLOPs.\n"
      << "# The early exit keeps the graph up to 'from' and feeds it to the consumers of 'to';\n"
      << "# name another region\n"
      << "# (`edgetier inspect -v MODEL` lists the skip candidates), or write `skip: auto`.\n"
      << "exit: {from: " << quoted(chosen_exit->exit_from) << ", to: "
      << quoted(chosen_exit->exit_to) << ", " << exit_rest << "}\n\n";
  } else {
    y << "# The deepest skippable blocks, about " << format_share(exit.target_flops_share)
      << " of the FLOPs" << (prepared ? " (this model has none: the exit chains are dropped)" : "")
      << ".\nexit: {skip: auto, " << exit_rest << "}\n\n";
  }
  y << "# Mobile, Edge and Cloud tiers of the preset (default: scaled to a 2-core machine).\n"
    << "testbed:\n  preset: " << spec.testbed.preset << "\n  network: " << spec.testbed.network
    << "\n\nscenarios:\n";
  for (const auto& sc : spec.scenarios) {
    y << "  - name: " << quoted(sc.name) << "\n    links:\n";
    for (const auto& l : sc.links) y << "      " << l.name() << ": " << link_yaml(l) << "\n";
  }
  const MeasurementSpec& m = spec.measurement;
  if (m.adaptive()) {
    y << "\n# Warm-up requests, then each strategy measured until the 95% CI of its median is\n"
      << "# within +-precision (at least min_requests), capped by max_requests and max_seconds;\n"
      << "# `requests: N` instead measures a fixed N per strategy and scenario.\n"
      << "measurement:\n  warmup: " << m.warmup << "\n  precision: " << *m.precision_pct
      << "%\n  min_requests: " << m.min_requests << "\n  max_requests: " << m.max_requests
      << "\n  max_seconds: " << m.max_seconds << "\n  round_requests: " << m.round_requests
      << "\n  interleave: " << m.interleave;
  } else {
    y << "\n# Warm-up requests, then timed requests per strategy and scenario.\n"
      << "measurement:\n  warmup: " << m.warmup << "\n  requests: " << m.requests
      << "\n  passes: " << m.passes;
  }
  y << "\n\nseed: " << spec.seed << "\n"
    << "output: " << quoted(spec.output_dir) << "\n";
  return y.str();
}

}  // namespace

Result<std::string> user_model_yaml(const ExperimentSpec& spec, const PreparedExperiment* prepared) {
  ASSIGN_OR_RETURN(std::string text, write_yaml(spec, prepared, /*name_cut=*/true));
  if (!prepared) return text;
  // A named cut must give every partitioned chain the cut `auto` gave it, with the same reasons
  // for the chains it drops; read the text back and plan it to be sure, else keep `auto`.
  ASSIGN_OR_RETURN(ExperimentSpec reread, parse_spec(text, spec.base_dir, "<init>"));
  auto replanned = prepare_experiment(reread);
  if (replanned.ok() && same_plan(replanned->plan, prepared->plan)) return text;
  return write_yaml(spec, prepared, /*name_cut=*/false);
}

bool same_plan(const Plan& a, const Plan& b) {
  if (a.strategies.size() != b.strategies.size() || a.dropped.size() != b.dropped.size())
    return false;
  for (size_t i = 0; i < a.strategies.size(); ++i) {
    const PlannedStrategy &x = a.strategies[i], &y = b.strategies[i];
    if (x.name() != y.name() || x.scenario != y.scenario || x.cuts != y.cuts ||
        x.exit_from != y.exit_from || x.exit_to != y.exit_to)
      return false;
  }
  for (size_t i = 0; i < a.dropped.size(); ++i) {
    const DroppedStrategy &x = a.dropped[i], &y = b.dropped[i];
    if (x.ops != y.ops || x.placement != y.placement || x.scenario != y.scenario ||
        x.reason != y.reason)
      return false;
  }
  return true;
}

}  // namespace edgetier
