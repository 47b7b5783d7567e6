/// Task names: the one table every layer parses and prints them with.
#include "strategy/task.h"

#include <string>

#include "core/strings.h"

namespace edgetier {
namespace {

struct TaskRow {
  Task task;
  std::string_view name;
  std::string_view long_name;
};
constexpr TaskRow kTasks[] = {
    {Task::kClassify, "classify", "classification"},
    {Task::kSegment, "segment", "segmentation"},
    {Task::kDetect, "detect", "detection"},
};

}  // namespace

std::string_view task_name(Task task) {
  for (const auto& row : kTasks) {
    if (row.task == task) return row.name;
  }
  return "?";
}

Result<Task> parse_task(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& row : kTasks) {
    if (name == row.name || name == row.long_name) return row.task;
    names.emplace_back(row.name);
  }
  return invalid_argument("unknown task '" + std::string(name) + "'; expected " +
                          join(names, " or "));
}

std::vector<Task> all_tasks() {
  std::vector<Task> out;
  for (const auto& row : kTasks) out.push_back(row.task);
  return out;
}

}  // namespace edgetier
