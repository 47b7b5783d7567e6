/// User-space link emulation for machines where the kernel cannot shape (no root): a token
/// bucket that paces a sender, usable by any transport (the tiers' forwarders, the probe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "core/status.h"

namespace edgetier::testbed {

class TokenBucket {
 public:
  /// `rate_mbit` <= 0 means unlimited. The bucket starts full. `burst_bytes` <= 0 picks
  /// max(64 KiB, 4 ms at the rate): enough that a sleep overshooting by a few ms (a loaded
  /// machine) is made up by the next send instead of lowering the rate.
  explicit TokenBucket(double rate_mbit, int64_t burst_bytes = 0);

  /// Takes `bytes` tokens (the bucket may go into debt) and returns how long the caller must
  /// wait, from `now_ns`, before sending them. Thread-safe; concurrent senders share the rate.
  int64_t reserve_ns(int64_t bytes, int64_t now_ns);
  /// reserve_ns() at the current time, then sleeps that long.
  void consume(int64_t bytes);

  double rate_mbit() const { return rate_mbit_; }

 private:
  std::mutex mutex_;
  double rate_mbit_;
  double bytes_per_ns_;
  double burst_bytes_;
  double tokens_;
  int64_t last_ns_ = -1;
};

/// Writes all `size` bytes to socket `fd` in chunks of at most `chunk_bytes`, each released by
/// `bucket` (nullptr: as fast as the socket takes them). Handles EINTR and short writes.
Status paced_send(int fd, const void* data, size_t size, TokenBucket* bucket,
                  size_t chunk_bytes = 16384);

}  // namespace edgetier::testbed
