/// Per-node sensitivity ranking (leave-one-out output error) and greedy exclusion to a loss budget.
#include "ops/sensitivity.h"

#include <algorithm>
#include <cstdio>

namespace edgetier {
namespace {

std::string points(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

}  // namespace

nlohmann::json sensitivity_to_json(const SensitivityReport& r) {
  nlohmann::json ranking = nlohmann::json::array();
  for (const auto& n : r.ranking)
    ranking.push_back({{"node", n.node}, {"error_reduction", n.error_reduction}});
  return {{"initial", accuracy_to_json(r.initial)},
          {"final", accuracy_to_json(r.final)},
          {"excluded", r.excluded},
          {"within_budget", r.within_budget},
          {"ranking", ranking}};
}

Result<SensitivityReport> find_sensitive_nodes(const onnx::ModelProto& model,
                                               const SensitivityOptions& options) {
  if (!(options.max_accuracy_loss >= 0.0)) {
    return invalid_argument("--max-accuracy-loss must be >= 0 points, got " +
                            std::to_string(options.max_accuracy_loss));
  }
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  ASSIGN_OR_RETURN(EvalSet eval, EvalSet::create(model, options.eval));
  auto quantize_excluding = [&](const std::vector<std::string>& extra,
                                QuantizeReport* report) -> Result<onnx::ModelProto> {
    QuantizeOptions q = options.quantize;
    q.exclude.insert(q.exclude.end(), extra.begin(), extra.end());
    q.report = report;
    onnx::ModelProto out;
    RETURN_IF_ERROR(quantize(model, q, &out));
    return out;
  };

  SensitivityReport report;
  QuantizeReport base_report;
  ASSIGN_OR_RETURN(onnx::ModelProto full, quantize_excluding({}, &base_report));
  ASSIGN_OR_RETURN(report.initial, eval.score(full));
  report.final = report.initial;
  say("all " + std::to_string(base_report.quantized_nodes.size()) +
      " quantizable nodes in int8: loss " + points(report.initial.loss_points) + " pts on " +
      std::to_string(report.initial.samples) + " samples");
  if (report.initial.loss_points <= options.max_accuracy_loss) {
    report.within_budget = true;
    return report;
  }

  // Rank: how much output error disappears when each node alone stays in float.
  ASSIGN_OR_RETURN(double base_error, eval.output_error(full));
  full.Clear();
  const auto& candidates = base_report.quantized_nodes;
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto variant = quantize_excluding({candidates[i]}, nullptr);
    if (!variant.ok()) {
      // Leaving this node out left nothing to quantize: it cannot be the one to exclude first.
      if (variant.status().code() == StatusCode::kInvalidArgument) continue;
      return variant.status();
    }
    ASSIGN_OR_RETURN(double error, eval.output_error(*variant));
    report.ranking.push_back({candidates[i], base_error - error});
    if ((i + 1) % 10 == 0 || i + 1 == candidates.size()) {
      say("ranked " + std::to_string(i + 1) + "/" + std::to_string(candidates.size()) + " nodes");
    }
  }
  std::stable_sort(report.ranking.begin(), report.ranking.end(),
                   [](const NodeSensitivity& a, const NodeSensitivity& b) {
                     return a.error_reduction > b.error_reduction;
                   });

  // Greedy: exclude the most sensitive nodes, in steps that grow with the count so far.
  size_t next = 0;
  while (next < report.ranking.size()) {
    if (options.max_excluded > 0 &&
        static_cast<int>(report.excluded.size()) >= options.max_excluded)
      break;
    size_t step = std::max<size_t>(1, report.excluded.size() / 4);
    if (options.max_excluded > 0) {
      step = std::min(step, static_cast<size_t>(options.max_excluded) - report.excluded.size());
    }
    for (size_t k = 0; k < step && next < report.ranking.size(); ++k)
      report.excluded.push_back(report.ranking[next++].node);
    auto variant = quantize_excluding(report.excluded, nullptr);
    if (!variant.ok()) {
      if (variant.status().code() == StatusCode::kInvalidArgument)
        break;  // nothing left to quantize
      return variant.status();
    }
    ASSIGN_OR_RETURN(report.final, eval.score(*variant));
    say(std::to_string(report.excluded.size()) + " nodes in float: loss " +
        points(report.final.loss_points) + " pts");
    if (report.final.loss_points <= options.max_accuracy_loss) {
      report.within_budget = true;
      break;
    }
  }
  return report;
}

}  // namespace edgetier
