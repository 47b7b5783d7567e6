/// The loopback backend: every tier a plain process on 127.0.0.1 with a free port, links
/// emulated in user space by the tiers' transport, CPU and memory limits NOT enforced.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "testbed/local_backend.h"

namespace edgetier::testbed {

const char* const kUserspaceWarning =
    "WARNING: not running as root, so the testbed runs in user space: every tier is a plain "
    "process on 127.0.0.1, CPU and memory limits are NOT enforced, and link rates/delays are "
    "emulated by the tiers' transport instead of the kernel. Latencies will not reflect the "
    "configured tiers; run as root for real limits.";

namespace {

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

class LoopbackBackend : public LocalBackend {
 public:
  TestbedMode mode() const override { return TestbedMode::kLoopback; }

 protected:
  void plan_network(TestbedState* state) const override {
    for (auto& link : state->links) {
      link.from_addr = "127.0.0.1";
      link.to_addr = "127.0.0.1";
      link.shaping = "userspace";
    }
  }

  Status create_network(const TestbedConfig& /*config*/, const UpOptions& options,
                        TestbedState* state) const override {
    state->warnings.push_back(kUserspaceWarning);
    std::fprintf(stderr, "\n%s\n\n", kUserspaceWarning);
    for (auto& tier : state->tiers) {
      ASSIGN_OR_RETURN(int port, free_loopback_port());
      tier.listen = "127.0.0.1:" + std::to_string(port);
    }
    for (auto& link : state->links) {
      link.delay_emulation = link.emulates_delay_or_loss() ? "userspace" : "none";
    }
    return write_state(options.state_dir, *state);
  }
};

}  // namespace

std::unique_ptr<TestbedBackend> make_loopback_backend() {
  return std::make_unique<LoopbackBackend>();
}

}  // namespace edgetier::testbed
