// The remote backend against real `edgetier serve` processes in their own network namespaces
// (remote_lab.h): `testbed up` reaches them over mutual TLS with their tokens, records their
// host facts and the links measured from the sending tier; it refuses a wrong token, no TLS,
// a wrong CA and another protocol major; a remote tier refuses a path outside its model root.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "testbed/remote_lab.h"
#include "testbed/state.h"
#include "testbed/testbed_fixtures.h"
#include "tier/protocol.h"

namespace edgetier::testbed {
namespace {

using testing::RemoteLab;

std::string up_config(const RemoteLab& lab, const std::string& yaml) {
  const std::string path =
      lab.dir().file("tiers-" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml");
  write_file(path, yaml);
  return path;
}

CommandResult testbed_up(const RemoteLab& lab, const std::string& yaml, const std::string& state) {
  return lab.run_on_device(
      {"testbed", "up", "--config", up_config(lab, yaml), "--state-dir", lab.dir().file(state)},
      40);
}

// One tier's entry with its fields replaced.
std::string tier_line(const std::string& name, const std::string& address, const std::string& token,
                      const std::string& tls) {
  return "  - {name: " + name + ", address: " + address + ", token_file: " + token +
         (tls.empty() ? "" : ", tls: " + tls) + "}\n";
}
const char* kTls = "{ca: ca.pem, cert: client.pem, key: client.key}";

TEST(RemoteBackend, BringsUpRemoteTiersAndMeasuresLinksFromTheSendingTier) {
  EDGETIER_REQUIRE_ROOT();
  RemoteLab lab;
  ASSERT_TRUE(lab.ok()) << lab.error();
  lab.start_all();
  ASSERT_TRUE(lab.ok()) << lab.error();

  auto up = testbed_up(lab, lab.tiers_yaml_list(), "state");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto state = read_state(lab.dir().file("state"));
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  EXPECT_EQ(state->network, "remote");
  EXPECT_EQ(state->phase, "up");
  ASSERT_EQ(state->tiers.size(), 3u);
  for (const auto& t : state->tiers) {
    EXPECT_EQ(t.listen, RemoteLab::address(t.name));
    EXPECT_EQ(t.state, TierStatus::kRunning) << t.name;
    EXPECT_EQ(t.pid, -1) << "a remote tier's pid is not ours to signal";
    EXPECT_GT(t.cpus, 0) << t.name;
    EXPECT_GT(t.memory_bytes, 0) << t.name;
  }
  ASSERT_EQ(state->links.size(), 2u);
  for (const auto& l : state->links) {
    ASSERT_TRUE(l.probe.has_value()) << l.name();
    EXPECT_EQ(l.probe->probed_by, l.from) << "measured by the tier that sends on " << l.name();
    EXPECT_GT(l.probe->forward_rate_mbit, 1.0) << l.name();
    EXPECT_GT(l.probe->reverse_rate_mbit, 1.0) << l.name();
    EXPECT_GT(l.probe->rtt_ms, 0.0) << l.name();
    EXPECT_LT(l.probe->rtt_ms, 100.0) << l.name();
    EXPECT_GT(l.probe->bytes, 0) << l.name();
  }
  // status asks every tier; down forgets the run and leaves the tiers running.
  auto status = lab.run_on_device({"testbed", "status", "--state-dir", lab.dir().file("state")});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  lab.kill_tier("cloud");
  auto dead =
      lab.run_on_device({"testbed", "status", "--json", "--state-dir", lab.dir().file("state")});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  auto json = nlohmann::json::parse(dead.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << dead.out;
  EXPECT_EQ(json["tiers"][2]["state"], "dead") << dead.out;
  EXPECT_EQ(json["tiers"][0]["state"], "running") << dead.out;
  auto down = lab.run_on_device({"testbed", "down", "--state-dir", lab.dir().file("state")});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_FALSE(std::filesystem::exists(lab.dir().file("state/testbed.json")));
}

TEST(RemoteBackend, RefusesWrongTokenNoTlsWrongCaAndAnotherProtocolMajor) {
  EDGETIER_REQUIRE_ROOT();
  RemoteLab lab;
  ASSERT_TRUE(lab.ok()) << lab.error();
  lab.start_all();
  // A cloud that claims another major version (serve's test-only --report-protocol-version).
  ASSERT_GT(lab.start_tier("cloud", {"--report-protocol-version", "2.0"}, 8002), 0)
      << lab.error();
  tier_test::write_token(lab.dir().file("wrong.token"), "not-the-edge-token");
  const std::string mobile =
      tier_line("mobile", RemoteLab::address("mobile"), "mobile.token", kTls);
  const std::string edge = tier_line("edge", RemoteLab::address("edge"), "edge.token", kTls);
  const std::string cloud = tier_line("cloud", RemoteLab::address("cloud"), "cloud.token", kTls);

  auto wrong_token =
      testbed_up(lab,
                 "tiers:\n" + mobile +
                     tier_line("edge", RemoteLab::address("edge"), "wrong.token", kTls) + cloud,
                 "s1");
  EXPECT_NE(wrong_token.exit_code, 0);
  EXPECT_NE(wrong_token.err.find("edge"), std::string::npos) << wrong_token.err;
  EXPECT_NE(wrong_token.err.find("wrong bearer token"), std::string::npos) << wrong_token.err;

  auto no_tls = testbed_up(
      lab,
      "tiers:\n" + mobile + tier_line("edge", RemoteLab::address("edge"), "edge.token", "") + cloud,
      "s2");
  EXPECT_NE(no_tls.exit_code, 0);
  EXPECT_NE(no_tls.err.find("no tls"), std::string::npos) << no_tls.err;

  auto wrong_ca =
      testbed_up(lab,
                 "tiers:\n" +
                     tier_line("mobile", RemoteLab::address("mobile"), "mobile.token",
                               "{ca: other-ca.pem, cert: client.pem, key: client.key}") +
                     edge + cloud,
                 "s3");
  EXPECT_NE(wrong_ca.exit_code, 0);
  EXPECT_NE(wrong_ca.err.find("mobile"), std::string::npos) << wrong_ca.err;
  EXPECT_NE(wrong_ca.err.find(RemoteLab::address("mobile")), std::string::npos) << wrong_ca.err;

  auto version =
      testbed_up(lab,
                 "tiers:\n" + mobile + edge +
                     tier_line("cloud", RemoteLab::address("cloud", 8002), "cloud.token", kTls),
                 "s4");
  EXPECT_NE(version.exit_code, 0);
  EXPECT_NE(version.err.find("2.0"), std::string::npos) << version.err;
  EXPECT_NE(version.err.find(tier::protocol_version()), std::string::npos) << version.err;
  EXPECT_NE(version.err.find("major"), std::string::npos) << version.err;

  // Addresses swapped by mistake: edge's address answers as edge, not as mobile.
  auto swapped = testbed_up(
      lab, "tiers:\n" + tier_line("mobile", RemoteLab::address("edge"), "edge.token", kTls) +
               tier_line("edge", RemoteLab::address("mobile"), "mobile.token", kTls) + cloud,
      "s5");
  EXPECT_NE(swapped.exit_code, 0);
  EXPECT_NE(swapped.err.find("serves as tier 'edge'"), std::string::npos) << swapped.err;
  // A refused bring-up leaves no state behind.
  for (const char* s : {"s1", "s2", "s3", "s4", "s5"}) {
    EXPECT_FALSE(std::filesystem::exists(lab.dir().file(std::string(s) + "/testbed.json"))) << s;
  }
}

TEST(RemoteBackend, ARemoteTierLoadsPathsOnlyFromInsideItsModelRoot) {
  EDGETIER_REQUIRE_ROOT();
  RemoteLab lab;
  ASSERT_TRUE(lab.ok()) << lab.error();
  ASSERT_GT(lab.start_tier("edge"), 0) << lab.error();
  const std::string model = std::string(EDGETIER_SOURCE_DIR) + "/models/demo_classifier.onnx";
  const std::string inside = lab.model_root() + "/demo.onnx";
  std::filesystem::copy_file(model, inside);
  auto deploy = [&](const std::string& path) {
    return lab.run_on_device({"deploy", path, "--placement", "E", "--tier",
                              "edge=" + RemoteLab::address("edge"), "--tls-ca", lab.certs().ca,
                              "--tls-cert", lab.certs().client_cert, "--tls-key",
                              lab.certs().client_key, "--token-file", lab.token_file("edge")});
  };
  auto outside = deploy(model);
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_NE(outside.err.find("inside the model root"), std::string::npos) << outside.err;
  auto ok = deploy(inside);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

}  // namespace
}  // namespace edgetier::testbed
