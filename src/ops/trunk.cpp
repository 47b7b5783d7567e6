/// Trunk discovery from the skip candidates of graph/cuts.h.
#include "ops/trunk.h"

#include <unordered_map>
#include <unordered_set>

#include "graph/flops.h"

namespace edgetier {

Result<StageTrunk> last_stage_trunk(const GraphView& view, const ShapeMap& shapes,
                                    const CutAnalysis& analysis) {
  // The minimal candidate into each tensor is its atomic step: the nearest same-shaped tensor
  // the graph narrows to before it.
  // A step that passes a single-tensor cut on its way spans several stages (e.g. from layer2
  // to an equally shaped head tensor across dilated layers in FCN): it is not one block.
  std::unordered_set<std::string> single_cuts;
  for (const auto& c : analysis.cuts) {
    if (c.single()) single_cuts.insert(c.tensors[0].name);
  }
  auto spans_a_cut = [&](const SkipCandidate& s) {
    for (int node : s.node_indices) {
      // On QDQ models a lone int8 twin (QuantizeLinear output) of a trunk tensor is a cut too;
      // quantization steps do not end a stage.
      const std::string& op = view.node(node).op_type();
      if (op == "QuantizeLinear" || op == "DequantizeLinear") continue;
      for (const auto& out : view.node(node).output()) {
        if (out != s.to && single_cuts.count(out)) return true;
      }
    }
    return false;
  };
  std::unordered_map<std::string, const SkipCandidate*> step_into;
  for (const auto& s : analysis.skips) {
    if (spans_a_cut(s)) continue;
    auto it = step_into.find(s.to);
    if (it == step_into.end() || s.nodes < it->second->nodes) step_into[s.to] = &s;
  }
  std::unordered_set<std::string> has_successor;
  for (const auto& [to, s] : step_into) has_successor.insert(s->from);

  StageTrunk best;
  int best_end = -1;
  for (const auto& [end, unused] : step_into) {
    if (has_successor.count(end)) continue;  // not the end of a chain
    std::vector<const SkipCandidate*> steps;
    for (auto it = step_into.find(end); it != step_into.end();
         it = step_into.find(it->second->from)) {
      steps.push_back(it->second);
      if (steps.size() > step_into.size()) break;  // defensive: candidates never form a cycle
    }
    StageTrunk trunk;
    trunk.tensors.push_back(steps.back()->from);
    for (auto s = steps.rbegin(); s != steps.rend(); ++s) {
      trunk.tensors.push_back((*s)->to);
      bool block = false;
      for (int node : (*s)->node_indices)
        block = block || node_cost(view.node(node), shapes).macs > 0;
      if (block) trunk.block_ends.push_back(static_cast<int>(trunk.tensors.size()) - 1);
    }
    const int end_position = view.topo_position(view.producer(end));
    if (!trunk.block_ends.empty() && end_position > best_end) {
      best_end = end_position;
      best = std::move(trunk);
    }
  }
  if (best_end < 0) {
    return invalid_argument(
        "the model has no stage of same-shaped blocks (no residual trunk) to skip; "
        "use --skip FROM:TO with tensors from edgetier inspect -v");
  }
  return best;
}

Result<std::pair<std::string, std::string>> skip_last_blocks(const StageTrunk& trunk, int blocks) {
  const int k = static_cast<int>(trunk.block_ends.size());
  if (blocks < 1 || blocks > k) {
    return invalid_argument(
        "--skip-last " + std::to_string(blocks) + ": the last stage (ending at '" +
        trunk.head_input() + "') has " + std::to_string(k) +
        " skippable block(s); its first block changes the shape and cannot be skipped");
  }
  const std::string from =
      k - blocks >= 1 ? trunk.tensors[trunk.block_ends[k - blocks - 1]] : trunk.tensors.front();
  const std::string to = trunk.tensors[trunk.block_ends[k - 1]];
  return std::make_pair(from, to);
}

}  // namespace edgetier
