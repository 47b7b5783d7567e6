/// User-space link emulation (rate as a token bucket, one-way delay) for hosts without tc/netem.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "core/status.h"

namespace edgetier::tier {

struct LinkEmulationSpec {
  double rate_mbit = 0;  // <= 0: unlimited
  double delay_ms = 0;   // one-way, added in each direction
  bool active() const { return rate_mbit > 0 || delay_ms > 0; }
};

/// Holds messages as a link of the given rate and delay would. Each direction is its own
/// bucket: a message starts when the previous one in that direction has left (serialisation
/// time bytes*8/rate), then arrives delay_ms later. Thread-safe.
class LinkShaper {
 public:
  enum class Direction { kUp = 0, kDown = 1 };

  explicit LinkShaper(LinkEmulationSpec spec = {}) : spec_(spec) {}
  const LinkEmulationSpec& spec() const { return spec_; }

  /// Sleeps until `bytes` sent now in `direction` would have arrived. Returns the time held;
  /// DEADLINE_EXCEEDED (after sleeping until the deadline) when the arrival is later.
  Result<int64_t> transmit(Direction direction, int64_t bytes,
                           std::chrono::system_clock::time_point deadline =
                               std::chrono::system_clock::time_point::max());

  /// Serialisation plus delay of `bytes` on an idle link, in ns (what transmit would hold).
  int64_t ideal_ns(int64_t bytes) const;

 private:
  LinkEmulationSpec spec_;
  std::mutex mutex_;
  int64_t next_free_ns_[2] = {0, 0};  // monotonic time each direction becomes idle
};

}  // namespace edgetier::tier
