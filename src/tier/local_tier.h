/// Starts `edgetier serve` as a child process on loopback or unix sockets and waits for READY:
/// used by tests, benchmarks, and as the unprivileged fallback when no testbed is up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier::tier {

struct LocalTierOptions {
  std::string binary;  // path of the edgetier executable
  std::string tier;    // tier name
  std::vector<std::string> listen = {"127.0.0.1:0"};
  int threads = 1;
  std::vector<std::string> extra_args;  // e.g. {"--max-message-size", "1MiB"}
  std::string log_path;                 // child's stderr; empty: inherited
  int64_t ready_timeout_ms = 30000;
  /// The child gets SIGKILL when the thread that started it exits (PR_SET_PDEATHSIG), so a
  /// crashed test never leaves servers behind. Start long-lived tiers from a long-lived thread.
  bool die_with_parent = true;
};

/// The READY line a server prints:
/// "READY tier=NAME listen=A,B pid=N threads=T max_message_bytes=B".
struct ReadyLine {
  std::string tier;
  std::vector<std::string> listen;
  int64_t pid = 0;
  int threads = 0;
  int64_t max_message_bytes = 0;  // 0 when the server did not say
};
Result<ReadyLine> parse_ready_line(const std::string& line);

class LocalTier {
 public:
  ~LocalTier();  // stop(): SIGTERM, then SIGKILL after 3 s
  LocalTier(const LocalTier&) = delete;
  LocalTier& operator=(const LocalTier&) = delete;

  static Result<std::unique_ptr<LocalTier>> start(const LocalTierOptions& options);

  pid_t pid() const { return pid_; }
  const std::string& name() const { return ready_.tier; }
  /// Bound addresses in --listen order (chosen ports filled in).
  const std::vector<std::string>& addresses() const { return ready_.listen; }
  const std::string& address() const { return ready_.listen.front(); }
  const ReadyLine& ready() const { return ready_; }

  /// Sends a signal (SIGKILL, SIGSTOP, SIGCONT, ...).
  void signal(int sig);
  /// True while the process has not exited (reaps it when it has).
  bool running();
  /// Waits up to `timeout_ms` for exit; returns the raw wait status.
  Result<int> wait_exit(int64_t timeout_ms);
  /// SIGTERM, wait up to `grace_ms`, then SIGKILL.
  void stop(int64_t grace_ms = 3000);

 private:
  LocalTier() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool exited_ = false;
  int exit_status_ = 0;
  ReadyLine ready_;
};

}  // namespace edgetier::tier
