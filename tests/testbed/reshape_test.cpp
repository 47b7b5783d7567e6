/// Tests for re-shaping a running testbed's links in place: when it is allowed, and that a
/// namespace testbed's tc really takes the new rates while its tiers keep running (root).
#include <gtest/gtest.h>

#include "test_util.h"
#include "testbed/backend.h"
#include "testbed/links.h"
#include "testbed/state.h"
#include "testbed/teardown.h"
#include "testbed/testbed_fixtures.h"

namespace edgetier::testbed {
namespace {

UpOptions reshape_options(const std::string& state_dir, TestbedMode mode) {
  UpOptions options;
  options.state_dir = state_dir;
  options.mode = mode;
  options.exe = testing::edgetier_binary();
  options.probe.seconds_per_direction = 0.3;
  // Link fidelity is a performance figure (bench_testbed); these tests check the settings.
  options.allow_link_mismatch = true;
  options.model_root = state_dir;
  return options;
}

LinkRecord running(const std::string& from, const std::string& to, const std::string& shaping,
                   const std::string& delay_emulation) {
  LinkRecord r;
  r.from = from;
  r.to = to;
  r.rate_mbit = 10;
  r.shaping = shaping;
  r.delay_emulation = delay_emulation;
  return r;
}

TEST(TestbedReshape, RefusalSaysWhenANewTestbedIsNeeded) {
  const std::vector<LinkRecord> tc = {running("mobile", "edge", "tc", "none"),
                                      running("edge", "cloud", "tc", "none")};
  std::vector<LinkSpec> rates = {{"mobile", "edge", 10, 0, 0, 0}, {"edge", "cloud", 1, 0, 0, 0}};
  EXPECT_EQ(reshape_refusal(tc, rates, /*netem=*/false), "");
  // A delay needs netem; with it, it is fine.
  std::vector<LinkSpec> delayed = rates;
  delayed[1].delay_ms = 20;
  EXPECT_NE(reshape_refusal(tc, delayed, false).find("netem"), std::string::npos);
  EXPECT_EQ(reshape_refusal(tc, delayed, true), "");
  // Other links, an unshaped link, pacing in the tiers or a delay the forwarders emulate.
  EXPECT_NE(reshape_refusal(tc, {rates[0]}, true).find("1 links wanted, 2 running"),
            std::string::npos);
  std::vector<LinkSpec> swapped = {rates[1], rates[0]};
  EXPECT_NE(reshape_refusal(tc, swapped, true).find("wanted edge-cloud"), std::string::npos);
  std::vector<LinkSpec> unshaped = rates;
  unshaped[0].rate_mbit = 0;
  EXPECT_NE(reshape_refusal(tc, unshaped, true).find("unshaped"), std::string::npos);
  const std::vector<LinkRecord> paced = {running("mobile", "edge", "userspace", "none"),
                                         running("edge", "cloud", "userspace", "none")};
  EXPECT_NE(reshape_refusal(paced, rates, true).find("not shaped by tc"), std::string::npos);
  const std::vector<LinkRecord> forwarded = {running("mobile", "edge", "tc", "userspace"),
                                             running("edge", "cloud", "tc", "none")};
  EXPECT_NE(reshape_refusal(forwarded, rates, true).find("forwarders"), std::string::npos);
}

TEST(TestbedReshapeReal, NamespaceLinksTakeTheNewRatesWhileTheTiersKeepRunning) {
  EDGETIER_REQUIRE_ROOT();
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  auto backend = make_backend(TestbedMode::kNamespaces);
  ASSERT_TRUE(backend.ok()) << backend.status().to_string();
  const UpOptions options = reshape_options(dir, TestbedMode::kNamespaces);
  auto up = (*backend)->up(testing::small_chain_config(200.0, 10.0), options);
  ASSERT_TRUE(up.ok()) << up.status().to_string();
  const TestbedState before = up->state;

  std::vector<LinkSpec> next = {{"mobile", "edge", 5, 0, 0, 0}, {"edge", "cloud", 20, 0, 0, 0}};
  auto reshaped = (*backend)->reshape(dir, next, options.probe);
  ASSERT_TRUE(reshaped.ok()) << reshaped.status().to_string();
  const TestbedState& after = reshaped->state;
  // The same tiers, still running: nothing was restarted.
  ASSERT_EQ(after.run_id, before.run_id);
  for (size_t i = 0; i < before.tiers.size(); ++i) {
    EXPECT_EQ(after.tiers[i].pid, before.tiers[i].pid) << after.tiers[i].name;
    EXPECT_EQ(after.tiers[i].state, TierStatus::kRunning) << after.tiers[i].name;
  }
  // tc has the new rates on both ends of each link and on their ifb devices.
  for (size_t i = 0; i < next.size(); ++i) {
    const LinkDevices d = link_devices(after.run_id, static_cast<int>(i));
    const std::string rate = "rate " + std::to_string(static_cast<int>(next[i].rate_mbit)) + "Mbit";
    for (const auto& [ns, dev] : {std::pair{after.tiers[i].netns, d.up_dev},
                                  std::pair{after.tiers[i].netns, d.up_ifb},
                                  std::pair{after.tiers[i + 1].netns, d.down_dev},
                                  std::pair{after.tiers[i + 1].netns, d.down_ifb}}) {
      auto qdiscs = show_qdiscs(ns, dev);
      ASSERT_TRUE(qdiscs.ok()) << qdiscs.status().to_string();
      EXPECT_NE(qdiscs->find(rate), std::string::npos) << dev << ": " << *qdiscs;
    }
    EXPECT_EQ(after.links[i].rate_mbit, next[i].rate_mbit);
    ASSERT_TRUE(after.links[i].probe.has_value());
    EXPECT_EQ(after.links[i].probe->configured_rate_mbit, next[i].rate_mbit);
  }
  // The slowed link holds traffic to its new rate (it ran at 200 Mbit/s before).
  EXPECT_LE(after.links[0].probe->forward_rate_mbit, 5.0 * 1.10)
      << after.links[0].probe->to_json().dump();
  EXPECT_GT(after.links[0].probe->forward_rate_mbit, 0.0);
  // The state file says what the links now are.
  auto stored = read_state(dir);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->links[1].rate_mbit, 20.0);

  auto report = (*backend)->down(dir, after.run_id);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_TRUE(find_leftovers(after.run_id).empty()) << find_leftovers(after.run_id).to_text();
}

TEST(TestbedReshape, LoopbackTestbedSaysItCannotSoTheRunnerBringsANewOneUp) {
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  auto backend = make_backend(TestbedMode::kLoopback);
  ASSERT_TRUE(backend.ok());
  const UpOptions options = reshape_options(dir, TestbedMode::kLoopback);
  auto up = (*backend)->up(testing::small_chain_config(50.0, 20.0), options);
  ASSERT_TRUE(up.ok()) << up.status().to_string();
  std::vector<LinkSpec> next = {{"mobile", "edge", 10, 0, 0, 0}, {"edge", "cloud", 10, 0, 0, 0}};
  auto reshaped = (*backend)->reshape(dir, next, options.probe);
  EXPECT_EQ(reshaped.status().code(), StatusCode::kUnimplemented);
  // Nothing changed: the links keep what they had.
  auto stored = read_state(dir);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->links[0].rate_mbit, 50.0);
  auto report = (*backend)->down(dir, up->state.run_id);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
}

}  // namespace
}  // namespace edgetier::testbed
