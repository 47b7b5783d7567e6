/// Faults: the edge tier killed or frozen mid-run, and 10,000 mutated ModelInfer requests.
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <map>
#include <random>
#include <thread>

#include "core/clock.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/protocol.h"
#include "tier/tier_fixtures.h"
#include "tier/usage.h"

namespace edgetier::tier {
namespace {

// mobile runs part 0 (from the image), edge runs a slow part 1.
struct SlowChain {
  TempDir dir;
  std::unique_ptr<LocalTier> mobile, edge;
  std::unique_ptr<TierClient> client;
  int64_t request_ns = 0;  // one warm request end to end

  bool start(int64_t forward_deadline_ms) {
    mobile = tier_test::start_tier(dir, "mobile");
    edge = tier_test::start_tier(dir, "edge");
    if (!mobile || !edge) return false;
    auto parts = tier_test::split_chain(2);
    parts[1] = tier_test::heavy_part(tier_test::input_name(parts[1]));
    tier_test::save_parts(parts, dir.path());
    auto variant = read_variant_dir(dir.path());
    if (!variant.ok()) return false;
    variant->preprocess = tier_test::small_preprocess();
    TestbedEndpoints endpoints;
    endpoints.tiers = {{"mobile", mobile->address(), mobile->address(), ""},
                       {"edge", edge->address(), edge->address(), ""}};
    DeployOptions options;
    options.model_name = "slow";
    options.placement = "ME";
    options.forward_deadline_ms = forward_deadline_ms;
    auto deployed = deploy_variant(endpoints, *variant, options);
    EXPECT_TRUE(deployed.ok()) << deployed.status().to_string();
    client = std::move(TierClient::connect(mobile->address()).value());
    auto warm = client->infer_image("slow", image(), 20000);
    EXPECT_TRUE(warm.ok()) << warm.status().to_string();
    if (!deployed.ok() || !warm.ok()) return false;
    request_ns = warm->breakdown.end_to_end_ns;
    return true;
  }
  static std::string image() { return tier_test::encode_test_image(32, 32, ".jpg", 4); }
};

struct Outcome {
  Status status;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

TEST(TierFaults, EdgeKilledMidRunFailsFastAndIsReportedDead) {
  SlowChain chain;
  ASSERT_TRUE(chain.start(/*forward_deadline_ms=*/10000));
  constexpr int64_t kClientDeadlineMs = 5000;

  // Requests back to back; the edge dies while one of them is being computed there.
  std::vector<Outcome> outcomes;
  std::atomic<bool> killed{false};
  std::thread runner([&] {
    int failures = 0;
    for (int i = 0; i < 40 && failures < 3; ++i) {
      Outcome o;
      // A request already on its way back when the kill lands may still succeed; only one
      // sent after the kill must not.
      const bool sent_after_kill = killed.load();
      o.start_ns = monotonic_ns();
      auto result = chain.client->infer_image("slow", SlowChain::image(), kClientDeadlineMs);
      o.end_ns = monotonic_ns();
      o.status = result.ok() ? ok_status() : result.status();
      failures += result.ok() ? 0 : 1;
      outcomes.push_back(o);
      if (result.ok() && sent_after_kill) break;  // cannot happen: the edge is gone
    }
  });
  std::printf("one warm request takes %.1f ms; killing the edge %.1f ms into the run\n",
              ns_to_ms(chain.request_ns), ns_to_ms(chain.request_ns * 3 / 2));
  std::this_thread::sleep_for(std::chrono::nanoseconds(chain.request_ns * 3 / 2));
  const int64_t kill_ns = monotonic_ns();
  chain.edge->signal(SIGKILL);
  killed = true;
  runner.join();

  ASSERT_FALSE(outcomes.empty());
  size_t first_failure = outcomes.size();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!outcomes[i].status.ok()) {
      first_failure = i;
      break;
    }
  }
  ASSERT_LT(first_failure, outcomes.size()) << "no request failed after the edge was killed";
  for (size_t i = 0; i < first_failure; ++i) EXPECT_LE(outcomes[i].end_ns, kill_ns + 50000000);
  for (size_t i = first_failure; i < outcomes.size(); ++i) {
    const Outcome& o = outcomes[i];
    ASSERT_FALSE(o.status.ok()) << "request " << i << " succeeded after the kill";
    EXPECT_EQ(o.status.code(), StatusCode::kUnavailable) << o.status.to_string();
    EXPECT_NE(o.status.message().find("next hop 'edge'"), std::string::npos) << o.status.message();
    // Well within the deadline: a dead peer is noticed at once, not by timing out.
    EXPECT_LT(o.end_ns - std::max(o.start_ns, kill_ns), kClientDeadlineMs * 1000000 / 2);
  }

  auto health = chain.client->health(300);
  ASSERT_TRUE(health.ok()) << health.status().to_string();
  ASSERT_EQ(health->models_size(), 1);
  EXPECT_EQ(health->models(0).next_hop_state(), "dead");
  EXPECT_NE(health->models(0).next_hop_error().find("edge"), std::string::npos);
  auto edge_client = std::move(TierClient::connect(chain.edge->address()).value());
  auto edge_health = edge_client->health(-1, 1000);
  ASSERT_FALSE(edge_health.ok());
  EXPECT_EQ(edge_health.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(chain.mobile->running());
}

TEST(TierFaults, FrozenEdgeHitsTheForwardDeadlineAndRecovers) {
  SlowChain chain;
  ASSERT_TRUE(chain.start(/*forward_deadline_ms=*/800));
  chain.edge->signal(SIGSTOP);
  Stopwatch watch;
  auto result = chain.client->infer_image("slow", SlowChain::image(), 5000);
  const double elapsed_ms = watch.elapsed_ms();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded) << result.status().to_string();
  EXPECT_NE(result.status().message().find("next hop 'edge'"), std::string::npos);
  EXPECT_GE(elapsed_ms, 700);
  EXPECT_LT(elapsed_ms, 3000);
  auto health = chain.client->health(300);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->models(0).next_hop_state(), "dead");

  chain.edge->signal(SIGCONT);
  auto again = chain.client->infer_image("slow", SlowChain::image(), 10000);
  EXPECT_TRUE(again.ok()) << again.status().to_string();
  auto healed = chain.client->health(2000);
  ASSERT_TRUE(healed.ok());
  EXPECT_EQ(healed->models(0).next_hop_state(), "live");
}

// --- 10,000 mutated requests -------------------------------------------------------------

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void flip_bytes(std::string* s) {
    if (s->empty()) return;
    for (int i = pick(8) + 1; i > 0; --i)
      (*s)[pick(static_cast<int>(s->size()))] ^= static_cast<char>(pick(255) + 1);
  }

  int64_t wild_dim() {
    static const int64_t kDims[] = {
        0,         1,         2,         3, 16, 17, -1, -7, int64_t{1} << 31, int64_t{1} << 40,
        INT64_MAX, INT64_MIN, 1000000007};
    return kDims[pick(static_cast<int>(std::size(kDims)))];
  }

  std::string wild_string() {
    static const char* kStrings[] = {"FP32",    "FP16", "INT64", "BYTES",  "UINT8", "fp32", "",
                                     "FP32\0x", "BOOL", "FP64",  "STRING", "🙂",  "INT8"};
    if (pick(4) == 0) {
      std::string s(static_cast<size_t>(pick(40)), 'a');
      for (auto& c : s) c = static_cast<char>(pick(256));
      return s;
    }
    return kStrings[pick(static_cast<int>(std::size(kStrings)))];
  }

  // Applies one structural mutation to a request.
  void mutate(inference::ModelInferRequest* r) {
    auto* input = r->inputs_size() ? r->mutable_inputs(pick(r->inputs_size())) : nullptr;
    std::string* raw = r->raw_input_contents_size()
                           ? r->mutable_raw_input_contents(pick(r->raw_input_contents_size()))
                           : nullptr;
    switch (pick(13)) {
      case 0:
        if (raw) flip_bytes(raw);
        break;
      case 1:
        if (raw) raw->resize(static_cast<size_t>(pick(static_cast<int>(raw->size()) + 1)));
        break;
      case 2:
        if (raw) raw->append(static_cast<size_t>(pick(64) + 1), static_cast<char>(pick(256)));
        break;
      case 3:
        if (input) {
          input->clear_shape();
          for (int d = pick(7); d > 0; --d) input->add_shape(pick(40));
        }
        break;
      case 4:
        if (input && input->shape_size()) input->set_shape(pick(input->shape_size()), wild_dim());
        break;
      case 5:
        if (input) input->set_datatype(wild_string());
        break;
      case 6:
        if (input) input->set_name(pick(2) ? wild_string() : input->name() + "x");
        break;
      case 7:
        if (pick(2) && r->inputs_size()) {
          r->mutable_inputs()->RemoveLast();
        } else if (r->inputs_size()) {
          *r->add_inputs() = r->inputs(0);
        }
        break;
      case 8: r->add_raw_input_contents(std::string(static_cast<size_t>(pick(100)), 'z')); break;
      case 9:
        if (input) {
          r->clear_raw_input_contents();
          for (int i = pick(3000); i > 0; --i) input->mutable_contents()->add_fp32_contents(1.0f);
        }
        break;
      case 10:
        r->set_model_name(pick(3) ? wild_string() : (r->model_name() == "img" ? "chain" : "img"));
        break;
      case 11: r->add_outputs()->set_name(wild_string()); break;
      case 12: (*r->mutable_parameters())[wild_string()].set_int64_param(wild_dim()); break;
    }
  }

  // Damages the encoded image inside a BYTES element (header fields included).
  void mutate_image(std::string* raw) {
    if (raw->size() <= 4) return;
    switch (pick(4)) {
      case 0: {  // a few bytes in the first 200 (markers, sizes)
        const int limit = std::min<int>(200, static_cast<int>(raw->size()) - 4);
        for (int i = pick(4) + 1; i > 0; --i)
          (*raw)[4 + pick(limit)] ^= static_cast<char>(pick(255) + 1);
        break;
      }
      case 1: flip_bytes(raw); break;
      case 2: raw->resize(4 + static_cast<size_t>(pick(static_cast<int>(raw->size()) - 4))); break;
      case 3: (*raw)[pick(4)] ^= static_cast<char>(pick(255) + 1); break;  // the length prefix
    }
  }

 private:
  std::mt19937 rng_;
};

TEST(TierFaults, TenThousandMutatedRequestsNeitherCrashNorGrowMemory) {
  TempDir dir;
  const std::string chain_path = dir.file("chain.onnx");
  ASSERT_TRUE(save_model(fixtures::chain_model(), chain_path).ok());
  const auto image_parts = tier_test::save_parts(tier_test::split_chain(1), dir.path());
  auto tier =
      tier_test::start_tier(dir, "edge", {"--max-image-mpixels", "1", "--max-message-size", "4MiB"});
  ASSERT_TRUE(tier);
  auto client = std::move(TierClient::connect(tier->address()).value());
  control::LoadModelRequest load;
  load.set_model_name("chain");
  load.clear_parts();
  load.add_parts()->set_path(chain_path);
  ASSERT_TRUE(client->load_model(load).ok());
  load.set_model_name("img");
  load.clear_parts();
  load.add_parts()->set_path(image_parts[0]);
  load.set_preprocess_json(preprocess_to_json(tier_test::small_preprocess()).dump());
  ASSERT_TRUE(client->load_model(load).ok());

  inference::ModelInferRequest tensor_request;
  tensor_request.set_model_name("chain");
  add_raw_input(&tensor_request, tier_test::random_tensor("input", {1, 3, 16, 16}, 1));
  inference::ModelInferRequest image_request;
  image_request.set_model_name("img");
  add_image_input(&image_request, kImageInputName, tier_test::encode_test_image(40, 30, ".jpg", 2));
  ASSERT_TRUE(client->infer_request(tensor_request, 5000).ok());
  ASSERT_TRUE(client->infer_request(image_request, 5000).ok());

  // Whole-message corruption goes through a generic stub: the bytes never parse client side.
  auto channel = make_channel(tier->address(), kDefaultMaxMessageBytes);
  grpc::GenericStub generic(channel);
  auto send_raw = [&](const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    grpc::ClientContext context;
    context.set_deadline(deadline_after_ms(5000));
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, "/inference.GRPCInferenceService/ModelInfer", grpc::StubOptions(),
                      &request, &response, [&](grpc::Status s) { done.set_value(s); });
    return done.get_future().get();
  };

  // Mutated strings are often invalid UTF-8; protobuf logs each one it serializes.
  google::protobuf::LogSilencer quiet_protobuf;
  Mutator mutator(20240611);
  std::map<StatusCode, int> codes;
  int64_t baseline_rss = -1;
  constexpr int kRequests = 10000, kWarmup = 1000;
  for (int i = 0; i < kRequests; ++i) {
    if (i == kWarmup) baseline_rss = read_rss_bytes(tier->pid());
    const bool image = mutator.pick(2) == 0;
    inference::ModelInferRequest request = image ? image_request : tensor_request;
    if (image && mutator.pick(2) == 0) mutator.mutate_image(request.mutable_raw_input_contents(0));
    for (int m = mutator.pick(3); m >= 0; --m) mutator.mutate(&request);
    if (mutator.pick(10) == 0) {
      std::string bytes = request.SerializeAsString();
      mutator.flip_bytes(&bytes);
      const grpc::Status status = send_raw(bytes);
      ASSERT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE)
          << "request " << i << ": " << status.error_message();
      codes[from_grpc_code(status.error_code())]++;
      continue;
    }
    auto result = client->infer_request(request, 5000);
    const StatusCode code = result.ok() ? StatusCode::kOk : result.status().code();
    ASSERT_NE(code, StatusCode::kUnavailable)
        << "request " << i << ": " << result.status().to_string();
    ASSERT_NE(code, StatusCode::kDeadlineExceeded) << "request " << i;
    codes[code]++;
  }
  ASSERT_TRUE(tier->running());
  ASSERT_TRUE(client->wait_until_live(2000).ok());
  ASSERT_TRUE(client->infer_request(tensor_request, 5000).ok());
  ASSERT_TRUE(client->infer_request(image_request, 5000).ok());
  const int64_t final_rss = read_rss_bytes(tier->pid());
  ASSERT_GT(baseline_rss, 0);
  EXPECT_LT(final_rss - baseline_rss, 20 << 20)
      << "RSS grew from " << baseline_rss << " to " << final_rss << " bytes";
  // The mix exercised both refusals and successful runs.
  EXPECT_GT(codes[StatusCode::kInvalidArgument], kRequests / 4);
  EXPECT_GT(codes[StatusCode::kOk], 100);
  std::string histogram;
  for (const auto& [code, n] : codes)
    histogram += std::string(status_code_name(code)) + "=" + std::to_string(n) + " ";
  std::printf("mutated requests by outcome: %s; RSS %lld -> %lld bytes\n", histogram.c_str(),
              static_cast<long long>(baseline_rss), static_cast<long long>(final_rss));
}

}  // namespace
}  // namespace edgetier::tier
