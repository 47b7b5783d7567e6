/// Tests for the backend factory (mode and keyword -> backend) and the tier/link model helpers.
#include "testbed/backend.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "testbed/topology.h"

namespace edgetier::testbed {
namespace {

TEST(TestbedBackend, FactoryPicksTheBackendOfTheMode) {
  for (bool root : {false, true}) {
    auto ns = make_backend(TestbedMode::kNamespaces, root);
    ASSERT_TRUE(ns.ok()) << ns.status().to_string();
    EXPECT_EQ((*ns)->mode(), TestbedMode::kNamespaces);
    EXPECT_EQ((*ns)->keyword(), "namespaces");
    auto lo = make_backend(TestbedMode::kLoopback, root);
    ASSERT_TRUE(lo.ok()) << lo.status().to_string();
    EXPECT_EQ((*lo)->mode(), TestbedMode::kLoopback);
    EXPECT_EQ((*lo)->keyword(), "loopback");
  }
  // auto: namespaces as root, else loopback.
  EXPECT_EQ((*make_backend(TestbedMode::kAuto, true))->mode(), TestbedMode::kNamespaces);
  EXPECT_EQ((*make_backend(TestbedMode::kAuto, false))->mode(), TestbedMode::kLoopback);
}

TEST(TestbedBackend, FactoryTakesTheSpecKeywords) {
  EXPECT_EQ(network_keywords(),
            (std::vector<std::string>{"auto", "namespaces", "loopback", "remote"}));
  for (const auto& keyword : network_keywords()) {
    auto mode = parse_testbed_mode(keyword);
    ASSERT_TRUE(mode.ok()) << keyword;
    EXPECT_EQ(testbed_mode_keyword(*mode), keyword);
  }
  auto ns = make_backend(std::string_view("namespaces"));
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)->mode(), TestbedMode::kNamespaces);
  auto lo = make_backend(std::string_view("loopback"));
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ((*lo)->mode(), TestbedMode::kLoopback);
  auto remote = make_backend(std::string_view("remote"));
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ((*remote)->mode(), TestbedMode::kRemote);
  auto automatic = make_backend(std::string_view("auto"));
  ASSERT_TRUE(automatic.ok());
  EXPECT_NE((*automatic)->mode(), TestbedMode::kAuto);  // resolved to a real backend
}

TEST(TestbedBackend, UnknownKeywordIsNamedWithTheNearest) {
  auto bad = make_backend(std::string_view("namespace"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'namespace'"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("did you mean 'namespaces'"), std::string::npos)
      << bad.status().message();
  auto loop = parse_testbed_mode("loopbak");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("did you mean 'loopback'"), std::string::npos);
}

TEST(TestbedBackend, RecordedRunNamesItsBackend) {
  TestbedState state;
  state.run_id = "abc123";
  state.network = "namespaces";
  EXPECT_EQ((*backend_for_state(state))->mode(), TestbedMode::kNamespaces);
  state.network = "loopback";
  EXPECT_EQ((*backend_for_state(state))->mode(), TestbedMode::kLoopback);
  state.network = "remote";
  EXPECT_EQ((*backend_for_state(state))->mode(), TestbedMode::kRemote);
  // Files from before the `network` key: root says which.
  nlohmann::json j = {{"run_id", "abc123"}, {"root", true}};
  auto old = TestbedState::from_json(j);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->network, "namespaces");
  state.network = "carrier-pigeon";
  EXPECT_FALSE(backend_for_state(state).ok());
}

// The CLI takes the same keywords; a typo fails before anything is created.
TEST(TestbedBackend, CliNetworkKeywordTypoIsNamed) {
  TempDir dir;
  auto up = run_edgetier("testbed up --network loopbak --state-dir " + dir.path());
  EXPECT_NE(up.exit_code, 0);
  EXPECT_NE(up.err.find("did you mean 'loopback'"), std::string::npos) << up.err;
}

TEST(TestbedTopology, LinksAreNamedFromToWithRttTwiceTheDelay) {
  LinkSpec link{"mobile", "edge", 200, 5};
  EXPECT_EQ(link.name(), "mobile-edge");
  EXPECT_DOUBLE_EQ(link.rtt_ms(), 10);
  link.set_rtt_ms(40);
  EXPECT_DOUBLE_EQ(link.delay_ms, 20);
  std::string from, to;
  ASSERT_TRUE(split_link_name("edge-cloud", &from, &to));
  EXPECT_EQ(from, "edge");
  EXPECT_EQ(to, "cloud");
  EXPECT_FALSE(split_link_name("edgecloud", &from, &to));
}

// Regression: an experiment's `threads` reached the testbed only as ceil(cpus).
TEST(TestbedTopology, TierThreadsHonourTheSpec) {
  EXPECT_EQ(tier_threads(TierSpec{"edge", 1.5, 0}), 2);
  EXPECT_EQ(tier_threads(TierSpec{"edge", 1.5, 0, 4}), 4);
  EXPECT_EQ(tier_threads(TierSpec{"edge", 0, 0}), 1);
}

}  // namespace
}  // namespace edgetier::testbed
