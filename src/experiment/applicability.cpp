/// Operator applicability for `inspect`: the experiment's default cut window and exit choice.
#include "experiment/applicability.h"

#include <sstream>

#include "core/strings.h"
#include "experiment/spec.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "ops/cut_select.h"
#include "ops/dynamic_exit.h"
#include "ops/exit_select.h"

namespace edgetier {
namespace {

/// A node that only quantized models have (QDQ or QOperator form).
bool is_quantized_op(const std::string& op) {
  return op == "QuantizeLinear" || op == "DequantizeLinear" || op == "ConvInteger" ||
         op == "MatMulInteger" || op.rfind("QLinear", 0) == 0;
}

}  // namespace

Result<std::vector<OperatorApplicability>> operator_applicability(
    const onnx::ModelProto& model, const InputShapes& input_shapes) {
  std::vector<OperatorApplicability> rows;

  OperatorApplicability q{"Q"};
  std::string quantized_op;
  for (const auto& node : model.graph().node()) {
    if (is_quantized_op(node.op_type())) {
      quantized_op = node.op_type();
      break;
    }
  }
  q.applies = quantized_op.empty();
  if (q.applies) {
    q.detail = "static int8 quantization of the float model (`edgetier quantize` prints what "
               "stays float and why)";
  } else {
    q.reason = "the model is already quantized (it has " + quantized_op +
               " nodes); Q quantizes float models";
  }
  rows.push_back(q);

  // P: the plan's automatic cut, a single tensor within the default FLOPs window.
  // One analysis of the graph serves the cut and the exit.
  ASSIGN_OR_RETURN(const AnalysedModel m, analyse_model(model, input_shapes));
  const GraphView& view = m.view;
  OperatorApplicability p{"P"};
  auto cut = rank_cuts(m.analysis, cut_select_options(CutSpec{}), &view);
  if (!cut.ok() && cut.status().code() != StatusCode::kFailedPrecondition) return cut.status();
  p.applies = cut.ok();
  if (cut.ok()) {
    p.detail = "cut {" + join(cut->best.cut.names()) + "}: " +
               format_share(cut->best.lower_flops_share) + " of the FLOPs below, " +
               format_bytes(cut->best.cut.bytes) + " per request";
  } else {
    p.reason = cut.status().message();
  }
  rows.push_back(p);

  // EE and DEE: the experiment's automatic exit.
  auto exit = choose_exit(view, m.shapes, m.analysis, exit_select_options(ExitSpec{}));
  if (!exit.ok() && exit.status().code() != StatusCode::kFailedPrecondition)
    return exit.status();
  OperatorApplicability ee{"EE"}, dee{"DEE"};
  ee.applies = exit.ok();
  if (exit.ok()) {
    ee.detail = "exit " + exit->from + " -> " + exit->to + " skips " +
                std::to_string(exit->blocks) + " of " + std::to_string(exit->stage_blocks) +
                " blocks, " + format_share(exit->flops_share) + " of the FLOPs";
    std::vector<std::string> bypass;
    dee.applies = separates(view, {exit->from}, &bypass);
    if (dee.applies) {
      dee.detail = "the early head answers at " + exit->from;
    } else {
      dee.reason = dynamic_exit_bypass_reason(exit->from, std::move(bypass));
    }
  } else {
    ee.reason = exit.status().message();
    dee.reason = ee.reason;
  }
  rows.push_back(ee);
  rows.push_back(dee);
  return rows;
}

nlohmann::json applicability_to_json(const std::vector<OperatorApplicability>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = {{"op", r.op}, {"applies", r.applies}};
    if (r.applies) {
      j["detail"] = r.detail;
    } else {
      j["reason"] = r.reason;
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string applicability_to_text(const std::vector<OperatorApplicability>& rows) {
  std::ostringstream os;
  os << "operators (the experiment's defaults):\n";
  for (const auto& r : rows) {
    os << "  " << r.op << std::string(r.op.size() < 4 ? 4 - r.op.size() : 1, ' ')
       << (r.applies ? "applies: " + r.detail : "does not apply: " + r.reason) << "\n";
  }
  return os.str();
}

}  // namespace edgetier
