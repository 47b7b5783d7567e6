/// Tests for strategy/operators: the table's rows are consistent and findable.
#include "strategy/operator_tasks.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace edgetier {
namespace {

TEST(Operators, EveryIdHasOneRowWithDistinctNames) {
  std::set<std::string> names, steps, letters;
  for (const auto& row : operator_table()) {
    EXPECT_EQ(operator_row(row.id).name, row.name);
    EXPECT_TRUE(names.insert(std::string(row.name)).second) << row.name;
    EXPECT_TRUE(steps.insert(std::string(row.step)).second) << row.step;
    EXPECT_TRUE(letters.insert(std::string(row.letters)).second) << row.letters;
    EXPECT_EQ(operator_by_step(row.step), row.id);
    EXPECT_EQ(operator_by_name(row.name), row.id);
    EXPECT_FALSE(row.display_name.empty());
    EXPECT_LE(row.min_tiers, row.max_tiers);
  }
  EXPECT_EQ(operator_table().size(), 4u);
  EXPECT_FALSE(operator_by_step("X").has_value());
  EXPECT_FALSE(operator_by_name("prune").has_value());
}

TEST(Operators, ManifestStepNames) {
  EXPECT_EQ(step_name(OperatorId::kQuantize), "Q");
  EXPECT_EQ(step_name(OperatorId::kEarlyExit), "EE");
  EXPECT_EQ(step_name(OperatorId::kDynamicExit), "DEE");
  EXPECT_EQ(step_name(OperatorId::kPartition), "P");
  EXPECT_EQ(operator_row(OperatorId::kEarlyExit).name, "early_exit");
}

TEST(Operators, EveryOperatorAppliesToClassifyAndSegment) {
  for (const auto& row : operator_table()) {
    for (Task task : {Task::kClassify, Task::kSegment}) {
      EXPECT_TRUE(operator_applies_to(row.id, task)) << row.name;
    }
  }
  // Detection: Q, P and the static exit (it skips backbone blocks of one shape); no dynamic
  // exit, and the reason says why.
  EXPECT_TRUE(operator_applies_to(OperatorId::kQuantize, Task::kDetect));
  EXPECT_TRUE(operator_applies_to(OperatorId::kPartition, Task::kDetect));
  EXPECT_TRUE(operator_applies_to(OperatorId::kEarlyExit, Task::kDetect));
  EXPECT_FALSE(operator_applies_to(OperatorId::kDynamicExit, Task::kDetect));
  EXPECT_EQ(operator_task_reason(OperatorId::kQuantize, Task::kDetect), "");
  EXPECT_NE(operator_task_reason(OperatorId::kDynamicExit, Task::kDetect)
                .find("dynamic exit does not apply to detectors"),
            std::string::npos);
  // Partitioning needs two tiers; a dynamic exit splits onto exactly two.
  EXPECT_EQ(operator_row(OperatorId::kPartition).min_tiers, 2);
  EXPECT_EQ(operator_row(OperatorId::kDynamicExit).max_tiers, 2);
}

}  // namespace
}  // namespace edgetier
