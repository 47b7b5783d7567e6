/// Placement parsing, tier/link arguments, variant directories (no servers needed); state
/// files: tests/testbed/endpoints_test.cpp.
#include "tier/deploy.h"

#include <gtest/gtest.h>

#include "graph/model_io.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

std::vector<TierEndpoint> three_tiers() {
  return {{"mobile", "unix:/m", "unix:/m", ""},
          {"edge", "unix:/e", "10.0.0.2:1", ""},
          {"cloud", "unix:/c", "10.0.0.3:1", ""}};
}

TEST(Deploy, ParsesPlacements) {
  const auto tiers = three_tiers();
  EXPECT_EQ(*parse_placement("M", tiers), (std::vector<size_t>{0}));
  EXPECT_EQ(*parse_placement("C", tiers), (std::vector<size_t>{2}));
  EXPECT_EQ(*parse_placement("MC", tiers), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(*parse_placement("mec", tiers), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(*parse_placement("MME", tiers), (std::vector<size_t>{0, 0, 1}));
}

TEST(Deploy, RejectsBadPlacements) {
  const auto tiers = three_tiers();
  EXPECT_FALSE(parse_placement("", tiers).ok());
  EXPECT_FALSE(parse_placement("EM", tiers).ok());  // against the chain
  EXPECT_FALSE(parse_placement("MEM", tiers).ok());
  auto unknown = parse_placement("MX", tiers);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("no tier starts with 'X'"), std::string::npos);
}

TEST(Deploy, ParsesTierAndLinkArguments) {
  auto endpoints = endpoints_from_args({"mobile=unix:/m.sock", "edge=unix:/e.sock,10.0.0.2:80"});
  ASSERT_TRUE(endpoints.ok());
  EXPECT_EQ(endpoints->tiers[0].listen, "unix:/m.sock");
  EXPECT_EQ(endpoints->tiers[1].control, "unix:/e.sock");
  EXPECT_EQ(endpoints->tiers[1].listen, "10.0.0.2:80");
  ASSERT_TRUE(add_link_arg("edge=2.5:10", &*endpoints).ok());
  EXPECT_EQ(endpoints->userspace_links.at("edge").rate_mbit, 2.5);
  EXPECT_EQ(endpoints->userspace_links.at("edge").delay_ms, 10);
  EXPECT_FALSE(add_link_arg("edge=fast", &*endpoints).ok());
  EXPECT_FALSE(endpoints_from_args({"mobile"}).ok());
  EXPECT_FALSE(endpoints_from_args({"m=a", "m=b"}).ok());
}

TEST(Deploy, ReadsVariantDirectoryAndDerivesPreprocessing) {
  TempDir dir;
  const auto paths = tier_test::save_parts(tier_test::split_chain(2), dir.path());
  auto parts = read_variant_dir(dir.path());
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  EXPECT_EQ(parts->part_paths, paths);
  ASSERT_TRUE(parts->preprocess.has_value());
  EXPECT_EQ(parts->preprocess->input_name, "input");
  EXPECT_EQ(parts->preprocess->height, tier_test::kImageSize);
  EXPECT_EQ(parts->preprocess->layout, "NCHW");

  // The second part takes an 8-channel tensor: not an image.
  auto derived = derive_preprocess(paths[1]);
  ASSERT_TRUE(derived.ok());
  EXPECT_FALSE(derived->has_value());
}

TEST(Deploy, ManifestListsPartsAndPreprocessing) {
  TempDir dir;
  tier_test::save_parts(tier_test::split_chain(2), dir.path());
  PreprocessSpec spec = tier_test::small_preprocess();
  spec.resize_shorter = 20;
  write_file(dir.file("manifest.json"),
             nlohmann::json{{"parts", {{{"file", "part0.onnx"}}, {{"file", "part1.onnx"}}}},
                            {"preprocess", preprocess_to_json(spec)},
                            {"operators", {"P"}}}
                 .dump());
  auto parts = read_variant_dir(dir.path());
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  ASSERT_EQ(parts->part_paths.size(), 2u);
  EXPECT_EQ(parts->preprocess->resize_shorter, 20);
}

TEST(Deploy, ReadsTheExitPolicyAndPartInputsFromTheManifest) {
  TempDir dir;
  tier_test::save_parts(tier_test::split_chain(3), dir.path());
  nlohmann::json part = {{"file", "part0.onnx"}, {"inputs", {{{"name", "input"}}}}};
  write_file(dir.file("manifest.json"),
             nlohmann::json{{"parts",
                             {part,
                              {{"file", "part1.onnx"}, {"inputs", {{{"name", "t0"}}}}},
                              {{"file", "part2.onnx"}, {"inputs", {{{"name", "t0"}}}}}}},
                            {"exit_policy",
                             {{"exit_part", 1},
                              {"output", "logits"},
                              {"measure", "max_softmax"},
                              {"threshold", 0.8}}}}
                 .dump());
  auto parts = read_variant_dir(dir.path());
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  ASSERT_TRUE(parts->exit_policy.has_value());
  EXPECT_EQ(parts->exit_policy->exit_part, 1);
  ASSERT_EQ(parts->part_inputs.size(), 3u);
  EXPECT_EQ(parts->part_inputs[2], std::vector<std::string>{"t0"});

  // A policy with a missing key names it.
  write_file(dir.file("manifest.json"),
             nlohmann::json{{"exit_policy", {{"exit_part", 1}, {"threshold", 0.8}}}}.dump());
  auto bad = read_variant_dir(dir.path());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("manifest.json"), std::string::npos)
      << bad.status().message();
}

TEST(Deploy, RejectsMissingVariant) {
  TempDir dir;
  EXPECT_EQ(read_variant_dir(dir.file("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(read_variant_dir(dir.path()).status().code(), StatusCode::kNotFound);
}

TEST(Deploy, PartCountMustMatchPlacement) {
  TempDir dir;
  TestbedEndpoints endpoints;
  endpoints.tiers = three_tiers();
  VariantParts parts;
  parts.part_paths = {"a.onnx", "b.onnx"};
  DeployOptions options;
  options.placement = "M";
  auto result = deploy_variant(endpoints, parts, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("2 parts"), std::string::npos);
}

}  // namespace
}  // namespace edgetier::tier
