/// The tasks a model can do (classify, segment, detect): one enum, one parser, one name table.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier {

enum class Task { kClassify, kSegment, kDetect };

/// "classify", "segment", "detect".
std::string_view task_name(Task task);
/// Accepts the names and their long forms ("classification", "segmentation", "detection").
Result<Task> parse_task(std::string_view name);
std::vector<Task> all_tasks();

}  // namespace edgetier
