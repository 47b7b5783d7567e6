/// The testbed presets are defined once (testbed/presets.cpp): experiment.yaml's `testbed: NAME`
/// and a tiers.yaml with the same tiers and links describe the same testbed.
#include <gtest/gtest.h>

#include <sstream>

#include "core/strings.h"
#include "experiment/spec.h"
#include "testbed/presets.h"

namespace edgetier {
namespace {

void expect_same_tiers(const std::vector<TierSpec>& a, const std::vector<TierSpec>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_DOUBLE_EQ(a[i].cpus, b[i].cpus) << a[i].name;
    EXPECT_EQ(a[i].memory_bytes, b[i].memory_bytes) << a[i].name;
  }
}

void expect_same_links(const std::vector<LinkSpec>& a, const std::vector<LinkSpec>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name(), b[i].name());
    EXPECT_DOUBLE_EQ(a[i].rate_mbit, b[i].rate_mbit) << a[i].name();
    EXPECT_DOUBLE_EQ(a[i].delay_ms, b[i].delay_ms) << a[i].name();
  }
}

TEST(SpecTestbedPresets, SpecPresetsAreTheTestbedsPresets) {
  EXPECT_EQ(testbed_preset_names(), testbed::topology_preset_names());
  for (const auto& name : testbed_preset_names()) {
    auto spec = parse_spec("models: [m.onnx]\ntestbed: " + name + "\n", "/exp", "t.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status().to_string();
    auto preset = testbed::preset_topology(name);
    ASSERT_TRUE(preset.ok());
    EXPECT_EQ(spec->testbed.preset, name);
    expect_same_tiers(spec->testbed.tiers, preset->tiers);
    expect_same_links(spec->testbed.links, preset->links);
  }
}

// The demo (examples/demo.yaml: `testbed: default`) keeps its 2-core tiers.
TEST(SpecTestbedPresets, DefaultIsTheDemosTestbed) {
  auto spec = parse_spec("models: [m.onnx]\ntestbed: default\n", "/exp", "t.yaml");
  ASSERT_TRUE(spec.ok());
  const int64_t gib = int64_t{1} << 30;
  expect_same_tiers(spec->testbed.tiers,
                    {{"mobile", 0.5, 1 * gib}, {"edge", 1.0, 2 * gib}, {"cloud", 2.0, 4 * gib}});
  expect_same_links(spec->testbed.links, {{"mobile", "edge", 200}, {"edge", "cloud", 10}});
}

TEST(SpecTestbedPresets, SpecAndTiersYamlAgree) {
  for (const char* name : {"default", "study"}) {
    auto preset = testbed::preset_topology(name);
    ASSERT_TRUE(preset.ok());
    std::ostringstream yaml;
    yaml << "tiers:\n";
    for (const auto& t : preset->tiers) {
      yaml << "  - {name: " << t.name << ", cpus: " << shortest_number(t.cpus)
           << ", memory: " << t.memory_bytes << "}\n";
    }
    yaml << "links:\n";
    for (const auto& l : preset->links) {
      yaml << "  - {from: " << l.from << ", to: " << l.to
           << ", rate_mbit: " << shortest_number(l.rate_mbit) << "}\n";
    }
    auto config = testbed::parse_testbed_config(yaml.str(), "tiers.yaml");
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    auto spec =
        parse_spec(std::string("models: [m.onnx]\ntestbed: ") + name + "\n", "/exp", "t.yaml");
    ASSERT_TRUE(spec.ok());
    expect_same_tiers(config->tiers, spec->testbed.tiers);
    expect_same_links(config->links, spec->testbed.links);
  }
}

// `testbed up --preset` fits the study's ratios to the host and keeps the preset's links.
TEST(SpecTestbedPresets, HostFittedPresetsKeepThePresetsLinks) {
  for (const char* name : {"default", "study"}) {
    auto fitted = testbed::preset_config(name, testbed::HostResources{16, 168LL << 30});
    ASSERT_TRUE(fitted.ok()) << fitted.status().to_string();
    auto preset = testbed::preset_topology(name);
    expect_same_links(fitted->links, preset->links);
  }
  // On a 16-CPU host with 168 GiB the fitted study preset is the study's containers.
  auto study = testbed::preset_config("study", testbed::HostResources{16, 168LL << 30});
  expect_same_tiers(study->tiers, testbed::preset_topology("study")->tiers);
}

}  // namespace
}  // namespace edgetier
