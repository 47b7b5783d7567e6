/// Link probing with sockets made inside each endpoint's namespace.
#include "testbed/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "testbed/netns.h"
#include "tier/shaper.h"

namespace edgetier::testbed {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text() { return std::strerror(errno); }

std::string where(const ProbeEndpoint& e) {
  return e.address + (e.netns.empty() ? "" : " in " + e.netns);
}

Result<Fd> tcp_socket_in(const std::string& netns) {
  int fd = -1;
  int socket_errno = 0;
  RETURN_IF_ERROR(run_in_netns(netns, [&]() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socket_errno = errno;
  }));
  if (fd < 0) return internal_error("socket in '" + netns + "': " + std::strerror(socket_errno));
  return Fd(fd);
}

void set_timeouts(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

Result<sockaddr_in> make_address(const std::string& address, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    return invalid_argument("'" + address + "' is not an IPv4 address");
  }
  return addr;
}

struct Connection {
  Fd client;  // the `from` side
  Fd server;  // the `to` side
};

Result<Connection> connect_pair(const ProbeEndpoint& from, const ProbeEndpoint& to,
                                int timeout_ms) {
  ASSIGN_OR_RETURN(Fd listener, tcp_socket_in(to.netns));
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  ASSIGN_OR_RETURN(sockaddr_in bind_addr, make_address(to.address, 0));
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&bind_addr), sizeof(bind_addr)) != 0) {
    return unavailable("probe: bind " + where(to) + ": " + errno_text());
  }
  if (::listen(listener.get(), 4) != 0) return unavailable("probe: listen: " + errno_text());
  socklen_t len = sizeof(bind_addr);
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bind_addr), &len);

  Connection conn;
  ASSIGN_OR_RETURN(conn.client, tcp_socket_in(from.netns));
  set_timeouts(conn.client.get(), timeout_ms);
  ASSIGN_OR_RETURN(sockaddr_in peer, make_address(to.address, ntohs(bind_addr.sin_port)));
  if (::connect(conn.client.get(), reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0) {
    return unavailable("probe: connect from " + (from.netns.empty() ? "here" : from.netns) +
                       " to " + where(to) + ": " + errno_text());
  }
  set_timeouts(listener.get(), timeout_ms);
  conn.server = Fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (conn.server.get() < 0)
    return unavailable("probe: accept on " + where(to) + ": " + errno_text());
  set_timeouts(conn.server.get(), timeout_ms);
  for (int fd : {conn.client.get(), conn.server.get()}) {
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return conn;
}

bool recv_exact(int fd, void* data, size_t size) {
  auto* bytes = static_cast<uint8_t*>(data);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::recv(fd, bytes + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

bool send_byte(int fd, char byte) {
  while (true) {
    ssize_t n = ::send(fd, &byte, 1, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    return n == 1;
  }
}

Result<double> median_rtt_ms(int client, int server, int rounds) {
  std::atomic<bool> echo_ok{true};
  std::thread echo([&]() {
    for (int i = 0; i < rounds; ++i) {
      char byte = 0;
      if (!recv_exact(server, &byte, 1) || !send_byte(server, byte)) {
        echo_ok = false;
        return;
      }
    }
  });
  std::vector<double> samples;
  Status status;
  for (int i = 0; i < rounds && status.ok(); ++i) {
    int64_t start = monotonic_ns();
    char byte = 'p';
    if (!send_byte(client, byte) || !recv_exact(client, &byte, 1)) {
      status = unavailable("probe: RTT ping " + std::to_string(i) + " failed: " + errno_text());
      break;
    }
    samples.push_back(ns_to_ms(monotonic_ns() - start));
  }
  if (!status.ok()) ::shutdown(server, SHUT_RDWR);
  echo.join();
  RETURN_IF_ERROR(status);
  if (!echo_ok) return unavailable("probe: RTT echo failed");
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// Writes all of `data` (EINTR and short writes handled).
Status send_all(int fd, const uint8_t* data, size_t size) {
  for (size_t sent = 0; sent < size;) {
    ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable("probe: send: " + errno_text());
    sent += static_cast<size_t>(n);
  }
  return ok_status();
}

// Sends `bytes` from `send_fd` to `recv_fd`, in messages held by `shaper` when given
// (as the tiers' forwarders hold theirs); the receiver acknowledges with one byte.
Result<TransferTiming> bulk(int send_fd, int recv_fd, int64_t bytes, tier::LinkShaper* shaper) {
  std::vector<std::pair<int64_t, int64_t>> samples;  // (ns, cumulative bytes)
  samples.reserve(4096);
  std::atomic<bool> recv_ok{true};
  std::thread receiver([&]() {
    std::vector<uint8_t> buffer(1 << 18);
    int64_t got = 0;
    while (got < bytes) {
      ssize_t n = ::recv(recv_fd, buffer.data(),
                         static_cast<size_t>(std::min<int64_t>(bytes - got, buffer.size())), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        recv_ok = false;
        return;
      }
      got += n;
      samples.emplace_back(monotonic_ns(), got);
    }
    if (!send_byte(recv_fd, 'k')) recv_ok = false;
  });
  static const std::vector<uint8_t> payload(1 << 20, 0x5a);
  // The tiers hold whole messages (a tensor per request); 20 ms worth keeps the sleeps' own
  // overshoot small, as it is for real tensors.
  const int64_t message =
      shaper != nullptr
          ? std::clamp<int64_t>(static_cast<int64_t>(shaper->spec().rate_mbit * 1e6 / 8 * 0.02),
                                65536, static_cast<int64_t>(payload.size()))
          : static_cast<int64_t>(payload.size());
  int64_t start = monotonic_ns();
  Status status;
  for (int64_t sent = 0; sent < bytes && status.ok();) {
    size_t chunk = static_cast<size_t>(std::min<int64_t>(bytes - sent, message));
    if (shaper != nullptr) {
      auto held = shaper->transmit(tier::LinkShaper::Direction::kUp, static_cast<int64_t>(chunk));
      if (!held.ok()) status = held.status();
    }
    if (status.ok()) status = send_all(send_fd, payload.data(), chunk);
    sent += static_cast<int64_t>(chunk);
  }
  char ack = 0;
  if (status.ok() && !recv_exact(send_fd, &ack, 1)) {
    status = unavailable("probe: no acknowledgement after " + std::to_string(bytes) +
                         " bytes: " + errno_text());
  }
  if (!status.ok()) ::shutdown(recv_fd, SHUT_RDWR);
  receiver.join();
  RETURN_IF_ERROR(status);
  if (!recv_ok || samples.empty()) {
    return unavailable("probe: the receiver got " +
                       std::to_string(samples.empty() ? 0 : samples.back().second) + " of " +
                       std::to_string(bytes) + " bytes before timing out");
  }
  TransferTiming timing;
  timing.bytes = bytes;
  const int64_t end = samples.back().first;
  timing.seconds = static_cast<double>(end - start) * 1e-9;
  auto quarter = std::find_if(samples.begin(), samples.end(),
                              [&](const auto& s) { return s.second * 4 >= bytes; });
  double steady_s = static_cast<double>(end - quarter->first) * 1e-9;
  if (steady_s > 1e-4 && quarter->second < bytes) {
    timing.steady_rate_mbit = static_cast<double>(bytes - quarter->second) * 8.0 / steady_s / 1e6;
  } else {
    timing.steady_rate_mbit =
        static_cast<double>(bytes) * 8.0 / std::max(timing.seconds, 1e-9) / 1e6;
  }
  return timing;
}

int transfer_timeout_ms(int64_t bytes, double rate_mbit) {
  double expected_s = rate_mbit > 0 ? static_cast<double>(bytes) * 8.0 / (rate_mbit * 1e6) : 1.0;
  return static_cast<int>(std::max(5.0, 4.0 * expected_s + 2.0) * 1000.0);
}

}  // namespace

double LinkProbe::deviation() const {
  if (configured_rate_mbit <= 0) return 0;
  return std::fabs(achieved_rate_mbit / configured_rate_mbit - 1.0);
}

nlohmann::json LinkProbe::to_json() const {
  return {{"link", link},
          {"configured_rate_mbit", configured_rate_mbit},
          {"achieved_rate_mbit", achieved_rate_mbit},
          {"forward_rate_mbit", forward_rate_mbit},
          {"reverse_rate_mbit", reverse_rate_mbit},
          {"rtt_ms", rtt_ms},
          {"bytes", bytes},
          {"probed_by", probed_by},
          {"deviation", deviation()}};
}

LinkProbe LinkProbe::from_json(const nlohmann::json& j) {
  LinkProbe p;
  p.link = j.value("link", "");
  p.configured_rate_mbit = j.value("configured_rate_mbit", 0.0);
  p.achieved_rate_mbit = j.value("achieved_rate_mbit", 0.0);
  p.forward_rate_mbit = j.value("forward_rate_mbit", 0.0);
  p.reverse_rate_mbit = j.value("reverse_rate_mbit", 0.0);
  p.rtt_ms = j.value("rtt_ms", 0.0);
  p.bytes = j.value("bytes", int64_t{0});
  p.probed_by = j.value("probed_by", "testbed");
  return p;
}

Result<LinkProbe> probe_link(const std::string& link, double configured_rate_mbit,
                             const ProbeEndpoint& up, const ProbeEndpoint& down,
                             const ProbeOptions& options) {
  LinkProbe probe;
  probe.link = link;
  probe.configured_rate_mbit = configured_rate_mbit;
  double bytes_wanted = configured_rate_mbit * 1e6 / 8.0 * options.seconds_per_direction;
  probe.bytes =
      std::clamp(static_cast<int64_t>(bytes_wanted), options.min_bytes, options.max_bytes);
  int timeout_ms = transfer_timeout_ms(probe.bytes, configured_rate_mbit);

  ASSIGN_OR_RETURN(Connection conn, connect_pair(up, down, timeout_ms));
  ASSIGN_OR_RETURN(probe.rtt_ms, median_rtt_ms(conn.client.get(), conn.server.get(),
                                               std::max(1, options.rtt_rounds)));
  std::unique_ptr<tier::LinkShaper> forward_shaper;
  std::unique_ptr<tier::LinkShaper> reverse_shaper;
  if (options.userspace_rate_mbit > 0) {
    forward_shaper =
        std::make_unique<tier::LinkShaper>(tier::LinkEmulationSpec{options.userspace_rate_mbit, 0});
    reverse_shaper =
        std::make_unique<tier::LinkShaper>(tier::LinkEmulationSpec{options.userspace_rate_mbit, 0});
  }
  ASSIGN_OR_RETURN(TransferTiming forward,
                   bulk(conn.client.get(), conn.server.get(), probe.bytes, forward_shaper.get()));
  ASSIGN_OR_RETURN(TransferTiming reverse,
                   bulk(conn.server.get(), conn.client.get(), probe.bytes, reverse_shaper.get()));
  probe.forward_rate_mbit = forward.steady_rate_mbit;
  probe.reverse_rate_mbit = reverse.steady_rate_mbit;
  probe.achieved_rate_mbit = std::min(forward.steady_rate_mbit, reverse.steady_rate_mbit);
  return probe;
}

Result<TransferTiming> timed_transfer(const ProbeEndpoint& from, const ProbeEndpoint& to,
                                      int64_t bytes, double userspace_rate_mbit, int timeout_ms) {
  ASSIGN_OR_RETURN(Connection conn, connect_pair(from, to, timeout_ms));
  std::unique_ptr<tier::LinkShaper> shaper;
  if (userspace_rate_mbit > 0) {
    shaper = std::make_unique<tier::LinkShaper>(tier::LinkEmulationSpec{userspace_rate_mbit, 0});
  }
  return bulk(conn.client.get(), conn.server.get(), bytes, shaper.get());
}

}  // namespace edgetier::testbed
