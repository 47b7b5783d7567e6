/// Per-node profiling: runs ORT's profiler, maps its kernel events back onto the model's nodes.
#include "ops/profile.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/clock.h"
#include "core/files.h"
#include "core/json_reader.h"
#include "core/sha256.h"
#include "graph/flops.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

using json = nlohmann::json;

std::string opt_level_name(GraphOptLevel level) {
  switch (level) {
    case GraphOptLevel::kDisabled: return "disabled";
    case GraphOptLevel::kBasic: return "basic";
    case GraphOptLevel::kExtended: return "extended";
    case GraphOptLevel::kAll: return "all";
  }
  return "all";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string node_name(const GraphView& view, int i) {
  const auto& n = view.node(i);
  return n.name().empty() ? n.op_type() + "#" + std::to_string(i) : n.name();
}

Result<std::vector<Tensor>> random_inputs(const onnx::ModelProto& model,
                                          const InputShapes& input_shapes, uint32_t seed) {
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, input_shapes));
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (const auto& name : view.inputs()) {
    const TensorInfo& info = shapes.at(name);
    if (shape_num_elements(info.shape) < 0) {
      return invalid_argument("profile: input '" + name + "' has unknown dimensions " +
                              shape_to_string(info.shape) + "; pass --input-shape " + name +
                              "=...");
    }
    Tensor t = Tensor::zeros(name, info.dtype, info.shape);
    if (t.dtype == DType::kFloat32) {
      for (size_t i = 0; i < t.num_elements(); ++i) t.data_as<float>()[i] = normal(rng);
    } else if (t.dtype == DType::kUInt8) {
      for (auto& b : t.data) b = static_cast<uint8_t>(rng() & 0xff);
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace

Result<ModelProfile> attribute_trace(const json& trace, const onnx::ModelProto& model,
                                     const InputShapes& input_shapes, int skip_runs) {
  if (!trace.is_array()) return invalid_argument("profile trace: expected a JSON array of events");
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, input_shapes));
  std::vector<int64_t> run_starts;
  for (const auto& e : trace) {
    if (e.value("cat", "") == "Session" && e.value("name", "") == "model_run")
      run_starts.push_back(e.value("ts", int64_t{0}));
  }
  std::sort(run_starts.begin(), run_starts.end());
  const int counted = static_cast<int>(run_starts.size()) - skip_runs;
  if (counted <= 0) {
    return invalid_argument("profile trace holds " + std::to_string(run_starts.size()) +
                            " runs; nothing left after skipping " + std::to_string(skip_runs) +
                            " warm-up runs");
  }
  const int64_t first_ts = run_starts[static_cast<size_t>(skip_runs)];

  std::unordered_map<std::string, int> by_name;
  for (int i = 0; i < view.num_nodes(); ++i) {
    if (!view.node(i).name().empty()) by_name.emplace(view.node(i).name(), i);
  }
  auto lookup = [&](const std::string& key) -> int {
    auto it = by_name.find(key);
    if (it != by_name.end()) return it->second;
    return view.producer(key);  // fused and NCHWc kernels are named after their output tensor
  };
  std::vector<double> total_us(view.num_nodes(), 0.0);
  std::vector<bool> seen(view.num_nodes(), false);
  double unattributed = 0.0;
  for (const auto& e : trace) {
    if (e.value("cat", "") != "Node" || e.value("ts", int64_t{0}) < first_ts) continue;
    std::string key = e.value("name", "");
    if (!ends_with(key, "_kernel_time")) continue;
    key.resize(key.size() - std::strlen("_kernel_time"));
    const double dur = e.value("dur", 0.0);
    int node = lookup(key);
    if (node < 0 && ends_with(key, "_nchwc"))
      node = lookup(key.substr(0, key.size() - std::strlen("_nchwc")));
    if (node < 0) {
      unattributed += dur;
      continue;
    }
    total_us[node] += dur;
    seen[node] = true;
  }

  // Spread each kernel's time over its fused group: the node itself plus the upstream nodes that
  // had no kernel of their own and feed nothing else, weighted by FLOPs (at least 1 each).
  std::vector<double> attributed(view.num_nodes(), 0.0);
  for (int n = 0; n < view.num_nodes(); ++n) {
    if (!seen[n]) continue;
    std::vector<int> group = {n};
    std::set<int> in_group = {n};
    std::deque<int> pending = {n};
    while (!pending.empty()) {
      const int cur = pending.front();
      pending.pop_front();
      for (const auto& in : view.node_inputs(cur)) {
        const int p = view.producer(in);
        if (p < 0 || seen[p] || in_group.count(p) || view.is_constant_node(p)) continue;
        bool feeds_only_group = true;
        for (const auto& out : view.node(p).output()) {
          for (int c : view.consumers(out))
            feeds_only_group = feeds_only_group && in_group.count(c);
          if (view.is_graph_output(out)) feeds_only_group = false;
        }
        if (!feeds_only_group) continue;
        in_group.insert(p);
        group.push_back(p);
        pending.push_back(p);
      }
    }
    double weight_sum = 0.0;
    std::vector<double> weights;
    for (int g : group) {
      weights.push_back(
          std::max<double>(1.0, static_cast<double>(node_cost(view.node(g), shapes).flops)));
      weight_sum += weights.back();
    }
    for (size_t k = 0; k < group.size(); ++k)
      attributed[group[k]] += total_us[n] * weights[k] / weight_sum;
  }

  ModelProfile profile;
  profile.runs = counted;
  profile.warmup = skip_runs;
  for (int i : view.topo_order()) {
    const double mean = attributed[i] / counted;
    profile.nodes.push_back({node_name(view, i), view.node(i).op_type(), mean});
    profile.total_us += mean;
  }
  profile.unattributed_us = unattributed / counted;
  profile.total_us += profile.unattributed_us;
  return profile;
}

Result<ModelProfile> profile_model(const std::string& model_path, const ProfileOptions& options) {
  if (options.runs < 1) return invalid_argument("profile: --runs must be >= 1");
  if (options.warmup < 0) return invalid_argument("profile: --warmup must be >= 0");
  if (options.threads < 1) return invalid_argument("profile: --threads must be >= 1");
  ASSIGN_OR_RETURN(onnx::ModelProto model, load_model(model_path));
  ASSIGN_OR_RETURN(std::vector<Tensor> inputs,
                   random_inputs(model, options.input_shapes, options.seed));

  std::error_code ec;
  const fs::path trace_dir =
      fs::temp_directory_path() / ("edgetier_profile_" + std::to_string(::getpid()));
  fs::create_directories(trace_dir, ec);
  SessionOptions so;
  so.intra_op_threads = options.threads;
  so.inter_op_threads = 1;
  so.graph_opt_level = options.graph_opt_level;
  so.enable_profiling = true;
  so.profile_prefix = (trace_dir / "trace").string();
  auto cleanup = [&]() { fs::remove_all(trace_dir, ec); };

  auto session = OrtSession::from_file(model_path, so);
  if (!session.ok()) {
    cleanup();
    return session.status();
  }
  double wall_ns = 0.0;
  for (int r = 0; r < options.warmup + options.runs; ++r) {
    Stopwatch watch;
    auto out = (*session)->run(inputs);
    if (!out.ok()) {
      cleanup();
      return out.status();
    }
    if (r >= options.warmup) wall_ns += static_cast<double>(watch.elapsed_ns());
  }
  auto trace_path = (*session)->end_profiling();
  if (!trace_path.ok()) {
    cleanup();
    return trace_path.status();
  }
  std::ifstream in(*trace_path);
  json trace = json::parse(in, nullptr, /*allow_exceptions=*/false);
  cleanup();
  if (trace.is_discarded())
    return data_loss("profile: ONNX Runtime's trace '" + *trace_path + "' is not valid JSON");

  ASSIGN_OR_RETURN(ModelProfile profile,
                   attribute_trace(trace, model, options.input_shapes, options.warmup));
  profile.model = model_path;
  ASSIGN_OR_RETURN(profile.model_sha256, sha256_file(model_path));
  profile.ort_version = ort_version();
  profile.threads = options.threads;
  profile.graph_opt_level = opt_level_name(options.graph_opt_level);
  profile.wall_us = wall_ns / options.runs / 1000.0;
  return profile;
}

json profile_to_json(const ModelProfile& p) {
  json nodes = json::array();
  for (const auto& n : p.nodes)
    nodes.push_back({{"name", n.name}, {"op", n.op}, {"mean_us", n.mean_us}});
  return {{"format_version", p.format_version},
          {"model", p.model},
          {"model_sha256", p.model_sha256},
          {"ort_version", p.ort_version},
          {"threads", p.threads},
          {"graph_opt_level", p.graph_opt_level},
          {"runs", p.runs},
          {"warmup", p.warmup},
          {"nodes", nodes},
          {"total_us", p.total_us},
          {"unattributed_us", p.unattributed_us},
          {"wall_us", p.wall_us}};
}

Result<ModelProfile> profile_from_json(const json& j) {
  static const std::set<std::string> kKeys = {
      "format_version",  "model",  "model_sha256", "ort_version", "threads",
      "graph_opt_level", "runs",   "warmup",       "nodes",       "total_us",
      "unattributed_us", "wall_us"};
  if (!j.is_object()) return invalid_argument("profile: expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.count(key)) return invalid_argument("profile: unknown key '" + key + "'");
  }
  for (const auto& key : kKeys) {
    if (!j.contains(key)) return invalid_argument("profile: missing key '" + key + "'");
  }
  ModelProfile p;
  try {
    ASSIGN_OR_RETURN(p.format_version, json_whole_number(j.at("format_version"),
                                                         "profile: format_version", 0, INT32_MAX));
    if (p.format_version != 1) {
      return invalid_argument("profile: format_version " + std::to_string(p.format_version) +
                              " is not supported");
    }
    p.model = j.at("model").get<std::string>();
    p.model_sha256 = j.at("model_sha256").get<std::string>();
    p.ort_version = j.at("ort_version").get<std::string>();
    ASSIGN_OR_RETURN(p.threads,
                     json_whole_number(j.at("threads"), "profile: threads", 0, INT32_MAX));
    p.graph_opt_level = j.at("graph_opt_level").get<std::string>();
    ASSIGN_OR_RETURN(p.runs, json_whole_number(j.at("runs"), "profile: runs", 0, INT32_MAX));
    ASSIGN_OR_RETURN(p.warmup, json_whole_number(j.at("warmup"), "profile: warmup", 0, INT32_MAX));
    p.total_us = j.at("total_us").get<double>();
    p.unattributed_us = j.at("unattributed_us").get<double>();
    p.wall_us = j.at("wall_us").get<double>();
    for (const auto& n : j.at("nodes")) {
      for (const auto& [key, value] : n.items()) {
        if (key != "name" && key != "op" && key != "mean_us") {
          return invalid_argument("profile: unknown key 'nodes[]." + key + "'");
        }
      }
      p.nodes.push_back({n.at("name").get<std::string>(), n.at("op").get<std::string>(),
                         n.at("mean_us").get<double>()});
    }
  } catch (const json::exception& e) {
    return invalid_argument(std::string("profile: ") + e.what());
  }
  return p;
}

Status write_profile(const std::string& path, const ModelProfile& profile) {
  return write_file_atomic(path, profile_to_json(profile).dump(2) + "\n");
}

Result<ModelProfile> read_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return not_found("profile file '" + path +
                     "' not found; make one with edgetier profile MODEL -o " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto j = parse_json(buffer.str(), path);
  if (!j.ok()) return data_loss("profile file " + j.status().message());
  auto p = profile_from_json(*j);
  if (!p.ok()) return p.status().with_context(path);
  return p;
}

}  // namespace edgetier
