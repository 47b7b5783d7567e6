/// The runner's testbed per scenario: bringing tiers and links up, recording what they got,
/// noticing dead tiers, turning a reply's breakdown into a stored row, and pacing requests.
#include "experiment/runner_bed.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "core/log.h"
#include "testbed/links.h"

namespace edgetier::runner {
namespace {

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

std::string describe_bytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return buf;
}

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

}  // namespace

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
    t.postprocess_ns = hop.postprocess_ns;
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

Result<Bed> bring_up(RunContext* c, const ScenarioSpec& scenario) {
  Bed bed;
  ASSIGN_OR_RETURN(bed.session, TestbedSession::up(session_config(*c, scenario)));
  for (const auto& w : bed.session->warnings()) LOG_WARN << "testbed: " << w;
  bed.endpoints = bed.session->endpoints();
  tier::TierClientOptions co;
  co.security = bed.endpoints.security_of(bed.endpoints.tiers.front());
  auto link = bed.endpoints.userspace_links.find("client");
  if (link != bed.endpoints.userspace_links.end()) co.link = link->second;
  ASSIGN_OR_RETURN(bed.client, tier::TierClient::connect(bed.endpoints.client_address(), co));
  RETURN_IF_ERROR(bed.client->wait_until_live(30000));
  bed.scenario = scenario.name;
  // The store keeps its own rows (store.h): what each tier got, the host it runs on (from its
  // Health) and what each link achieved.
  for (const auto& t : bed.session->tiers()) {
    TierRecord r;
    r.name = t.name;
    r.cpus = t.cpus;
    r.memory_bytes = t.memory_bytes;
    r.threads = t.threads;
    const tier::TierEndpoint* e = bed.endpoints.find(t.name);
    if (e != nullptr && e->kserve) {
      // A foreign server reports no host; what it says of itself and the model it hosts.
      ASSIGN_OR_RETURN(tier::KserveServerFacts facts,
                       tier::check_kserve_ready(bed.endpoints.kserve_hop(*e), 5000));
      r.host_json = nlohmann::json{{"kind", tier::kKserveRole},
                                   {"address", e->listen},
                                   {"server_name", facts.name},
                                   {"server_version", facts.version},
                                   {"model", e->kserve->name},
                                   {"model_version", e->kserve->version}}
                        .dump();
    } else if (e != nullptr) {
      tier::TierClientOptions options;
      options.security = bed.endpoints.security_of(*e);
      ASSIGN_OR_RETURN(auto client, tier::TierClient::connect(e->control, options));
      auto health = client->health(/*probe_timeout_ms=*/-1);
      if (!health.ok()) return health.status().with_context("tier '" + t.name + "'");
      r.host_json = tier::host_facts_json(*health).dump();
    }
    RETURN_IF_ERROR(c->store->record_tier(c->run_id, r));
  }
  RETURN_IF_ERROR(record_links(c, scenario, bed));
  return bed;
}

Status record_links(RunContext* c, const ScenarioSpec& scenario, const Bed& bed) {
  for (const auto& l : bed.session->links()) {
    LinkRecord r;
    r.scenario = scenario.name;
    r.link = l.name();
    r.configured_rate_mbit = l.rate_mbit;
    r.configured_rtt_ms = l.rtt_ms();
    if (l.probe) {
      r.achieved_rate_mbit = l.probe->achieved_rate_mbit;
      r.rtt_ms = l.probe->rtt_ms;
      r.forward_rate_mbit = l.probe->forward_rate_mbit;
      r.reverse_rate_mbit = l.probe->reverse_rate_mbit;
      r.probed_by = l.probe->probed_by;
    }
    // The planner models the bucket the link really has: tc's tbf, or none when the tiers'
    // forwarders pace in user space (or a remote link is shaped by nobody here).
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
  return ok_status();
}

Status reshape_for(RunContext* c, const ScenarioSpec& scenario, Bed* bed) {
  if (!bed->session) return failed_precondition("no testbed is up");
  RETURN_IF_ERROR(bed->session->reshape(session_config(*c, scenario).links));
  bed->endpoints = bed->session->endpoints();
  bed->scenario = scenario.name;
  return record_links(c, scenario, *bed);
}

Status take_down(RunContext* c, Bed* bed) {
  bed->client.reset();
  bed->control = std::make_unique<tier::ControlClients>();
  if (!bed->session) return ok_status();
  auto timed = c->clock->time("testbed_down");
  Status down = bed->session->down();
  bed->session.reset();
  return down;
}

std::string tier_failure_reason(Bed* bed, int grace_ms) {
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


Result<std::map<int64_t, StrategyStatus>> stored_status(RunContext* c) {
  ASSIGN_OR_RETURN(std::vector<StrategyRow> rows, c->store->strategies(c->run_id));
  std::map<int64_t, StrategyStatus> status;
  for (const auto& r : rows) status[r.strategy_id] = r.status;
  return status;
}

bool is_finished(StrategyStatus s) {
  return s == StrategyStatus::kDone || s == StrategyStatus::kInfeasible ||
         s == StrategyStatus::kFailed;
}

std::vector<size_t> scenario_todo(const RunContext& c, const std::string& scenario,
                                  std::map<int64_t, StrategyStatus>& status) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < c.e->plan.strategies.size(); ++i) {
    if (c.e->plan.strategies[i].scenario == scenario && !is_finished(status[c.strategy_ids[i]]))
      todo.push_back(i);
  }
  return todo;
}

std::optional<EarlyBed> start_first_testbed(RunContext* c) {
  auto status = stored_status(c);
  if (!status.ok()) return std::nullopt;
  for (const auto& scenario : c->e->spec.scenarios) {
    if (scenario_todo(*c, scenario.name, *status).empty()) continue;
    // A run killed while its testbed was up left it behind: it goes before a new one comes.
    if (!teardown_previous_testbed(c->state_dir).ok()) return std::nullopt;
    EarlyBed early;
    early.scenario = scenario.name;
    early.bed = std::async(std::launch::async, [c, &scenario]() {
      auto timed = c->clock->time("testbed_up", /*overlapped=*/true);
      return bring_up(c, scenario);
    });
    return early;
  }
  return std::nullopt;
}

}  // namespace edgetier::runner
