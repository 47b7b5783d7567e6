/// Tests for the testbed state file.
#include "testbed/state.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "testbed/files.h"
#include "testbed/testbed_fixtures.h"

namespace edgetier::testbed {
namespace {

TestbedState sample_state(const std::string& dir) {
  TestbedState s;
  s.run_id = "a1b2c3";
  s.root = true;
  s.phase = "up";
  s.controller_pid = 42;
  s.state_dir = dir;
  s.cpu_cgroup = "v1";
  s.memory_cgroup = "v1";
  s.cpu_period_us = 10000;
  s.mtu = 9000;
  TierRecord edge;
  edge.name = "edge";
  edge.pid = 1234;
  edge.netns = "et-a1b2c3-edge";
  edge.cgroup.name = "edgetier-a1b2c3-edge";
  edge.cgroup.cpu_version = CgroupVersion::kV1;
  edge.cgroup.cpu_dir = "/sys/fs/cgroup/cpu/edgetier-a1b2c3-edge";
  edge.cpus = 1.0;
  edge.memory_bytes = 1 << 30;
  edge.listen = "10.77.0.2:50051";
  edge.control = "unix:" + dir + "/edge.sock";
  edge.state = TierStatus::kOom;
  edge.detail = "killed by the OOM killer";
  s.tiers.push_back(edge);
  LinkRecord link;
  link.from = "mobile";
  link.to = "edge";
  link.rate_mbit = 200;
  link.delay_ms = 5;
  link.shaping = "tc";
  link.delay_emulation = "userspace";
  LinkProbe probe;
  probe.link = "mobile-edge";
  probe.configured_rate_mbit = 200;
  probe.achieved_rate_mbit = 196.5;
  probe.rtt_ms = 0.02;
  link.probe = probe;
  s.links.push_back(link);
  return s;
}

TEST(TestbedState, RoundTripsThroughTheFile) {
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  ASSERT_TRUE(write_state(dir, sample_state(dir)).ok());
  auto read = read_state(dir);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->run_id, "a1b2c3");
  EXPECT_TRUE(read->root);
  ASSERT_EQ(read->tiers.size(), 1u);
  const TierRecord* edge = read->find_tier("edge");
  ASSERT_NE(edge, nullptr);
  EXPECT_EQ(edge->state, TierStatus::kOom);
  EXPECT_EQ(edge->listen, "10.77.0.2:50051");
  EXPECT_EQ(edge->control, "unix:" + dir + "/edge.sock");
  EXPECT_EQ(edge->cgroup.cpu_dir, "/sys/fs/cgroup/cpu/edgetier-a1b2c3-edge");
  ASSERT_EQ(read->links.size(), 1u);
  EXPECT_EQ(read->links[0].delay_emulation, "userspace");
  ASSERT_TRUE(read->links[0].probe.has_value());
  EXPECT_DOUBLE_EQ(read->links[0].probe->achieved_rate_mbit, 196.5);
  // The contract fields other commands read.
  auto json = nlohmann::json::parse(*read_text_file(state_file_path(dir)));
  EXPECT_EQ(json["tiers"][0]["state"], "oom");
  EXPECT_EQ(json["links"][0]["shaping"], "tc");
  EXPECT_EQ(json["links"][0]["userspace"], true);  // tc has no delay here: forwarders add it
  EXPECT_TRUE(json["links"][0]["probe"].contains("rtt_ms"));
}

TEST(TestbedState, MissingAndCorruptFilesAreClearErrors) {
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  auto missing = read_state(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("edgetier testbed up"), std::string::npos);
  ASSERT_TRUE(write_text_file(state_file_path(dir), "{\"run_id\": ").ok());
  auto corrupt = read_state(dir);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace edgetier::testbed
