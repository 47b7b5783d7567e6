/// The experiment runner (`edgetier run`): spec -> plan -> variants -> accuracy -> testbed ->
/// requests -> store, resumable after a crash or Ctrl-C. It measures and stores; the analysis
/// and the report read the store afterwards (cli/cmd_run.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "experiment/plan.h"

namespace edgetier {

struct RunOptions {
  /// Continue the newest unfinished run of the same spec in the output folder. Without it an
  /// unfinished run there is an error (use --resume or another --out).
  bool resume = false;
  /// Progress as one updating line (a terminal) instead of log lines.
  bool progress_tty = false;
  /// The edgetier binary the tiers run; empty = this program.
  std::string exe;
  /// Testbed state folder (sockets, state file, token, tier logs); empty =
  /// /tmp/edgetier-run-<hash of output>, removed when the run is done (kept when it failed).
  std::string testbed_state_dir;
  /// Polled between requests: true stops the run cleanly (Ctrl-C).
  std::function<bool()> is_cancelled;
  /// monotonic_ns() when the command started (before the plan was made), so the campaign's
  /// wall time includes planning; 0 = when run_experiment is called.
  int64_t started_ns = 0;
  /// Build every variant and score its accuracy before measuring anything, instead of on a
  /// background thread of idle priority beside the measurement.
  bool serial_builds = false;
};

/// What a run left in the store.
struct RunSummary {
  int64_t run_id = 0;
  std::string status;   // done | failed | interrupted
  std::string failure;  // failed: why (run_setup.h run_failure)
  std::string results_path;
  std::string output_dir;
  int64_t strategies = 0;  // planned strategy x scenario pairs
  int64_t requests = 0;    // request rows stored for this run
  int64_t requests_before = 0;  // of those, stored before this session (--resume); 0 otherwise
};

/// Runs the prepared experiment end to end. Returns the summary also when interrupted
/// (status "interrupted") or when every strategy went through but the run failed (status
/// "failed", `failure` says why); errors leave the run marked failed and the testbed torn down.
Result<RunSummary> run_experiment(const PreparedExperiment& experiment, const RunOptions& options);

/// The testbed state folder used for an output folder when none is given.
std::string default_run_state_dir(const std::string& output_dir);

}  // namespace edgetier
