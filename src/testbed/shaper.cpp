/// Token bucket pacing in user space.
#include "testbed/shaper.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "core/clock.h"

namespace edgetier::testbed {

TokenBucket::TokenBucket(double rate_mbit, int64_t burst_bytes)
    : rate_mbit_(rate_mbit),
      bytes_per_ns_(rate_mbit > 0 ? rate_mbit * 1e6 / 8.0 / 1e9 : 0),
      burst_bytes_(burst_bytes > 0 ? static_cast<double>(burst_bytes)
                                   : std::max(65536.0, rate_mbit * 1e6 / 8.0 * 0.004)),
      tokens_(burst_bytes_) {}

int64_t TokenBucket::reserve_ns(int64_t bytes, int64_t now_ns) {
  if (bytes_per_ns_ <= 0) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_ns_ >= 0 && now_ns > last_ns_) {
    tokens_ =
        std::min(burst_bytes_, tokens_ + static_cast<double>(now_ns - last_ns_) * bytes_per_ns_);
  }
  last_ns_ = std::max(last_ns_, now_ns);
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return 0;
  return static_cast<int64_t>(-tokens_ / bytes_per_ns_);
}

void TokenBucket::consume(int64_t bytes) {
  int64_t wait_ns = reserve_ns(bytes, monotonic_ns());
  if (wait_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
}

Status paced_send(int fd, const void* data, size_t size, TokenBucket* bucket, size_t chunk_bytes) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  size_t done = 0;
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  while (done < size) {
    size_t chunk = std::min(chunk_bytes, size - done);
    if (bucket != nullptr) bucket->consume(static_cast<int64_t>(chunk));
    size_t sent = 0;
    while (sent < chunk) {
      ssize_t n = ::send(fd, bytes + done + sent, chunk - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return unavailable("send after " + std::to_string(done + sent) + " of " +
                           std::to_string(size) + " bytes: " + std::strerror(errno));
      }
      sent += static_cast<size_t>(n);
    }
    done += chunk;
  }
  return ok_status();
}

}  // namespace edgetier::testbed
