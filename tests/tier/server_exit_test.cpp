/// Dynamic early exit served by tier processes: same answers and exit decisions as in-process,
/// a confident request never leaves the first tier, bad exit deployments are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "graph/model_io.h"
#include "ops/dynamic_exit.h"
#include "ops/variant_dir.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

constexpr int64_t kDeadlineMs = 20000;
const std::string kExitAt = "/layer4/layer4.0/relu_1/Relu_output_0";

std::string demo_classifier() { return std::string(EDGETIER_SOURCE_DIR) + "/models/demo_classifier.onnx"; }

/// Writes the demo classifier's dynamic exit at `threshold` into `dir`.
void write_dee_variant(const std::string& dir, double threshold) {
  auto model = load_model(demo_classifier());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  DynamicExitOptions options;
  options.exit_at = kExitAt;
  options.threshold = threshold;
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  Status st = dynamic_exit(*model, options, &parts, &policy);
  ASSERT_TRUE(st.ok()) << st.to_string();
  auto manifest = source_manifest(demo_classifier(), *model, "classify", {});
  ASSERT_TRUE(manifest.ok()) << manifest.status().to_string();
  manifest->ops = "DEE";
  manifest->exit_policy = policy;
  st = write_variant(dir, parts, *manifest);
  ASSERT_TRUE(st.ok()) << st.to_string();
}

struct Bed {
  TempDir dir;
  std::vector<std::unique_ptr<LocalTier>> tiers;
  TestbedEndpoints endpoints;
  std::unique_ptr<TierClient> entry;

  bool start(const std::vector<std::string>& names) {
    for (const auto& name : names) {
      tiers.push_back(tier_test::start_tier(dir, name));
      if (!tiers.back()) return false;
      endpoints.tiers.push_back({name, tiers.back()->address(), tiers.back()->address(), ""});
    }
    auto client = TierClient::connect(tiers.front()->address());
    if (!client.ok()) return false;
    entry = std::move(client).value();
    return true;
  }
};

std::vector<std::string> test_images() {
  std::vector<std::string> images;
  for (uint32_t seed = 1; seed <= 10; ++seed)
    images.push_back(tier_test::encode_test_image(96, 96, seed % 2 ? ".png" : ".jpg", seed));
  return images;
}

// The early head's confidence on each image, in process: the threshold between the lowest and
// highest makes some requests exit and others run the whole model.
double middle_threshold(const VariantParts& parts, const std::vector<std::string>& images) {
  SessionOptions so;
  so.intra_op_threads = 1;
  auto runner = PartRunner::from_files(parts.part_paths, so, parts.exit_policy);
  EXPECT_TRUE(runner.ok());
  std::vector<double> confidences;
  for (const auto& image : images) {
    auto x = decode_and_preprocess(image, *parts.preprocess);
    EXPECT_TRUE(x.ok());
    auto r = (*runner)->run({*x});
    EXPECT_TRUE(r.ok());
    confidences.push_back(r->confidence);
  }
  std::sort(confidences.begin(), confidences.end());
  return 0.5 * (confidences[confidences.size() / 2 - 1] + confidences[confidences.size() / 2]);
}

TEST(TierDynamicExit, MatchesInProcessOnOneAndTwoTiers) {
  Bed bed;  // the variants are written into its folder, the tiers' model root
  const auto images = test_images();
  const std::string probe_dir = bed.dir.file("probe");
  write_dee_variant(probe_dir, 1.0);
  auto probe = read_variant_dir(probe_dir);
  ASSERT_TRUE(probe.ok()) << probe.status().to_string();
  const double threshold = middle_threshold(*probe, images);
  const std::string dir = bed.dir.file("dee");
  write_dee_variant(dir, threshold);
  auto parts = read_variant_dir(dir);
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  ASSERT_TRUE(parts->exit_policy.has_value());

  SessionOptions so;
  so.intra_op_threads = 1;
  auto in_process = PartRunner::from_files(parts->part_paths, so, parts->exit_policy);
  ASSERT_TRUE(in_process.ok());

  ASSERT_TRUE(bed.start({"mobile", "edge"}));
  for (const std::string placement : {"M", "ME"}) {
    DeployOptions options;
    options.placement = placement;
    options.model_name = "dee-" + placement;
    auto deployed = deploy_variant(bed.endpoints, *parts, options);
    ASSERT_TRUE(deployed.ok()) << placement << ": " << deployed.status().to_string();
    int exits = 0, full = 0;
    for (const auto& image : images) {
      auto x = decode_and_preprocess(image, *parts->preprocess);
      ASSERT_TRUE(x.ok());
      auto expected = (*in_process)->run({*x});
      ASSERT_TRUE(expected.ok());
      auto got = bed.entry->infer_image(options.model_name, image, kDeadlineMs);
      ASSERT_TRUE(got.ok()) << placement << ": " << got.status().to_string();
      const RequestBreakdown& b = got->breakdown;
      EXPECT_EQ(b.exit_taken, expected->exited_early ? 1 : 0) << placement;
      EXPECT_NEAR(b.exit_confidence, expected->confidence, 1e-5) << placement;
      ASSERT_EQ(got->outputs.size(), 1u);
      EXPECT_EQ(got->outputs[0].data, expected->outputs[0].data) << placement;
      // Two tiers: a confident request is answered by mobile and never crosses to the edge.
      const size_t hops = placement == "ME" && !expected->exited_early ? 2 : 1;
      EXPECT_EQ(b.hops.size(), hops) << placement;
      if (expected->exited_early) {
        EXPECT_EQ(b.exit_tier, "mobile");
        ++exits;
      } else {
        ++full;
        if (placement == "ME") EXPECT_GT(b.hops[1].compute_ns, 0);
      }
    }
    EXPECT_GT(exits, 0) << placement;
    EXPECT_GT(full, 0) << placement;
  }
}

TEST(TierDynamicExit, RejectsAnEarlyHeadAwayFromItsTrunkAndBadPolicies) {
  Bed bed;  // the variant is written into its folder, the tiers' model root
  const std::string dir = bed.dir.file("dee");
  write_dee_variant(dir, 0.5);
  auto parts = read_variant_dir(dir);
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  ASSERT_TRUE(bed.start({"mobile", "edge", "cloud"}));
  DeployOptions options;
  options.model_name = "dee";
  // One letter per part puts the early head on the edge, away from the trunk on mobile.
  options.placement = "MEC";
  auto split = deploy_variant(bed.endpoints, *parts, options);
  EXPECT_EQ(split.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(split.status().message().find("early head"), std::string::npos)
      << split.status().message();

  // A tier given the early head as its last part and no next hop cannot answer unsure requests.
  control::LoadModelRequest load;
  load.set_model_name("head-last");
  load.add_parts()->set_path(parts->part_paths[0]);
  load.add_parts()->set_path(parts->part_paths[1]);
  load.add_forward_tensors(kExitAt);
  ExitPolicy policy = *parts->exit_policy;
  load.set_exit_policy_json(exit_policy_to_json(policy).dump());
  auto no_hop = bed.entry->load_model(load);
  EXPECT_EQ(no_hop.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_hop.status().message().find("next_hop"), std::string::npos)
      << no_hop.status().message();

  // An exit part outside the tier's parts, and a policy that is not JSON.
  policy.exit_part = 5;
  load.set_exit_policy_json(exit_policy_to_json(policy).dump());
  load.set_next_hop(bed.tiers[1]->address());
  auto out_of_range = bed.entry->load_model(load);
  EXPECT_EQ(out_of_range.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out_of_range.status().message().find("exit part 5"), std::string::npos)
      << out_of_range.status().message();
  load.set_exit_policy_json("{not json");
  EXPECT_EQ(bed.entry->load_model(load).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgetier::tier
