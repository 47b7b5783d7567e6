/// Checked external-command runner built on posix_spawn and poll.
#include "testbed/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/clock.h"

extern char** environ;

namespace edgetier::testbed {
namespace {

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string trim_trailing(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::string command_to_string(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    if (arg.empty() || arg.find_first_of(" \t\"'") != std::string::npos) {
      text += "'" + arg + "'";
    } else {
      text += arg;
    }
  }
  return text;
}

Result<std::string> find_tool(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (is_executable(name)) return name;
    return not_found("program '" + name + "' does not exist or is not executable");
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string all = path;
    size_t start = 0;
    while (start <= all.size()) {
      size_t end = all.find(':', start);
      if (end == std::string::npos) end = all.size();
      if (end > start) dirs.push_back(all.substr(start, end - start));
      start = end + 1;
    }
  }
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) dirs.emplace_back(dir);
  for (const auto& dir : dirs) {
    std::string candidate = dir + "/" + name;
    if (is_executable(candidate)) return candidate;
  }
  return not_found("program '" + name + "' not found in PATH or /usr/sbin, /sbin; install it (" +
                   (name == "ip" || name == "tc" ? std::string("apt-get install iproute2")
                                                 : "see its documentation") +
                   ")");
}

Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  const CommandOptions& options) {
  if (argv.empty()) return invalid_argument("run_command: empty argument vector");
  ASSIGN_OR_RETURN(std::string program, find_tool(argv[0]));

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return internal_error("pipe: " + std::string(strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return internal_error("pipe: " + std::string(strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  // A child must not inherit our signal mask or ignored signals (SIGPIPE ignored by servers).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty_mask;
  sigset_t default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.push_back(const_cast<char*>(program.c_str()));
  for (size_t i = 1; i < argv.size(); ++i) args.push_back(const_cast<char*>(argv[i].c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return internal_error("cannot start `" + command_to_string(argv) + "`: " + strerror(rc));
  }

  CommandOutput result;
  bool timed_out = false;
  int64_t deadline_ns = monotonic_ns() + static_cast<int64_t>(options.timeout_ms) * 1000000;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[8192];
  while (open_fds > 0) {
    int64_t left_ms = (deadline_ns - monotonic_ns()) / 1000000;
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(left_ms));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return deadline_exceeded("`" + command_to_string(argv) + "` did not finish within " +
                             std::to_string(options.timeout_ms) + " ms and was killed");
  }
  if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.exit_code = 128 + WTERMSIG(wstatus);
  }
  return result;
}

Status run_checked(const std::vector<std::string>& argv, const CommandOptions& options) {
  Result<std::string> out = run_checked_output(argv, options);
  return out.ok() ? ok_status() : out.status();
}

Result<std::string> run_checked_output(const std::vector<std::string>& argv,
                                       const CommandOptions& options) {
  ASSIGN_OR_RETURN(CommandOutput result, run_command(argv, options));
  if (result.exit_code != 0) {
    std::string err = trim_trailing(result.err.empty() ? result.out : result.err);
    return internal_error("`" + command_to_string(argv) + "` failed (exit " +
                          std::to_string(result.exit_code) + ")" + (err.empty() ? "" : ": " + err));
  }
  return std::move(result.out);
}

}  // namespace edgetier::testbed
