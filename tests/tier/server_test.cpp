/// Tier servers as real processes: identity on one tier, 2- and 3-hop chains with relays,
/// breakdowns, health, metadata, concurrency, unload and shutdown.
#include "tier/server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

using tier_test::start_tier;

constexpr int64_t kDeadlineMs = 20000;

std::unique_ptr<TierClient> client_for(const LocalTier& tier) {
  auto client = TierClient::connect(tier.address());
  EXPECT_TRUE(client.ok());
  return std::move(client).value();
}

// A breakdown must name `tiers` in order, account for no more than end-to-end, and chain its
// byte counters (what a tier forwards is what the next one receives).
void expect_consistent(const RequestBreakdown& b, const std::vector<std::string>& tiers) {
  ASSERT_EQ(b.hops.size(), tiers.size());
  ASSERT_EQ(b.links.size(), tiers.size());
  EXPECT_GT(b.end_to_end_ns, 0);
  for (size_t i = 0; i < tiers.size(); ++i) {
    const HopBreakdown& h = b.hops[i];
    EXPECT_EQ(h.tier, tiers[i]);
    EXPECT_GT(h.total_ns, 0) << h.tier;
    EXPECT_GE(h.other_ns, 0) << h.tier;
    EXPECT_GE(b.links[i].transfer_ns, 0) << h.tier;
    EXPECT_GT(h.bytes_in, 0) << h.tier;
    EXPECT_EQ(b.links[i].bytes_up, h.bytes_in) << h.tier;
    if (h.role == "compute") EXPECT_GT(h.compute_ns, 0) << h.tier;
    if (i + 1 < tiers.size()) {
      EXPECT_GT(h.forward_ns, 0) << h.tier;
      EXPECT_GE(h.forward_ns, b.hops[i + 1].total_ns) << h.tier;
      EXPECT_EQ(h.bytes_out, b.hops[i + 1].bytes_in) << h.tier;
      EXPECT_GT(h.bytes_back, 0) << h.tier;
    } else {
      EXPECT_EQ(h.forward_ns, 0) << h.tier;
      EXPECT_EQ(h.bytes_out, 0) << h.tier;
    }
  }
  EXPECT_LE(b.accounted_ns(), b.end_to_end_ns);
  EXPECT_EQ(b.hops.front().total_ns + b.links.front().transfer_ns, b.end_to_end_ns);
}

TEST(TierServer, IdentityOnOneTierMatchesInProcessBitForBit) {
  TempDir dir;
  const std::string path = dir.file("chain.onnx");
  ASSERT_TRUE(save_model(fixtures::chain_model(), path).ok());
  auto tier = start_tier(dir, "mobile");
  ASSERT_TRUE(tier);
  auto client = client_for(*tier);

  control::LoadModelRequest load;
  load.set_model_name("chain");
  load.clear_parts();
  load.add_parts()->set_path(path);
  auto loaded = client->load_model(load);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->role(), "compute");
  EXPECT_GT(loaded->load_ms(), 0);
  EXPECT_GT(loaded->warmup_ms(), 0);
  ASSERT_EQ(loaded->inputs_size(), 1);
  EXPECT_EQ(loaded->inputs(0).datatype(), "FP32");

  for (uint32_t seed = 1; seed <= 3; ++seed) {
    const Tensor x = tier_test::random_tensor("input", {1, 3, 16, 16}, seed);
    auto result = client->infer("chain", {x}, kDeadlineMs);
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    const auto expected = tier_test::run_in_process({path}, {x});
    ASSERT_EQ(result->outputs.size(), expected.size());
    EXPECT_EQ(result->outputs[0].name, expected[0].name);
    EXPECT_EQ(result->outputs[0].shape, expected[0].shape);
    EXPECT_EQ(result->outputs[0].data, expected[0].data);  // bit for bit
    EXPECT_EQ(result->model_name, "chain");
    expect_consistent(result->breakdown, {"mobile"});
    EXPECT_EQ(result->breakdown.hops[0].preprocess_ns, 0);
  }
}

TEST(TierServer, ImageOnOneTierDecodesLikeInProcess) {
  TempDir dir;
  const auto paths = tier_test::save_parts(tier_test::split_chain(1), dir.path());
  auto tier = start_tier(dir, "edge");
  ASSERT_TRUE(tier);
  auto client = client_for(*tier);
  control::LoadModelRequest load;
  load.set_model_name("img");
  load.clear_parts();
  load.add_parts()->set_path(paths[0]);
  load.set_preprocess_json(preprocess_to_json(tier_test::small_preprocess()).dump());
  auto loaded = client->load_model(load);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->inputs(0).datatype(), "BYTES");

  for (const std::string ext : {".png", ".jpg"}) {
    const std::string image = tier_test::encode_test_image(40, 30, ext, 5);
    auto result = client->infer_image("img", image, kDeadlineMs);
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    auto x = decode_and_preprocess(image, tier_test::small_preprocess());
    ASSERT_TRUE(x.ok());
    const auto expected = tier_test::run_in_process(paths, {*x});
    EXPECT_EQ(result->outputs[0].data, expected[0].data) << ext;
    expect_consistent(result->breakdown, {"edge"});
    EXPECT_GT(result->breakdown.hops[0].preprocess_ns, 0);
    // The request carries the encoded image plus a few bytes of framing.
    EXPECT_LT(result->breakdown.links[0].bytes_up, static_cast<int64_t>(image.size()) + 64);
  }
}

struct Chain {
  TempDir dir;
  std::vector<std::unique_ptr<LocalTier>> tiers;
  TestbedEndpoints endpoints;
  std::unique_ptr<TierClient> entry;

  explicit Chain(const std::vector<std::string>& names, std::vector<std::string> extra_args = {},
                 int threads = 1) {
    for (const auto& name : names) {
      tiers.push_back(start_tier(dir, name, extra_args, threads));
      if (!tiers.back()) return;
      endpoints.tiers.push_back({name, tiers.back()->address(), tiers.back()->address(), ""});
    }
    entry = client_for(*tiers.front());
  }
  bool up() const { return entry != nullptr; }

  // Saves `parts` as a variant directory and deploys it with `placement`.
  Result<DeployResult> deploy(const std::string& model, const std::vector<onnx::ModelProto>& parts,
                              const std::string& placement, std::vector<std::string>* paths) {
    const std::string variant = dir.file(model);
    std::filesystem::create_directories(variant);
    *paths = tier_test::save_parts(parts, variant);
    auto read = read_variant_dir(variant);
    if (!read.ok()) return read.status();
    read->preprocess = tier_test::small_preprocess();
    DeployOptions options;
    options.placement = placement;
    return deploy_variant(endpoints, *read, options, clients);
  }
  ControlClients* clients = nullptr;  // set: deploy over kept connections
};

TEST(TierServer, TwoHopChainMatchesInProcess) {
  Chain chain({"mobile", "edge"});
  ASSERT_TRUE(chain.up());
  std::vector<std::string> paths;
  auto deployed = chain.deploy("me", tier_test::split_chain(2), "ME", &paths);
  ASSERT_TRUE(deployed.ok()) << deployed.status().to_string();
  EXPECT_EQ(deployed->tiers[0].role, "compute");
  EXPECT_EQ(deployed->tiers[1].role, "compute");
  EXPECT_EQ(deployed->tiers[1].part_index, 1);

  const std::string image = tier_test::encode_test_image(48, 32, ".jpg", 9);
  auto result = chain.entry->infer_image("me", image, kDeadlineMs);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  auto x = decode_and_preprocess(image, tier_test::small_preprocess());
  ASSERT_TRUE(x.ok());
  const auto expected = tier_test::run_in_process(paths, {*x});
  EXPECT_EQ(result->outputs[0].data, expected[0].data);
  expect_consistent(result->breakdown, {"mobile", "edge"});
  // mobile forwards the 1x8x16x16 float cut tensor: its bytes plus a little framing.
  const int64_t cut_bytes = 8 * 16 * 16 * 4;
  EXPECT_GE(result->breakdown.hops[0].bytes_out, cut_bytes);
  EXPECT_LT(result->breakdown.hops[0].bytes_out, cut_bytes * 102 / 100);
}

TEST(TierServer, ThreeTierChainsWithRelays) {
  Chain chain({"mobile", "edge", "cloud"});
  ASSERT_TRUE(chain.up());
  struct Case {
    std::string model;
    int parts;
    std::string placement;
    std::vector<std::string> roles;
  };
  const std::vector<Case> cases = {
      {"mc", 2, "MC", {"compute", "relay", "compute"}},
      {"c", 1, "C", {"relay", "relay", "compute"}},
      {"mec", 3, "MEC", {"compute", "compute", "compute"}},
      {"e", 1, "E", {"relay", "compute"}},
      {"mmc", 3, "MMC", {"compute", "relay", "compute"}},  // two parts on mobile
  };
  const std::string image = tier_test::encode_test_image(33, 41, ".png", 3);
  auto x = decode_and_preprocess(image, tier_test::small_preprocess());
  ASSERT_TRUE(x.ok());
  for (const Case& c : cases) {
    std::vector<std::string> paths;
    auto deployed = chain.deploy(c.model, tier_test::split_chain(c.parts), c.placement, &paths);
    ASSERT_TRUE(deployed.ok()) << c.placement << ": " << deployed.status().to_string();
    auto result = chain.entry->infer_image(c.model, image, kDeadlineMs);
    ASSERT_TRUE(result.ok()) << c.placement << ": " << result.status().to_string();
    const auto expected = tier_test::run_in_process(paths, {*x});
    EXPECT_EQ(result->outputs[0].data, expected[0].data) << c.placement;
    std::vector<std::string> names = {"mobile", "edge", "cloud"};
    names.resize(c.roles.size());
    expect_consistent(result->breakdown, names);
    for (size_t i = 0; i < c.roles.size(); ++i) {
      EXPECT_EQ(result->breakdown.hops[i].role, c.roles[i]) << c.placement << " hop " << i;
    }
  }
  // "E" left nothing on the cloud for that model.
  auto cloud = client_for(*chain.tiers[2]);
  auto health = cloud->health();
  ASSERT_TRUE(health.ok());
  for (const auto& m : health->models()) EXPECT_NE(m.name(), "e");
}

TEST(TierServer, HealthMetadataAndReadiness) {
  Chain chain({"mobile", "edge"});
  ASSERT_TRUE(chain.up());
  std::vector<std::string> paths;
  ASSERT_TRUE(chain.deploy("me", tier_test::split_chain(2), "ME", &paths).ok());
  ASSERT_TRUE(chain.deploy("e", tier_test::split_chain(1), "E", &paths).ok());

  auto health = chain.entry->health();
  ASSERT_TRUE(health.ok()) << health.status().to_string();
  EXPECT_EQ(health->tier(), "mobile");
  EXPECT_EQ(health->state(), "serving");
  EXPECT_EQ(health->pid(), chain.tiers[0]->pid());
  EXPECT_EQ(health->threads(), 1);
  EXPECT_GT(health->rss_bytes(), 0);
  ASSERT_EQ(health->models_size(), 2);
  for (const auto& m : health->models()) {
    EXPECT_EQ(m.next_hop_name(), "edge");
    EXPECT_EQ(m.next_hop_state(), "live");
    if (m.name() == "me") {
      EXPECT_EQ(m.role(), "compute");
      EXPECT_TRUE(m.takes_image());
      EXPECT_GT(m.load_ms(), 0);
    } else {
      EXPECT_EQ(m.role(), "relay");
    }
  }
  const auto j = health_to_json(*health);
  EXPECT_EQ(j["tier"], "mobile");
  EXPECT_EQ(j["models"].size(), 2u);

  auto ready = chain.entry->model_ready("me");
  ASSERT_TRUE(ready.ok());
  EXPECT_TRUE(*ready);
  EXPECT_FALSE(*chain.entry->model_ready("nope"));

  // Metadata of a chain: the first part's input (the image), the last part's outputs.
  auto meta = chain.entry->model_metadata("me");
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  ASSERT_EQ(meta->inputs_size(), 1);
  EXPECT_EQ(meta->inputs(0).datatype(), "BYTES");
  ASSERT_EQ(meta->outputs_size(), 1);
  EXPECT_EQ(meta->outputs(0).shape_size(), 2);
  auto relayed = chain.entry->model_metadata("e");
  ASSERT_TRUE(relayed.ok()) << relayed.status().to_string();
  EXPECT_EQ(relayed->inputs(0).datatype(), "BYTES");
}

TEST(TierServer, UserSpaceLinkEmulationHoldsForwardedCalls) {
  Chain chain({"mobile", "edge"});
  ASSERT_TRUE(chain.up());
  chain.endpoints.userspace_links["mobile"] = {.rate_mbit = 40, .delay_ms = 15};
  std::vector<std::string> paths;
  ASSERT_TRUE(chain.deploy("e", tier_test::split_chain(1), "E", &paths).ok());
  const std::string image = tier_test::encode_test_image(64, 64, ".png", 8);
  auto result = chain.entry->infer_image("e", image, kDeadlineMs);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const auto& b = result->breakdown;
  expect_consistent(b, {"mobile", "edge"});
  // Up: bytes*8/rate + delay; down: the response likewise.
  const double ideal_ms =
      (static_cast<double>(b.hops[0].bytes_out + b.hops[0].bytes_back) * 8.0 / 40e6) * 1e3 +
      2 * 15.0;
  EXPECT_GE(ns_to_ms(b.links[1].transfer_ns), ideal_ms * 0.98);
  auto health = chain.entry->health();
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->models(0).link().rate_mbit(), 40);
  EXPECT_EQ(health->models(0).link().delay_ms(), 15);
}

TEST(TierServer, ConcurrentRequestsAreSafe) {
  Chain chain({"mobile", "edge"});
  ASSERT_TRUE(chain.up());
  std::vector<std::string> paths;
  ASSERT_TRUE(chain.deploy("me", tier_test::split_chain(2), "ME", &paths).ok());
  const std::string image = tier_test::encode_test_image(40, 40, ".png", 11);
  auto x = decode_and_preprocess(image, tier_test::small_preprocess());
  ASSERT_TRUE(x.ok());
  const auto expected = tier_test::run_in_process(paths, {*x});
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto result = chain.entry->infer_image("me", image, kDeadlineMs);
        if (result.ok() && result->outputs[0].data == expected[0].data) good.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

// A runner deploys strategy after strategy over kept control connections, and the tiers keep
// the optimized graphs of the part files: the second load of the same files comes from that
// cache and computes the same bits.
TEST(TierServer, KeptControlClientsAndTheSessionCacheRedeployTheSame) {
  TempDir cache_dir;
  const std::string cache = cache_dir.file("sessions");
  Chain chain({"mobile", "edge"}, {"--session-cache", cache});
  ASSERT_TRUE(chain.up());
  ControlClients clients;
  chain.clients = &clients;
  auto first_client = clients.of(chain.endpoints, chain.endpoints.tiers[0]);
  auto again = clients.of(chain.endpoints, chain.endpoints.tiers[0]);
  ASSERT_TRUE(first_client.ok() && again.ok());
  EXPECT_EQ(*first_client, *again) << "one kept client per tier";

  auto count_graphs = [&] {
    size_t n = 0;
    for (const auto& f : std::filesystem::directory_iterator(cache)) n += f.is_regular_file();
    return n;
  };
  std::vector<std::string> paths;
  ASSERT_TRUE(chain.deploy("me", tier_test::split_chain(2), "ME", &paths).ok());
  EXPECT_EQ(count_graphs(), 2u) << "one optimized graph per part file";
  auto read = read_variant_dir(chain.dir.file("me"));
  ASSERT_TRUE(read.ok());
  read->preprocess = tier_test::small_preprocess();
  DeployOptions options;
  options.placement = "ME";
  const std::string image = tier_test::encode_test_image(40, 30, ".png", 5);
  auto x = decode_and_preprocess(image, tier_test::small_preprocess());
  ASSERT_TRUE(x.ok());
  const auto expected = tier_test::run_in_process(paths, {*x});
  for (int round = 0; round < 3; ++round) {
    auto result = chain.entry->infer_image("me", image, kDeadlineMs);
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    EXPECT_EQ(result->outputs[0].data, expected[0].data) << "round " << round;
    ASSERT_TRUE(undeploy(chain.endpoints, "me", &clients).ok());
    EXPECT_FALSE(chain.entry->infer_image("me", image, kDeadlineMs).ok()) << "undeployed";
    // The same part files again: their graphs come from the cache.
    ASSERT_TRUE(deploy_variant(chain.endpoints, *read, options, &clients).ok());
  }
  EXPECT_EQ(count_graphs(), 2u) << "reloading the same files adds no entries";
}

// A tier's sessions share one pool of its intra-op threads (runtime/ort_session.h
// share_thread_pool): deploying more models starts no threads, and the shared pool computes the
// same bits as the in-process run.
TEST(TierServer, SessionsShareTheTiersThreadPool) {
  Chain chain({"cloud"}, {}, /*threads=*/2);
  ASSERT_TRUE(chain.up());
  auto threads_of_tier = [&] {
    size_t n = 0;
    const std::string tasks = "/proc/" + std::to_string(chain.tiers[0]->pid()) + "/task";
    for ([[maybe_unused]] const auto& t : std::filesystem::directory_iterator(tasks)) ++n;
    return n;
  };
  const std::string image = tier_test::encode_test_image(40, 30, ".png", 5);
  auto x = decode_and_preprocess(image, tier_test::small_preprocess());
  ASSERT_TRUE(x.ok());
  std::vector<std::string> paths;
  ASSERT_TRUE(chain.deploy("c0", tier_test::split_chain(1), "C", &paths).ok());
  const auto expected = tier_test::run_in_process(paths, {*x});
  ASSERT_TRUE(chain.entry->infer_image("c0", image, kDeadlineMs).ok());
  const size_t before = threads_of_tier();
  for (int k = 1; k <= 4; ++k) {
    const std::string name = "c" + std::to_string(k);
    ASSERT_TRUE(chain.deploy(name, tier_test::split_chain(1), "C", &paths).ok()) << name;
    auto result = chain.entry->infer_image(name, image, kDeadlineMs);
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    EXPECT_EQ(result->outputs[0].data, expected[0].data) << name;
  }
  // A session with a pool of its own would add a thread each (2 intra-op threads: the caller
  // and one worker); gRPC may start one more of its own meanwhile.
  EXPECT_LE(threads_of_tier(), before + 1) << "4 more sessions, " << before << " threads before";
}

TEST(TierServer, UnloadAndShutdown) {
  Chain chain({"mobile"});
  ASSERT_TRUE(chain.up());
  std::vector<std::string> paths;
  ASSERT_TRUE(chain.deploy("m", tier_test::split_chain(1), "M", &paths).ok());
  const std::string image = tier_test::encode_test_image(20, 20, ".png");
  ASSERT_TRUE(chain.entry->infer_image("m", image, kDeadlineMs).ok());
  auto removed = chain.entry->unload("m");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  auto gone = chain.entry->infer_image("m", image, kDeadlineMs);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("mobile: model 'm' is not loaded"), std::string::npos)
      << gone.status().message();

  ASSERT_TRUE(chain.entry->shutdown().ok());
  auto status = chain.tiers[0]->wait_exit(5000);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

}  // namespace
}  // namespace edgetier::tier
