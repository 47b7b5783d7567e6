/// Tests for run ids and the name patterns teardown is allowed to remove.
#include "testbed/teardown.h"

#include <gtest/gtest.h>

#include <set>

#include "testbed/cgroups.h"
#include "testbed/links.h"
#include "testbed/netns.h"

namespace edgetier::testbed {
namespace {

TEST(Teardown, RunIdsAreSixHexDigitsAndVary) {
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    std::string id = new_run_id();
    EXPECT_TRUE(is_run_id(id)) << id;
    ids.insert(id);
  }
  EXPECT_GT(ids.size(), 15u);
  EXPECT_FALSE(is_run_id("abcdeg"));
  EXPECT_FALSE(is_run_id("ABCDEF"));
  EXPECT_FALSE(is_run_id("abcde"));
}

TEST(Teardown, MatchesOnlyOurNames) {
  EXPECT_TRUE(is_testbed_netns(netns_name("a1b2c3", "mobile")));
  EXPECT_TRUE(is_testbed_netns("et-a1b2c3-cloud", "a1b2c3"));
  EXPECT_FALSE(is_testbed_netns("et-a1b2c3-cloud", "ffffff"));
  EXPECT_FALSE(is_testbed_netns("et-a1b2c-cloud"));
  EXPECT_FALSE(is_testbed_netns("et-a1b2c3-"));
  EXPECT_FALSE(is_testbed_netns("et-a1b2c3-Cloud"));
  EXPECT_FALSE(is_testbed_netns("docker-a1b2c3-cloud"));
  EXPECT_FALSE(is_testbed_netns("cni-1234"));

  LinkDevices d = link_devices("a1b2c3", 1);
  for (const auto& name : {d.up_dev, d.down_dev, d.up_ifb, d.down_ifb}) {
    EXPECT_TRUE(is_testbed_interface(name)) << name;
    EXPECT_TRUE(is_testbed_interface(name, "a1b2c3")) << name;
    EXPECT_FALSE(is_testbed_interface(name, "000000")) << name;
    EXPECT_LE(name.size(), 15u) << name;  // IFNAMSIZ - 1
  }
  EXPECT_FALSE(is_testbed_interface("eth0"));
  EXPECT_FALSE(is_testbed_interface("ifb0"));
  EXPECT_FALSE(is_testbed_interface("eta1b2c3l0c"));
  EXPECT_FALSE(is_testbed_interface("eta1b2c3la"));
  EXPECT_FALSE(is_testbed_interface("etherl0a"));

  EXPECT_TRUE(is_testbed_cgroup(cgroup_name("a1b2c3", "edge")));
  EXPECT_TRUE(is_testbed_cgroup("edgetier-a1b2c3-edge", "a1b2c3"));
  EXPECT_FALSE(is_testbed_cgroup("edgetier-a1b2c3-edge", "a1b2c4"));
  EXPECT_FALSE(is_testbed_cgroup("edgetier"));
  EXPECT_FALSE(is_testbed_cgroup("system.slice"));
  EXPECT_FALSE(is_testbed_cgroup("edgetier-a1b2c3"));
}

TEST(Teardown, RejectsMalformedRunId) {
  auto report = teardown_run("../etc", "");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgetier::testbed
