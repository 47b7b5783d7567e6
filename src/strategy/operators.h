/// The strategy operators (quantize, early exit, dynamic exit, partition): one table, a row each.
///
/// Adding an operator (say pruning, "R") takes, besides its row in operators.cpp:
///  1. an enumerator in OperatorId below;
///  2. a field for it in OpChain (strategy/chain.h) and a line in OpChain::has() and in
///     parse_op_chain's letter loop (chain.cpp), because a chain stores which operators it has
///     rather than a list (that keeps the chain a value with one canonical name);
///  3. the code that applies it: a case in ops/compose.cpp run_step() and step_key() (the
///     operator's graph transformation and the options it records in the manifest), and any
///     option it needs in VariantOptions (ops/compose.h) and the experiment spec;
///  4. if it changes which tiers a chain may run on beyond min_tiers/max_tiers, the rules in
///     experiment/plan.cpp make_plan().
/// Names, letters, build order, manifest step names, display names, rank, complexity and
/// chart colours of every chain containing it then follow from the row.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "strategy/task.h"

namespace edgetier {

enum class OperatorId { kQuantize, kEarlyExit, kDynamicExit, kPartition };

struct OperatorRow {
  OperatorId id;
  /// What the plan stores ("quantize", "early_exit"): strategies.plan_json "steps".
  std::string_view name;
  /// The letters in chain names ("Q", "EE", "DEE", "P"), in the order chains spell them.
  std::string_view letters;
  /// Letters after a quantize ("QE", "QEP": the study writes the exit with one E); empty: same.
  std::string_view letters_after_quantize;
  /// Position in the build pipeline (lower runs first).
  int build_order;
  /// With exit_then_quantize this operator runs before quantize (the exit is cut from the
  /// float model and calibration sees the shortened model).
  bool before_quantize_when_exit_first;
  /// The operator's own split is the partition: a chain with it and P builds no P step (the
  /// dynamic exit's trunk | head | rest parts are what P places on two tiers).
  bool splits_itself;
  /// The step name recorded in a manifest's chain ("Q", "EE", "DEE", "P").
  std::string_view step;
  /// The tasks it applies to; detection: Q, P, EE (it skips blocks of one shape, the head sees
  /// what it expects), not DEE (strategy/operator_tasks.h operator_task_reason says why).
  bool classify, segment, detect;
  /// Tiers a chain with this operator can be placed on (a chain without P runs on one).
  int min_tiers, max_tiers;
  /// Alone ("Quantization") and before other operators ("Quantized Early Exit").
  std::string_view display_name;
  std::string_view display_prefix;
  /// Chart colour of the chain made of this operator alone; "" = none fixed (a threshold sweep
  /// needs one colour per threshold).
  std::string_view colour;
  /// Takes a threshold after '@' in chain names ("DEE@0.8").
  bool takes_threshold;
};

/// Every operator, in the order chain names spell them.
const std::vector<OperatorRow>& operator_table();
const OperatorRow& operator_row(OperatorId id);
/// By manifest step name ("EE") or plan name ("early_exit"); nullopt when unknown.
std::optional<OperatorId> operator_by_step(std::string_view step);
std::optional<OperatorId> operator_by_name(std::string_view name);
/// The step name a manifest records for the operator ("Q").
std::string_view step_name(OperatorId id);
bool operator_applies_to(OperatorId id, Task task);

}  // namespace edgetier
