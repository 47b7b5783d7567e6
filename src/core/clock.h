/// Monotonic clock helpers: all latencies are int64 nanoseconds from CLOCK_MONOTONIC.
#pragma once

#include <chrono>
#include <cstdint>

namespace edgetier {

inline int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double ns_to_ms(int64_t ns) { return static_cast<double>(ns) * 1e-6; }

/// Measures the time since construction (or the last restart).
class Stopwatch {
 public:
  Stopwatch() : start_ns_(monotonic_ns()) {}
  void restart() { start_ns_ = monotonic_ns(); }
  int64_t elapsed_ns() const { return monotonic_ns() - start_ns_; }
  double elapsed_ms() const { return ns_to_ms(elapsed_ns()); }

 private:
  int64_t start_ns_;
};

}  // namespace edgetier
