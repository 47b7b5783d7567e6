/// Runner stage on the testbed: per scenario bring tiers and links up, deploy each strategy's
/// variant, warm up, send the measured requests (sequential, closed loop or open loop) and
/// store every one; tier deaths and OOM kills become the strategy's recorded outcome.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/files.h"
#include "core/log.h"
#include "experiment/runner_internal.h"
#include "experiment/testbed_session.h"
#include "testbed/links.h"
#include "runtime/preprocess.h"
#include "tier/client.h"
#include "tier/deploy.h"

namespace edgetier::runner {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

int64_t ns_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

int role_index(const std::string& tier) {
  if (tier == "mobile") return 0;
  if (tier == "edge") return 1;
  if (tier == "cloud") return 2;
  return -1;
}

/// The link a breakdown link maps to, by the tier it ends at (client -> mobile, -> edge, ->
/// cloud).
int link_index(const std::string& to) {
  if (to == "mobile") return static_cast<int>(LinkId::kClientMobile);
  if (to == "edge") return static_cast<int>(LinkId::kMobileEdge);
  if (to == "cloud") return static_cast<int>(LinkId::kEdgeCloud);
  return -1;
}

void fill_breakdown(const tier::RequestBreakdown& b, RequestRecord* r) {
  for (const auto& hop : b.hops) {
    const int i = role_index(hop.tier);
    if (i < 0) continue;
    TierTiming& t = r->tiers[static_cast<size_t>(i)];
    t.queue_ns = hop.queue_ns;
    t.preprocess_ns = hop.preprocess_ns;
    t.compute_ns = hop.compute_ns;
    t.serialize_ns = hop.serialize_ns;
    t.forward_ns = hop.forward_ns;
  }
  for (const auto& link : b.links) {
    const int i = link_index(link.to);
    if (i < 0) continue;
    LinkTraffic& l = r->links[static_cast<size_t>(i)];
    l.transfer_ns = link.transfer_ns;
    l.bytes_up = link.bytes_up;
    l.bytes_down = link.bytes_down;
  }
  // What the first hop and its link do not explain: request building and reply parsing on
  // the device.
  if (!b.hops.empty()) {
    const int64_t first_total = b.hops.front().total_ns;
    const int64_t first_link = b.links.empty() ? 0 : b.links.front().transfer_ns;
    r->client_ns = std::max<int64_t>(0, b.end_to_end_ns - first_total - first_link);
  }
  if (b.exit_taken >= 0) r->exit_taken = b.exit_taken;
}

std::string describe_bytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return buf;
}

/// The testbed of one scenario plus the connection the device app uses.
struct Bed {
  std::unique_ptr<TestbedSession> session;
  tier::TestbedEndpoints endpoints;
  std::unique_ptr<tier::TierClient> client;
};

SessionConfig session_config(const RunContext& c, const ScenarioSpec& scenario) {
  const TestbedSpec& tb = c.e->spec.testbed;
  SessionConfig sc;
  sc.preset = tb.preset;
  sc.network = tb.network;
  sc.state_dir = c.state_dir;
  sc.exe = c.options.exe;
  // Deploy sends the variants' paths; the tiers take none from anywhere else.
  sc.model_root = (std::filesystem::path(c.e->spec.output_dir) / "variants").string();
  std::error_code ec;
  std::filesystem::create_directories(sc.model_root, ec);  // no variant built: still a root
  sc.is_cancelled = c.options.is_cancelled;
  for (const auto& t : tb.tiers) {
    if (t.enabled) sc.tiers.push_back(t);
  }
  for (size_t i = 0; i + 1 < sc.tiers.size(); ++i) {
    LinkSpec l;
    l.from = sc.tiers[i].name;
    l.to = sc.tiers[i + 1].name;
    // A link skipping a disabled tier takes the settings of the hop into its far end.
    const LinkSpec* spec = nullptr;
    for (const auto& s : scenario.links)
      if (s.name() == l.name()) spec = &s;
    if (!spec)
      for (const auto& s : scenario.links)
        if (s.to == l.to) spec = &s;
    if (spec) {
      l.rate_mbit = spec->rate_mbit;
      l.delay_ms = spec->delay_ms;
      l.jitter_ms = spec->jitter_ms;
      l.loss_pct = spec->loss_pct;
    }
    sc.links.push_back(l);
  }
  return sc;
}

Result<Bed> bring_up(RunContext* c, const ScenarioSpec& scenario) {
  Bed bed;
  ASSIGN_OR_RETURN(bed.session, TestbedSession::up(session_config(*c, scenario)));
  for (const auto& w : bed.session->warnings()) LOG_WARN << "testbed: " << w;
  bed.endpoints = bed.session->endpoints();
  tier::TierClientOptions co;
  co.security = bed.endpoints.security;
  auto link = bed.endpoints.userspace_links.find("client");
  if (link != bed.endpoints.userspace_links.end()) co.link = link->second;
  ASSIGN_OR_RETURN(bed.client, tier::TierClient::connect(bed.endpoints.client_address(), co));
  RETURN_IF_ERROR(bed.client->wait_until_live(30000));
  // The store keeps its own rows (store.h): what each tier got and each link achieved.
  for (const auto& t : bed.session->tiers()) {
    TierRecord r;
    r.name = t.name;
    r.cpus = t.cpus;
    r.memory_bytes = t.memory_bytes;
    r.threads = t.threads;
    RETURN_IF_ERROR(c->store->record_tier(c->run_id, r));
  }
  for (const auto& l : bed.session->links()) {
    LinkRecord r;
    r.scenario = scenario.name;
    r.link = l.name();
    r.configured_rate_mbit = l.rate_mbit;
    r.configured_rtt_ms = l.rtt_ms();
    if (l.probe) {
      r.achieved_rate_mbit = l.probe->achieved_rate_mbit;
      r.rtt_ms = l.probe->rtt_ms;
    }
    // The planner models the bucket the link really has: tc's tbf, or none when the tiers'
    // forwarders pace in user space.
    if (l.shaping == "tc" && l.rate_mbit > 0) {
      const testbed::TbfBurstRule rule = testbed::tbf_burst_rule();
      r.burst_bytes = testbed::tbf_params(l.rate_mbit).burst_bytes;
      r.burst_min_bytes = rule.min_bytes;
      r.burst_ms = rule.ms;
    } else {
      r.burst_bytes = 0;
      r.burst_min_bytes = 0;
      r.burst_ms = 0;
    }
    RETURN_IF_ERROR(c->store->record_link(c->run_id, r));
  }
  return bed;
}

/// The reason a strategy stopped because a tier died, or empty when all tiers run. A call that
/// failed on a dying tier can return before the kernel has finished it, so the tiers are
/// watched for up to `grace_ms` before they are declared alive.
std::string tier_failure_reason(Bed* bed, int grace_ms = 1500) {
  if (!bed->session) return "";
  const auto until = Clock::now() + std::chrono::milliseconds(grace_ms);
  while (true) {
    auto f = bed->session->check_tiers();
    if (f) {
      if (f->oom)
        return "does not fit on " + f->tier + ": OOM-killed at " + describe_bytes(f->memory_bytes);
      return f->tier + " tier died: " + f->detail;
    }
    if (Clock::now() >= until) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

struct StrategyOutcome {
  StrategyStatus status = StrategyStatus::kDone;
  std::string reason;
  bool restart = false;  // the testbed must come up again before the next strategy
};

/// Sends requests [0, total) for one pass with the spec's concurrency/rate; `send(i)` returns
/// false to stop (cancel or a dead tier).
void drive(int64_t total, const MeasurementSpec& m, const std::function<bool(int64_t)>& send) {
  const int workers = std::max(1, m.rate_rps > 0 ? std::max(m.concurrency, 8) : m.concurrency);
  if (workers == 1) {
    for (int64_t i = 0; i < total; ++i)
      if (!send(i)) return;
    return;
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> stop{false};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&]() {
      while (!stop) {
        const int64_t i = next++;
        if (i >= total) return;
        if (m.rate_rps > 0) {
          // Open loop: request i leaves at i / rate whatever the replies do.
          std::this_thread::sleep_until(
              t0 + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * i / m.rate_rps)));
        }
        if (!send(i)) stop = true;
      }
    });
  }
  for (auto& t : threads) t.join();
}

StrategyOutcome measure_strategy(RunContext* c, Bed* bed, const PlannedStrategy& s, int64_t id,
                                 const std::vector<Sample>& inputs,
                                 const std::vector<std::string>& encoded, Progress* progress) {
  const MeasurementSpec& m = c->e->spec.measurement;
  const BuiltVariant& v = c->variants.at(s.variant_key());
  StrategyOutcome out;
  if (!v.error.empty()) return {StrategyStatus::kFailed, "variant not built: " + v.error, false};
  auto parts = tier::read_variant_dir(v.dir);
  if (!parts.ok()) return {StrategyStatus::kFailed, parts.status().message(), false};

  tier::DeployOptions d;
  d.model_name = s.model + "." + s.ops.name();
  d.placement = s.placement.name();
  d.label = s.name();
  d.forward_deadline_ms = m.timeout_ms;
  auto deployed = tier::deploy_variant(bed->endpoints, *parts, d);
  if (!deployed.ok()) {
    std::string dead = tier_failure_reason(bed);
    if (!dead.empty()) return {StrategyStatus::kInfeasible, dead, true};
    return {StrategyStatus::kFailed, "deploy: " + deployed.status().message(), false};
  }
  auto completed = c->store->completed_requests(c->run_id, id);
  if (!completed.ok()) return {StrategyStatus::kFailed, completed.status().message(), false};
  // What an app would receive, unless the spec asks for the raw outputs (bytes down follow).
  std::optional<Task> answer_as;
  if (!c->e->spec.raw_response) answer_as = c->facts(s.model).task;

  for (int w = 0; w < m.warmup && !c->cancelled(); ++w) {
    auto r = bed->client->infer_image(d.model_name, encoded[w % encoded.size()], m.timeout_ms,
                                      answer_as);
    if (!r.ok()) {
      std::string dead = tier_failure_reason(bed);
      if (!dead.empty()) return {StrategyStatus::kInfeasible, dead, true};
    }
  }

  std::atomic<int> consecutive_errors{0};
  std::atomic<int64_t> answered{0}, errored{0};  // requests sent by this call
  std::mutex failure_mu;
  std::string failure, first_error;
  const auto t0 = Clock::now();
  for (int pass = 0; pass < m.passes && failure.empty() && !c->cancelled(); ++pass) {
    drive(m.requests, m, [&](int64_t i) -> bool {
      if (c->cancelled()) return false;
      const int idx = static_cast<int>(i);
      if (completed->contains(pass, idx)) return true;
      RequestRecord rec;
      rec.strategy_id = id;
      rec.pass = pass;
      rec.request_index = idx;
      rec.input_file = inputs[static_cast<size_t>(i)].image_path;
      rec.sent_ns = ns_since(t0);
      const auto start = Clock::now();
      auto r =
          bed->client->infer_image(d.model_name, encoded[static_cast<size_t>(i)], m.timeout_ms,
                                   answer_as);
      rec.end_to_end_ns = ns_since(start);
      if (r.ok()) {
        fill_breakdown(r->breakdown, &rec);
        rec.end_to_end_ns =
            r->breakdown.end_to_end_ns > 0 ? r->breakdown.end_to_end_ns : rec.end_to_end_ns;
        consecutive_errors = 0;
        ++answered;
      } else {
        // Stopping: a request cut short by the stop is measured again on --resume.
        if (c->cancelled()) return false;
        rec.outcome = "error: " + r.status().message();
        // A tier that died is the strategy's outcome, not a row per lost request.
        std::string dead = tier_failure_reason(bed);
        if (!dead.empty()) {
          std::lock_guard<std::mutex> lock(failure_mu);
          failure = dead;
          return false;
        }
        ++consecutive_errors;
        if (errored++ == 0) {
          std::lock_guard<std::mutex> lock(failure_mu);
          first_error = r.status().message();
        }
      }
      Status st = c->store->add_request(c->run_id, rec);
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(failure_mu);
        failure = "store: " + st.message();
        return false;
      }
      progress->add();
      return true;
    });
  }
  (void)tier::undeploy(bed->endpoints, d.model_name);
  if (!failure.empty()) {
    const bool oom = failure.rfind("does not fit", 0) == 0;
    return {oom ? StrategyStatus::kInfeasible : StrategyStatus::kFailed, failure, true};
  }
  // Deployed, yet it answered nothing: not a measurement of the strategy.
  if (answered == 0 && errored > 0) {
    return {StrategyStatus::kFailed,
            "every request failed (" + std::to_string(errored.load()) + "), first: " + first_error,
            false};
  }
  return out;
}

}  // namespace

Status measure_all(RunContext* c) {
  const ExperimentSpec& spec = c->e->spec;
  const MeasurementSpec& m = spec.measurement;
  ASSIGN_OR_RETURN(std::vector<StrategyRow> rows, c->store->strategies(c->run_id));
  std::map<int64_t, StrategyStatus> status;
  for (const auto& r : rows) status[r.strategy_id] = r.status;
  auto finished = [&](int64_t id) {
    const StrategyStatus s = status[id];
    return s == StrategyStatus::kDone || s == StrategyStatus::kInfeasible ||
           s == StrategyStatus::kFailed;
  };
  const int64_t per_strategy = static_cast<int64_t>(m.requests) * m.passes;
  int64_t total = 0, done = 0;
  for (size_t i = 0; i < c->e->plan.strategies.size(); ++i) {
    total += per_strategy;
    const int64_t id = c->strategy_ids[i];
    if (finished(id)) {
      done += per_strategy;
    } else {
      ASSIGN_OR_RETURN(CompletedRequests have, c->store->completed_requests(c->run_id, id));
      done += static_cast<int64_t>(have.size());
    }
  }
  // A run killed while its testbed was up left it behind: remove it before anything else.
  RETURN_IF_ERROR(teardown_previous_testbed(c->state_dir));
  Progress progress(c->options.progress_tty, total);
  progress.add(done);

  // Inputs per model: the same first N images for every strategy, read once.
  std::map<std::string, std::pair<std::vector<Sample>, std::vector<std::string>>> inputs;
  for (const auto& [model, data] : c->data) {
    auto& [samples, bytes] = inputs[model];
    samples = latency_inputs(data, m.requests);
    for (const auto& s : samples) {
      ASSIGN_OR_RETURN(std::string b, read_file_bytes(s.image_path));
      bytes.push_back(std::move(b));
    }
  }

  bool stopped = false;  // a stop left something unmeasured
  for (const auto& scenario : spec.scenarios) {
    std::vector<size_t> todo;
    for (size_t i = 0; i < c->e->plan.strategies.size(); ++i) {
      if (c->e->plan.strategies[i].scenario == scenario.name && !finished(c->strategy_ids[i]))
        todo.push_back(i);
    }
    if (todo.empty()) continue;
    if (c->cancelled()) {
      stopped = true;
      break;
    }
    progress.note("scenario " + scenario.name + ": bringing the testbed up");
    Bed bed;
    for (size_t k = 0; k < todo.size(); ++k) {
      if (c->cancelled()) {
        stopped = true;
        break;
      }
      if (bed.session && !tier_failure_reason(&bed, 0).empty()) {
        // A tier died after the previous strategy: start afresh rather than blame this one.
        bed.client.reset();
        RETURN_IF_ERROR(bed.session->down());
        bed.session.reset();
      }
      if (!bed.session) {
        auto up = bring_up(c, scenario);
        if (!up.ok()) {
          if (up.status().code() == StatusCode::kCancelled || c->cancelled()) {
            stopped = true;
            break;
          }
          return up.status().with_context("testbed for scenario '" + scenario.name + "'");
        }
        bed = std::move(*up);
      }
      const size_t i = todo[k];
      const PlannedStrategy& s = c->e->plan.strategies[i];
      const int64_t id = c->strategy_ids[i];
      const BuiltVariant& v = c->variants.at(s.variant_key());
      RETURN_IF_ERROR(c->store->set_strategy_status(id, StrategyStatus::kRunning, "", v.hash));
      progress.start_strategy(scenario.name, s.model + " " + s.name());
      const auto& in = inputs.at(s.model);
      StrategyOutcome o = measure_strategy(c, &bed, s, id, in.first, in.second, &progress);
      RETURN_IF_ERROR(c->store->flush());
      if (c->cancelled() && o.status == StrategyStatus::kDone) {
        ASSIGN_OR_RETURN(CompletedRequests have, c->store->completed_requests(c->run_id, id));
        if (static_cast<int64_t>(have.size()) < per_strategy) {
          // Stopped part-way: stays running, --resume measures the rest.
          stopped = true;
          break;
        }
      }
      RETURN_IF_ERROR(c->store->set_strategy_status(id, o.status, o.reason, v.hash));
      if (o.status != StrategyStatus::kDone) {
        progress.note(s.model + " " + s.name() + " [" + scenario.name +
                      "]: " + std::string(strategy_status_name(o.status)) + ": " + o.reason);
        // Requests the strategy will never send still count as done for the ETA.
        ASSIGN_OR_RETURN(CompletedRequests have, c->store->completed_requests(c->run_id, id));
        progress.add(per_strategy - static_cast<int64_t>(have.size()));
      }
      if (o.restart) {
        bed.client.reset();
        Status down = bed.session->down();
        if (!down.ok()) return down;
        bed.session.reset();
      }
    }
    bed.client.reset();
    if (bed.session) RETURN_IF_ERROR(bed.session->down());
  }
  progress.finish();
  RETURN_IF_ERROR(c->store->flush());
  if (stopped) return cancelled("stopped by a signal");
  return Status();
}

}  // namespace edgetier::runner
