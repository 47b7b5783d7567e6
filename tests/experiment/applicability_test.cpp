/// Tests for operator applicability (`inspect`): what applies with the experiment's defaults and
/// the plan's reasons where an operator does not.
#include "experiment/applicability.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "graph/fixtures.h"
#include "ops/trunk.h"

namespace edgetier {
namespace {

using ::testing::HasSubstr;

const OperatorApplicability& row(const std::vector<OperatorApplicability>& rows,
                                 const std::string& op) {
  for (const auto& r : rows) {
    if (r.op == op) return r;
  }
  ADD_FAILURE() << "no row for " << op;
  return rows.front();
}

TEST(ApplicabilityTest, EveryOperatorAppliesToAResNet) {
  auto rows = operator_applicability(fixtures::tiny_resnet());
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 4u);
  for (const auto& r : *rows) EXPECT_TRUE(r.applies) << r.op << ": " << r.reason;
  EXPECT_THAT(row(*rows, "EE").detail, HasSubstr(" -> "));
  EXPECT_THAT(row(*rows, "EE").detail, HasSubstr("% of the FLOPs"));
  EXPECT_THAT(row(*rows, "P").detail, HasSubstr("cut {"));
  const std::string text = applicability_to_text(*rows);
  EXPECT_THAT(text, HasSubstr("  EE  applies: exit "));
  auto j = applicability_to_json(*rows);
  EXPECT_EQ(j[2]["op"], "EE");
  EXPECT_TRUE(j[2]["applies"].get<bool>());
}

TEST(ApplicabilityTest, NoExitWithoutASkippableRegion) {
  auto rows = operator_applicability(fixtures::chain_model());
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  EXPECT_TRUE(row(*rows, "Q").applies);
  for (const char* op : {"EE", "DEE"}) {
    EXPECT_FALSE(row(*rows, op).applies) << op;
    EXPECT_EQ(row(*rows, op).reason, no_skippable_region_reason()) << op;
  }
  EXPECT_THAT(applicability_to_text(*rows), HasSubstr("  EE  does not apply: the model has no "
                                                      "skippable region"));
  auto j = applicability_to_json(*rows);
  EXPECT_FALSE(j[2]["applies"].get<bool>());
  EXPECT_EQ(j[2]["reason"], no_skippable_region_reason());
}

}  // namespace
}  // namespace edgetier
