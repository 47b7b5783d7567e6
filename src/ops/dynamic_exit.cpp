/// Dynamic exit = a static skip (T -> head input) for the early head + a partition at T.
#include "ops/dynamic_exit.h"

#include "core/strings.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "ops/early_exit.h"
#include "ops/manifest.h"
#include "ops/exit_select.h"
#include "ops/partition.h"
#include "ops/subgraph.h"
#include "strategy/operator_tasks.h"

namespace edgetier {

std::string dynamic_exit_bypass_reason(const std::string& exit_at,
                                       std::vector<std::string> bypass) {
  if (bypass.size() > 6) {  // the ends say where it leaves and rejoins; the middle is noise
    bypass.erase(bypass.begin() + 2, bypass.end() - 3);
    bypass.insert(bypass.begin() + 2, "...");
  }
  return "dynamic exit: the graph does not narrow to the exit tensor '" + exit_at +
         "' (the path " + join(bypass, " -> ") +
         " goes around it, e.g. a decoder reading earlier features), so a confident request "
         "cannot stop there; name a tensor every path crosses with --exit-at";
}

Status dynamic_exit(const onnx::ModelProto& model, const DynamicExitOptions& options,
                    std::vector<onnx::ModelProto>* parts, ExitPolicy* policy) {
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    return invalid_argument("dynamic exit: --threshold must be within [0, 1], got " +
                            std::to_string(options.threshold));
  }
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model, options.input_shapes));
  std::string exit_at = options.exit_at;
  std::string head_input = options.head_input;
  if (exit_at.empty() || head_input.empty()) {
    // The same region a static exit would skip (ops/exit_select.h): exit where it starts, and
    // the early head starts where it ends (or, with --exit-at given, where its stage ends).
    ASSIGN_OR_RETURN(CutAnalysis analysis, analyze_cuts(view, shapes));
    ASSIGN_OR_RETURN(ExitChoice choice, choose_exit(view, shapes, analysis, ExitSelectOptions{}));
    if (exit_at.empty()) {
      exit_at = choice.from;
      if (head_input.empty()) head_input = choice.to;
    }
    if (head_input.empty()) head_input = choice.stage_end;
  }
  if (!view.has_tensor(exit_at)) return unknown_tensor("dynamic exit", exit_at, view);
  if (!view.has_tensor(head_input)) return unknown_tensor("dynamic exit", head_input, view);
  if (view.outputs().size() != 1) {
    return invalid_argument("dynamic exit: the model has " + std::to_string(view.outputs().size()) +
                            " outputs; a confidence exit needs exactly one score output");
  }
  const TensorInfo& output = shapes.at(view.outputs()[0]);
  std::string task = options.task;
  if (task.empty()) {
    ASSIGN_OR_RETURN(task, task_from_output(output));
  } else if (task == task_name(Task::kDetect)) {
    return failed_precondition(operator_task_reason(OperatorId::kDynamicExit, Task::kDetect));
  } else if (task != "classify" && task != "segment") {
    return invalid_argument("dynamic exit: task '" + task + "' is not classify or segment");
  }

  // The early head: the model with T -> head input skipped, above T.
  EarlyExitOptions skip;
  skip.from = exit_at;
  skip.to = head_input;
  skip.input_shapes = options.input_shapes;
  onnx::ModelProto exited;
  Status st = early_exit(model, skip, &exited);
  if (!st.ok()) return st.with_context("dynamic exit (the head must fit at --exit-at)");
  std::vector<onnx::ModelProto> early, full;
  PartitionOptions cut;
  cut.cuts = {{exit_at}};
  // The trunk part ends at the exit: every path to the output must cross it.
  if (std::vector<std::string> bypass; !separates(view, {exit_at}, &bypass)) {
    return failed_precondition(dynamic_exit_bypass_reason(exit_at, std::move(bypass)));
  }
  // The trunk's output feeds two different heads; on QDQ models each would move the boundary to
  // its own QuantizeLinear, so keep the float tensor as the shared interface.
  cut.quantized_boundary = false;
  RETURN_IF_ERROR(partition(model, cut, &full).with_context("dynamic exit"));
  RETURN_IF_ERROR(partition(exited, cut, &early).with_context("dynamic exit"));
  full[0].mutable_graph()->set_name(model.graph().name() + "_trunk");
  early[1].mutable_graph()->set_name(model.graph().name() + "_early_head");
  full[1].mutable_graph()->set_name(model.graph().name() + "_rest");
  *parts = {std::move(full[0]), std::move(early[1]), std::move(full[1])};
  policy->exit_part = 1;
  policy->output = output.name;
  policy->measure = task == "segment" ? "mean_pixel_max_softmax" : "max_softmax";
  policy->threshold = options.threshold;
  return ok_status();
}

}  // namespace edgetier
