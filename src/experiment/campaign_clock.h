/// Where the campaign's wall time goes: phases timed on the monotonic clock, from any thread.
#pragma once

#include <cstdint>
#include <mutex>

#include "core/clock.h"
#include "store/records.h"

namespace edgetier {

/// Sums per phase (CampaignTiming's names, kCampaignPhases) the time the campaign spent on it;
/// `overlapped` work ran beside the measurement (the background builder) and is kept apart.
class CampaignClock {
 public:
  /// `started_ns`: monotonic_ns() when the command started (0: now).
  explicit CampaignClock(int64_t started_ns = 0)
      : started_ns_(started_ns > 0 ? started_ns : monotonic_ns()) {}

  void add(const char* phase, int64_t ns, bool overlapped = false) {
    std::lock_guard<std::mutex> lock(mu_);
    (overlapped ? timing_.overlapped_ns : timing_.phases_ns)[phase] += ns;
  }

  /// Adds the time from construction to destruction to `phase`.
  class Scope {
   public:
    Scope(CampaignClock* clock, const char* phase, bool overlapped)
        : clock_(clock), phase_(phase), overlapped_(overlapped) {}
    ~Scope() {
      if (clock_) clock_->add(phase_, watch_.elapsed_ns(), overlapped_);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CampaignClock* clock_;
    const char* phase_;
    bool overlapped_;
    Stopwatch watch_;
  };
  [[nodiscard]] Scope time(const char* phase, bool overlapped = false) {
    return Scope(this, phase, overlapped);
  }

  int64_t started_ns() const { return started_ns_; }
  /// The phases so far, with the wall time up to now.
  CampaignTiming timing() const {
    std::lock_guard<std::mutex> lock(mu_);
    CampaignTiming t = timing_;
    t.wall_ns = monotonic_ns() - started_ns_;
    t.recorded = true;
    return t;
  }

 private:
  int64_t started_ns_;
  mutable std::mutex mu_;
  CampaignTiming timing_;
};

}  // namespace edgetier
