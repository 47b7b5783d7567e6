/// Per-node costs and cut options for the planner's partition-cut re-choice.
#include "analysis/planner_cuts.h"

#include <algorithm>
#include <fstream>

#include "core/json_reader.h"
#include "core/strings.h"
#include "graph/flops.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"

namespace edgetier {

Result<std::map<std::string, double>> read_profile_node_times(const std::string& path) {
  ASSIGN_OR_RETURN(const nlohmann::json j, read_json_file(path));
  if (!j.is_object() || !j.contains("nodes") || !j.at("nodes").is_array()) {
    return invalid_argument("profile '" + path +
                            "' has no \"nodes\" array; write it with `edgetier profile MODEL -o " +
                            path + "`");
  }
  std::map<std::string, double> out;
  size_t i = 0;
  for (const auto& n : j.at("nodes")) {
    const std::string where = "profile '" + path + "': nodes[" + std::to_string(i++) + "]";
    if (!n.is_object() || !n.contains("name") || !n.at("name").is_string() ||
        !n.contains("mean_us") || !n.at("mean_us").is_number()) {
      return invalid_argument(where + " needs a string \"name\" and a number \"mean_us\"");
    }
    const double us = n.at("mean_us").get<double>();
    if (!(us >= 0)) return invalid_argument(where + " has a negative or NaN mean_us");
    out[n.at("name").get<std::string>()] += us;
  }
  if (out.empty()) return invalid_argument("profile '" + path + "' lists no nodes");
  return out;
}

Result<ModelGraph> load_model_graph(const std::string& model_path, const InputShapes& input_shapes,
                                    const std::string& profile_path) {
  ModelGraph g;
  g.path = model_path;
  ASSIGN_OR_RETURN(onnx::ModelProto model, load_model(model_path));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, input_shapes));
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(g.analysis, analyze_cuts(view, shapes));
  const auto& order = view.topo_order();
  g.position_of_node.assign(view.num_nodes(), 0);
  for (size_t p = 0; p < order.size(); ++p) g.position_of_node[order[p]] = static_cast<int>(p);
  g.cost.assign(order.size(), 0.0);
  if (!profile_path.empty()) {
    ASSIGN_OR_RETURN(auto times, read_profile_node_times(profile_path));
    size_t found = 0;
    for (size_t p = 0; p < order.size(); ++p) {
      const auto& node = view.node(order[p]);
      const std::string name =
          node.name().empty() ? node.op_type() + "#" + std::to_string(order[p]) : node.name();
      auto it = times.find(name);
      if (it == times.end()) continue;
      g.cost[p] = it->second;
      ++found;
    }
    if (found == 0) {
      std::vector<std::string> names;
      for (const auto& [name, us] : times) names.push_back(name);
      const std::string first = view.num_nodes() > 0 ? view.node(order[0]).name() : "";
      return invalid_argument("profile '" + profile_path + "' names none of the nodes of '" +
                              model_path + "' (first node '" + first + "'; nearest in the " +
                              "profile: '" + nearest_name(first, names) +
                              "'); profile this model with `edgetier profile`");
    }
    if (found < order.size()) {
      g.notes.push_back("profile '" + profile_path + "' lacks " +
                        std::to_string(order.size() - found) + " of " +
                        std::to_string(order.size()) + " nodes of '" + model_path +
                        "' (fused or constant nodes); they cost 0");
    }
    g.cost_source = "profile " + profile_path;
  } else {
    for (size_t p = 0; p < order.size(); ++p) {
      if (view.is_constant_node(order[p])) continue;
      g.cost[p] = static_cast<double>(node_cost(view.node(order[p]), shapes).flops);
    }
    g.cost_source = "FLOPs (no profile)";
  }
  return g;
}

Result<CutModel> make_cut_model(const ModelGraph& graph,
                                const std::vector<std::string>& measured_tensors,
                                const std::string& exit_from, const std::string& exit_to,
                                const MeasuredCut& measured) {
  // The early exit's skipped region: its nodes cost nothing and no cut may sit inside it.
  std::vector<bool> skipped(graph.cost.size(), false);
  int first = -1, last = -1;
  if (!exit_from.empty()) {
    const SkipCandidate* skip = nullptr;
    for (const auto& s : graph.analysis.skips) {
      if (s.from == exit_from && s.to == exit_to) skip = &s;
    }
    if (!skip) {
      return failed_precondition("the early exit " + exit_from + " -> " + exit_to +
                                 " is not a skip region of '" + graph.path + "'");
    }
    for (int node : skip->node_indices) {
      const int p = graph.position_of_node[node];
      skipped[p] = true;
      first = first < 0 ? p : std::min(first, p);
      last = std::max(last, p);
    }
  }
  std::vector<double> below(graph.cost.size() + 1, 0.0);  // prefix sums of unskipped costs
  for (size_t p = 0; p < graph.cost.size(); ++p) {
    below[p + 1] = below[p] + (skipped[p] ? 0.0 : graph.cost[p]);
  }
  const double total = below.back();
  std::vector<std::string> wanted = measured_tensors;
  std::sort(wanted.begin(), wanted.end());

  CutModel m;
  m.lower_tier = measured.lower_tier;
  m.upper_tier = measured.upper_tier;
  m.cut_links = measured.cut_links;
  m.cost_source = graph.cost_source;
  m.lower_compute_ms = measured.lower_compute_ms;
  m.upper_compute_ms = measured.upper_compute_ms;
  m.boundary_ms = measured.boundary_ms;
  m.min_flops_share = measured.min_flops_share;
  m.max_flops_share = measured.max_flops_share;
  std::optional<size_t> measured_index;
  for (const Cut& cut : graph.analysis.cuts) {
    if (cut.bytes <= 0) continue;
    const std::vector<std::string> names = cut.names();
    if (first >= 0) {
      if (cut.position > first && cut.position <= last) continue;
      if (std::find(names.begin(), names.end(), exit_to) != names.end()) continue;
    }
    const double flops = static_cast<double>(cut.flops_before + cut.flops_after);
    const double share = flops > 0 ? static_cast<double>(cut.flops_before) / flops : 0.0;
    const bool in_window =
        share >= measured.min_flops_share - 1e-9 && share <= measured.max_flops_share + 1e-9;
    if (!in_window && names != wanted) continue;
    CutOption o;
    o.flops_share = share;
    o.tensors = names;
    o.bytes = cut.bytes;
    o.position = cut.position;
    o.lower_cost = below[cut.position];
    o.upper_cost = total - o.lower_cost;
    if (names == wanted) measured_index = m.options.size();
    m.options.push_back(std::move(o));
  }
  if (!measured_index) {
    std::string list;
    for (const auto& t : wanted) list += (list.empty() ? "" : ", ") + t;
    return failed_precondition("the measured cut (" + list + ") is not among the cuts of '" +
                               graph.path + "'");
  }
  m.measured = *measured_index;
  const CutOption& at = m.options[m.measured];
  if (at.lower_cost <= 0 || at.upper_cost <= 0) {
    return failed_precondition("the " + graph.cost_source + " gives no cost on one side of " +
                               "the measured cut");
  }
  m.lower_ms_per_cost = m.lower_compute_ms / at.lower_cost;
  m.upper_ms_per_cost = m.upper_compute_ms / at.upper_cost;
  // Message bytes per tensor byte: about 1 plus a small header for a float cut, below 1 when
  // the variant ships a quantized tensor.
  const double tensor = static_cast<double>(at.bytes);
  m.wire_ratio = std::min(1.0, measured.cut_link_bytes_up / tensor);
  m.wire_overhead_bytes = std::max(0.0, measured.cut_link_bytes_up - m.wire_ratio * tensor);
  return m;
}

}  // namespace edgetier
