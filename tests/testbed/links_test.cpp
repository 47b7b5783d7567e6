/// Tests for link emulation: tbf sizing, the tc commands, and a real shaped veth link (root).
#include "testbed/links.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "testbed/netns.h"
#include "testbed/probe.h"
#include "testbed/teardown.h"
#include "testbed/testbed_fixtures.h"

namespace edgetier::testbed {
namespace {

bool contains(const std::vector<std::string>& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

TEST(LinkShaping, TbfBucketCoversTwoFramesAndQueueHoldsTraffic) {
  TbfParams slow = tbf_params(1.0);
  EXPECT_EQ(slow.rate_bit, 1000000);
  EXPECT_GE(slow.burst_bytes, 2 * kLinkMtu);
  EXPECT_GE(slow.limit_bytes, slow.burst_bytes + 8 * kLinkMtu);
  TbfParams fast = tbf_params(200.0);
  EXPECT_EQ(fast.rate_bit, 200000000);
  EXPECT_EQ(fast.burst_bytes, 25000);    // 1 ms at 200 Mbit/s
  EXPECT_GE(fast.limit_bytes, 2500000);  // 100 ms of queue
  // A 64 KiB-MTU device needs a bucket of at least one frame, or tbf stalls.
  EXPECT_GE(tbf_params(10.0, 65536).burst_bytes, 65536);
}

TEST(LinkShaping, CommandsShapeEgressAndIngressThroughIfb) {
  LinkShape shape{10.0, 0, 0, 0};
  auto cmds = shaping_commands("et-a1b2c3-edge", "eta1b2c3l0b", "eta1b2c3l0bi", shape, true);
  ASSERT_EQ(cmds.size(), 4u);  // no netem without delay/loss even when available
  EXPECT_EQ(cmds[0][0], "tc");
  EXPECT_EQ(cmds[0][2], "et-a1b2c3-edge");
  EXPECT_TRUE(contains(cmds[0], "tbf"));
  EXPECT_TRUE(contains(cmds[0], "10000000bit"));
  EXPECT_TRUE(contains(cmds[1], "ingress"));
  EXPECT_TRUE(contains(cmds[2], "mirred"));
  EXPECT_TRUE(contains(cmds[2], "eta1b2c3l0bi"));
  EXPECT_TRUE(contains(cmds[3], "eta1b2c3l0bi"));
  EXPECT_TRUE(contains(cmds[3], "tbf"));

  LinkShape lossy{10.0, 20.0, 5.0, 1.5};
  auto with_netem = shaping_commands("ns", "dev", "ifb", lossy, true);
  ASSERT_EQ(with_netem.size(), 5u);
  EXPECT_TRUE(contains(with_netem[0], "netem"));
  EXPECT_TRUE(contains(with_netem[0], "20ms"));
  EXPECT_TRUE(contains(with_netem[0], "5ms"));
  EXPECT_TRUE(contains(with_netem[0], "1.5%"));
  EXPECT_TRUE(contains(with_netem[1], "1:1"));  // tbf under netem
  // Without netem in the kernel the delay is left to user space: plain tbf.
  auto without = shaping_commands("ns", "dev", "ifb", lossy, false);
  ASSERT_EQ(without.size(), 4u);
  for (const auto& cmd : without) EXPECT_FALSE(contains(cmd, "netem"));
}

TEST(LinkShaping, DeviceNamesAndPrivateAddresses) {
  LinkDevices d = link_devices("a1b2c3", 0);
  EXPECT_EQ(d.up_dev, "eta1b2c3l0a");
  EXPECT_EQ(d.down_ifb, "eta1b2c3l0bi");
  EXPECT_EQ(d.up_addr, "10.77.0.1");
  EXPECT_EQ(link_devices("a1b2c3", 1).down_addr, "10.77.1.2");
}

TEST(LinksReal, ShapedVethLinkAchievesItsRateAndIsRemovedWithItsNamespaces) {
  EDGETIER_REQUIRE_ROOT();
  const std::string run = new_run_id();
  const std::string up_ns = netns_name(run, "mobile");
  const std::string down_ns = netns_name(run, "edge");
  testing::NetnsGuard guard{{up_ns, down_ns}};
  ASSERT_TRUE(create_netns(up_ns).ok());
  ASSERT_TRUE(create_netns(down_ns).ok());
  LinkDevices d = link_devices(run, 0);
  ASSERT_TRUE(create_veth_link(d, up_ns, down_ns).ok());
  LinkShape shape{10.0, 0, 0, 0};
  Status up_end = shape_link_end(up_ns, d.up_dev, d.up_ifb, shape, false);
  ASSERT_TRUE(up_end.ok()) << up_end.to_string();
  ASSERT_TRUE(shape_link_end(down_ns, d.down_dev, d.down_ifb, shape, false).ok());

  // Nothing of the link is in the root namespace.
  auto root_links = list_interfaces("");
  ASSERT_TRUE(root_links.ok());
  for (const auto& name : *root_links) EXPECT_FALSE(is_testbed_interface(name, run)) << name;
  auto inside = list_interfaces(up_ns);
  ASSERT_TRUE(inside.ok());
  EXPECT_TRUE(contains(*inside, d.up_dev));
  EXPECT_TRUE(contains(*inside, d.up_ifb));
  auto qdiscs = show_qdiscs(down_ns, d.down_dev);
  ASSERT_TRUE(qdiscs.ok());
  EXPECT_NE(qdiscs->find("tbf"), std::string::npos) << *qdiscs;
  EXPECT_NE(qdiscs->find("rate 10Mbit"), std::string::npos) << *qdiscs;
  EXPECT_NE(qdiscs->find("ingress"), std::string::npos) << *qdiscs;
  auto ifb_qdiscs = show_qdiscs(down_ns, d.down_ifb);
  ASSERT_TRUE(ifb_qdiscs.ok());
  EXPECT_NE(ifb_qdiscs->find("rate 10Mbit"), std::string::npos) << *ifb_qdiscs;

  auto probe = probe_link("mobile-edge", 10.0, {up_ns, d.up_addr}, {down_ns, d.down_addr});
  ASSERT_TRUE(probe.ok()) << probe.status().to_string();
  // Shaped both ways: never above the rate (unshaped veth runs at Gbit/s) and flowing. How
  // close to the rate it gets is a performance figure: bench_testbed measures it.
  EXPECT_LE(probe->forward_rate_mbit, 10.0 * 1.10) << probe->to_json().dump();
  EXPECT_LE(probe->reverse_rate_mbit, 10.0 * 1.10) << probe->to_json().dump();
  EXPECT_GT(probe->forward_rate_mbit, 0.0) << probe->to_json().dump();
  EXPECT_GT(probe->reverse_rate_mbit, 0.0) << probe->to_json().dump();
  EXPECT_GT(probe->rtt_ms, 0.0);
  EXPECT_LT(probe->rtt_ms, 50.0);

  ASSERT_TRUE(delete_netns(up_ns).ok());
  ASSERT_TRUE(delete_netns(down_ns).ok());
  auto names = list_netns();
  ASSERT_TRUE(names.ok());
  EXPECT_FALSE(contains(*names, up_ns));
  EXPECT_FALSE(contains(*names, down_ns));
}

}  // namespace
}  // namespace edgetier::testbed
