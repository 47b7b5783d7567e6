/// Tests for strategy/strategy: chain @ placement, the placement after the last '@'.
#include "strategy/strategy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetier {
namespace {

using ::testing::HasSubstr;

TEST(Strategy, EveryChainAtEveryPlacementRoundTrips) {
  std::vector<OpChain> chains = standard_op_chains();
  chains.push_back(*parse_op_chain("DEE@0.8"));
  chains.push_back(*parse_op_chain("QDEEP@0"));
  for (const auto& c : chains) {
    for (const auto& p : all_placements()) {
      const Strategy s{c, p};
      auto back = parse_strategy(s.name());
      ASSERT_TRUE(back.ok()) << s.name() << ": " << back.status().to_string();
      EXPECT_EQ(*back, s);
      EXPECT_EQ(back->name(), s.name());
    }
  }
}

TEST(Strategy, PlacementIsAfterTheLastAt) {
  auto dee = parse_strategy("DEE@0.8@E");
  ASSERT_TRUE(dee.ok()) << dee.status().to_string();
  EXPECT_DOUBLE_EQ(dee->ops.exit_threshold, 0.8);
  EXPECT_EQ(dee->placement.name(), "E");
  EXPECT_EQ(parse_strategy("qep@Mobile-Edge")->name(), "QEP@ME");
  EXPECT_EQ(split_strategy_label("DEE@0.8@E"),
            std::make_pair(std::string("DEE@0.8"), std::string("E")));
  EXPECT_EQ(split_strategy_label("QE"), std::make_pair(std::string("QE"), std::string()));
  EXPECT_EQ(strategy_label("QEP", "ME"), "QEP@ME");
}

TEST(Strategy, RejectionsNameTheText) {
  EXPECT_THAT(parse_strategy("QEP").status().message(), HasSubstr("needs a placement"));
  EXPECT_THAT(parse_strategy("QEP@").status().message(), HasSubstr("e.g. 'QEP@E'"));
  EXPECT_THAT(parse_strategy("QXP@ME").status().message(),
              HasSubstr("strategy 'QXP@ME': operator chain 'QXP'"));
  EXPECT_THAT(parse_strategy("QEP@CM").status().message(), HasSubstr("did you mean 'MC'?"));
  // DEE@0.8 alone reads as chain DEE at placement "0.8".
  EXPECT_THAT(parse_strategy("DEE@0.8").status().message(), HasSubstr("unknown placement '0.8'"));
}

}  // namespace
}  // namespace edgetier
