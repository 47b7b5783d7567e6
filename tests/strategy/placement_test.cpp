/// Tests for strategy/placement: short and long names, order, links, rejections.
#include "strategy/placement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetier {
namespace {

using ::testing::HasSubstr;

std::string error_of(std::string_view text) {
  auto p = parse_placement(text);
  return p.ok() ? "" : p.status().message();
}

TEST(Placement, EveryNameRoundTripsShortAndLong) {
  std::vector<std::string> names;
  for (const auto& p : all_placements()) {
    names.push_back(p.name());
    EXPECT_EQ(*parse_placement(p.name()), p);
    EXPECT_EQ(*parse_placement(p.display_name()), p);
    EXPECT_EQ(p.rank(), static_cast<int>(names.size()) - 1);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"M", "E", "C", "ME", "EC", "MC", "MEC"}));
  EXPECT_EQ(parse_placement("Edge-Cloud")->name(), "EC");
  EXPECT_EQ(parse_placement(" cloud ")->name(), "C");
  EXPECT_EQ(parse_placement("mec")->num_tiers(), 3);
  EXPECT_EQ(parse_placement("MOBILE-edge-Cloud")->display_name(), "Mobile-Edge-Cloud");
}

TEST(Placement, TiersAndLinks) {
  EXPECT_EQ(tier_role_name(TierRole::kEdge), "edge");
  EXPECT_EQ(tier_role_letter(TierRole::kCloud), 'C');
  EXPECT_EQ(link_names(), (std::vector<std::string>{"mobile-edge", "edge-cloud"}));
  EXPECT_EQ(links_between(TierRole::kMobile, TierRole::kCloud), link_names());
  EXPECT_EQ(links_between(TierRole::kEdge, TierRole::kCloud),
            (std::vector<std::string>{"edge-cloud"}));
  EXPECT_TRUE(parse_placement("M")->links_crossed().empty());
  EXPECT_EQ(parse_placement("E")->links_crossed(), (std::vector<std::string>{"mobile-edge"}));
  // Requests enter at the mobile tier: the cloud alone is two links away.
  EXPECT_EQ(parse_placement("C")->links_crossed(), link_names());
  EXPECT_EQ(parse_placement("ME")->links_crossed(), (std::vector<std::string>{"mobile-edge"}));
}

TEST(Placement, RejectionsNameTheTextAndSuggest) {
  EXPECT_THAT(error_of("CM"), HasSubstr("unknown placement 'CM'"));
  EXPECT_THAT(error_of("CM"), HasSubstr("did you mean 'MC'?"));
  EXPECT_THAT(error_of("MM"), HasSubstr("each tier once"));
  EXPECT_THAT(error_of("MM"), HasSubstr("did you mean 'M'?"));
  EXPECT_THAT(error_of("Edge-Mobile"), HasSubstr("did you mean 'Mobile-Edge'?"));
  EXPECT_THAT(error_of("MX"), HasSubstr("unknown tier 'X'"));
  EXPECT_THAT(error_of("Egde"), HasSubstr("unknown placement 'Egde': unknown tier 'egde'"));
  EXPECT_THAT(error_of("Egde"), HasSubstr("nearest: 'edge'"));
  EXPECT_THAT(error_of("Fog"), HasSubstr("unknown placement 'Fog'"));
  EXPECT_THAT(error_of(""), HasSubstr("no tier"));
  EXPECT_THAT(error_of("mobile-"), HasSubstr("unknown tier ''"));
}

}  // namespace
}  // namespace edgetier
