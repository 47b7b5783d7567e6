/// Cut and skip enumeration over the live frontier of a topological order.
#include "graph/cuts.h"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "graph/flops.h"

namespace edgetier {
namespace {

/// Frontiers after each prefix of the topological order: result[k] = live tensors once the first
/// k nodes ran (k = 0 .. n), sorted. Constant tensors are never live (each part recomputes them).
std::vector<std::vector<std::string>> all_frontiers(const GraphView& view) {
  const auto& order = view.topo_order();
  std::unordered_map<std::string, int> uses;
  for (int i : order) {
    if (view.is_constant_node(i)) continue;
    for (const auto& in : view.node_inputs(i)) ++uses[in];
  }
  std::set<std::string> live;
  for (const auto& in : view.inputs()) {
    if (uses[in] > 0 || view.is_graph_output(in)) live.insert(in);
  }
  std::vector<std::vector<std::string>> result;
  result.reserve(order.size() + 1);
  result.emplace_back(live.begin(), live.end());
  for (int i : order) {
    if (!view.is_constant_node(i)) {
      for (const auto& in : view.node_inputs(i)) {
        if (--uses[in] == 0 && !view.is_graph_output(in)) live.erase(in);
      }
      for (const auto& out : view.node(i).output()) {
        if (!out.empty() && (uses[out] > 0 || view.is_graph_output(out))) live.insert(out);
      }
    }
    result.emplace_back(live.begin(), live.end());
  }
  return result;
}

bool same_set_except(const std::vector<std::string>& a, const std::string& drop_a,
                     const std::vector<std::string>& b, const std::string& drop_b) {
  if (a.size() != b.size()) return false;
  auto ia = a.begin(), ib = b.begin();
  while (true) {
    while (ia != a.end() && *ia == drop_a) ++ia;
    while (ib != b.end() && *ib == drop_b) ++ib;
    if (ia == a.end() || ib == b.end()) return ia == a.end() && ib == b.end();
    if (*ia != *ib) return false;
    ++ia;
    ++ib;
  }
}

}  // namespace

std::vector<std::string> Cut::names() const {
  std::vector<std::string> out;
  for (const auto& t : tensors) out.push_back(t.name);
  return out;
}

std::vector<std::string> frontier_at(const GraphView& view, int position) {
  auto all = all_frontiers(view);
  return all.at(static_cast<size_t>(position));
}

bool separates(const GraphView& view, const std::vector<std::string>& tensors, std::vector<std::string>* bypass) {
  std::unordered_set<std::string> blocked(tensors.begin(), tensors.end());
  std::unordered_map<std::string, std::string> parent;
  std::deque<std::string> queue;
  for (const auto& in : view.inputs()) {
    if (blocked.count(in)) continue;
    parent[in] = "";
    queue.push_back(in);
  }
  while (!queue.empty()) {
    const std::string t = queue.front();
    queue.pop_front();
    if (view.is_graph_output(t)) {
      if (bypass) {
        bypass->clear();
        for (std::string cur = t; !cur.empty(); cur = parent[cur]) bypass->push_back(cur);
        std::reverse(bypass->begin(), bypass->end());
      }
      return false;
    }
    for (int node : view.consumers(t)) {
      for (const auto& out : view.node(node).output()) {
        if (out.empty() || blocked.count(out) || parent.count(out)) continue;
        parent[out] = t;
        queue.push_back(out);
      }
    }
  }
  return true;
}

Result<CutAnalysis> analyze_cuts(const GraphView& view, const ShapeMap& shapes) {
  CutAnalysis analysis;
  const auto& order = view.topo_order();
  const int n = static_cast<int>(order.size());
  std::vector<int64_t> flops_prefix(n + 1, 0);  // flops of the first k nodes
  std::vector<int64_t> node_flops(view.num_nodes(), 0);
  for (int k = 0; k < n; ++k) {
    const int i = order[k];
    node_flops[i] = view.is_constant_node(i) ? 0 : node_cost(view.node(i), shapes).flops;
    flops_prefix[k + 1] = flops_prefix[k] + node_flops[i];
  }
  analysis.total_flops = flops_prefix[n];
  const auto frontiers = all_frontiers(view);

  auto info_of = [&](const std::string& name) {
    auto it = shapes.find(name);
    TensorInfo info = it != shapes.end() ? it->second : TensorInfo{name, DType::kUndefined, {-1}};
    info.name = name;
    return info;
  };

  std::set<std::vector<std::string>> seen;
  const std::vector<std::string>& input_set = frontiers.front();
  const std::vector<std::string>& output_set = frontiers.back();
  for (int k = 1; k < n; ++k) {
    if (view.is_constant_node(order[k - 1])) continue;
    const auto& f = frontiers[k];
    if (f.empty() || f == input_set || f == output_set || !seen.insert(f).second) continue;
    Cut cut;
    cut.position = k;
    cut.bytes = 0;
    for (const auto& name : f) {
      cut.tensors.push_back(info_of(name));
      const int64_t b = tensor_bytes(cut.tensors.back());
      cut.bytes = (b < 0 || cut.bytes < 0) ? -1 : cut.bytes + b;
    }
    cut.flops_before = flops_prefix[k];
    cut.flops_after = analysis.total_flops - flops_prefix[k];
    analysis.cuts.push_back(std::move(cut));
  }

  // Skip candidates: walk forward from each live activation while the region reads nothing but
  // it and its own tensors; every point where the frontier swaps it for one same-shaped tensor
  // (everything else riding along unchanged) closes a single-entry, single-exit region.
  for (int p = 1; p < n; ++p) {
    for (const auto& from : frontiers[p]) {
      if (!view.is_activation(from) || view.is_graph_output(from)) continue;
      if (view.producer(from) != order[p - 1]) continue;  // start each walk where `from` is made
      const TensorInfo from_info = info_of(from);
      if (from_info.dtype == DType::kUndefined || shape_num_elements(from_info.shape) < 0) continue;
      std::unordered_set<std::string> region_tensors = {from};
      std::vector<int> region;
      int64_t region_flops = 0;
      for (int q = p; q < n; ++q) {
        const int node = order[q];
        if (!view.is_constant_node(node)) {
          bool reads_outside = false;
          for (const auto& in : view.node_inputs(node)) {
            if (region_tensors.count(in) || view.is_initializer(in)) continue;
            const int prod = view.producer(in);
            if (prod >= 0 && view.is_constant_node(prod)) continue;
            reads_outside = true;
            break;
          }
          if (reads_outside) break;
          region.push_back(node);
          region_flops += node_flops[node];
          for (const auto& out : view.node(node).output()) {
            if (!out.empty()) region_tensors.insert(out);
          }
        }
        const auto& fq = frontiers[q + 1];
        if (std::binary_search(fq.begin(), fq.end(), from)) continue;  // `from` still needed later
        for (const auto& to : fq) {
          if (!region_tensors.count(to) || to == from) continue;
          if (!same_set_except(frontiers[p], from, fq, to)) break;
          const TensorInfo to_info = info_of(to);
          if (to_info.dtype == from_info.dtype && to_info.shape == from_info.shape && !region.empty()) {
            analysis.skips.push_back(SkipCandidate{from, to, from_info.shape, static_cast<int>(region.size()),
                                                   region_flops, region});
          }
          break;
        }
      }
    }
  }
  return analysis;
}

Result<AnalysedModel> analyse_model(const onnx::ModelProto& model,
                                    const InputShapes& input_shapes) {
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, input_shapes));
  ASSIGN_OR_RETURN(CutAnalysis analysis, analyze_cuts(view, shapes));
  return AnalysedModel{std::move(view), std::move(shapes), std::move(analysis)};
}

}  // namespace edgetier
