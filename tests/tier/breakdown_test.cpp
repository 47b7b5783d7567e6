/// Rebuilding a request breakdown from per-hop parameters.
#include "tier/breakdown.h"

#include <gtest/gtest.h>

#include "tier/protocol.h"

namespace edgetier::tier {
namespace {

TEST(Breakdown, LinksAreSenderCallMinusReceiverTotal) {
  inference::ModelInferResponse response;
  auto* p = response.mutable_parameters();
  set_string_param(p, "hops", "mobile,edge");
  set_string_param(p, "mobile.role", "compute");
  set_int_param(p, "mobile.preprocess_ns", 10);
  set_int_param(p, "mobile.compute_ns", 100);
  set_int_param(p, "mobile.serialize_ns", 5);
  set_int_param(p, "mobile.forward_ns", 300);
  set_int_param(p, "mobile.total_ns", 420);
  set_int_param(p, "mobile.bytes_out", 4000);
  set_int_param(p, "mobile.bytes_back", 60);
  set_string_param(p, "edge.role", "compute");
  set_int_param(p, "edge.compute_ns", 200);
  set_int_param(p, "edge.total_ns", 250);
  set_int_param(p, "edge.bytes_in", 4000);
  const RequestBreakdown b = breakdown_from_parameters(response.parameters(), 500, 1000, 70);
  ASSERT_EQ(b.hops.size(), 2u);
  ASSERT_EQ(b.links.size(), 2u);
  EXPECT_EQ(b.links[0].from, "client");
  EXPECT_EQ(b.links[0].transfer_ns, 80);  // 500 - 420
  EXPECT_EQ(b.links[0].bytes_up, 1000);
  EXPECT_EQ(b.links[1].from, "mobile");
  EXPECT_EQ(b.links[1].transfer_ns, 50);  // 300 - 250
  EXPECT_EQ(b.links[1].bytes_up, 4000);
  EXPECT_EQ(b.links[1].bytes_down, 60);
  EXPECT_EQ(b.hops[0].other_ns, 5);  // 420 - 10 - 100 - 5 - 300
  EXPECT_EQ(b.accounted_ns(), 10 + 100 + 5 + 200 + 80 + 50);
  EXPECT_LE(b.accounted_ns(), b.end_to_end_ns);
  const auto j = breakdown_to_json(b);
  EXPECT_EQ(j["hops"][1]["tier"], "edge");
  EXPECT_NE(breakdown_to_text(b).find("mobile>edge"), std::string::npos);
}

TEST(Breakdown, MissingParametersGiveNoHops) {
  inference::ModelInferResponse response;
  const RequestBreakdown b = breakdown_from_parameters(response.parameters(), 500, 1, 1);
  EXPECT_TRUE(b.hops.empty());
  EXPECT_EQ(b.end_to_end_ns, 500);
}

}  // namespace
}  // namespace edgetier::tier
