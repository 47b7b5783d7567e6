/// Tests for endpoints from a testbed state file (the one state reader) and --testbed/--tier.
#include "testbed/endpoints.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"
#include "testbed/files.h"
#include "tier/tls_fixtures.h"

namespace edgetier::testbed {
namespace {

Result<tier::TestbedEndpoints> endpoints_of(const nlohmann::json& j) {
  auto state = TestbedState::from_json(j, /*require_run=*/false);
  if (!state.ok()) return state.status();
  return endpoints_from_state(*state, "state.json");
}

TEST(TestbedEndpoints, ParsesTestbedState) {
  const nlohmann::json state = {
      {"tiers",
       {{{"name", "mobile"}, {"control", "unix:/run/m.sock"}, {"listen", "10.77.1.2:8001"}},
        {{"name", "edge"}, {"control", "unix:/run/e.sock"}, {"listen", "10.77.2.2:8001"}}}},
      {"links",
       {{{"from", "mobile"},
         {"to", "edge"},
         {"rate_mbit", 10},
         {"delay_ms", 5},
         {"userspace", true}},
        {{"from", "client"}, {"to", "mobile"}, {"rate_mbit", 50}}}}};
  auto endpoints = endpoints_of(state);
  ASSERT_TRUE(endpoints.ok()) << endpoints.status().to_string();
  ASSERT_EQ(endpoints->tiers.size(), 2u);
  EXPECT_EQ(endpoints->find("edge")->listen, "10.77.2.2:8001");
  EXPECT_EQ(endpoints->client_address(), "unix:/run/m.sock");
  ASSERT_EQ(endpoints->userspace_links.count("mobile"), 1u);
  EXPECT_EQ(endpoints->userspace_links.at("mobile").rate_mbit, 10);
  EXPECT_EQ(endpoints->userspace_links.count("client"), 0u);  // kernel-shaped: not ours
  EXPECT_FALSE(endpoints_of(nlohmann::json::object()).ok());
  EXPECT_EQ(load_endpoints("/nonexistent/state.json").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(resolve_endpoints("", {}, {}).ok());
}

TEST(TestbedEndpoints, ReadsWhatTheTestbedWrites) {
  TempDir dir;
  TestbedState s;
  s.run_id = "abc123";
  TierRecord mobile;
  mobile.name = "mobile";
  mobile.control = "unix:/m.sock";
  mobile.listen = "127.0.0.1:5000";
  mobile.client = "unix:/client.sock";
  TierRecord edge;
  edge.name = "edge";
  edge.listen = "127.0.0.1:5001";  // no control: listen serves both
  s.tiers = {mobile, edge};
  LinkRecord link;
  link.from = "mobile";
  link.to = "edge";
  link.rate_mbit = 20;
  link.delay_ms = 3;
  link.shaping = "tc";
  link.delay_emulation = "userspace";  // tc shapes the rate, forwarders add the delay
  s.links = {link};
  ASSERT_TRUE(write_state(dir.path(), s).ok());
  auto endpoints = load_endpoints(state_file_path(dir.path()));
  ASSERT_TRUE(endpoints.ok()) << endpoints.status().to_string();
  EXPECT_EQ(endpoints->client_address(), "unix:/client.sock");
  EXPECT_EQ(endpoints->find("edge")->control, "127.0.0.1:5001");
  ASSERT_EQ(endpoints->userspace_links.count("mobile"), 1u);
  EXPECT_EQ(endpoints->userspace_links.at("mobile").delay_ms, 3);
  // The same file through --testbed, with a --link on top.
  auto resolved = resolve_endpoints(state_file_path(dir.path()), {}, {"client=50:2"});
  ASSERT_TRUE(resolved.ok()) << resolved.status().to_string();
  EXPECT_EQ(resolved->userspace_links.at("client").rate_mbit, 50);
}

TEST(TestbedEndpoints, MalformedStateNamesTheFileAndTheKey) {
  TempDir dir;
  const std::string path = dir.path() + "/state.json";
  ASSERT_TRUE(write_text_file(path, R"({"tiers": [{"control": "unix:/m.sock"}]})").ok());
  auto missing_name = load_endpoints(path);
  ASSERT_FALSE(missing_name.ok());
  EXPECT_NE(missing_name.status().message().find(path), std::string::npos)
      << missing_name.status().message();
  EXPECT_NE(missing_name.status().message().find("tiers[0]"), std::string::npos)
      << missing_name.status().message();
  EXPECT_NE(missing_name.status().message().find("'name'"), std::string::npos)
      << missing_name.status().message();

  ASSERT_TRUE(write_text_file(path, R"({"tiers": [{"name": "m", "control": "unix:/m"}],
                               "links": [{"to": "edge"}]})")
                  .ok());
  auto missing_from = load_endpoints(path);
  ASSERT_FALSE(missing_from.ok());
  EXPECT_NE(missing_from.status().message().find(path), std::string::npos);
  EXPECT_NE(missing_from.status().message().find("links[0]"), std::string::npos)
      << missing_from.status().message();
  EXPECT_NE(missing_from.status().message().find("'from'"), std::string::npos)
      << missing_from.status().message();

  ASSERT_TRUE(write_text_file(path, R"({"tiers": [{"name": "mobile"}]})").ok());
  auto no_address = load_endpoints(path);
  ASSERT_FALSE(no_address.ok());
  EXPECT_NE(no_address.status().message().find(path + ": tier 'mobile' has neither control"),
            std::string::npos)
      << no_address.status().message();

  ASSERT_TRUE(write_text_file(path, "{not json").ok());
  auto not_json = load_endpoints(path);
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.status().message().find(path), std::string::npos);
}

TEST(TestbedEndpoints, LifecycleReadsStillNeedTheRunId) {
  TempDir dir;
  ASSERT_TRUE(write_text_file(state_file_path(dir.path()),
                              R"({"tiers": [{"name": "m", "control": "unix:/m"}]})")
                  .ok());
  auto state = read_state(dir.path());
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("run_id"), std::string::npos) << state.status().message();
  EXPECT_TRUE(load_endpoints(state_file_path(dir.path())).ok());
}

TEST(TestbedEndpoints, RemoteTiersCarryTheirOwnTlsAndTokensAndTakeBytes) {
  TempDir dir;
  const tier_test::TestCerts certs = tier_test::make_test_certs(dir);
  const std::string token = tier_test::write_token(dir.file("edge.token"), "edge-secret");
  TestbedState state;
  state.run_id = "abc123";
  state.network = "remote";
  TierRecord edge;
  edge.name = "edge";
  edge.listen = edge.control = "10.0.0.2:8001";
  edge.remote = {"10.0.0.2:8001", certs.ca, certs.client_cert, certs.client_key, token, ""};
  state.tiers.push_back(edge);
  // The state file keeps the remote fields.
  auto back = TestbedState::from_json(state.to_json());
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->tiers[0].remote.token_file, token);
  EXPECT_EQ(back->tiers[0].remote.tls_ca, certs.ca);
  auto endpoints = endpoints_from_state(*back, "state.json");
  ASSERT_TRUE(endpoints.ok()) << endpoints.status().to_string();
  EXPECT_TRUE(endpoints->send_bytes) << "remote hosts have none of our files";
  const tier::ClientSecurity& security = endpoints->security_of(endpoints->tiers[0]);
  EXPECT_EQ(security.token, "edge-secret");
  EXPECT_TRUE(security.tls());
  EXPECT_FALSE(security.tls_cert_pem.empty());
  // A token file others may read is refused, naming the tier.
  ::chmod(token.c_str(), 0644);
  auto open = endpoints_from_state(*back, "state.json");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("tier 'edge'"), std::string::npos)
      << open.status().message();
}

}  // namespace
}  // namespace edgetier::testbed
