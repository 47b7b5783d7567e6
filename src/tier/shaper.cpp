/// Token-bucket link emulation with sleeps on the monotonic clock.
#include "tier/shaper.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/clock.h"

namespace edgetier::tier {

int64_t LinkShaper::ideal_ns(int64_t bytes) const {
  int64_t ns = 0;
  if (spec_.rate_mbit > 0) {
    ns += static_cast<int64_t>(
        std::llround(static_cast<double>(bytes) * 8.0 * 1e3 / spec_.rate_mbit));
  }
  if (spec_.delay_ms > 0) ns += static_cast<int64_t>(std::llround(spec_.delay_ms * 1e6));
  return ns;
}

Result<int64_t> LinkShaper::transmit(Direction direction, int64_t bytes,
                                     std::chrono::system_clock::time_point deadline) {
  if (!spec_.active()) return int64_t{0};
  const int64_t start_ns = monotonic_ns();
  int64_t arrive_ns = start_ns;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t& next_free = next_free_ns_[static_cast<int>(direction)];
    const int64_t begin = std::max(start_ns, next_free);
    int64_t leave = begin;
    if (spec_.rate_mbit > 0) {
      leave += static_cast<int64_t>(
          std::llround(static_cast<double>(bytes) * 8.0 * 1e3 / spec_.rate_mbit));
    }
    next_free = leave;
    arrive_ns = leave + static_cast<int64_t>(std::llround(std::max(spec_.delay_ms, 0.0) * 1e6));
  }
  // Compare against the caller's deadline on the wall clock, sleep on the monotonic one.
  const auto now_wall = std::chrono::system_clock::now();
  const int64_t budget_ns =
      deadline == std::chrono::system_clock::time_point::max()
          ? INT64_MAX
          : std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now_wall).count();
  const int64_t hold_ns = arrive_ns - start_ns;
  if (hold_ns > budget_ns) {
    if (budget_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(budget_ns));
    return deadline_exceeded("emulated link needs " + std::to_string(hold_ns / 1000000) +
                             " ms for " + std::to_string(bytes) + " bytes, past the deadline");
  }
  const int64_t remaining_ns = arrive_ns - monotonic_ns();
  if (remaining_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(remaining_ns));
  return monotonic_ns() - start_ns;
}

}  // namespace edgetier::tier
