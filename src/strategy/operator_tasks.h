/// Why an operator does not apply to a task: the one text the plan and `variants` give.
#pragma once

#include <string>

#include "strategy/operators.h"
#include "strategy/task.h"

namespace edgetier {

/// Why `id` does not apply to models of `task` (the operator table's row says whether it does);
/// empty when it applies.
std::string operator_task_reason(OperatorId id, Task task);

}  // namespace edgetier
