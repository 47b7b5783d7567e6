/// The remote backend: tiers that already run elsewhere (`edgetier serve` on each device),
/// reached by address over TLS with each tier's token. Nothing local is created: no processes,
/// namespaces, cgroups or tc. Links are measured by the tier that sends on them (ProbeLink).
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/clock.h"
#include "core/log.h"
#include "testbed/backend.h"
#include "testbed/endpoints.h"
#include "testbed/files.h"
#include "tier/client.h"
#include "tier/kserve_hop.h"
#include "tier/protocol.h"

namespace edgetier::testbed {
namespace {

// A tier that does not answer Health within this is dead (the runner asks after every failed
// request, so it bounds how long a dead device holds the run up).
constexpr int64_t kHealthDeadlineMs = 1500;
constexpr int64_t kProbeDeadlineMs = 30000;

Result<std::unique_ptr<tier::TierClient>> connect_tier(const tier::TestbedEndpoints& endpoints,
                                                       const tier::TierEndpoint& tier) {
  tier::TierClientOptions options;
  options.security = endpoints.security_of(tier);
  return tier::TierClient::connect(tier.control, options);
}

/// Health of one tier, with its protocol version checked; errors name the tier and address.
Result<control::HealthResponse> tier_health(const tier::TestbedEndpoints& endpoints,
                                            const tier::TierEndpoint& tier, int64_t deadline_ms) {
  const std::string where = "remote tier '" + tier.name + "' at " + tier.control;
  ASSIGN_OR_RETURN(auto client, connect_tier(endpoints, tier));
  auto health = client->health(/*probe_timeout_ms=*/-1, deadline_ms);
  if (!health.ok()) return health.status().with_context(where);
  RETURN_IF_ERROR(tier::check_protocol_version(health->protocol_version(), tier.name));
  // Hops are timed under the name the tier serves as; a swapped address would mislabel them.
  if (health->tier() != tier.name) {
    return failed_precondition(where + " serves as tier '" + health->tier() +
                               "'; start it with --tier " + tier.name + " or fix the address");
  }
  return health;
}

/// Health of an edgetier tier; ServerReady and ModelReady of a kserve one (it has no control
/// service to ask).
Status tier_answers(const tier::TestbedEndpoints& endpoints, const tier::TierEndpoint& tier,
                    int64_t deadline_ms) {
  if (tier.kserve) return tier::check_kserve_ready(endpoints.kserve_hop(tier), deadline_ms).status();
  return tier_health(endpoints, tier, deadline_ms).status();
}

/// A foreign server hosts one model and forwards nothing: only the chain's last tier, after an
/// edgetier tier, can be one.
Status check_kserve_positions(const TestbedConfig& config) {
  for (size_t i = 0; i < config.tiers.size(); ++i) {
    if (!config.tiers[i].remote.kserve) continue;
    if (i + 1 != config.tiers.size() || i == 0) {
      return invalid_argument(config.source + ": tier '" + config.tiers[i].name +
                              "' is kind: kserve, which only the last tier of the chain can be, "
                              "after at least one edgetier tier (a foreign server forwards "
                              "nothing and does not decode images as edgetier's first tier does)");
    }
  }
  return ok_status();
}

Result<std::vector<LinkProbe>> probe_remote_links(TestbedState* state,
                                                  const tier::TestbedEndpoints& endpoints) {
  std::vector<LinkProbe> probes;
  for (auto& link : state->links) {
    const tier::TierEndpoint* from = endpoints.find(link.from);
    const tier::TierEndpoint* to = endpoints.find(link.to);
    if (from == nullptr || to == nullptr)
      return data_loss("state: link " + link.name() + " names an unknown tier");
    if (to->kserve) {
      // ProbeLink's far end is edgetier's Echo, which a foreign server does not have.
      LOG_INFO << "testbed " << state->run_id << ": link " << link.name()
               << " is not probed: tier " << link.to << " is a kserve server";
      continue;
    }
    ASSIGN_OR_RETURN(auto client, connect_tier(endpoints, *from));
    control::ProbeLinkRequest request;
    request.set_target(to->listen);
    request.set_target_name(to->name);
    request.set_deadline_ms(kProbeDeadlineMs);
    auto measured = client->probe_link(request, kProbeDeadlineMs + 5000);
    if (!measured.ok()) {
      return measured.status().with_context("probing link " + link.name() + " from tier '" +
                                            link.from + "'");
    }
    LinkProbe probe;
    probe.link = link.name();
    probe.configured_rate_mbit = link.rate_mbit;
    probe.forward_rate_mbit = measured->forward_rate_mbit();
    probe.reverse_rate_mbit = measured->reverse_rate_mbit();
    probe.achieved_rate_mbit = std::min(probe.forward_rate_mbit, probe.reverse_rate_mbit);
    probe.rtt_ms = measured->rtt_ms();
    probe.bytes = measured->bytes();
    probe.probed_by = link.from;
    LOG_INFO << "testbed " << state->run_id << ": link " << link.name() << " measured by "
             << link.from << ": " << probe.forward_rate_mbit << " Mbit/s forward, "
             << probe.reverse_rate_mbit << " back, RTT " << probe.rtt_ms << " ms";
    link.probe = probe;
    probes.push_back(probe);
  }
  return probes;
}

class RemoteBackend final : public TestbedBackend {
 public:
  TestbedMode mode() const override { return TestbedMode::kRemote; }

  Result<UpResult> up(const TestbedConfig& config, const UpOptions& options) override {
    RETURN_IF_ERROR(validate_testbed_config(config));
    RETURN_IF_ERROR(check_kserve_positions(config));
    for (const auto& t : config.tiers) {
      if (t.remote.empty()) {
        return invalid_argument(config.source + ": tier '" + t.name +
                                "' has no address; the remote backend reaches every tier by "
                                "its address (e.g. address: 10.0.0.2:8001)");
      }
    }
    RETURN_IF_ERROR(make_directories(options.state_dir));
    auto previous = read_state(options.state_dir);
    if (previous.ok()) {
      ASSIGN_OR_RETURN(auto backend, backend_for_state(*previous));
      auto report = backend->down(options.state_dir, previous->run_id);
      if (!report.ok()) return report.status().with_context("removing the previous testbed run");
    }

    TestbedState state;
    state.run_id = new_run_id();
    state.root = false;
    state.network = std::string(keyword());
    state.phase = "starting";
    state.controller_pid = ::getpid();
    state.state_dir = options.state_dir;
    state.config_source = config.source;
    state.created_unix_ms = wall_clock_ms();
    for (const auto& spec : config.tiers) {
      TierRecord tier;
      static_cast<TierSpec&>(tier) = spec;
      tier.listen = spec.remote.address;
      tier.control = spec.remote.address;
      state.tiers.push_back(tier);
    }
    for (const auto& spec : config.links) {
      LinkRecord link;
      static_cast<LinkSpec&>(link) = spec;
      link.shaping = "none";  // real links: whatever the network (or the devices' tc) does
      state.links.push_back(link);
    }

    Status status = bring_up(options, &state);
    Result<tier::TestbedEndpoints> endpoints = tier::TestbedEndpoints{};
    if (status.ok()) {
      endpoints = endpoints_from_state(state, state_file_path(options.state_dir));
      status = endpoints.status();
    }
    if (!status.ok()) {
      // Nothing was created on the tiers; only our record goes.
      ::unlink(state_file_path(options.state_dir).c_str());
      return status;
    }
    state.phase = "up";
    RETURN_IF_ERROR(write_state(options.state_dir, state));
    return UpResult{std::move(state), std::move(*endpoints)};
  }

  Result<TestbedState> check(const std::string& state_dir) override {
    ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
    ASSIGN_OR_RETURN(tier::TestbedEndpoints endpoints,
                     endpoints_from_state(state, state_file_path(state_dir)));
    bool changed = false;
    for (auto& tier : state.tiers) {
      const tier::TierEndpoint* e = endpoints.find(tier.name);
      if (e == nullptr) continue;
      const Status health = tier_answers(endpoints, *e, kHealthDeadlineMs);
      const TierStatus now = health.ok() ? TierStatus::kRunning : TierStatus::kDead;
      const std::string detail = health.ok() ? "" : "does not answer: " + health.message();
      if (now != tier.state || detail != tier.detail) {
        tier.state = now;
        tier.detail = detail;
        changed = true;
      }
    }
    if (changed) RETURN_IF_ERROR(write_state(state_dir, state));
    return state;
  }

  Result<std::vector<LinkProbe>> probe(
      const std::string& state_dir,
      const ProbeOptions& /*options: the tiers size their own*/) override {
    ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
    if (state.phase != "up") {
      return failed_precondition("testbed run " + state.run_id + " is '" + state.phase +
                                 "', not up; run `edgetier testbed up`");
    }
    ASSIGN_OR_RETURN(tier::TestbedEndpoints endpoints,
                     endpoints_from_state(state, state_file_path(state_dir)));
    ASSIGN_OR_RETURN(auto probes, probe_remote_links(&state, endpoints));
    RETURN_IF_ERROR(write_state(state_dir, state));
    return probes;
  }

  /// Forgets the run: the tiers keep running (they were not ours to start), and the runner has
  /// unloaded every model it deployed after measuring it.
  Result<TeardownReport> down(const std::string& state_dir, const std::string& run_id) override {
    TeardownReport report;
    auto state = read_state(state_dir);
    if (!state.ok()) {
      if (state.status().code() == StatusCode::kNotFound) return report;
      return state.status();
    }
    if (!run_id.empty() && state->run_id != run_id) return report;
    const std::string path = state_file_path(state_dir);
    if (::unlink(path.c_str()) == 0) report.files.push_back(path);
    report.run_ids.push_back(state->run_id);
    return report;
  }

 private:
  /// Every tier answers with our protocol major; its host facts fill in its record; then the
  /// links are measured from their sending tiers.
  Status bring_up(const UpOptions& options, TestbedState* state) const {
    RETURN_IF_ERROR(write_state(options.state_dir, *state));
    ASSIGN_OR_RETURN(tier::TestbedEndpoints endpoints,
                     endpoints_from_state(*state, state_file_path(options.state_dir)));
    for (auto& tier : state->tiers) {
      if (options.is_cancelled && options.is_cancelled())
        return cancelled("testbed up interrupted while asking the remote tiers");
      const tier::TierEndpoint& endpoint = *endpoints.find(tier.name);
      if (endpoint.kserve) {
        // Nothing to learn about its host; the model it hosts is checked again at deploy.
        ASSIGN_OR_RETURN(tier::KserveServerFacts facts,
                         tier::check_kserve_ready(endpoints.kserve_hop(endpoint), 5000));
        tier.state = TierStatus::kRunning;
        LOG_INFO << "testbed " << state->run_id << ": kserve tier " << tier.name << " at "
                 << tier.remote.address << ": " << (facts.name.empty() ? "?" : facts.name) << " "
                 << facts.version << ", model " << endpoint.kserve->describe() << " ready";
        continue;
      }
      ASSIGN_OR_RETURN(control::HealthResponse health,
                       tier_health(endpoints, endpoint, 5000));
      // What the device has, as its tier reports it (nothing here limits it).
      const auto& cgroup = health.cgroup();
      tier.cpus = cgroup.cpu_quota_cores() > 0 ? cgroup.cpu_quota_cores() : health.online_cpus();
      tier.memory_bytes = cgroup.memory_limit_bytes() > 0 ? cgroup.memory_limit_bytes()
                                                          : health.memory_total_bytes();
      tier.threads = health.threads();
      tier.state = TierStatus::kRunning;
      LOG_INFO << "testbed " << state->run_id << ": remote tier " << tier.name << " at "
               << tier.remote.address << ": " << health.cpu_model() << ", " << health.online_cpus()
               << " CPUs, edgetier " << health.version() << ", protocol "
               << health.protocol_version();
    }
    RETURN_IF_ERROR(write_state(options.state_dir, *state));
    RETURN_IF_ERROR(probe_remote_links(state, endpoints).status());
    return write_state(options.state_dir, *state);
  }
};

}  // namespace

std::unique_ptr<TestbedBackend> make_remote_backend() { return std::make_unique<RemoteBackend>(); }

}  // namespace edgetier::testbed
