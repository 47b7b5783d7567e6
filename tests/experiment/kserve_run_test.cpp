// `edgetier run` whose last tier is a foreign KServe v2 server (kind: kserve): mobile is an
// `edgetier serve` reached over loopback TCP with its control token, cloud an independent
// Python server (tests/tier/kserve) that hosts the partitioned model's upper part. The run
// deploys only to mobile, forwards the cut tensor with standard ModelInfer, and stores every
// request with the hop the server played.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "store/reader.h"
#include "tier/kserve_fixtures.h"
#include "tier/local_tier.h"

namespace edgetier {
namespace {

std::string spec(const tier_test::ForeignModel& model, const std::string& mobile,
                 const std::string& cloud, const std::string& cloud_model, int requests) {
  return "name: kserve-test\n"
         "models:\n"
         "  - path: " + model.model_path + "\n"
         "    cut: {tensors: [[\"" + model.cut + "\"]]}\n"
         "data: {kind: synth, count: 8, size: 32, seed: 5}\n"
         "operators: [P]\n"
         "placements: [MC]\n"
         "testbed:\n"
         "  network: remote\n"
         "  tiers:\n"
         "    mobile: {address: " + mobile + ", token_file: mobile.token}\n"
         "    edge: {enabled: false}\n"
         "    cloud: {kind: kserve, address: " + cloud + ", model: " + cloud_model +
         ", version: \"1\"}\n"
         "scenarios:\n"
         "  - name: loopback\n"
         "    links: {mobile-edge: {rate_mbit: 0}, edge-cloud: {rate_mbit: 0}}\n"
         "measurement: {warmup: 1, requests: " + std::to_string(requests) +
         ", passes: 1, timeout_ms: 5000}\n";
}

struct Lab {
  TempDir dir;
  tier_test::ForeignModel model = tier_test::make_foreign_model(dir);
  std::unique_ptr<tier::LocalTier> mobile;
  std::unique_ptr<tier_test::KserveServer> server;

  bool start() {
    write_file(dir.file("mobile.token"), "kserve-run-test-token\n");
    ::chmod(dir.file("mobile.token").c_str(), 0600);
    tier::LocalTierOptions options;
    options.binary = EDGETIER_BINARY;
    options.tier = "mobile";
    options.listen = {"127.0.0.1:0"};
    options.extra_args = {"--token-file", dir.file("mobile.token")};
    options.log_path = dir.file("mobile.log");
    auto started = tier::LocalTier::start(options);
    EXPECT_TRUE(started.ok()) << started.status().to_string();
    if (!started.ok()) return false;
    mobile = std::move(started).value();
    server = std::make_unique<tier_test::KserveServer>(model, tier_test::KserveServerOptions{},
                                                       dir.file("kserve.log"));
    EXPECT_TRUE(server->ok()) << server->error();
    return server->ok();
  }
};

TEST(KserveRun, MeasuresAStrategyWhoseLastHopIsAForeignKserveServer) {
  Lab lab;
  ASSERT_TRUE(lab.start());
  constexpr int kRequests = 5;
  write_file(lab.dir.file("spec.yaml"),
             spec(lab.model, lab.mobile->address(), lab.server->address(), "top", kRequests));
  const std::string out = lab.dir.file("out");
  auto run = run_edgetier("run " + lab.dir.file("spec.yaml") + " --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.err << "\n" << read_file(lab.dir.file("mobile.log"));

  auto stored = read_results_database(out + "/results.db");
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  ASSERT_EQ(stored->strategies.size(), 1u);
  const auto& s = stored->strategies.front();
  EXPECT_EQ(s.row.placement, "MC");
  EXPECT_EQ(s.row.status, StrategyStatus::kDone) << s.row.reason;
  ASSERT_EQ(s.requests.size(), static_cast<size_t>(kRequests));
  for (const auto& r : s.requests) {
    EXPECT_EQ(r.outcome, "ok");
    // Mobile -> cloud is stored as the link into cloud; its time is mobile's round trip.
    const auto& into_cloud = r.links[static_cast<size_t>(LinkId::kEdgeCloud)];
    EXPECT_GT(into_cloud.bytes_up, 0);
    EXPECT_GT(into_cloud.bytes_down, 0);
    EXPECT_GT(into_cloud.transfer_ns, 0);
    EXPECT_LE(into_cloud.transfer_ns, r.end_to_end_ns);
  }
  // The foreign server's facts are what it says of itself and the model it hosts.
  bool saw_cloud = false;
  for (const auto& t : stored->tiers) {
    if (t.name != "cloud") continue;
    saw_cloud = true;
    auto host = nlohmann::json::parse(t.host_json, nullptr, false);
    ASSERT_TRUE(host.is_object()) << t.host_json;
    EXPECT_EQ(host.value("kind", ""), "kserve");
    EXPECT_EQ(host.value("server_name", ""), "numpy-kserve");
    EXPECT_EQ(host.value("model", ""), "top");
  }
  EXPECT_TRUE(saw_cloud);
}

TEST(KserveRun, AWrongModelNameFailsTheStrategyWithTheReason) {
  Lab lab;
  ASSERT_TRUE(lab.start());
  write_file(lab.dir.file("spec.yaml"),
             spec(lab.model, lab.mobile->address(), lab.server->address(), "tpo", 3));
  const std::string out = lab.dir.file("out");
  auto run = run_edgetier("run " + lab.dir.file("spec.yaml") + " --out " + out);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE((run.out + run.err).find("no ready model 'tpo' version 1"), std::string::npos)
      << run.out << run.err;
}

}  // namespace
}  // namespace edgetier
