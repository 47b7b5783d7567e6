/// Process launching with fork/setns/exec and monitoring through waitpid and /proc.
#include "testbed/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "testbed/command.h"
#include "testbed/files.h"
#include "testbed/netns.h"

extern char** environ;

namespace edgetier::testbed {
namespace {

// How our reaped children ended: waitpid can report it only once.
std::mutex& reaped_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<pid_t, int>& reaped_status() {
  static std::map<pid_t, int> statuses;
  return statuses;
}

// Child-side failure report: which step failed and errno, through a CLOEXEC pipe that the
// parent reads to EOF (EOF without data means exec succeeded).
struct ChildError {
  int step;
  int error;
};
enum ChildStep { kStepCgroup = 1, kStepNetns, kStepLog, kStepExec, kStepSession };

const char* step_name(int step) {
  switch (step) {
    case kStepCgroup: return "joining the cgroup";
    case kStepNetns: return "joining the network namespace";
    case kStepLog: return "opening the log file";
    case kStepExec: return "exec";
    case kStepSession: return "setsid";
    default: return "starting";
  }
}

[[noreturn]] void child_fail(int pipe_fd, int step) {
  ChildError e{step, errno};
  ssize_t ignored = ::write(pipe_fd, &e, sizeof(e));
  (void)ignored;
  ::_exit(127);
}

// Async-signal-safe decimal formatting for the child.
size_t format_pid(pid_t pid, char* out) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid > 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

// Everything the child needs, prepared before fork (the child only makes system calls).
struct Prepared {
  std::string program;
  std::vector<std::string> args;
  std::vector<std::string> env_strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
  int netns_fd = -1;
};

Result<Prepared> prepare(const LaunchSpec& spec, bool needs_program) {
  Prepared p;
  if (needs_program) {
    if (spec.argv.empty()) return invalid_argument("launch: empty command");
    ASSIGN_OR_RETURN(p.program, find_tool(spec.argv[0]));
    p.args = spec.argv;
    p.args[0] = p.program;
    for (auto& a : p.args) p.argv.push_back(a.data());
    p.argv.push_back(nullptr);
  }
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool overridden = false;
    for (const auto& [key, value] : spec.env)
      overridden = overridden || entry.rfind(key + "=", 0) == 0;
    if (!overridden) p.env_strings.push_back(entry);
  }
  for (const auto& [key, value] : spec.env) p.env_strings.push_back(key + "=" + value);
  for (auto& e : p.env_strings) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  if (!spec.netns.empty()) {
    ASSIGN_OR_RETURN(p.netns_fd, open_netns(spec.netns));
  }
  if (!spec.log_path.empty()) {
    // Truncate once here; the child appends, so wait_for_ready sees only this run's output.
    RETURN_IF_ERROR(write_text_file(spec.log_path, ""));
  }
  return p;
}

// Runs in the forked child: session, cgroups, namespace, stdio. Never returns on failure.
void child_setup(const LaunchSpec& spec, const Prepared& p, int err_fd) {
  if (spec.new_session && ::setsid() < 0) child_fail(err_fd, kStepSession);
  char pid_text[24];
  size_t pid_len = format_pid(::getpid(), pid_text);
  for (const auto& file : spec.cgroup_procs) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) child_fail(err_fd, kStepCgroup);
    if (::write(fd, pid_text, pid_len) != static_cast<ssize_t>(pid_len))
      child_fail(err_fd, kStepCgroup);
    ::close(fd);
  }
  if (p.netns_fd >= 0 && ::setns(p.netns_fd, CLONE_NEWNET) != 0) child_fail(err_fd, kStepNetns);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int log_fd = spec.log_path.empty()
                   ? null_fd
                   : ::open(spec.log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (null_fd < 0 || log_fd < 0) child_fail(err_fd, kStepLog);
  ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  // Inherited handlers were reset by exec anyway; ignored signals and the mask are not.
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
}

Result<ProcessHandle> spawn(const LaunchSpec& spec, const std::function<int()>* fn) {
  ASSIGN_OR_RETURN(Prepared p, prepare(spec, fn == nullptr));
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    if (p.netns_fd >= 0) ::close(p.netns_fd);
    return internal_error("pipe: " + std::string(std::strerror(errno)));
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(err_pipe[0]);
    child_setup(spec, p, err_pipe[1]);
    if (fn != nullptr) {
      ::close(err_pipe[1]);
      int rc = (*fn)();
      std::fflush(nullptr);
      ::_exit(rc);
    }
    ::execve(p.program.c_str(), p.argv.data(), p.envp.data());
    child_fail(err_pipe[1], kStepExec);
  }
  int fork_errno = errno;
  ::close(err_pipe[1]);
  if (p.netns_fd >= 0) ::close(p.netns_fd);
  if (pid < 0) {
    ::close(err_pipe[0]);
    return internal_error("fork: " + std::string(std::strerror(fork_errno)));
  }
  {
    std::lock_guard<std::mutex> lock(reaped_mutex());
    reaped_status().erase(pid);  // a recycled pid: forget the old child's ending
  }
  ChildError error{};
  ssize_t got;
  while ((got = ::read(err_pipe[0], &error, sizeof(error))) < 0 && errno == EINTR) {
  }
  ::close(err_pipe[0]);
  std::string what = fn ? "function child" : command_to_string(spec.argv);
  if (got == static_cast<ssize_t>(sizeof(error))) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return internal_error(
        "starting `" + what + "`: " + step_name(error.step) +
        " failed: " + std::strerror(error.error) +
        (error.step == kStepCgroup || error.step == kStepNetns ? " (are you root?)" : ""));
  }
  ProcessHandle handle;
  handle.pid = pid;
  handle.start_ticks = process_start_ticks(pid);
  return handle;
}

}  // namespace

std::string ProcessStatus::describe() const {
  switch (state) {
    case ProcessState::kRunning: return "running";
    case ProcessState::kExited: return "exited with code " + std::to_string(exit_code);
    case ProcessState::kKilled:
      return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    case ProcessState::kGone: break;
  }
  return "gone";
}

Result<ProcessHandle> spawn_process(const LaunchSpec& spec) { return spawn(spec, nullptr); }

Result<ProcessHandle> spawn_function(const LaunchSpec& spec, const std::function<int()>& fn) {
  return spawn(spec, &fn);
}

int64_t process_start_ticks(pid_t pid) {
  auto stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return -1;
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat->substr(close + 2));
  std::string field;
  // Fields after "(comm)" start at 3 (state); starttime is field 22.
  for (int index = 3; fields >> field; ++index) {
    if (index == 22) return std::strtoll(field.c_str(), nullptr, 10);
  }
  return -1;
}

char process_state_letter(pid_t pid) {
  auto stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return 0;
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return 0;
  return (*stat)[close + 2];
}

ProcessStatus poll_process(const ProcessHandle& process) {
  ProcessStatus status;
  if (process.pid <= 0) return status;
  int wstatus = 0;
  bool have_status = false;
  {
    std::lock_guard<std::mutex> lock(reaped_mutex());
    auto it = reaped_status().find(process.pid);
    if (it != reaped_status().end()) {
      wstatus = it->second;
      have_status = true;
    }
  }
  if (!have_status) {
    pid_t r = ::waitpid(process.pid, &wstatus, WNOHANG);
    if (r == 0) {
      status.state = ProcessState::kRunning;
      return status;
    }
    if (r == process.pid) {
      std::lock_guard<std::mutex> lock(reaped_mutex());
      reaped_status()[process.pid] = wstatus;
      have_status = true;
    }
  }
  if (have_status) {
    if (WIFSIGNALED(wstatus)) {
      status.state = ProcessState::kKilled;
      status.signal = WTERMSIG(wstatus);
    } else {
      status.state = ProcessState::kExited;
      status.exit_code = WEXITSTATUS(wstatus);
    }
    return status;
  }
  // Not our child (the controller that started it has exited): ask /proc.
  int64_t ticks = process_start_ticks(process.pid);
  char letter = process_state_letter(process.pid);
  bool same = ticks >= 0 && (process.start_ticks < 0 || ticks == process.start_ticks);
  status.state =
      same && letter != 'Z' && letter != 'X' ? ProcessState::kRunning : ProcessState::kGone;
  return status;
}

ProcessStatus wait_process(const ProcessHandle& process, int timeout_ms) {
  int64_t deadline = monotonic_ns() + static_cast<int64_t>(timeout_ms) * 1000000;
  while (true) {
    ProcessStatus status = poll_process(process);
    if (status.state != ProcessState::kRunning || monotonic_ns() >= deadline) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status stop_process(const ProcessHandle& process, int grace_ms) {
  if (poll_process(process).state != ProcessState::kRunning) return ok_status();
  ::kill(process.pid, SIGTERM);
  if (wait_process(process, grace_ms).state != ProcessState::kRunning) return ok_status();
  if (poll_process(process).state == ProcessState::kRunning) ::kill(process.pid, SIGKILL);
  if (wait_process(process, 3000).state != ProcessState::kRunning) return ok_status();
  return internal_error("process " + std::to_string(process.pid) + " did not stop after SIGKILL");
}

std::string file_tail(const std::string& path, size_t max_bytes) {
  auto text = read_text_file(path);
  if (!text.ok()) return "";
  if (text->size() <= max_bytes) return *text;
  return "..." + text->substr(text->size() - max_bytes);
}

Result<std::string> wait_for_ready(const ProcessHandle& process, const std::string& log_path,
                                   std::string_view prefix, int timeout_ms,
                                   const std::function<bool()>& is_cancelled) {
  int64_t deadline = monotonic_ns() + static_cast<int64_t>(timeout_ms) * 1000000;
  while (true) {
    auto text = read_text_file(log_path);
    if (text.ok()) {
      std::istringstream lines(*text);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind(prefix, 0) == 0 && !lines.eof()) return line;  // a complete line only
      }
    }
    ProcessStatus status = poll_process(process);
    if (status.state != ProcessState::kRunning) {
      return unavailable("process " + std::to_string(process.pid) + " " + status.describe() +
                         " before printing " + std::string(prefix) + "; its output (" + log_path +
                         "):\n" + file_tail(log_path));
    }
    if (is_cancelled && is_cancelled()) {
      return cancelled("interrupted while waiting for " + std::string(prefix));
    }
    if (monotonic_ns() > deadline) {
      return deadline_exceeded("no " + std::string(prefix) + " line from process " +
                               std::to_string(process.pid) + " within " +
                               std::to_string(timeout_ms) + " ms; its output (" + log_path +
                               "):\n" + file_tail(log_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace edgetier::testbed
