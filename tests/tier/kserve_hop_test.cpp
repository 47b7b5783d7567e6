// A foreign KServe v2 server as the last tier: an independent Python server (built from KServe's
// published proto, computing the upper part with numpy) answers for the cloud; mobile runs the
// lower part and forwards with standard ModelInfer only. Checks the answer against the whole
// model, the breakdown of the hop, and the refusals at deploy and a server dying mid-run.
#include <gtest/gtest.h>

#include <cmath>

#include "core/clock.h"
#include "runtime/preprocess.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/kserve_fixtures.h"
#include "tier/kserve_hop.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

using tier_test::ForeignModel;
using tier_test::KserveServer;
using tier_test::KserveServerOptions;

struct ForeignChain {
  TempDir dir;
  ForeignModel model = tier_test::make_foreign_model(dir);
  std::unique_ptr<LocalTier> mobile;
  std::unique_ptr<KserveServer> server;
  VariantParts variant;

  /// Splits the model at the Gemm's input, starts mobile and the Python server.
  bool start(const KserveServerOptions& server_options = {}) {
    auto split = run_edgetier("partition " + model.model_path + " --cut " + model.cut + " -o " +
                              dir.file("variant"));
    EXPECT_EQ(split.exit_code, 0) << split.err;
    auto parts = read_variant_dir(dir.file("variant"));
    EXPECT_TRUE(parts.ok()) << parts.status().to_string();
    if (split.exit_code != 0 || !parts.ok()) return false;
    variant = *parts;
    mobile = tier_test::start_tier(dir, "mobile");
    server = std::make_unique<KserveServer>(model, server_options, dir.file("kserve.log"));
    EXPECT_TRUE(server->ok()) << server->error();
    return mobile && server->ok();
  }
  TestbedEndpoints endpoints(const KserveModelRef& ref) const {
    TestbedEndpoints e;
    e.tiers = {{"mobile", mobile->address(), mobile->address(), "", std::nullopt, std::nullopt},
               {"cloud", "", server->address(), "", std::nullopt, ref}};
    return e;
  }
  Result<DeployResult> deploy(const KserveModelRef& ref) const {
    DeployOptions options;
    options.model_name = "foreign.P.MC";
    options.placement = "MC";
    options.forward_deadline_ms = 3000;
    options.control_deadline_ms = 5000;
    return deploy_variant(endpoints(ref), variant, options);
  }
  static std::string image() { return tier_test::encode_test_image(24, 20, ".png", 3); }
};

TEST(KserveHop, TheForeignServerAnswersWhatTheWholeModelComputes) {
  ForeignChain chain;
  ASSERT_TRUE(chain.start());
  auto deployed = chain.deploy({"top", "1"});
  ASSERT_TRUE(deployed.ok()) << deployed.status().to_string();
  EXPECT_EQ(deployed->tiers[1].role, kKserveRole);
  EXPECT_EQ(deployed->tiers[0].next_hop, chain.server->address());

  auto x = decode_and_preprocess(ForeignChain::image(), *chain.variant.preprocess);
  ASSERT_TRUE(x.ok()) << x.status().to_string();
  const Tensor want = tier_test::run_in_process({chain.model.model_path}, {*x}).front();

  auto client = TierClient::connect(chain.mobile->address()).value();
  auto got = client->infer_image("foreign.P.MC", ForeignChain::image(), 10000);
  ASSERT_TRUE(got.ok()) << got.status().to_string() << "\n" << read_file(chain.dir.file("kserve.log"));
  ASSERT_EQ(got->outputs.size(), 1u);
  const Tensor& y = got->outputs.front();
  EXPECT_EQ(y.name, chain.model.output);
  ASSERT_EQ(y.shape, want.shape);
  for (size_t i = 0; i < want.num_elements(); ++i)
    EXPECT_NEAR(y.data_as<float>()[i], want.data_as<float>()[i], 1e-4) << "element " << i;

  // The hop is on the path with what is known of it: its bytes, and the round trip mobile
  // measured as the link's time (its own compute is not known from outside).
  const RequestBreakdown& b = got->breakdown;
  ASSERT_EQ(b.hops.size(), 2u);
  EXPECT_EQ(b.hops[1].tier, "cloud");
  EXPECT_EQ(b.hops[1].role, kKserveRole);
  EXPECT_EQ(b.hops[1].compute_ns, 0);
  EXPECT_GT(b.hops[1].bytes_in, 32);
  EXPECT_GT(b.hops[0].forward_ns, 0);
  EXPECT_EQ(b.links[1].transfer_ns, b.hops[0].forward_ns);
  EXPECT_EQ(b.links[1].bytes_up, b.hops[1].bytes_in);

  // A task response is shaped by mobile, the last tier that knows the request asked for it.
  auto classes = client->infer_image("foreign.P.MC", ForeignChain::image(), 10000, Task::kClassify);
  ASSERT_TRUE(classes.ok()) << classes.status().to_string();
  const Tensor* top = nullptr;
  for (const auto& t : classes->outputs)
    if (t.name == chain.model.output + "_classes") top = &t;
  ASSERT_NE(top, nullptr);
  const float* w = want.data_as<float>();
  const int64_t argmax = std::max_element(w, w + want.num_elements()) - w;
  EXPECT_EQ(top->data_as<int64_t>()[0], argmax);

  // Nothing was sent to the foreign server but standard calls: undeploy leaves it alone.
  EXPECT_TRUE(undeploy(chain.endpoints({"top", "1"}), "foreign.P.MC").ok());
}

TEST(KserveHop, AWrongModelNameOrVersionIsRefusedAtDeploy) {
  ForeignChain chain;
  ASSERT_TRUE(chain.start());
  auto wrong_name = chain.deploy({"tpo", "1"});
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong_name.status().message().find("no ready model 'tpo' version 1"),
            std::string::npos)
      << wrong_name.status().message();
  EXPECT_NE(wrong_name.status().message().find(chain.server->address()), std::string::npos);

  auto wrong_version = chain.deploy({"top", "2"});
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_NE(wrong_version.status().message().find("'top' version 2"), std::string::npos)
      << wrong_version.status().message();
}

TEST(KserveHop, AMetadataMismatchIsRefusedNamingTheTensorAndBothShapes) {
  ForeignChain chain;
  KserveServerOptions options;
  options.input_shape = {1, 9};
  ASSERT_TRUE(chain.start(options));
  auto deployed = chain.deploy({"top", "1"});
  ASSERT_FALSE(deployed.ok());
  const std::string& message = deployed.status().message();
  EXPECT_EQ(deployed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(message.find("input '" + chain.model.cut + "' is FP32 [1, 9] there but the part "
                         "has FP32 [1, 8]"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(KserveHop, CompareMetadataChecksNamesTypesShapesAndExtraInputs) {
  inference::ModelMetadataResponse metadata;
  auto* in = metadata.add_inputs();
  in->set_name("features");
  in->set_datatype("FP32");
  for (int64_t d : {-1, 8}) in->add_shape(d);
  auto* out = metadata.add_outputs();
  out->set_name("logits");
  out->set_datatype("FP32");
  for (int64_t d : {1, 10}) out->add_shape(d);
  const std::vector<TensorInfo> inputs = {{"features", DType::kFloat32, {1, 8}}};
  const std::vector<TensorInfo> outputs = {{"logits", DType::kFloat32, {1, 10}}};
  EXPECT_TRUE(compare_kserve_metadata(metadata, inputs, outputs, "s").ok());

  const Status type = compare_kserve_metadata(
      metadata, {{"features", DType::kUInt8, {1, 8}}}, outputs, "s");
  EXPECT_NE(type.message().find("input 'features' is FP32 [-1, 8] there but the part has UINT8"),
            std::string::npos)
      << type.message();
  const Status missing = compare_kserve_metadata(
      metadata, inputs, {{"probs", DType::kFloat32, {1, 10}}}, "s");
  EXPECT_NE(missing.message().find("no output 'probs'"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("logits"), std::string::npos) << missing.message();
  auto* extra = metadata.add_inputs();
  extra->set_name("mask");
  extra->set_datatype("BOOL");
  const Status unfed = compare_kserve_metadata(metadata, inputs, outputs, "s");
  EXPECT_NE(unfed.message().find("expects input 'mask'"), std::string::npos) << unfed.message();
}

TEST(KserveHop, AServerThatDiesMidRunFailsTheRequestWithinTheDeadline) {
  ForeignChain chain;
  ASSERT_TRUE(chain.start());
  ASSERT_TRUE(chain.deploy({"top", "1"}).ok());
  auto client = TierClient::connect(chain.mobile->address()).value();
  ASSERT_TRUE(client->infer_image("foreign.P.MC", ForeignChain::image(), 10000).ok());
  chain.server->kill();
  const int64_t start_ns = monotonic_ns();
  auto failed = client->infer_image("foreign.P.MC", ForeignChain::image(), 10000);
  const double took_ms = ns_to_ms(monotonic_ns() - start_ns);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable) << failed.status().to_string();
  EXPECT_NE(failed.status().message().find("cloud"), std::string::npos)
      << failed.status().message();
  EXPECT_LT(took_ms, 4000.0) << "the forward deadline is 3000 ms";
}

}  // namespace
}  // namespace edgetier::tier
