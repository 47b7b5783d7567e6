/// Trunk discovery from the skip candidates of graph/cuts.h.
#include "ops/trunk.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "graph/flops.h"

namespace edgetier {

bool StageTrunk::residual() const {
  for (int e : block_ends) {
    if (step_residual[e]) return true;
  }
  return false;
}

int64_t StageTrunk::flops_between(int from_index, int to_index) const {
  int64_t sum = 0;
  for (int i = from_index + 1; i <= to_index; ++i) sum += step_flops[i];
  return sum;
}

std::string no_skippable_region_reason() {
  return "the model has no skippable region (no run of same-shaped blocks before the head: "
         "residual stages, transformer blocks or same-shape layers), so no early exit applies; "
         "name one with --skip FROM:TO (exit: {from, to}) from edgetier inspect -v";
}

std::vector<StageTrunk> stage_trunks(const GraphView& view, const ShapeMap& shapes,
                                     const CutAnalysis& analysis) {
  // The minimal candidate into each tensor is its atomic step: the nearest same-shaped tensor
  // the graph narrows to before it.
  auto has_macs = [&](const SkipCandidate& s) {
    for (int node : s.node_indices) {
      if (node_cost(view.node(node), shapes).macs > 0) return true;
    }
    return false;
  };
  using Into = std::unordered_map<std::string, const SkipCandidate*>;
  // The candidate with the fewest nodes into each tensor, among those `keep` accepts.
  auto smallest_into = [&](const auto& keep) {
    Into into;
    for (const auto& s : analysis.skips) {
      if (!keep(s)) continue;
      auto it = into.find(s.to);
      if (it == into.end() || s.nodes < it->second->nodes) into[s.to] = &s;
    }
    return into;
  };
  const Into minimal_into = smallest_into([](const SkipCandidate&) { return true; });
  // A step that passes a block nested inside it, where the whole graph narrows to that
  // block's end, spans several stages (e.g. from layer2 to an equally shaped head tensor across
  // the dilated layers of an FCN): it is not one block. Narrowing to a tensor whose own block
  // starts before the step is fine: a SqueezeNet Fire module narrows to its squeeze output.
  std::unordered_set<std::string> single_cuts;
  for (const auto& c : analysis.cuts) {
    if (c.single()) single_cuts.insert(c.tensors[0].name);
  }
  auto spans_a_cut = [&](const SkipCandidate& s) {
    std::unordered_set<std::string> inside = {s.from};
    for (int node : s.node_indices) {
      for (const auto& out : view.node(node).output()) inside.insert(out);
    }
    for (int node : s.node_indices) {
      // On QDQ models a lone int8 twin (QuantizeLinear output) of a trunk tensor is a cut too;
      // quantization steps do not end a stage.
      const std::string& op = view.node(node).op_type();
      if (op == "QuantizeLinear" || op == "DequantizeLinear") continue;
      for (const auto& out : view.node(node).output()) {
        if (out == s.to || !single_cuts.count(out)) continue;
        auto nested = minimal_into.find(out);
        if (nested != minimal_into.end() && nested->second != &s &&
            inside.count(nested->second->from) && has_macs(*nested->second))
          return true;
      }
    }
    return false;
  };
  const Into step_into = smallest_into([&](const SkipCandidate& s) { return !spans_a_cut(s); });
  std::unordered_set<std::string> has_successor;
  for (const auto& [to, s] : step_into) has_successor.insert(s->from);

  // A residual step ends in an Add that reads the step's entry directly: a skip connection
  // (ResNet, MobileNetV2, EfficientNet, ConvNeXt, transformer blocks). Skipping such blocks
  // leaves the identity path, which is what makes a black-box exit usable.
  auto residual = [&](const SkipCandidate& s) {
    const int p = view.producer(s.to);
    if (p < 0 || view.node(p).op_type() != "Add") return false;
    for (const auto& in : view.node(p).input()) {
      if (in == s.from) return true;
    }
    return false;
  };

  std::vector<StageTrunk> trunks;
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
    trunk.step_flops.push_back(0);
    trunk.step_residual.push_back(false);
    for (auto s = steps.rbegin(); s != steps.rend(); ++s) {
      trunk.tensors.push_back((*s)->to);
      trunk.step_flops.push_back((*s)->flops);
      trunk.step_residual.push_back(residual(**s));
      if (has_macs(**s)) trunk.block_ends.push_back(static_cast<int>(trunk.tensors.size()) - 1);
    }
    if (trunk.block_ends.empty()) continue;
    trunk.end_position = view.topo_position(view.producer(end));
    if (auto it = shapes.find(trunk.tensors.front()); it != shapes.end())
      trunk.dtype = it->second.dtype;
    trunks.push_back(std::move(trunk));
  }
  std::sort(trunks.begin(), trunks.end(), [](const StageTrunk& a, const StageTrunk& b) {
    return a.end_position > b.end_position;
  });
  return trunks;
}

Result<StageTrunk> last_stage_trunk(const GraphView& view, const ShapeMap& shapes,
                                    const CutAnalysis& analysis) {
  auto trunks = stage_trunks(view, shapes, analysis);
  if (trunks.empty()) return failed_precondition(no_skippable_region_reason());
  return std::move(trunks.front());
}

int skip_start_index(const StageTrunk& trunk, int blocks) {
  const int k = static_cast<int>(trunk.block_ends.size());
  return k - blocks >= 1 ? trunk.block_ends[k - blocks - 1] : 0;
}

Result<std::pair<std::string, std::string>> skip_last_blocks(const StageTrunk& trunk, int blocks) {
  const int k = static_cast<int>(trunk.block_ends.size());
  if (blocks < 1 || blocks > k) {
    return invalid_argument(
        "--skip-last " + std::to_string(blocks) + ": the last stage (ending at '" +
        trunk.head_input() + "') has " + std::to_string(k) +
        " skippable block(s); its first block changes the shape and cannot be skipped");
  }
  return std::make_pair(trunk.tensors[skip_start_index(trunk, blocks)],
                        trunk.tensors[trunk.block_ends[k - 1]]);
}

}  // namespace edgetier
