/// Child-process tier servers (fork/exec, READY handshake over a pipe).
#include "tier/local_tier.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "core/clock.h"

namespace edgetier::tier {

Result<ReadyLine> parse_ready_line(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  if (!(in >> word) || word != "READY") {
    return invalid_argument("expected a line starting with READY, got '" + line.substr(0, 200) +
                            "'");
  }
  ReadyLine ready;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "tier") ready.tier = value;
    if (key == "pid") ready.pid = std::atoll(value.c_str());
    if (key == "threads") ready.threads = std::atoi(value.c_str());
    if (key == "max_message_bytes") ready.max_message_bytes = std::atoll(value.c_str());
    if (key == "listen") {
      std::istringstream parts(value);
      std::string address;
      while (std::getline(parts, address, ',')) {
        if (!address.empty()) ready.listen.push_back(address);
      }
    }
  }
  if (ready.listen.empty())
    return invalid_argument("READY line lists no addresses: '" + line + "'");
  return ready;
}

Result<std::unique_ptr<LocalTier>> LocalTier::start(const LocalTierOptions& options) {
  if (access(options.binary.c_str(), X_OK) != 0) {
    return not_found("edgetier binary '" + options.binary + "' is not executable");
  }
  std::vector<std::string> args = {options.binary, "serve",     "--tier",
                                   options.tier,   "--threads", std::to_string(options.threads)};
  for (const auto& address : options.listen) {
    args.push_back("--listen");
    args.push_back(address);
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    return internal_error(std::string("pipe: ") + std::strerror(errno));
  int log_fd = -1;
  if (!options.log_path.empty()) {
    log_fd = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      return not_found("cannot open log file '" + options.log_path + "': " + std::strerror(errno));
    }
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (log_fd >= 0) close(log_fd);
    return internal_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (options.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    dup2(pipe_fds[1], STDOUT_FILENO);
    if (log_fd >= 0) dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  if (log_fd >= 0) close(log_fd);

  std::unique_ptr<LocalTier> tier(new LocalTier());
  tier->pid_ = pid;
  tier->stdout_fd_ = pipe_fds[0];
  std::string line;
  const int64_t end_ns = monotonic_ns() + options.ready_timeout_ms * 1000000;
  while (line.find('\n') == std::string::npos) {
    const int64_t left_ms = (end_ns - monotonic_ns()) / 1000000;
    if (left_ms <= 0) {
      return deadline_exceeded("tier '" + options.tier + "' did not print READY within " +
                               std::to_string(options.ready_timeout_ms) + " ms" +
                               (options.log_path.empty() ? "" : "; see " + options.log_path));
    }
    pollfd p{tier->stdout_fd_, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 200)));
    if (n < 0 && errno != EINTR)
      return internal_error(std::string("poll: ") + std::strerror(errno));
    if (n <= 0) continue;
    char buffer[512];
    const ssize_t got = read(tier->stdout_fd_, buffer, sizeof(buffer));
    if (got <= 0) {
      auto status = tier->wait_exit(2000);
      return unavailable("tier '" + options.tier + "' exited before READY (wait status " +
                         std::to_string(status.ok() ? *status : -1) + ")" +
                         (options.log_path.empty() ? "" : "; see " + options.log_path));
    }
    line.append(buffer, static_cast<size_t>(got));
  }
  ASSIGN_OR_RETURN(tier->ready_, parse_ready_line(line.substr(0, line.find('\n'))));
  return tier;
}

LocalTier::~LocalTier() {
  stop();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void LocalTier::signal(int sig) {
  if (pid_ > 0 && !exited_) ::kill(pid_, sig);
}

bool LocalTier::running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    exit_status_ = status;
    return false;
  }
  return r == 0;
}

Result<int> LocalTier::wait_exit(int64_t timeout_ms) {
  const int64_t end_ns = monotonic_ns() + timeout_ms * 1000000;
  while (running()) {
    if (monotonic_ns() >= end_ns) {
      return deadline_exceeded("tier process " + std::to_string(pid_) + " still running after " +
                               std::to_string(timeout_ms) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_status_;
}

void LocalTier::stop(int64_t grace_ms) {
  if (!running()) return;
  ::kill(pid_, SIGCONT);  // a stopped process cannot handle SIGTERM
  ::kill(pid_, SIGTERM);
  if (!wait_exit(grace_ms).ok()) {
    ::kill(pid_, SIGKILL);
    (void)wait_exit(5000);
  }
}

}  // namespace edgetier::tier
