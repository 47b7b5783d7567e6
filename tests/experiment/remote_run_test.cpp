// `edgetier run` with `network: remote` on three tiers in their own namespaces (remote_lab.h):
// the variants go up as bytes, requests cross the real (veth) links over mutual TLS, the store
// keeps every request, each tier's host facts and the links as the sending tier measured them;
// a tier that dies during the run fails its strategy within the deadline instead of hanging.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/reader.h"
#include "store/store.h"
#include "testbed/remote_lab.h"
#include "testbed/testbed_fixtures.h"
#include "tier/protocol.h"

namespace edgetier {
namespace {

using testbed::testing::RemoteLab;
using Clock = std::chrono::steady_clock;

std::string remote_spec(const RemoteLab& lab, const std::string& operators,
                        const std::string& placements, int requests) {
  return "name: remote-test\n"
         "models:\n"
         "  - path: " +
         std::string(EDGETIER_SOURCE_DIR) +
         "/models/demo_classifier.onnx\n"
         "data: {kind: synth, count: 8, size: 96, seed: 5}\n"
         "operators: [" +
         operators + "]\nplacements: [" + placements +
         "]\n"
         "testbed:\n"
         "  network: remote\n"
         "  tiers:\n" +
         lab.spec_tiers_map("    ") +
         "scenarios:\n"
         "  - name: lab\n"
         "    links: {mobile-edge: {rate_mbit: 0}, edge-cloud: {rate_mbit: 0}}\n"
         "measurement: {warmup: 1, requests: " +
         std::to_string(requests) + ", passes: 1, timeout_ms: 5000}\n";
}

Result<StoredRun> read_run(const std::string& out) {
  return read_results_database(out + "/results.db");
}

TEST(RemoteRun, MeasuresOnRemoteTiersAndStoresHostFactsAndProbedLinks) {
  EDGETIER_REQUIRE_ROOT();
  RemoteLab lab;
  ASSERT_TRUE(lab.ok()) << lab.error();
  lab.start_all();
  ASSERT_TRUE(lab.ok()) << lab.error();
  constexpr int kRequests = 4;
  write_file(lab.dir().file("spec.yaml"), remote_spec(lab, "I, P", "M, C, EC", kRequests));
  const std::string out = lab.dir().file("out");
  auto run = lab.run_on_device({"run", lab.dir().file("spec.yaml"), "--out", out, "--json"}, 120);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  auto stored = read_run(out);
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  ASSERT_GE(stored->strategies.size(), 3u);
  bool crossed_all = false;
  for (const auto& s : stored->strategies) {
    EXPECT_EQ(s.row.status, StrategyStatus::kDone) << s.row.placement << ": " << s.row.reason;
    EXPECT_EQ(s.requests.size(), static_cast<size_t>(kRequests)) << s.row.placement;
    for (const auto& r : s.requests) {
      EXPECT_EQ(r.outcome, "ok") << s.row.placement;
      EXPECT_GT(r.end_to_end_ns, 0);
      const auto& edge_cloud = r.links[static_cast<size_t>(LinkId::kEdgeCloud)];
      if (s.row.placement == "C" && edge_cloud.bytes_up > 0 && edge_cloud.transfer_ns > 0)
        crossed_all = true;
    }
  }
  EXPECT_TRUE(crossed_all) << "a request placed on cloud crossed mobile and edge";

  ASSERT_EQ(stored->tiers.size(), 3u);
  for (const auto& t : stored->tiers) {
    auto host = nlohmann::json::parse(t.host_json, nullptr, false);
    ASSERT_TRUE(host.is_object()) << t.name << ": " << t.host_json;
    EXPECT_FALSE(host.value("cpu_model", "").empty()) << t.host_json;
    EXPECT_GT(host.value("cpus", 0), 0) << t.host_json;
    EXPECT_GT(host.value("memory_total_bytes", int64_t{0}), 0) << t.host_json;
    EXPECT_FALSE(host.value("onnxruntime_version", "").empty()) << t.host_json;
    EXPECT_EQ(host.value("execution_provider", ""), "CPUExecutionProvider") << t.host_json;
    EXPECT_EQ(host.value("edgetier_version", ""), EDGETIER_VERSION) << t.host_json;
    EXPECT_EQ(host.value("protocol_version", ""), tier::protocol_version()) << t.host_json;
    EXPECT_TRUE(host.contains("cgroup_memory_limit_bytes")) << t.host_json;
  }
  ASSERT_EQ(stored->links.size(), 2u);
  for (const auto& l : stored->links) {
    EXPECT_EQ(l.probed_by, l.link == "mobile-edge" ? "mobile" : "edge") << l.link;
    ASSERT_TRUE(l.forward_rate_mbit && l.reverse_rate_mbit && l.rtt_ms) << l.link;
    EXPECT_GT(*l.forward_rate_mbit, 1.0) << l.link;
    EXPECT_GT(*l.reverse_rate_mbit, 1.0) << l.link;
    EXPECT_GT(*l.rtt_ms, 0.0) << l.link;
    std::printf("[ measured ] %s: %.0f Mbit/s forward, %.0f back, RTT %.3f ms (by %s)\n",
                l.link.c_str(), *l.forward_rate_mbit, *l.reverse_rate_mbit, *l.rtt_ms,
                l.probed_by.c_str());
  }
}

TEST(RemoteRun, ATierThatDiesDuringTheRunFailsItsStrategyWithinTheDeadline) {
  EDGETIER_REQUIRE_ROOT();
  RemoteLab lab;
  ASSERT_TRUE(lab.ok()) << lab.error();
  lab.start_all();
  ASSERT_TRUE(lab.ok()) << lab.error();
  write_file(lab.dir().file("spec.yaml"), remote_spec(lab, "I", "M, C", 400));
  const std::string out = lab.dir().file("out");
  const pid_t pid = lab.spawn_on_device({"run", lab.dir().file("spec.yaml"), "--out", out}, "run");
  // Cloud loses power once requests are being measured.
  const auto until = Clock::now() + std::chrono::seconds(60);
  bool killed = false;
  while (Clock::now() < until && !killed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    StoreOptions o;
    o.read_only = true;
    auto store = ResultStore::open(out + "/results.db", o);
    if (!store.ok()) continue;
    auto runs = (*store)->runs();
    if (!runs.ok() || runs->empty()) continue;
    auto n = (*store)->count_requests(runs->front().run_id);
    if (n.ok() && *n >= 3) {
      lab.kill_tier("cloud");
      killed = true;
    }
  }
  ASSERT_TRUE(killed) << read_file(lab.dir().file("run.err"));
  const auto killed_at = Clock::now();
  const int code = testbed::testing::wait_exit(pid, 30);
  const double took_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  ASSERT_NE(code, -SIGKILL) << "the run hung after the tier died";
  EXPECT_LT(took_s, 20.0);

  auto stored = read_run(out);
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  // The strategy on cloud fails with the reason, and so does whatever was left when the
  // testbed could not come up again; nothing stays pending or running.
  ASSERT_EQ(stored->strategies.size(), 2u);
  bool cloud_failed = false;
  for (const auto& s : stored->strategies) {
    EXPECT_TRUE(s.row.status == StrategyStatus::kDone || s.row.status == StrategyStatus::kFailed)
        << s.row.placement << " is " << strategy_status_name(s.row.status);
    if (s.row.placement != "C") continue;
    cloud_failed = s.row.status == StrategyStatus::kFailed;
    EXPECT_NE(s.row.reason.find("cloud"), std::string::npos) << s.row.reason;
    EXPECT_LT(s.requests.size(), 400u);
  }
  EXPECT_TRUE(cloud_failed);
}

}  // namespace
}  // namespace edgetier
