/// `edgetier testbed up|status|probe|down`: tiers with real limits and shaped links.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "core/log.h"
#include "core/strings.h"
#include "testbed/backend.h"
#include "testbed/testbed.h"

namespace edgetier::cli {
namespace {

using namespace edgetier::testbed;

std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int) { g_stop_requested = true; }

// SIGINT/SIGTERM only raise a flag: `up` notices it between steps and tears down.
void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

void print_state_text(const TestbedState& state) {
  const char* kind = state.network == "remote" ? "remote tiers" : state.root ? "kernel" : "user space";
  std::cout << "testbed run " << state.run_id << " (" << kind << ", " << state.phase << ", " << state.config_source << ")\n";
  if (state.root) {
    std::cout << "cgroups: cpu " << state.cpu_cgroup << ", memory " << state.memory_cgroup
              << ", CFS period " << state.cpu_period_us << " us; link MTU " << state.mtu << "\n";
  }
  std::printf("%-8s %-8s %7s %6s %10s %7s %-21s %s\n", "tier", "state", "pid", "cpus", "memory",
              "threads", "listen", "control");
  for (const auto& t : state.tiers) {
    std::printf("%-8s %-8s %7d %6s %10s %7d %-21s %s\n", t.name.c_str(),
                tier_status_name(t.state).c_str(), t.pid, fixed(t.cpus, 2).c_str(),
                t.memory_bytes > 0 ? format_bytes(t.memory_bytes).c_str() : "-", t.threads,
                t.listen.c_str(), t.control.c_str());
    if (!t.detail.empty()) std::printf("         %s\n", t.detail.c_str());
  }
  if (!state.links.empty()) {
    std::printf("%-12s %9s %9s %8s %-9s %-9s %11s %8s\n", "link", "rate", "delay", "loss",
                "shaping", "delay by", "achieved", "rtt");
    for (const auto& l : state.links) {
      std::printf("%-12s %9s %9s %8s %-9s %-9s %11s %8s\n", l.name().c_str(),
                  (fixed(l.rate_mbit, 1) + "M").c_str(), (fixed(l.delay_ms, 1) + "ms").c_str(),
                  (fixed(l.loss_pct, 1) + "%").c_str(), l.shaping.c_str(),
                  l.delay_emulation.c_str(),
                  l.probe ? (fixed(l.probe->achieved_rate_mbit, 2) + "M").c_str() : "-",
                  l.probe ? (fixed(l.probe->rtt_ms, 3) + "ms").c_str() : "-");
    }
  }
  for (const auto& w : state.warnings) std::cout << "warning: " << w << "\n";
}

void print_probes(const std::vector<LinkProbe>& probes, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : probes) out.push_back(p.to_json());
    print_json(out);
    return;
  }
  std::printf("%-12s %10s %10s %10s %10s %9s %9s\n", "link", "configured", "achieved", "forward",
              "reverse", "off", "rtt_ms");
  for (const auto& p : probes) {
    std::printf("%-12s %10.2f %10.2f %10.2f %10.2f %8.1f%% %9.3f\n", p.link.c_str(),
                p.configured_rate_mbit, p.achieved_rate_mbit, p.forward_rate_mbit,
                p.reverse_rate_mbit, p.deviation() * 100.0, p.rtt_ms);
  }
}

// --foreground: watch the tiers until SIGINT/SIGTERM, then tear down.
int run_foreground(TestbedState state, bool json) {
  std::cerr << "testbed " << state.run_id << " is up; Ctrl-C tears it down\n";
  auto stop = []() { return g_stop_requested.load(); };
  supervise_tiers(&state, stop);
  // Every tier died: keep the record until the user is done looking.
  while (!stop()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto report = testbed_down(state.state_dir, state.run_id);
  if (!report.ok()) return report_error(report.status());
  if (json) {
    print_json(report->to_json());
  } else {
    std::cout << report->to_text();
  }
  return 0;
}

void print_up_result(const TestbedState& state, bool json) {
  if (json) {
    print_json(state.to_json());
  } else {
    print_state_text(state);
  }
  std::cout.flush();
  std::fflush(stdout);
}

// `up` without --foreground: a forked controller does the work and then stays behind as the
// parent of the tiers (reaping them and recording deaths/OOM kills); this process relays its
// result and exits. Ctrl-C during `up` reaches the controller, which tears down.
int run_up_detached(const TestbedConfig& config, const UpOptions& options, bool json) {
  int result_pipe[2];
  if (::pipe2(result_pipe, O_CLOEXEC) != 0) return report_error(internal_error("pipe failed"));
  std::cout.flush();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return report_error(internal_error("fork failed"));
  if (pid == 0) {
    ::close(result_pipe[0]);
    auto state = testbed_up(config, options);
    std::string reply;
    if (!state.ok()) {
      reply = "E" + std::to_string(report_error(state.status()));
    } else {
      print_up_result(*state, json);
      reply = "S";
      // Leave the terminal: later output goes to the controller log, Ctrl-C no longer reaches us.
      std::string log_path = options.state_dir + "/controller.log";
      int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      if (null_fd >= 0) ::dup2(null_fd, 0);
      if (log_fd >= 0) {
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
      }
      ::setsid();
    }
    ssize_t ignored = ::write(result_pipe[1], reply.data(), reply.size());
    (void)ignored;
    ::close(result_pipe[1]);
    if (!state.ok()) ::_exit(std::atoi(reply.c_str() + 1));
    supervise_tiers(&*state, []() { return g_stop_requested.load(); });
    ::_exit(0);
  }
  ::close(result_pipe[1]);
  std::string reply;
  char buffer[64];
  while (true) {
    ssize_t n = ::read(result_pipe[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(result_pipe[0]);
  if (reply == "S") return 0;
  if (reply.size() > 1 && reply[0] == 'E') return std::atoi(reply.c_str() + 1);
  return report_error(internal_error("the testbed controller (pid " + std::to_string(pid) +
                                     ") died before reporting; run `edgetier testbed down`"));
}

}  // namespace

std::function<int()> setup_testbed(CLI::App* app) {
  using namespace edgetier::testbed;
  struct Args {
    std::string config;
    std::string preset = "default";
    std::string state_dir = default_state_dir();
    std::string run_id;
    bool userspace = false;
    bool allow_mismatch = false;
    std::string network;
    bool foreground = false;
    bool all = false;
    bool json = false;
    double probe_seconds = testbed::ProbeOptions{}.seconds_per_direction;
    std::string model_root = ".";
  };
  auto args = std::make_shared<Args>();
  app->require_subcommand(1);
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--state-dir", args->state_dir,
                    "Directory of the state file, sockets and tier logs")
        ->capture_default_str();
    sub->add_flag("--json", args->json, "Print JSON");
  };
  CLI::App* up = app->add_subcommand(
      "up", "Start one limited tier process per tier with shaped links, then probe them");
  add_common(up);
  auto* config_opt =
      up->add_option("--config", args->config, "tiers.yaml with tiers, links and limits");
  up->add_option("--preset", args->preset, "Built-in configuration: default|study")
      ->capture_default_str()
      ->excludes(config_opt);
  auto* userspace_opt = up->add_flag(
      "--userspace", args->userspace,
      "Loopback tiers without namespaces or cgroups (limits NOT enforced); automatic without root");
  up->add_option("--network", args->network,
                 "Backend: auto (namespaces as root, else loopback) | namespaces | loopback | "
                 "remote (tiers given by address in --config; the default when they are)")
      ->excludes(userspace_opt);
  up->add_flag("--allow-link-mismatch", args->allow_mismatch,
               "Keep going when a link's probed rate is more than the tolerance off");
  up->add_flag("--foreground", args->foreground,
               "Stay running, report tier deaths, tear down on Ctrl-C");
  up->add_option("--probe-seconds", args->probe_seconds,
                 "Bulk transfer time per direction when probing")
      ->capture_default_str();
  up->add_option("--model-root", args->model_root,
                 "Folder the tiers may load part files from by path (deploy sends paths; files "
                 "elsewhere need deploy --send-bytes)")
      ->capture_default_str();
  CLI::App* status =
      app->add_subcommand("status", "Show the tiers (running, dead, oom) and links of the testbed");
  add_common(status);
  CLI::App* probe =
      app->add_subcommand("probe", "Measure every link's achieved rate and RTT and record them");
  add_common(probe);
  probe->add_option("--probe-seconds", args->probe_seconds, "Bulk transfer time per direction")
      ->capture_default_str();
  CLI::App* down =
      app->add_subcommand("down", "Remove the testbed's processes, namespaces, links and cgroups");
  add_common(down);
  down->add_option("--run-id", args->run_id,
                   "Remove this run (6 hex digits) instead of the state file's");
  down->add_flag("--all", args->all,
                 "Remove what every testbed run left behind (only names of our pattern)");

  return [args, up, status, probe, down]() {
    ProbeOptions probe_options;
    probe_options.seconds_per_direction = args->probe_seconds;
    if (up->parsed()) {
      TestbedConfig config;
      if (!args->config.empty()) {
        auto loaded = load_testbed_config(args->config);
        if (!loaded.ok()) return report_error(loaded.status());
        config = *loaded;
      } else {
        auto preset = preset_config(args->preset, detect_host_resources());
        if (!preset.ok()) return report_error(preset.status());
        config = *preset;
      }
      install_stop_handlers();
      UpOptions options;
      options.state_dir = args->state_dir;
      options.mode = args->userspace ? TestbedMode::kLoopback : TestbedMode::kAuto;
      if (!args->network.empty()) {
        auto mode = parse_testbed_mode(args->network);
        if (!mode.ok()) return report_error(mode.status());
        options.mode = *mode;
      }
      if (args->network.empty() && is_remote_config(config)) options.mode = TestbedMode::kRemote;
      options.allow_link_mismatch = args->allow_mismatch;
      options.model_root = args->model_root;
      options.probe = probe_options;
      options.is_cancelled = []() { return g_stop_requested.load(); };
      if (options.mode == TestbedMode::kRemote) {
        // Nothing to supervise: the tiers run on their own hosts.
        auto state = testbed_up(config, options);
        if (!state.ok()) return report_error(state.status());
        print_up_result(*state, args->json);
        return 0;
      }
      if (!args->foreground) return run_up_detached(config, options, args->json);
      auto state = testbed_up(config, options);
      if (!state.ok()) return report_error(state.status());
      print_up_result(*state, args->json);
      return run_foreground(*state, args->json);
    }
    if (status->parsed()) {
      auto state = testbed_status(args->state_dir);
      if (!state.ok()) return report_error(state.status());
      if (args->json) {
        print_json(state->to_json());
      } else {
        print_state_text(*state);
      }
      return 0;
    }
    if (probe->parsed()) {
      auto probes = testbed_probe(args->state_dir, probe_options);
      if (!probes.ok()) return report_error(probes.status());
      print_probes(*probes, args->json);
      return 0;
    }
    if (down->parsed()) {
      auto report = testbed_down(args->state_dir, args->run_id, args->all);
      if (!report.ok()) return report_error(report.status());
      if (args->json) {
        print_json(report->to_json());
      } else {
        std::cout << report->to_text();
      }
      return 0;
    }
    return 2;
  };
}

}  // namespace edgetier::cli
