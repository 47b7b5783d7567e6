/// Tests for the testbed presets and tiers.yaml parsing.
#include "testbed/presets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/strings.h"

namespace edgetier::testbed {
namespace {

TEST(TestbedPresets, DefaultKeepsStudyRatiosOnTwoCores) {
  HostResources host{2, 24LL << 30};
  auto config = preset_config("default", host);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  ASSERT_EQ(config->tiers.size(), 3u);
  EXPECT_EQ(config->tiers[0].name, "mobile");
  EXPECT_DOUBLE_EQ(config->tiers[0].cpus, 0.5);
  EXPECT_DOUBLE_EQ(config->tiers[1].cpus, 1.0);
  EXPECT_DOUBLE_EQ(config->tiers[2].cpus, 2.0);
  // Memory 1:4:16 within half the host's memory (rounded down to MiB).
  int64_t mobile = config->tiers[0].memory_bytes;
  EXPECT_NEAR(static_cast<double>(config->tiers[1].memory_bytes) / mobile, 4.0, 0.01);
  EXPECT_NEAR(static_cast<double>(config->tiers[2].memory_bytes) / mobile, 16.0, 0.01);
  int64_t total = mobile + config->tiers[1].memory_bytes + config->tiers[2].memory_bytes;
  EXPECT_LE(total, static_cast<int64_t>(host.memory_bytes * kMemoryBudgetFraction));
  EXPECT_GT(total, static_cast<int64_t>(host.memory_bytes * kMemoryBudgetFraction * 0.99));
  ASSERT_EQ(config->links.size(), 2u);
  EXPECT_EQ(config->links[0].name(), "mobile-edge");
  EXPECT_DOUBLE_EQ(config->links[0].rate_mbit, 200.0);
  EXPECT_EQ(config->links[1].name(), "edge-cloud");
  EXPECT_DOUBLE_EQ(config->links[1].rate_mbit, 10.0);
}

TEST(TestbedPresets, StudyUsesTheStudyRatesAndScalesWithCores) {
  auto config = preset_config("study", HostResources{8, 64LL << 30});
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_DOUBLE_EQ(config->tiers[0].cpus, 2.0);
  EXPECT_DOUBLE_EQ(config->tiers[2].cpus, 8.0);
  EXPECT_DOUBLE_EQ(config->links[0].rate_mbit, 200.0);
  EXPECT_DOUBLE_EQ(config->links[1].rate_mbit, 1.0);
}

TEST(TestbedPresets, RejectsUnknownPresetWithSuggestion) {
  auto config = preset_config("studdy", HostResources{2, 8LL << 30});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("did you mean 'study'"), std::string::npos);
}

TEST(TestbedConfigYaml, ParsesTiersLinksAndSizes) {
  auto config = parse_testbed_config(R"(
cpu_period_us: 20000
port: 6000
server_command: ["{exe}", "serve", "--tier", "{tier}"]
tiers:
  - {name: mobile, cpus: 0.25, memory: 300MiB}
  - {name: edge, cpus: 1, memory: 2g}
links:
  - {from: mobile, to: edge, rate_mbit: 50, delay_ms: 5, loss_pct: 0.5}
)",
                                     "tiers.yaml");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->cpu_period_us, 20000);
  EXPECT_EQ(config->port, 6000);
  EXPECT_EQ(config->server_command.size(), 4u);
  EXPECT_EQ(config->tiers[0].memory_bytes, 300LL << 20);
  EXPECT_EQ(config->tiers[1].memory_bytes, 2LL << 30);
  EXPECT_DOUBLE_EQ(config->links[0].delay_ms, 5.0);
  EXPECT_DOUBLE_EQ(config->links[0].loss_pct, 0.5);
}

TEST(TestbedConfigYaml, RejectsUnknownKeyNamingPathAndNearestKey) {
  auto config = parse_testbed_config(R"(
tiers:
  - {name: mobile, cpu: 0.5}
)",
                                     "tiers.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("'tiers[0].cpu'"), std::string::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find("did you mean 'cpus'"), std::string::npos);

  auto top = parse_testbed_config("tier:\n  - {name: mobile}\n", "t.yaml");
  ASSERT_FALSE(top.ok());
  EXPECT_NE(top.status().message().find("did you mean 'tiers'"), std::string::npos)
      << top.status().message();
}

TEST(TestbedConfigYaml, RejectsLinksOutOfChainOrderAndBadValues) {
  auto swapped = parse_testbed_config(R"(
tiers: [{name: mobile}, {name: edge}]
links: [{from: edge, to: mobile, rate_mbit: 10}]
)",
                                      "t.yaml");
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find("from: mobile, to: edge"), std::string::npos)
      << swapped.status().message();

  auto missing = parse_testbed_config("tiers: [{name: mobile}, {name: edge}]\n", "t.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("need 1 links"), std::string::npos)
      << missing.status().message();

  auto zero_rate = parse_testbed_config(R"(
tiers: [{name: mobile}, {name: edge}]
links: [{from: mobile, to: edge, rate_mbit: 0}]
)",
                                        "t.yaml");
  ASSERT_FALSE(zero_rate.ok());
  EXPECT_NE(zero_rate.status().message().find("rate_mbit"), std::string::npos);

  auto not_number = parse_testbed_config("tiers: [{name: mobile, cpus: lots}]\n", "t.yaml");
  ASSERT_FALSE(not_number.ok());
  EXPECT_NE(not_number.status().message().find("'tiers[0].cpus' must be a number, got 'lots'"),
            std::string::npos)
      << not_number.status().message();

  auto bad_name = parse_testbed_config("tiers: [{name: Mobile-1}]\n", "t.yaml");
  ASSERT_FALSE(bad_name.ok());
}

TEST(TestbedConfigYaml, ParsesByteSizes) {
  EXPECT_EQ(*parse_bytes("512MiB"), 512LL << 20);
  EXPECT_EQ(*parse_bytes("4g"), 4LL << 30);
  EXPECT_EQ(*parse_bytes("1.5GiB"), 3LL << 29);
  EXPECT_EQ(*parse_bytes("1000000"), 1000000);
  auto bad = parse_bytes("10 parsecs");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown size unit"), std::string::npos);
  EXPECT_FALSE(parse_bytes("MiB").ok());
}

TEST(TestbedPresets, ThreadsAreTheCeilingOfTheCpuQuota) {
  EXPECT_EQ(threads_for_cpus(0.5), 1);
  EXPECT_EQ(threads_for_cpus(1.0), 1);
  EXPECT_EQ(threads_for_cpus(1.01), 2);
  EXPECT_EQ(threads_for_cpus(2.0), 2);
  EXPECT_EQ(threads_for_cpus(0), 1);
}

TEST(TestbedConfigYaml, RemoteTiersByAddressWithFilesRelativeToTheYaml) {
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / "remote-tiers").lexically_normal().string();
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/tiers.yaml");
    out << "tiers:\n"
           "  - {name: mobile, address: 10.0.0.1:8001, token_file: m.token,\n"
           "     tls: {ca: ca.pem, cert: client.pem, key: /abs/client.key}}\n"
           "  - {name: edge, address: 10.0.0.2:8001, token_file: e.token, tls: {ca: ca.pem}}\n";
  }
  auto config = load_testbed_config(dir + "/tiers.yaml");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_TRUE(is_remote_config(*config));
  const RemoteTier& mobile = config->tiers[0].remote;
  EXPECT_EQ(mobile.address, "10.0.0.1:8001");
  EXPECT_EQ(mobile.token_file, dir + "/m.token");
  EXPECT_EQ(mobile.tls_ca, dir + "/ca.pem");
  EXPECT_EQ(mobile.tls_key, "/abs/client.key");
  // Without links, one per neighbouring pair, unshaped and of unknown rate.
  ASSERT_EQ(config->links.size(), 1u);
  EXPECT_EQ(config->links[0].name(), "mobile-edge");
  EXPECT_EQ(config->links[0].rate_mbit, 0);
}

TEST(TestbedConfigYaml, RemoteTiersRefusePlaintextMixesAndShaping) {
  auto plaintext = parse_testbed_config(
      "tiers:\n  - {name: mobile, address: 10.0.0.1:8001, token_file: m.token}\n", "t.yaml");
  ASSERT_FALSE(plaintext.ok());
  EXPECT_NE(plaintext.status().message().find("no tls"), std::string::npos)
      << plaintext.status().message();
  // Loopback may stay plaintext (nothing crosses a network).
  EXPECT_TRUE(parse_testbed_config(
                  "tiers:\n  - {name: mobile, address: 127.0.0.1:8001, token_file: m.token}\n",
                  "t.yaml")
                  .ok());
  auto mixed = parse_testbed_config(
      "tiers:\n  - {name: mobile, cpus: 1}\n  - {name: edge, address: 127.0.0.1:1}\n"
      "links:\n  - {from: mobile, to: edge, rate_mbit: 10}\n",
      "t.yaml");
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("not a mix"), std::string::npos);
  auto shaped = parse_testbed_config(
      "tiers:\n  - {name: mobile, address: 127.0.0.1:1}\n  - {name: edge, address: 127.0.0.1:2}\n"
      "links:\n  - {from: mobile, to: edge, rate_mbit: 10, delay_ms: 5}\n",
      "t.yaml");
  ASSERT_FALSE(shaped.ok());
  EXPECT_NE(shaped.status().message().find("tc on the devices"), std::string::npos);
}

TEST(TestbedConfigYaml, AKserveTierNamesItsModelAndKindsAreChecked) {
  auto config = parse_testbed_config(
      "tiers:\n  - {name: mobile, address: 127.0.0.1:1}\n"
      "  - {name: cloud, kind: kserve, address: 127.0.0.1:2, model: top, version: \"3\"}\n",
      "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_FALSE(config->tiers[0].remote.kserve);
  const RemoteTier& cloud = config->tiers[1].remote;
  EXPECT_TRUE(cloud.kserve);
  EXPECT_EQ(cloud.model, "top");
  EXPECT_EQ(cloud.version, "3");
  auto no_model = parse_testbed_config(
      "tiers:\n  - {name: mobile, address: 127.0.0.1:1}\n"
      "  - {name: cloud, kind: kserve, address: 127.0.0.1:2}\n",
      "t.yaml");
  ASSERT_FALSE(no_model.ok());
  EXPECT_NE(no_model.status().message().find("t.yaml: 'tiers[1]': kind: kserve needs 'model'"),
            std::string::npos)
      << no_model.status().message();
  auto bad_kind = parse_testbed_config(
      "tiers:\n  - {name: mobile, kind: triton, address: 127.0.0.1:1}\n", "t.yaml");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_NE(bad_kind.status().message().find("'tiers[0].kind' is 'triton'"), std::string::npos)
      << bad_kind.status().message();
  auto stray_model = parse_testbed_config(
      "tiers:\n  - {name: mobile, address: 127.0.0.1:1, model: top}\n", "t.yaml");
  ASSERT_FALSE(stray_model.ok());
  EXPECT_NE(stray_model.status().message().find("give kind: kserve"), std::string::npos)
      << stray_model.status().message();
}

TEST(TestbedConfigYaml, InvalidUtf8IsAnErrorNamingTheLine) {
  auto config = parse_testbed_config("tiers:\n  - {name: mob\xC3ile, cpus: 1}\n", "tiers.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "tiers.yaml:2:15: not valid UTF-8 (byte 0xC3); save the file as UTF-8");
}

}  // namespace
}  // namespace edgetier::testbed
