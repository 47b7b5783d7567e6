/// Byte sizes mean one thing everywhere: 512MB = 512 x 10^6 and 512MiB = 512 x 2^20 bytes in the
/// experiment YAML, in tiers.yaml and in CLI flags, and every printer writes them the same way.
#include <gtest/gtest.h>

#include "core/strings.h"
#include "experiment/spec.h"
#include "testbed/presets.h"
#include "tier/tier_fixtures.h"

namespace edgetier {
namespace {

int64_t experiment_yaml_bytes(const std::string& size) {
  auto spec = parse_spec("models: [m.onnx]\ntestbed: {tiers: {edge: {memory: " + size + "}}}\n",
                         "/tmp", "experiment.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().to_string();
  return spec.ok() ? spec->testbed.tier("edge")->memory_bytes : -1;
}

int64_t tiers_yaml_bytes(const std::string& size) {
  auto config = testbed::parse_testbed_config("tiers:\n  - {name: edge, memory: " + size + "}\n",
                                              "tiers.yaml");
  EXPECT_TRUE(config.ok()) << config.status().to_string();
  return config.ok() ? config->tiers.at(0).memory_bytes : -1;
}

int64_t cli_flag_bytes(const std::string& size) {
  TempDir dir;
  auto tier = tier_test::start_tier(dir, "edge", {"--max-message-size", size});
  return tier ? tier->ready().max_message_bytes : -1;
}

TEST(ByteSizes, SameMeaningInExperimentYamlTiersYamlAndCliFlags) {
  struct Case {
    std::string text;
    int64_t bytes;
    std::string printed;
  };
  for (const Case& c :
       {Case{"512MB", 512'000'000, "512 MB"}, Case{"512MiB", int64_t{512} << 20, "512 MiB"}}) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(*parse_bytes(c.text), c.bytes);
    EXPECT_EQ(experiment_yaml_bytes(c.text), c.bytes);
    EXPECT_EQ(tiers_yaml_bytes(c.text), c.bytes);
    EXPECT_EQ(cli_flag_bytes(c.text), c.bytes);
    EXPECT_EQ(format_bytes(c.bytes), c.printed);
    // What is printed reads back as the same size in every parser.
    EXPECT_EQ(experiment_yaml_bytes("'" + c.printed + "'"), c.bytes);
    EXPECT_EQ(tiers_yaml_bytes("'" + c.printed + "'"), c.bytes);
  }
}

TEST(ByteSizes, BadSizesAreRefusedByEveryParserWithTheValue) {
  auto spec = parse_spec("models: [m.onnx]\ntestbed: {tiers: {edge: {memory: 5 MeB}}}\n", "/tmp",
                         "experiment.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("'5 MeB'"), std::string::npos) << spec.status().message();
  auto config =
      testbed::parse_testbed_config("tiers:\n  - {name: edge, memory: 5 MeB}\n", "t.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("'5 MeB'"), std::string::npos)
      << config.status().message();
  const auto cli =
      run_edgetier("serve --tier edge --listen unix:/tmp/never.sock --max-message-size '5 MeB'");
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.err.find("'5 MeB'"), std::string::npos) << cli.err;
}

}  // namespace
}  // namespace edgetier
