/// The order of a scenario's requests: each strategy's schedule, and which member of an
/// interleaved group a round takes next while variants are still being built.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "experiment/spec.h"

namespace edgetier::runner {

/// Requests a strategy is planned to send, as (pass, index) in order: every pass x request of a
/// fixed count, or up to max_requests indices of one pass when measuring until stable.
std::vector<std::pair<int, int>> request_schedule(const MeasurementSpec& m);
/// The most requests one strategy sends in one scenario.
int64_t planned_per_strategy(const MeasurementSpec& m);

/// A strategy of a group as the rounds see it.
struct RoundMember {
  bool finished = false;  // measured to the end (or failed)
  bool started = false;   // its variant was taken (it may be deployed)
  bool built = false;     // its variant is ready (built, failed, or the builder ended)
  bool can_go() const { return !finished && (started || built); }
};

enum class RoundStep {
  kMeasure,  // send its next batch
  kSkip,     // not built yet; others of the group can go this pass
  kDefer,    // no one of the group can go, one of the next group can: measure the group's
             // unstarted members after the next group (the builder works in that order)
  kWait,     // nothing can go: wait for a build
};

/// The step for unfinished `member` of `group` (which contains it), `next` being the group
/// measured after it (empty at the scenario's end).
RoundStep round_step(const RoundMember& member, const std::vector<RoundMember>& group,
                     const std::vector<RoundMember>& next);

/// The order the builder takes one scenario's strategies in, as indices into `slow` (plan order;
/// `slow[i]`: strategy i runs the quantize search, seconds where the others take milliseconds),
/// measured in groups of `group`. Group g's quick strategies come first, then group g+1's
/// quick ones, then g's slow ones: when only g's slow ones are left to measure, the next group
/// has variants ready and the rounds measure it meanwhile (round_step's kDefer) instead of
/// waiting for the search.
std::vector<size_t> build_sequence(const std::vector<bool>& slow, size_t group);

}  // namespace edgetier::runner
