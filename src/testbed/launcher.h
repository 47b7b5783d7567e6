/// Starts processes the way a container runtime would (fork -> join cgroups -> join the network
/// namespace -> exec), waits for their READY line, watches them and stops them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

struct LaunchSpec {
  std::vector<std::string> argv;          // argv[0] is resolved with find_tool
  std::string netns;                      // network namespace to join (empty: stay)
  std::vector<std::string> cgroup_procs;  // cgroup.procs files to join, before exec
  std::string log_path;                   // stdout and stderr go here (truncated); empty: /dev/null
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  bool new_session = true;  // setsid(): Ctrl-C at the controller's terminal does not hit the tier
};

/// A process identified by pid and start time, so a recycled pid is never mistaken for it.
struct ProcessHandle {
  pid_t pid = -1;
  int64_t start_ticks = -1;  // /proc/<pid>/stat field 22
};

/// Starts argv as described by `spec`. Fails (with the child's errno) when joining the cgroup or
/// namespace or exec fails.
Result<ProcessHandle> spawn_process(const LaunchSpec& spec);
/// Like spawn_process but runs `fn` in the forked child instead of exec (benchmarks and tests
/// that compute inside a limited cgroup); the child exits with fn's return value.
Result<ProcessHandle> spawn_function(const LaunchSpec& spec, const std::function<int()>& fn);

/// Waits until `log_path` holds a line starting with `prefix` ("READY") and returns that line.
/// Fails when the process exits first (quoting the log's tail), after `timeout_ms`, or when
/// `is_cancelled` returns true.
Result<std::string> wait_for_ready(const ProcessHandle& process, const std::string& log_path,
                                   std::string_view prefix, int timeout_ms,
                                   const std::function<bool()>& is_cancelled = {});

enum class ProcessState {
  kRunning,
  kExited,  // exit code known (our child)
  kKilled,  // killed by a signal (our child)
  kGone,    // not running; not our child, so the reason is unknown
};
struct ProcessStatus {
  ProcessState state = ProcessState::kGone;
  int exit_code = 0;
  int signal = 0;
  std::string describe() const;  // "running", "exited with code 1", "killed by signal 9 (Killed)"
};
/// Non-blocking. Reaps our own children (and remembers how they ended); checks /proc for others.
ProcessStatus poll_process(const ProcessHandle& process);
/// Blocks until the process ends or `timeout_ms` passes.
ProcessStatus wait_process(const ProcessHandle& process, int timeout_ms);

/// SIGTERM, then SIGKILL after `grace_ms`; waits for the end. Only signals the process if its
/// start time still matches.
Status stop_process(const ProcessHandle& process, int grace_ms = 2000);

/// Start time of `pid` in clock ticks since boot; -1 when there is no such process.
int64_t process_start_ticks(pid_t pid);
/// The process's state letter from /proc ('R', 'S', 'Z', ...); 0 when there is none.
char process_state_letter(pid_t pid);
/// Last `max_bytes` of a file, for error messages ("" when unreadable).
std::string file_tail(const std::string& path, size_t max_bytes = 1500);

}  // namespace edgetier::testbed
