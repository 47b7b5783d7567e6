/// run_experiment: the order of the runner's stages, the run's lifecycle in the store and
/// progress. The analysis and the report are the caller's (cmd_run): the runner only stores.
#include "experiment/runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/log.h"
#include "experiment/environment.h"
#include "experiment/run_setup.h"
#include "experiment/runner_internal.h"
#include "experiment/testbed_session.h"
#include "testbed/presets.h"

namespace edgetier {
namespace fs = std::filesystem;

namespace runner {

namespace {
std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s / 60) % 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  }
  return buf;
}
}  // namespace

void Progress::start_strategy(const std::string& scenario, const std::string& strategy) {
  std::lock_guard<std::mutex> lock(mu_);
  scenario_ = scenario;
  strategy_ = strategy;
  if (!tty_) {
    std::fprintf(stderr, "[%lld/%lld] %s  %s\n", static_cast<long long>(done_),
                 static_cast<long long>(total_), scenario.c_str(), strategy.c_str());
  }
  draw_locked(true);
}

void Progress::add(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (!strategy_.empty()) measured_ += n;
  draw_locked(false);
}

void Progress::skip(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  skipped_ += n;
  draw_locked(false);
}

void Progress::note(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  draw_locked(true);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) std::fprintf(stderr, "\r\033[K");
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::fprintf(stderr, "measured %lld of %lld requests in %s\n",
               static_cast<long long>(done_ - skipped_),
               static_cast<long long>(total_ - skipped_), format_duration(s).c_str());
}

void Progress::draw_locked(bool force) {
  if (!tty_ || strategy_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double rate = measured_ > 0 ? measured_ / elapsed : 0;
  const double eta = rate > 0 ? (total_ - done_) / rate : -1;
  const int width = 24;
  const int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r\033[K[%s] %lld/%lld  %s  %s  ETA %s", bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), scenario_.c_str(),
               strategy_.c_str(), format_duration(eta).c_str());
  std::fflush(stderr);
}

}  // namespace runner

std::string default_run_state_dir(const std::string& output_dir) {
  return "/tmp/edgetier-run-" +
         fnv1a_hex(fs::absolute(output_dir).lexically_normal().string()).substr(0, 8);
}

Result<RunSummary> run_experiment(const PreparedExperiment& e, const RunOptions& options) {
  const ExperimentSpec& spec = e.spec;
  std::error_code ec;
  fs::create_directories(spec.output_dir, ec);
  if (ec)
    return invalid_argument("cannot create output folder '" + spec.output_dir +
                            "': " + ec.message() + "; pass another --out");
  const std::string db_path = (fs::path(spec.output_dir) / kResultsFileName).string();
  ASSIGN_OR_RETURN(std::unique_ptr<ResultStore> store, ResultStore::open(db_path));
  if (!options.resume) {
    ASSIGN_OR_RETURN(auto unfinished, store->resumable_run(e.hash));
    std::string finished;
    if (unfinished) {
      ASSIGN_OR_RETURN(finished, nothing_to_resume(*store, *unfinished));
      // A run that failed with every strategy finished is over: a new run may start.
      if (!finished.empty()) {
        LOG_INFO << "run " << unfinished->run_id << " failed (" << finished
                 << "); starting a new run";
      }
    }
    if (unfinished && finished.empty()) {
      return failed_precondition("run " + std::to_string(unfinished->run_id) + " of '" +
                                 unfinished->name + "' in " + db_path + " did not finish (" +
                                 unfinished->status +
                                 "); continue it with --resume, or start "
                                 "afresh with another --out");
    }
  }
  ASSIGN_OR_RETURN(int64_t run_id,
                   start_or_resume_run(*store, e, options.resume, collect_environment()));
  ASSIGN_OR_RETURN(const int64_t requests_before, store->count_requests(run_id));

  CampaignClock clock(options.started_ns);
  clock.add("plan", monotonic_ns() - clock.started_ns());
  runner::RunContext c;
  c.clock = &clock;
  c.e = &e;
  c.options = options;
  c.store = store.get();
  c.run_id = run_id;
  c.state_dir = options.testbed_state_dir.empty() ? default_run_state_dir(spec.output_dir)
                                                  : options.testbed_state_dir;
  // Remote tiers run on CPUs and files of their own: nothing to prepare for them here.
  if (spec.testbed.network != "remote")
    c.tier_session_cache_dir = testbed::tier_session_cache_dir(c.state_dir);
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(c.strategy_ids, record_plan(*store, run_id, e));
    return runner::build_and_measure(&c);
  }();
  RunSummary summary;
  summary.run_id = run_id;
  summary.requests_before = requests_before;
  summary.results_path = db_path;
  summary.output_dir = spec.output_dir;
  summary.strategies = static_cast<int64_t>(e.plan.strategies.size());
  Status flushed = store->flush();
  // The figures of this invocation join what earlier ones (a resumed run) stored.
  if (flushed.ok()) flushed = store->add_campaign_timing(run_id, clock.timing());
  if (st.code() == StatusCode::kCancelled) {
    (void)store->finish_run(run_id, "interrupted");
    summary.status = "interrupted";
  } else if (!st.ok() || !flushed.ok()) {
    (void)store->finish_run(run_id, "failed");
    return st.ok() ? flushed : st;
  } else {
    // Every strategy went through; the run failed if one could not be deployed (other than not
    // fitting) or nothing was answered.
    ASSIGN_OR_RETURN(summary.failure, run_failure(*store, run_id));
    summary.status = summary.failure.empty() ? "done" : "failed";
    RETURN_IF_ERROR(store->finish_run(run_id, summary.status));
    // The folder this run chose (sockets, token, tier logs) goes once it succeeded and its
    // testbed is down; a failed run keeps the tier logs for the post-mortem.
    if (summary.status == "done" && options.testbed_state_dir.empty() &&
        !fs::exists(fs::path(c.state_dir) / "testbed.json", ec)) {
      fs::remove_all(c.state_dir, ec);
    }
  }
  ASSIGN_OR_RETURN(summary.requests, store->count_requests(run_id));
  return summary;
}

}  // namespace edgetier
