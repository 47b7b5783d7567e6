/// Cut ranking over the enumerated frontier cuts.
#include "ops/cut_select.h"

#include <algorithm>
#include <unordered_map>

#include "core/strings.h"
#include "graph/graph_view.h"

namespace edgetier {
namespace {

/// Node name -> mean time (ms); unnamed nodes use "<op>#<index>" as profile.cpp writes them.
Result<std::vector<double>> node_times_ms(const GraphView& view, const ModelProfile& profile,
                                          const char* which) {
  std::unordered_map<std::string, double> by_name;
  for (const auto& n : profile.nodes) by_name[n.name] = n.mean_us / 1000.0;
  std::vector<double> times(view.num_nodes(), 0.0);
  int missing = 0;
  std::string example;
  for (int i = 0; i < view.num_nodes(); ++i) {
    const auto& node = view.node(i);
    const std::string name =
        node.name().empty() ? node.op_type() + "#" + std::to_string(i) : node.name();
    auto it = by_name.find(name);
    if (it != by_name.end()) {
      times[i] = it->second;
    } else if (!view.is_constant_node(i)) {
      ++missing;
      if (example.empty()) example = name;
    }
  }
  if (missing > 0) {
    return invalid_argument(
        std::string("cut selection: the ") + which + " profile (" + profile.model +
        ") has no time for " + std::to_string(missing) + " node(s) of this model, e.g. '" +
        example + "'; it was measured on a different model: run edgetier profile on this one");
  }
  // Kernels ORT ran outside any model node (layout reorders) are spread evenly over the nodes.
  const double extra = profile.unattributed_us / 1000.0 / std::max(1, view.num_nodes());
  for (auto& t : times) t += extra;
  return times;
}

}  // namespace

Result<CutSelection> select_cut(const onnx::ModelProto& model, const CutSelectOptions& options) {
  ASSIGN_OR_RETURN(AnalysedModel m, analyse_model(model, options.input_shapes));
  return rank_cuts(m.analysis, options, &m.view);
}

Result<CutSelection> rank_cuts(const CutAnalysis& analysis, const CutSelectOptions& options,
                               const GraphView* view, const CutShareFn& share_below) {
  if (options.objective != "bytes" && options.objective != "latency") {
    return invalid_argument("cut selection: objective '" + options.objective +
                            "' is not bytes or latency");
  }
  if (options.min_lower_flops < 0.0 || options.max_lower_flops > 1.0 ||
      options.min_lower_flops > options.max_lower_flops) {
    return invalid_argument(
        "cut selection: need 0 <= --min-lower-flops <= --max-lower-flops <= 1, got " +
        std::to_string(options.min_lower_flops) + " and " +
        std::to_string(options.max_lower_flops));
  }
  const bool latency = options.objective == "latency";
  if (latency && !options.profile) {
    return invalid_argument(
        "cut selection: --objective latency needs --profile P.json (edgetier profile MODEL -o "
        "P.json)");
  }
  if (latency && options.bandwidth_mbit <= 0.0) {
    return invalid_argument("cut selection: --objective latency needs --bandwidth-mbit > 0");
  }
  if (latency && !view) return internal_error("cut selection: the latency objective needs the graph");

  std::vector<double> lower_times, upper_times;
  if (latency) {
    ASSIGN_OR_RETURN(lower_times, node_times_ms(*view, *options.profile, "lower"));
    const ModelProfile& up = options.upper_profile ? *options.upper_profile : *options.profile;
    ASSIGN_OR_RETURN(upper_times, node_times_ms(*view, up, "upper"));
  }
  CutSelection choice;
  choice.considered = static_cast<int>(analysis.cuts.size());
  const double total = static_cast<double>(std::max<int64_t>(1, analysis.total_flops));
  for (const auto& cut : analysis.cuts) {
    if (cut.bytes <= 0) continue;  // unknown size: cannot be ranked
    if (options.single_tensor_only && !cut.single()) continue;
    CutCandidate c;
    c.cut = cut;
    if (share_below) {
      const std::optional<double> share = share_below(cut);
      if (!share) continue;
      c.lower_flops_share = *share;
    } else {
      c.lower_flops_share = static_cast<double>(cut.flops_before) / total;
    }
    if (c.lower_flops_share < options.min_lower_flops ||
        c.lower_flops_share > options.max_lower_flops)
      continue;
    if (latency) {
      const auto& order = view->topo_order();
      for (size_t k = 0; k < order.size(); ++k) {
        if (static_cast<int>(k) < cut.position)
          c.lower_ms += lower_times[order[k]];
        else
          c.upper_ms += upper_times[order[k]];
      }
      c.lower_ms *= options.lower_scale;
      c.upper_ms *= options.upper_scale;
      c.transfer_ms = static_cast<double>(cut.bytes) * 8.0 / (options.bandwidth_mbit * 1e6) * 1e3 +
                      options.rtt_ms;
      c.predicted_ms = c.lower_ms + c.transfer_ms + c.upper_ms;
    }
    choice.ranked.push_back(std::move(c));
  }
  if (choice.ranked.empty()) {
    // The model, not the request, is at fault: P does not apply with this window.
    return failed_precondition(
        "cut selection: no " + std::string(options.single_tensor_only ? "single-tensor " : "") +
        "cut has between " + format_share(options.min_lower_flops) + " and " +
        format_share(options.max_lower_flops) + " of the FLOPs below it (" +
        std::to_string(choice.considered) + " cuts in the model); widen the window");
  }
  std::stable_sort(choice.ranked.begin(), choice.ranked.end(),
                   [&](const CutCandidate& a, const CutCandidate& b) {
                     if (options.prefer_single_tensor && a.cut.single() != b.cut.single())
                       return a.cut.single();
                     if (latency && a.predicted_ms != b.predicted_ms)
                       return a.predicted_ms < b.predicted_ms;
                     if (a.cut.bytes != b.cut.bytes) return a.cut.bytes < b.cut.bytes;
                     return a.cut.flops_before < b.cut.flops_before;
                   });
  choice.best = choice.ranked.front();
  return choice;
}

}  // namespace edgetier
