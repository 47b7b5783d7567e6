/// Testbed orchestration: up (namespaces, cgroups, links, tiers, probe), status, probe, down.
#include "testbed/testbed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>

#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"
#include "testbed/cgroups.h"
#include "testbed/files.h"
#include "testbed/launcher.h"
#include "testbed/links.h"
#include "testbed/netns.h"

namespace edgetier::testbed {

const char* const kUserspaceWarning =
    "WARNING: not running as root, so the testbed runs in user space: every tier is a plain "
    "process on 127.0.0.1, CPU and memory limits are NOT enforced, and link rates/delays are "
    "emulated by the tiers' transport instead of the kernel. Latencies will not reflect the "
    "configured tiers; run as root for real limits.";

namespace {

Status check_cancel(const UpOptions& options, const char* step) {
  if (options.is_cancelled && options.is_cancelled()) {
    return cancelled(std::string("testbed up interrupted while ") + step +
                     "; everything created was removed");
  }
  return ok_status();
}

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

Result<int> free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return internal_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (rc == 0) rc = ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  if (rc != 0) return unavailable("cannot find a free port on 127.0.0.1");
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string describe_memory(int64_t bytes) { return bytes > 0 ? format_bytes(bytes) : "unlimited"; }

// The tiers and links of `config` as records, before anything exists.
void plan_records(const TestbedConfig& config, bool kernel, const std::string& state_dir,
                  TestbedState* state) {
  for (const auto& spec : config.tiers) {
    TierRecord tier;
    tier.name = spec.name;
    tier.netns = kernel ? netns_name(state->run_id, spec.name) : "";
    tier.cpus = spec.cpus;
    tier.memory_bytes = spec.memory_bytes;
    tier.threads = threads_for_cpus(spec.cpus);
    tier.control = "unix:" + state_dir + "/" + spec.name + ".sock";
    tier.log = state_dir + "/" + spec.name + ".log";
    state->tiers.push_back(tier);
  }
  for (size_t i = 0; i < config.links.size(); ++i) {
    const LinkSpec& spec = config.links[i];
    LinkRecord link;
    link.name = spec.name();
    link.from = spec.from;
    link.to = spec.to;
    link.rate_mbit = spec.rate_mbit;
    link.delay_ms = spec.delay_ms;
    link.jitter_ms = spec.jitter_ms;
    link.loss_pct = spec.loss_pct;
    if (kernel) {
      LinkDevices d = link_devices(state->run_id, static_cast<int>(i));
      link.from_addr = d.up_addr;
      link.to_addr = d.down_addr;
      link.devices = {d.up_dev, d.down_dev, d.up_ifb, d.down_ifb};
      link.shaping = "tc";
    } else {
      link.from_addr = "127.0.0.1";
      link.to_addr = "127.0.0.1";
      link.shaping = "userspace";
    }
    state->links.push_back(link);
  }
}

Status up_kernel_resources(const TestbedConfig& config, const UpOptions& options,
                           TestbedState* state) {
  CgroupLayout layout = detect_cgroup_layout();
  if (!layout.usable()) {
    return failed_precondition("cannot enforce CPU/memory limits: " + layout.problem +
                               "; use --userspace to run without limits");
  }
  state->cpu_cgroup = std::string(cgroup_version_name(layout.cpu.version));
  state->memory_cgroup = std::string(cgroup_version_name(layout.memory.version));
  state->mtu = kLinkMtu;
  for (auto& tier : state->tiers) {
    LOG_INFO << "testbed " << state->run_id << ": namespace " << tier.netns;
    RETURN_IF_ERROR(create_netns(tier.netns));
    RETURN_IF_ERROR(check_cancel(options, "creating namespaces"));
  }
  for (auto& tier : state->tiers) {
    CgroupLimits limits{tier.cpus, config.cpu_period_us, tier.memory_bytes};
    ASSIGN_OR_RETURN(tier.cgroup,
                     create_cgroup(layout, cgroup_name(state->run_id, tier.name), limits));
    RETURN_IF_ERROR(write_state(options.state_dir, *state));
  }
  bool wants_netem = std::any_of(config.links.begin(), config.links.end(), [](const LinkSpec& l) {
    return l.delay_ms > 0 || l.jitter_ms > 0 || l.loss_pct > 0;
  });
  bool netem = false;
  if (wants_netem) {
    ASSIGN_OR_RETURN(netem, netem_available(state->tiers.front().netns));
  }
  for (size_t i = 0; i < state->links.size(); ++i) {
    LinkRecord& link = state->links[i];
    const LinkSpec& spec = config.links[i];
    LinkShape shape{spec.rate_mbit, spec.delay_ms, spec.jitter_ms, spec.loss_pct};
    link.delay_emulation = !shape.wants_netem() ? "none" : netem ? "netem" : "userspace";
    if (shape.wants_netem() && !netem) {
      state->warnings.push_back(
          "link " + link.name + ": this kernel has no netem qdisc, so its delay/jitter/loss " +
          "are emulated in user space by the tiers' forwarders (delay_emulation=userspace)");
      LOG_WARN << state->warnings.back();
    }
    RETURN_IF_ERROR(write_state(options.state_dir, *state));
    LinkDevices d = link_devices(state->run_id, static_cast<int>(i));
    const std::string& up_ns = state->tiers[i].netns;
    const std::string& down_ns = state->tiers[i + 1].netns;
    LOG_INFO << "testbed " << state->run_id << ": link " << link.name << " " << d.up_dev << " "
             << d.up_addr << " <-> " << d.down_dev << " " << d.down_addr << " at " << spec.rate_mbit
             << " Mbit/s";
    RETURN_IF_ERROR(create_veth_link(d, up_ns, down_ns));
    RETURN_IF_ERROR(shape_link_end(up_ns, d.up_dev, d.up_ifb, shape, netem));
    RETURN_IF_ERROR(shape_link_end(down_ns, d.down_dev, d.down_ifb, shape, netem));
    RETURN_IF_ERROR(check_cancel(options, "creating links"));
  }
  // What the upstream neighbour dials: the downstream end of the link towards the client.
  for (size_t i = 0; i < state->tiers.size(); ++i) {
    std::string addr = i > 0 ? state->links[i - 1].to_addr
                             : (state->links.empty() ? "127.0.0.1" : state->links[0].from_addr);
    state->tiers[i].listen = addr + ":" + std::to_string(config.port);
  }
  return write_state(options.state_dir, *state);
}

Status up_userspace_resources(const TestbedConfig& config, const UpOptions& options,
                              TestbedState* state) {
  state->warnings.push_back(kUserspaceWarning);
  std::fprintf(stderr, "\n%s\n\n", kUserspaceWarning);
  for (auto& tier : state->tiers) {
    ASSIGN_OR_RETURN(int port, free_loopback_port());
    tier.listen = "127.0.0.1:" + std::to_string(port);
  }
  for (auto& link : state->links) {
    link.delay_emulation =
        link.delay_ms > 0 || link.jitter_ms > 0 || link.loss_pct > 0 ? "userspace" : "none";
  }
  return write_state(options.state_dir, *state);
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
                                                 {"state_dir", options.state_dir}};
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

std::vector<std::string> link_probe_problems(const std::vector<LinkProbe>& probes,
                                             double tolerance) {
  std::vector<std::string> problems;
  for (const auto& p : probes) {
    if (p.deviation() <= tolerance) continue;
    char text[256];
    std::snprintf(text, sizeof(text),
                  "link %s achieved %.2f Mbit/s of %.2f (%.1f%% off; forward %.2f, reverse %.2f)",
                  p.link.c_str(), p.achieved_rate_mbit, p.configured_rate_mbit,
                  p.deviation() * 100.0, p.forward_rate_mbit, p.reverse_rate_mbit);
    problems.push_back(text);
  }
  return problems;
}

Result<std::vector<LinkProbe>> probe_state_links(TestbedState* state, const ProbeOptions& base) {
  std::vector<LinkProbe> probes;
  for (size_t i = 0; i < state->links.size(); ++i) {
    LinkRecord& link = state->links[i];
    const TierRecord* from = state->find_tier(link.from);
    const TierRecord* to = state->find_tier(link.to);
    if (from == nullptr || to == nullptr)
      return data_loss("state: link " + link.name + " names an unknown tier");
    ProbeOptions options = base;
    if (link.shaping == "userspace") options.userspace_rate_mbit = link.rate_mbit;
    auto probe = probe_link(link.name, link.rate_mbit, {from->netns, link.from_addr},
                            {to->netns, link.to_addr}, options);
    if (!probe.ok()) return probe.status().with_context("probing link " + link.name);
    LOG_INFO << "testbed " << state->run_id << ": link " << link.name << " "
             << probe->achieved_rate_mbit << " of " << link.rate_mbit << " Mbit/s, RTT "
             << probe->rtt_ms << " ms";
    link.probe = *probe;
    probes.push_back(*probe);
  }
  return probes;
}

}  // namespace

Status check_probes(const std::vector<LinkProbe>& probes, double tolerance) {
  auto problems = link_probe_problems(probes, tolerance);
  if (problems.empty()) return ok_status();
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  char tol[32];
  std::snprintf(tol, sizeof(tol), "%.0f%%", tolerance * 100.0);
  return failed_precondition(
      text + " (tolerance " + tol +
      "); the machine may be overloaded; pass --allow-link-mismatch to continue anyway");
}

Result<TestbedState> testbed_up(const TestbedConfig& config, const UpOptions& options) {
  RETURN_IF_ERROR(validate_testbed_config(config));
  const bool root = ::geteuid() == 0;
  if (options.mode == TestbedMode::kKernel && !root) {
    return permission_denied(
        "the kernel testbed (namespaces, tc, cgroups) needs root; run as root or pass --userspace");
  }
  const bool kernel =
      options.mode == TestbedMode::kKernel || (options.mode == TestbedMode::kAuto && root);
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
  state.phase = "starting";
  state.controller_pid = ::getpid();
  state.controller_start_ticks = process_start_ticks(state.controller_pid);
  state.state_dir = options.state_dir;
  state.config_source = config.source;
  state.cpu_period_us = config.cpu_period_us;
  state.created_unix_ms = wall_clock_ms();
  plan_records(config, kernel, options.state_dir, &state);
  // The run id is on disk before anything exists, so `down` can always find what follows.
  RETURN_IF_ERROR(write_state(options.state_dir, state));
  LOG_INFO << "testbed: run " << state.run_id << " (" << (kernel ? "kernel" : "user space") << ", "
           << config.source << ", state " << state_file_path(options.state_dir) << ")";

  Status status = kernel ? up_kernel_resources(config, options, &state)
                         : up_userspace_resources(config, options, &state);
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
  return state;
}

bool refresh_tier_state(TierRecord* tier) {
  if (tier->pid <= 0) return false;
  TierStatus before = tier->state;
  std::string before_detail = tier->detail;
  ProcessStatus process = poll_process({tier->pid, tier->start_ticks});
  if (process.state == ProcessState::kRunning) {
    if (tier->state == TierStatus::kStarting || tier->state == TierStatus::kRunning) {
      tier->state = TierStatus::kRunning;
    }
  } else if (tier->state != TierStatus::kOom && tier->state != TierStatus::kDead) {
    OomInfo oom = read_oom_info(tier->cgroup);
    bool sigkill = process.state == ProcessState::kKilled && process.signal == SIGKILL;
    if (oom.oom_kills > 0 || (oom.oom_kills < 0 && sigkill && oom.failcnt > 0)) {
      tier->state = TierStatus::kOom;
      tier->detail = "killed by the OOM killer: over its memory limit of " +
                     describe_memory(tier->memory_bytes) +
                     (oom.oom_kills > 0 ? " (oom_kill=" + std::to_string(oom.oom_kills) + ")" : "");
    } else {
      tier->state = TierStatus::kDead;
      tier->detail = process.state == ProcessState::kGone
                         ? "exited (exit status unknown: not our child)"
                         : process.describe();
    }
  }
  return tier->state != before || tier->detail != before_detail;
}

void supervise_tiers(TestbedState* state, const std::function<bool()>& stop) {
  while (!stop()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool changed = false;
    bool any_running = false;
    for (auto& tier : state->tiers) {
      if (refresh_tier_state(&tier)) {
        changed = true;
        LOG_WARN << "testbed " << state->run_id << ": tier " << tier.name << " is "
                 << tier_status_name(tier.state) << (tier.detail.empty() ? "" : ": " + tier.detail);
      }
      any_running = any_running || tier.state == TierStatus::kRunning;
    }
    if (changed && !stop()) {
      // Others (probe, status) write the file too: change only the tiers' states.
      auto current = read_state(state->state_dir);
      if (current.ok() && current->run_id == state->run_id) {
        for (auto& tier : current->tiers) {
          if (const TierRecord* mine = state->find_tier(tier.name)) {
            tier.state = mine->state;
            tier.detail = mine->detail;
          }
        }
        (void)write_state(state->state_dir, *current);
      }
    }
    if (!any_running) return;
  }
  for (auto& tier : state->tiers) {
    if (tier.pid > 0) (void)stop_process({tier.pid, tier.start_ticks}, 2000);
  }
}

Result<TestbedState> testbed_status(const std::string& state_dir) {
  ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
  bool changed = false;
  for (auto& tier : state.tiers) changed = refresh_tier_state(&tier) || changed;
  if (changed) RETURN_IF_ERROR(write_state(state_dir, state));
  return state;
}

Result<std::vector<LinkProbe>> testbed_probe(const std::string& state_dir,
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

Result<TeardownReport> testbed_down(const std::string& state_dir, const std::string& run_id,
                                    bool all) {
  if (all) return teardown_run("", state_dir);
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
