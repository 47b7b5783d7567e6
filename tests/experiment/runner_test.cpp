// End-to-end runs of `edgetier run` on a small spec over the demo models: rows and accuracy in
// the store, a SIGKILLed run finished by --resume without duplicates, nothing left behind.
#include "experiment/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "experiment/test_util.h"
#include "graph/fixtures.h"
#include "experiment/testbed_session.h"
#include "store/reader.h"
#include "store/store.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int kRequests = 6;
constexpr int kStrategies = 10;  // 2 models x {I@M, I@E, Q@M, Q@E, P@ME}

std::string tiny_spec(int requests) {
  const std::string models = std::string(EDGETIER_SOURCE_DIR) + "/models/";
  return "name: runner-test\n"
         "models:\n"
         "  - path: " +
         models +
         "demo_classifier.onnx\n"
         "  - path: " +
         models +
         "demo_segmenter.onnx\n"
         "data: {kind: synth, count: 12, size: 96, seed: 3}\n"
         "calibration: {method: minmax, samples: 8}\n"
         "operators: [I, Q, P]\n"
         "placements: [M, E, ME]\n"
         "testbed: default\n"
         "scenarios:\n"
         "  - name: fast\n"
         "    links:\n"
         "      mobile-edge: {rate_mbit: 200}\n"
         "      edge-cloud: {rate_mbit: 50}\n"
         "measurement: {warmup: 1, requests: " +
         std::to_string(requests) + ", passes: 1}\n";
}

/// Starts the edgetier binary in the background (output to files in `dir`).
pid_t spawn_edgetier(const std::vector<std::string>& args, const std::string& dir) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open((dir + "/child.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = ::open((dir + "/child.err").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    std::string exe = EDGETIER_BINARY;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Testbed run ids seen in the runner's state file while it runs.
void note_testbed_run(const std::string& state_dir, std::set<std::string>* ids) {
  std::ifstream in(state_dir + "/testbed.json");
  if (!in) return;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_object() && j.contains("run_id") && j["run_id"].is_string())
    ids->insert(j["run_id"].get<std::string>());
}

int64_t stored_requests(const std::string& db) {
  StoreOptions o;
  o.read_only = true;
  auto store = ResultStore::open(db, o);
  if (!store.ok()) return -1;
  auto runs = (*store)->runs();
  if (!runs.ok() || runs->empty()) return 0;
  auto n = (*store)->count_requests(runs->back().run_id);
  return n.ok() ? *n : -1;
}

/// Waits for the child, noting testbed run ids; returns its exit code.
int wait_child(pid_t pid, const std::string& state_dir, std::set<std::string>* ids,
               const std::function<bool()>& kill_when = {}) {
  int status = 0;
  while (true) {
    note_testbed_run(state_dir, ids);
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (kill_when && kill_when()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -SIGKILL;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

void expect_nothing_left(const std::set<std::string>& ids, const std::string& state_dir) {
  EXPECT_FALSE(ids.empty()) << "the run never brought a testbed up";
  for (const auto& id : ids) EXPECT_EQ(testbed_leftovers(id), "") << "testbed run " << id;
  EXPECT_FALSE(fs::exists(state_dir + "/testbed.json"));
}

TEST(RunnerTest, RunsTinySpecEndToEnd) {
  TempDir dir;
  testing::write_text(dir / "spec.yaml", tiny_spec(kRequests));
  const std::string out = dir / "out";
  const std::string state_dir = default_run_state_dir(out);
  std::set<std::string> ids;
  pid_t pid = spawn_edgetier({"run", dir / "spec.yaml", "--out", out, "--json"}, dir.path());
  // The optimized graphs of the variants' parts, kept for the tiers while the run goes on.
  size_t cached_graphs = 0;
  const int code = wait_child(pid, state_dir, &ids, [&] {
    std::error_code ec;
    size_t n = 0;
    for (fs::directory_iterator it(state_dir + "/sessions", ec), end; !ec && it != end;
         it.increment(ec))
      n += it->path().extension() == ".onnx";
    cached_graphs = std::max(cached_graphs, n);
    return false;
  });
  ASSERT_EQ(code, 0) << testing::read_text(dir / "child.err");
  EXPECT_GT(cached_graphs, 0u) << "the tiers' session cache stayed empty";

  auto summary = nlohmann::json::parse(testing::read_text(dir / "child.out"));
  EXPECT_EQ(summary["run"]["status"], "done");
  EXPECT_EQ(summary["run"]["strategies"], kStrategies);
  EXPECT_TRUE(summary.contains("analysis"));
  // Where the wall time went: the ratio is the wall over the stored requests' sum, and the
  // phases the run went through have time.
  const auto& campaign = summary["campaign"];
  ASSERT_TRUE(campaign.is_object()) << summary.dump();
  EXPECT_GT(campaign["wall_s"].get<double>(), campaign["request_sum_s"].get<double>());
  EXPECT_NEAR(campaign["overhead_ratio"].get<double>(),
              campaign["wall_s"].get<double>() / campaign["request_sum_s"].get<double>(), 1e-9);
  std::set<std::string> phases;
  for (const auto& p : campaign["phases"]) {
    EXPECT_GT(p["seconds"].get<double>(), 0) << p.dump();
    phases.insert(p["phase"].get<std::string>());
  }
  for (const char* phase : {"plan", "testbed_down", "deploy", "requests"})
    EXPECT_TRUE(phases.count(phase)) << phase << " missing in " << campaign.dump();
  // The testbed came up beside the data and the first build (only the wait for it, if any, is
  // a phase of its own), and the first scenario got the links it was brought up with: nothing
  // re-shaped.
  std::set<std::string> beside;
  for (const auto& p : campaign["overlapped"]) beside.insert(p["phase"].get<std::string>());
  EXPECT_TRUE(beside.count("testbed_up")) << campaign.dump();
  EXPECT_FALSE(phases.count("link_reshape")) << campaign.dump();
  EXPECT_GE(campaign["unaccounted_s"].get<double>(), 0);

  StoreOptions o;
  o.read_only = true;
  auto store = ResultStore::open(out + "/results.db", o);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  const int64_t run_id = runs->front().run_id;
  EXPECT_EQ(runs->front().status, "done");
  auto n = (*store)->count_requests(run_id);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kStrategies * kRequests);
  EXPECT_TRUE(runs->front().timing.recorded);
  auto request_sum_ns = (*store)->db().query_int("SELECT SUM(end_to_end_ns) FROM requests");
  ASSERT_TRUE(request_sum_ns.ok());
  EXPECT_NEAR(campaign["request_sum_s"].get<double>(), *request_sum_ns / 1e9, 1e-6);

  auto strategies = (*store)->strategies(run_id);
  ASSERT_TRUE(strategies.ok());
  int done = 0;
  for (const auto& s : *strategies) {
    if (s.status == StrategyStatus::kDone) ++done;
    auto acc = (*store)->accuracy(run_id, s.model, s.ops);
    ASSERT_TRUE(acc.ok());
    ASSERT_FALSE(acc->empty()) << s.model << " " << s.ops << " has no accuracy";
    const std::string metric = s.model == "demo_classifier" ? "top1" : "miou";
    bool found = false;
    for (const auto& m : *acc) {
      if (m.metric != metric) continue;
      found = true;
      EXPECT_EQ(m.n, 12);
      EXPECT_GE(m.value, 0.0);
      EXPECT_LE(m.value, 100.0);
    }
    EXPECT_TRUE(found) << s.model << " " << s.ops << " lacks " << metric;
  }
  EXPECT_EQ(done, kStrategies);
  EXPECT_TRUE(fs::exists(out + "/report.html"));
  expect_nothing_left(ids, state_dir);
  EXPECT_FALSE(fs::exists(state_dir)) << "a run that is done leaves no folder in /tmp";

  // A second run without --resume starts a new run and reuses the built variants.
  const auto mtime = fs::last_write_time(out + "/variants/demo_classifier/Q/part0.onnx");
  auto again = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out, "--plan-only"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(fs::last_write_time(out + "/variants/demo_classifier/Q/part0.onnx"), mtime);
}

TEST(RunnerTest, PredictsTheScenariosMarkedMeasureFalseInsteadOfMeasuringThem) {
  TempDir dir;
  const std::string models = std::string(EDGETIER_SOURCE_DIR) + "/models/";
  testing::write_text(dir / "spec.yaml",
                      "name: runner-predict\n"
                      "models: [" + models + "demo_classifier.onnx]\n"
                      "data: {kind: synth, count: 8, size: 96, seed: 3}\n"
                      "operators: [I]\n"
                      "placements: [E, C]\n"
                      "testbed: default\n"
                      "scenarios:\n"
                      "  - sweep: measured\n"
                      "    links: {edge-cloud: [5, 50]}\n"
                      "  - name: filled\n"
                      "    measure: false\n"
                      "    links: {edge-cloud: {rate_mbit: 20}}\n"
                      "measurement: {warmup: 1, requests: 5, passes: 1}\n");
  const std::string out = dir / "out";
  pid_t pid = spawn_edgetier({"run", dir / "spec.yaml", "--out", out, "--json"}, dir.path());
  std::set<std::string> ids;
  ASSERT_EQ(wait_child(pid, default_run_state_dir(out), &ids), 0)
      << testing::read_text(dir / "child.err");
  auto summary = nlohmann::json::parse(testing::read_text(dir / "child.out"));
  // Two measured scenarios x {I@E, I@C}; nothing of the predicted one was measured.
  EXPECT_EQ(summary["run"]["strategies"], 4);
  auto store = ResultStore::open(out + "/results.db");
  ASSERT_TRUE(store.ok());
  auto filled =
      (*store)->db().query_int("SELECT COUNT(*) FROM requests WHERE scenario = 'filled'");
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(*filled, 0);
  const auto& predicted = summary["predicted"];
  ASSERT_TRUE(predicted.is_object()) << summary.dump();
  ASSERT_EQ(predicted["scenarios"].size(), 1u);
  EXPECT_EQ(predicted["scenarios"][0]["scenario"], "filled");
  ASSERT_EQ(predicted["scenarios"][0]["models"].size(), 1u);
  EXPECT_EQ(predicted["scenarios"][0]["models"][0]["strategies"].size(), 2u);
  for (const auto& s : predicted["scenarios"][0]["models"][0]["strategies"])
    EXPECT_GT(s["latency_ms"].get<double>(), 0) << s.dump();
  EXPECT_EQ(predicted["validation"]["method"], "leave-one-scenario-out");
}

TEST(RunnerTest, MeasuresUntilStableInInterleavedRounds) {
  // An unreachable precision: every strategy runs to max_requests in rounds of 2, all four
  // loaded at once and visited in turn, and the store, analysis and report say why it stopped.
  TempDir dir;
  const std::string model = std::string(EDGETIER_SOURCE_DIR) + "/models/demo_classifier.onnx";
  testing::write_text(dir / "spec.yaml",
                      "name: stable-test\nmodels: [" + model +
                          "]\n"
                          "data: {kind: synth, count: 12, size: 96, seed: 3}\n"
                          "calibration: {method: minmax, samples: 8}\n"
                          "operators: [I, Q]\nplacements: [M, E]\ntestbed: default\n"
                          "measurement: {warmup: 1, precision: 0.001%, min_requests: 2, "
                          "max_requests: 6, round_requests: 2, max_seconds: 60}\n");
  const std::string out = dir / "out";
  auto run = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  auto stored = read_results_database(out + "/results.db");
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  EXPECT_EQ(stored->planned_requests, std::nullopt);  // the stopping rule decides
  ASSERT_EQ(stored->strategies.size(), 4u);
  for (const auto& s : stored->strategies) {
    EXPECT_EQ(s.row.status, StrategyStatus::kDone) << s.row.name << ": " << s.row.reason;
    EXPECT_EQ(s.stored_requests, 6) << s.row.name;
    EXPECT_EQ(s.row.stop_reason, "max_requests") << s.row.name;
    ASSERT_TRUE(s.row.precision_pct) << s.row.name;
    EXPECT_GT(*s.row.precision_pct, 0.001);
  }
  // Interleaved: every strategy started its first round before any finished.
  const size_t last_start = run.err.rfind("default  demo_classifier");
  const size_t first_stop = run.err.find("stopped on max_requests");
  ASSERT_NE(last_start, std::string::npos) << run.err;
  ASSERT_NE(first_stop, std::string::npos) << run.err;
  EXPECT_LT(last_start, first_stop) << run.err;

  auto summary = nlohmann::json::parse(run.out);
  const auto& strategies = summary["analysis"]["scenarios"][0]["strategies"];
  ASSERT_EQ(strategies.size(), 4u) << summary["analysis"].dump();
  for (const auto& s : strategies) {
    EXPECT_EQ(s["stop_reason"], "max_requests");
    EXPECT_EQ(s["requests"], 6);
    EXPECT_TRUE(s["precision_pct"].is_number());
  }
  EXPECT_TRUE(summary["recommendation"]["recommendations"][0].contains("tied"));
}

TEST(RunnerTest, StoresAndReportsWhatTheAccuracyBudgetKeptInFloat) {
  TempDir dir;
  const std::string model = std::string(EDGETIER_SOURCE_DIR) + "/models/demo_segmenter.onnx";
  testing::write_text(dir / "spec.yaml",
                      "name: budget-test\nmodels: [" + model +
                          "]\n"
                          "data: {kind: synth, count: 12, size: 96, seed: 3}\n"
                          "calibration: {method: minmax, samples: 8}\n"
                          "quantize: {max_accuracy_loss: 0.5}\n"
                          "operators: [I, Q]\nplacements: [M]\ntestbed: default\n"
                          "measurement: {warmup: 1, requests: 2, passes: 1}\n");
  const std::string out = dir / "out";
  auto run = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The search scored a held-out synth set (another seed), not the 12 images reported.
  EXPECT_TRUE(fs::exists(out + "/data/synth-segment-n12-s96-seed1000003/images"));

  // Manifest, store and report say the same.
  auto manifest =
      nlohmann::json::parse(testing::read_text(out + "/variants/demo_segmenter/Q/manifest.json"));
  const nlohmann::json& q = manifest["chain"][0]["options"];
  EXPECT_DOUBLE_EQ(q["max_accuracy_loss"].get<double>(), 0.5);
  ASSERT_TRUE(q["float_nodes"].is_array());
  EXPECT_LE(q["search"]["loss_points"].get<double>(), 0.5);
  EXPECT_EQ(q["search"]["samples"], 12);

  auto stored = read_results_database(out + "/results.db");
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  ASSERT_EQ(stored->quantize_searches.size(), 1u);
  const QuantizeSearchRecord& r = stored->quantize_searches[0];
  EXPECT_EQ(r.model, "demo_segmenter");
  EXPECT_EQ(r.ops, "Q");
  EXPECT_DOUBLE_EQ(r.max_accuracy_loss, 0.5);
  EXPECT_EQ(r.float_nodes, q["float_nodes"].get<std::vector<std::string>>());
  EXPECT_EQ(r.metric, "miou");
  EXPECT_TRUE(r.labelled);
  EXPECT_DOUBLE_EQ(r.loss_points, q["search"]["loss_points"].get<double>());

  auto summary = nlohmann::json::parse(run.out);
  const auto& searches = summary["analysis"]["quantize_searches"];
  ASSERT_EQ(searches.size(), 1u) << summary["analysis"].dump();
  EXPECT_EQ(searches[0]["ops"], "Q");
  EXPECT_EQ(searches[0]["float_node_count"], r.float_nodes.size());
  EXPECT_DOUBLE_EQ(searches[0]["loss_points"].get<double>(), r.loss_points);
}

TEST(RunnerTest, ResumesAfterSigkillWithoutDuplicates) {
  TempDir dir;
  const int requests = 30;
  testing::write_text(dir / "spec.yaml", tiny_spec(requests));
  const std::string out = dir / "out";
  const std::string db = out + "/results.db";
  const std::string state_dir = default_run_state_dir(out);
  std::set<std::string> ids;

  pid_t pid = spawn_edgetier({"run", dir / "spec.yaml", "--out", out}, dir.path());
  int64_t at_kill = 0;
  const int code = wait_child(pid, state_dir, &ids, [&]() {
    if (!fs::exists(db)) return false;
    at_kill = stored_requests(db);
    return at_kill >= 10;
  });
  ASSERT_EQ(code, -SIGKILL) << "the run finished before it could be killed: "
                            << testing::read_text(dir / "child.err");
  ASSERT_LT(at_kill, kStrategies * requests);

  // Without --resume an unfinished run is refused.
  auto refused = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;

  const int64_t before_resume = stored_requests(db);
  pid = spawn_edgetier({"run", dir / "spec.yaml", "--out", out, "--resume"}, dir.path());
  ASSERT_EQ(wait_child(pid, state_dir, &ids), 0) << testing::read_text(dir / "child.err");
  // The summary tells this session's requests from the ones stored before it.
  const std::string said = testing::read_text(dir / "child.err");
  const int64_t total = kStrategies * requests;
  EXPECT_NE(said.find(std::to_string(total) + " requests over " + std::to_string(kStrategies) +
                      " strategies (" + std::to_string(total - before_resume) + " measured now, " +
                      std::to_string(before_resume) + " before --resume)"),
            std::string::npos)
      << said;

  StoreOptions o;
  o.read_only = true;
  auto store = ResultStore::open(db, o);
  ASSERT_TRUE(store.ok());
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u) << "--resume must continue the killed run";
  EXPECT_EQ(runs->front().status, "done");
  auto n = (*store)->count_requests(runs->front().run_id);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kStrategies * requests);
  auto distinct = (*store)->db().query_int(
      "SELECT COUNT(*) FROM (SELECT DISTINCT strategy_id, pass, request_index FROM requests)");
  ASSERT_TRUE(distinct.ok());
  EXPECT_EQ(*distinct, *n);
  expect_nothing_left(ids, state_dir);
}

TEST(RunnerTest, RecordsOomKilledStrategyAsInfeasible) {
  TempDir dir;
  const std::string models = std::string(EDGETIER_SOURCE_DIR) + "/models/";
  // 20 MiB holds an idle tier process but not the segmenter's session: Mobile is OOM-killed,
  // the testbed comes up again and Edge still measures.
  testing::write_text(dir / "spec.yaml",
                      "name: oom\n"
                      "models:\n"
                      "  - path: " +
                          models +
                          "demo_segmenter.onnx\n"
                          "data: {kind: synth, count: 4, size: 96, seed: 3}\n"
                          "operators: [I]\n"
                          "placements: [M, E]\n"
                          "testbed:\n"
                          "  preset: default\n"
                          "  tiers:\n"
                          "    mobile: {memory: 20m}\n"
                          "measurement: {warmup: 1, requests: 4, passes: 1}\n");
  const std::string out = dir / "out";
  const std::string state_dir = default_run_state_dir(out);
  std::set<std::string> ids;
  pid_t pid = spawn_edgetier({"run", dir / "spec.yaml", "--out", out}, dir.path());
  ASSERT_EQ(wait_child(pid, state_dir, &ids), 0) << testing::read_text(dir / "child.err");

  StoreOptions o;
  o.read_only = true;
  auto store = ResultStore::open(out + "/results.db", o);
  ASSERT_TRUE(store.ok());
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  auto strategies = (*store)->strategies(runs->front().run_id);
  ASSERT_TRUE(strategies.ok());
  ASSERT_EQ(strategies->size(), 2u);
  for (const auto& s : *strategies) {
    if (s.name == "I@M") {
      EXPECT_EQ(s.status, StrategyStatus::kInfeasible);
      EXPECT_EQ(s.reason, "does not fit on mobile: OOM-killed at 20 MiB");
    } else {
      EXPECT_EQ(s.status, StrategyStatus::kDone) << s.name << ": " << s.reason;
    }
  }
  EXPECT_GE(ids.size(), 2u) << "the testbed should come up again after the OOM kill";
  expect_nothing_left(ids, state_dir);
}

TEST(RunnerTest, FailsARunWhoseStrategiesAnswerNothing) {
  // ONNX Runtime loads the model (the load check passes) but every request fails: the run must
  // not be "done" with exit 0, and --resume must say why there is nothing to resume.
  TempDir dir;
  testing::save(fixtures::failing_at_run_model(96), dir / "failing.onnx");
  testing::write_text(dir / "spec.yaml", "name: failing\n"
                                         "models:\n"
                                         "  - path: " +
                                             (dir / "failing.onnx") +
                                             "\n"
                                             "data: {kind: synth, count: 4, size: 96, seed: 3}\n"
                                             "operators: [I]\n"
                                             "placements: [M]\n"
                                             "measurement: {warmup: 1, requests: 2, passes: 1}\n");
  const std::string out = dir / "out";
  auto run = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("failed: 1 of 1 strategies failed (failing I@M"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("no request succeeded"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("run 1 done"), std::string::npos) << run.err;
  {
    StoreOptions o;
    o.read_only = true;
    auto store = ResultStore::open(out + "/results.db", o);
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto runs = (*store)->runs();
    ASSERT_TRUE(runs.ok() && runs->size() == 1u);
    EXPECT_EQ(runs->front().status, "failed");
    auto strategies = (*store)->strategies(runs->front().run_id);
    ASSERT_TRUE(strategies.ok() && strategies->size() == 1u);
    EXPECT_EQ(strategies->front().status, StrategyStatus::kFailed);
    EXPECT_FALSE(strategies->front().reason.empty());
  }

  auto resume = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out, "--resume"});
  EXPECT_NE(resume.exit_code, 0);
  EXPECT_NE(resume.err.find("--resume: run 1 of 'failing'"), std::string::npos) << resume.err;
  EXPECT_NE(resume.err.find("has nothing to resume: every strategy finished, and 1 of 1 "
                            "strategies failed"),
            std::string::npos)
      << resume.err;

  // Nothing is left to continue, so a plain run starts a new one (and fails the same way).
  auto again = testing::run_edgetier({"run", dir / "spec.yaml", "--out", out});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("run 2 failed"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace edgetier
