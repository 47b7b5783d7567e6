/// The runner's testbed of one scenario (runner_bed.cpp), shared by the measuring rounds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "experiment/runner_internal.h"
#include "experiment/testbed_session.h"
#include "tier/client.h"
#include "tier/deploy.h"

namespace edgetier::runner {

using Clock = std::chrono::steady_clock;

inline int64_t ns_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

/// The testbed of one scenario plus the connection the device app uses.
struct Bed {
  std::unique_ptr<TestbedSession> session;
  tier::TestbedEndpoints endpoints;
  std::unique_ptr<tier::TierClient> client;
  /// Deploys and undeploys go over these (one connection per tier for the testbed's life).
  std::unique_ptr<tier::ControlClients> control = std::make_unique<tier::ControlClients>();
  std::string scenario;  // whose links it has
};

/// The first scenario's testbed coming up on a thread of its own, so that it comes up while
/// the data are prepared and the first variant is built (runner_pipeline.cpp).
struct EarlyBed {
  std::string scenario;
  std::future<Result<Bed>> bed;
};
/// The stored status of each of the run's strategies, by id.
Result<std::map<int64_t, StrategyStatus>> stored_status(RunContext* c);
/// Done, infeasible or failed: nothing left to measure.
bool is_finished(StrategyStatus s);
/// The plan's strategies of `scenario` not finished yet.
std::vector<size_t> scenario_todo(const RunContext& c, const std::string& scenario,
                                  std::map<int64_t, StrategyStatus>& status);
/// Removes a testbed a killed run left behind and starts bringing up the testbed of the first
/// scenario with something left to measure; unset when nothing is left (or the removal failed:
/// measure_all then reports it).
std::optional<EarlyBed> start_first_testbed(RunContext* c);
/// Every scenario: testbed up (or `early`'s, for its scenario), each unfinished strategy
/// deployed and measured, testbed down. CANCELLED when stopped by is_cancelled (everything
/// measured so far is stored).
Status measure_all(RunContext* c, std::optional<EarlyBed> early = std::nullopt);

/// Brings the scenario's testbed up, connects the device app and stores the tiers' and links'
/// rows.
Result<Bed> bring_up(RunContext* c, const ScenarioSpec& scenario);
/// Keeps the running testbed for the next scenario: its links get the scenario's settings in
/// place (testbed/backend.h reshape), probed again and stored. Scenarios differ only in their
/// links, so the tiers stay. An error (UNIMPLEMENTED: this backend or change cannot) leaves
/// the testbed as it was; the caller takes it down and brings a new one up.
Status reshape_for(RunContext* c, const ScenarioSpec& scenario, Bed* bed);
/// The links' rows of `scenario` as the testbed has them (rates, probes, token buckets).
Status record_links(RunContext* c, const ScenarioSpec& scenario, const Bed& bed);
/// Disconnects the device app and removes the testbed; fine when none is up.
Status take_down(RunContext* c, Bed* bed);
/// The reason a strategy stopped because a tier died, or empty when all tiers run. A call that
/// failed on a dying tier can return before the kernel has finished it, so the tiers are
/// watched for up to `grace_ms` before they are declared alive.
std::string tier_failure_reason(Bed* bed, int grace_ms = 1500);
/// The reply's per-hop and per-link timings into the stored row.
void fill_breakdown(const tier::RequestBreakdown& b, RequestRecord* r);
/// Sends requests [0, total) with the spec's concurrency/rate; `send(i)` returns false to stop
/// (cancel or a dead tier).
void drive(int64_t total, const MeasurementSpec& m, const std::function<bool(int64_t)>& send);

}  // namespace edgetier::runner
