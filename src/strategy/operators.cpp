/// The operator table: everything chain names, build order and displays derive from.
#include "strategy/operators.h"

#include <string>

#include "strategy/operator_tasks.h"

namespace edgetier {

const std::vector<OperatorRow>& operator_table() {
  // Build order: quantize first (the study's QE cuts the exit out of the int8 graph), then the
  // exit (static, or dynamic: it keeps the whole model, so it is last and its split is the
  // partition), partition last (the tiers must run exactly the final graph).
  static const std::vector<OperatorRow> kRows = {
      {OperatorId::kQuantize, "quantize", "Q", "", 0, false, false, "Q", true, true, true, 1, 3,
       "Quantization", "Quantized", "#f58518", false},
      {OperatorId::kEarlyExit, "early_exit", "EE", "E", 1, true, false, "EE", true, true, true, 1, 3,
       "Early Exit", "Early Exit", "#54a24b", false},
      {OperatorId::kDynamicExit, "dynamic_exit", "DEE", "", 1, false, true, "DEE", true, true, false, 1, 2,
       "Dynamic Early Exit", "Dynamic Early Exit", "", true},
      {OperatorId::kPartition, "partition", "P", "", 2, false, false, "P", true, true, true, 2, 3,
       "Partitioning", "Partitioning", "#72b7b2", false},
  };
  return kRows;
}

const OperatorRow& operator_row(OperatorId id) {
  for (const auto& row : operator_table()) {
    if (row.id == id) return row;
  }
  return operator_table().front();  // unreachable: every enumerator has a row
}

std::optional<OperatorId> operator_by_step(std::string_view step) {
  for (const auto& row : operator_table()) {
    if (row.step == step) return row.id;
  }
  return std::nullopt;
}

std::optional<OperatorId> operator_by_name(std::string_view name) {
  for (const auto& row : operator_table()) {
    if (row.name == name) return row.id;
  }
  return std::nullopt;
}

std::string_view step_name(OperatorId id) { return operator_row(id).step; }

bool operator_applies_to(OperatorId id, Task task) {
  const OperatorRow& row = operator_row(id);
  switch (task) {
    case Task::kClassify: return row.classify;
    case Task::kSegment: return row.segment;
    case Task::kDetect: return row.detect;
  }
  return false;
}

std::string operator_task_reason(OperatorId id, Task task) {
  if (operator_applies_to(id, task)) return "";
  if (id == OperatorId::kDynamicExit && task == Task::kDetect) {
    // A classifier's top probability says how sure its one answer is; a detector answers a set
    // of boxes, and no score of an early head says the rest of the model would find the same
    // set (a confident box says nothing of the objects it missed).
    return "the dynamic exit does not apply to detectors: an early head's box scores do not say "
           "whether the full model would find the same boxes (no confidence for a set of "
           "detections); use EE, the static exit";
  }
  return "operator " + std::string(operator_row(id).letters) + " does not apply to task " +
         std::string(task_name(task));
}

}  // namespace edgetier
