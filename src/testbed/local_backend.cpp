/// The local backends' shared lifecycle: plan, create the network, start the tiers, probe,
/// record, and tear down on failure.
#include "testbed/local_backend.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"
#include "testbed/endpoints.h"
#include "testbed/files.h"
#include "testbed/launcher.h"
#include "tier/security.h"

namespace edgetier::testbed {

Status check_cancel(const UpOptions& options, const char* step) {
  if (options.is_cancelled && options.is_cancelled()) {
    return cancelled(std::string("testbed up interrupted while ") + step +
                     "; everything created was removed");
  }
  return ok_status();
}

std::string describe_memory(int64_t bytes) { return bytes > 0 ? format_bytes(bytes) : "unlimited"; }

namespace {

std::string self_exe() {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "edgetier";
  buffer[n] = '\0';
  return buffer;
}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close != std::string::npos) {
        auto it = values.find(text.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

// The tiers and links of `config` as records, before anything exists.
void plan_records(const TestbedConfig& config, const std::string& state_dir, TestbedState* state) {
  for (const auto& spec : config.tiers) {
    TierRecord tier;
    static_cast<TierSpec&>(tier) = spec;
    tier.threads = tier_threads(spec);
    tier.control = "unix:" + state_dir + "/" + spec.name + ".sock";
    tier.log = state_dir + "/" + spec.name + ".log";
    state->tiers.push_back(tier);
  }
  for (const auto& spec : config.links) {
    LinkRecord link;
    static_cast<LinkSpec&>(link) = spec;
    state->links.push_back(link);
  }
}

Status start_tiers(const TestbedConfig& config, const UpOptions& options, TestbedState* state) {
  const std::string exe = options.exe.empty() ? self_exe() : options.exe;
  std::vector<ProcessHandle> handles;
  for (auto& tier : state->tiers) {
    std::string socket_path = tier.control.substr(5);
    if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
      return invalid_argument("unix socket path '" + socket_path + "' is longer than " +
                              std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                              " bytes; use a shorter --state-dir");
    }
    ::unlink(socket_path.c_str());
    std::map<std::string, std::string> values = {{"exe", exe},
                                                 {"tier", tier.name},
                                                 {"listen", tier.listen},
                                                 {"unix", socket_path},
                                                 {"threads", std::to_string(tier.threads)},
                                                 {"state_dir", options.state_dir},
                                                 {"token_file", state->token_file},
                                                 {"model_root", state->model_root}};
    LaunchSpec spec;
    for (const auto& arg : config.server_command) spec.argv.push_back(substitute(arg, values));
    spec.netns = tier.netns;
    spec.cgroup_procs = cgroup_procs_files(tier.cgroup);
    spec.log_path = tier.log;
    spec.env = {{kRunIdEnv, state->run_id}, {"EDGETIER_TIER", tier.name}};
    LOG_INFO << "testbed " << state->run_id << ": starting " << tier.name << " (" << tier.cpus
             << " CPUs, " << describe_memory(tier.memory_bytes) << ", " << tier.threads
             << " threads)";
    auto handle = spawn_process(spec);
    if (!handle.ok()) return handle.status().with_context("tier " + tier.name);
    tier.pid = handle->pid;
    tier.start_ticks = handle->start_ticks;
    handles.push_back(*handle);
    RETURN_IF_ERROR(write_state(options.state_dir, *state));
  }
  int64_t deadline = monotonic_ns() + static_cast<int64_t>(config.ready_timeout_ms) * 1000000;
  for (size_t i = 0; i < state->tiers.size(); ++i) {
    TierRecord& tier = state->tiers[i];
    int left_ms = static_cast<int>(std::max<int64_t>(1, (deadline - monotonic_ns()) / 1000000));
    auto ready = wait_for_ready(handles[i], tier.log, "READY", left_ms, options.is_cancelled);
    if (!ready.ok()) {
      refresh_tier_state(&tier);
      std::string oom = tier.state == TierStatus::kOom ? " (" + tier.detail + ")" : "";
      return Status(ready.status().code(),
                    "tier " + tier.name + oom + ": " + ready.status().message());
    }
    tier.state = TierStatus::kRunning;
    LOG_INFO << "testbed " << state->run_id << ": " << *ready;
  }
  return write_state(options.state_dir, *state);
}

/// Every link is probed at once: the links join different pairs of network devices (each end
/// of a link is a veth of its own, shaped by its own qdisc), so one link's bulk transfer does not
/// share a bottleneck with another's, and a testbed comes up (or is re-shaped) in the time of
/// its slowest link instead of the sum. The two directions of one link stay sequential: a
/// transfer's ACKs travel on the reverse direction.
Result<std::vector<LinkProbe>> probe_state_links(TestbedState* state, const ProbeOptions& base) {
  const size_t n = state->links.size();
  std::vector<Result<LinkProbe>> results(n, Result<LinkProbe>(internal_error("not probed")));
  std::vector<std::thread> workers;
  for (size_t i = 0; i < n; ++i) {
    const LinkRecord& link = state->links[i];
    const TierRecord* from = state->find_tier(link.from);
    const TierRecord* to = state->find_tier(link.to);
    if (from == nullptr || to == nullptr) {
      results[i] = data_loss("state: link " + link.name() + " names an unknown tier");
      continue;
    }
    ProbeOptions options = base;
    if (link.shaping == "userspace") options.userspace_rate_mbit = link.rate_mbit;
    ProbeEndpoint up{from->netns, link.from_addr}, down{to->netns, link.to_addr};
    workers.emplace_back([&results, i, name = link.name(), rate = link.rate_mbit, up, down,
                          options]() { results[i] = probe_link(name, rate, up, down, options); });
  }
  for (auto& w : workers) w.join();
  std::vector<LinkProbe> probes;
  for (size_t i = 0; i < n; ++i) {
    LinkRecord& link = state->links[i];
    if (!results[i].ok()) return results[i].status().with_context("probing link " + link.name());
    const LinkProbe& probe = *results[i];
    LOG_INFO << "testbed " << state->run_id << ": link " << link.name() << " "
             << probe.achieved_rate_mbit << " of " << link.rate_mbit << " Mbit/s, RTT "
             << probe.rtt_ms << " ms";
    link.probe = probe;
    probes.push_back(probe);
  }
  return probes;
}

}  // namespace

Result<UpResult> LocalBackend::up(const TestbedConfig& config, const UpOptions& options) {
  RETURN_IF_ERROR(validate_testbed_config(config));
  RETURN_IF_ERROR(check_preconditions());
  const bool kernel = mode() == TestbedMode::kNamespaces;
  RETURN_IF_ERROR(make_directories(options.state_dir));

  auto previous = read_state(options.state_dir);
  if (previous.ok()) {
    LOG_INFO << "testbed: removing the previous run " << previous->run_id << " recorded in "
             << state_file_path(options.state_dir);
    auto report = teardown_run(previous->run_id, options.state_dir);
    if (!report.ok()) return report.status().with_context("removing the previous testbed run");
  } else if (previous.status().code() != StatusCode::kNotFound) {
    return previous.status().with_context(
        "the previous testbed state is unreadable; remove its resources with "
        "`edgetier testbed down --all`");
  }

  TestbedState state;
  state.run_id = new_run_id();
  state.root = kernel;
  state.network = std::string(keyword());
  state.phase = "starting";
  state.controller_pid = ::getpid();
  state.controller_start_ticks = process_start_ticks(state.controller_pid);
  state.state_dir = options.state_dir;
  state.config_source = config.source;
  state.cpu_period_us = config.cpu_period_us;
  state.created_unix_ms = wall_clock_ms();
  state.token_file = options.state_dir + "/control.token";
  if (!options.model_root.empty()) {
    std::error_code ec;
    const auto root = std::filesystem::canonical(options.model_root, ec);
    if (ec || !std::filesystem::is_directory(root, ec)) {
      return invalid_argument("testbed: the model root '" + options.model_root +
                              "' is not a folder; pass an existing --model-root");
    }
    state.model_root = root.string();
  }
  plan_records(config, options.state_dir, &state);
  plan_network(&state);
  // The run id is on disk before anything exists, so `down` can always find what follows.
  RETURN_IF_ERROR(write_state(options.state_dir, state));
  // A token per run: the tiers take control calls over TCP only with it.
  RETURN_IF_ERROR(tier::write_new_token_file(state.token_file));
  LOG_INFO << "testbed: run " << state.run_id << " (" << (kernel ? "kernel" : "user space") << ", "
           << config.source << ", state " << state_file_path(options.state_dir) << ")";

  Status status = create_network(config, options, &state);
  if (status.ok()) status = check_cancel(options, "creating resources");
  if (status.ok()) status = start_tiers(config, options, &state);
  if (status.ok()) status = check_cancel(options, "starting tiers");
  if (status.ok()) {
    auto probes = probe_state_links(&state, options.probe);
    status = probes.ok() ? write_state(options.state_dir, state) : probes.status();
    if (status.ok() && !options.allow_link_mismatch)
      status = check_probes(*probes, config.probe_tolerance);
  }
  if (status.ok()) status = check_cancel(options, "probing links");
  Result<tier::TestbedEndpoints> endpoints = tier::TestbedEndpoints{};
  if (status.ok()) {
    endpoints = endpoints_from_state(state, state_file_path(options.state_dir));
    status = endpoints.status();
  }
  if (!status.ok()) {
    state.phase = "failed";
    (void)write_state(options.state_dir, state);
    auto report = teardown_run(state.run_id, options.state_dir);
    if (!report.ok())
      return Status(status.code(), status.message() + "; cleanup: " + report.status().message());
    return status;
  }
  state.phase = "up";
  RETURN_IF_ERROR(write_state(options.state_dir, state));
  return UpResult{std::move(state), std::move(*endpoints)};
}

Result<TestbedState> LocalBackend::check(const std::string& state_dir) {
  ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
  bool changed = false;
  for (auto& tier : state.tiers) changed = refresh_tier_state(&tier) || changed;
  if (changed) RETURN_IF_ERROR(write_state(state_dir, state));
  return state;
}

Result<std::vector<LinkProbe>> LocalBackend::probe(const std::string& state_dir,
                                                   const ProbeOptions& options) {
  ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
  if (state.phase != "up") {
    return failed_precondition("testbed run " + state.run_id + " is '" + state.phase +
                               "', not up; run `edgetier testbed up`");
  }
  ASSIGN_OR_RETURN(auto probes, probe_state_links(&state, options));
  RETURN_IF_ERROR(write_state(state_dir, state));
  return probes;
}

Status LocalBackend::reshape_network(const std::vector<LinkSpec>&, TestbedState*) const {
  return unimplemented("the " + std::string(keyword()) +
                       " testbed paces its links in the tiers, fixed when they start");
}

Result<UpResult> LocalBackend::reshape(const std::string& state_dir,
                                       const std::vector<LinkSpec>& links,
                                       const ProbeOptions& options) {
  ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
  if (state.phase != "up") {
    return failed_precondition("testbed run " + state.run_id + " is '" + state.phase +
                               "', not up");
  }
  RETURN_IF_ERROR(reshape_network(links, &state));
  RETURN_IF_ERROR(write_state(state_dir, state));
  ASSIGN_OR_RETURN(auto probes, probe_state_links(&state, options));
  (void)probes;
  RETURN_IF_ERROR(write_state(state_dir, state));
  ASSIGN_OR_RETURN(tier::TestbedEndpoints endpoints,
                   endpoints_from_state(state, state_file_path(state_dir)));
  return UpResult{std::move(state), std::move(endpoints)};
}

Result<TeardownReport> LocalBackend::down(const std::string& state_dir, const std::string& run_id) {
  std::string id = run_id;
  if (id.empty()) {
    auto state = read_state(state_dir);
    if (!state.ok()) {
      if (state.status().code() == StatusCode::kNotFound) return TeardownReport{};
      return state.status().with_context(
          "use --run-id or --all to remove the testbed without its state file");
    }
    id = state->run_id;
  }
  return teardown_run(id, state_dir);
}

}  // namespace edgetier::testbed
