/// Testbed commands over the backends: up (by mode), status, probe and down (by the recorded
/// run), plus what every local backend shares: tier state refresh, supervision, probe checks.
#include "testbed/testbed.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "core/log.h"
#include "testbed/backend.h"
#include "testbed/cgroups.h"
#include "testbed/launcher.h"
#include "testbed/local_backend.h"

namespace edgetier::testbed {

namespace {

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

// The backend of the run recorded in `state_dir`.
Result<std::pair<TestbedState, std::unique_ptr<TestbedBackend>>> recorded_backend(
    const std::string& state_dir) {
  ASSIGN_OR_RETURN(TestbedState state, read_state(state_dir));
  ASSIGN_OR_RETURN(auto backend, backend_for_state(state));
  return std::make_pair(std::move(state), std::move(backend));
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
  ASSIGN_OR_RETURN(auto backend, make_backend(options.mode));
  ASSIGN_OR_RETURN(UpResult up, backend->up(config, options));
  return std::move(up.state);
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
  ASSIGN_OR_RETURN(auto recorded, recorded_backend(state_dir));
  return recorded.second->check(state_dir);
}

Result<std::vector<LinkProbe>> testbed_probe(const std::string& state_dir,
                                             const ProbeOptions& options) {
  ASSIGN_OR_RETURN(auto recorded, recorded_backend(state_dir));
  return recorded.second->probe(state_dir, options);
}

Result<TeardownReport> testbed_down(const std::string& state_dir, const std::string& run_id,
                                    bool all) {
  if (all) return teardown_run("", state_dir);
  auto state = read_state(state_dir);
  if (state.ok()) {
    ASSIGN_OR_RETURN(auto backend, backend_for_state(*state));
    return backend->down(state_dir, run_id);
  }
  // No readable state: what is left carries the run id, and removing local resources by name
  // needs no backend's knowledge.
  if (run_id.empty()) {
    if (state.status().code() == StatusCode::kNotFound) return TeardownReport{};
    return state.status().with_context(
        "use --run-id or --all to remove the testbed without its state file");
  }
  return teardown_run(run_id, state_dir);
}

}  // namespace edgetier::testbed
