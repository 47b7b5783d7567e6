/// Glue between a prepared plan and the results store: open (or resume) the run for a spec and
/// record its strategies, so the runner only loops over what is left to measure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/status.h"
#include "experiment/plan.h"
#include "store/store.h"

namespace edgetier {

/// What the plan fixed for the whole run (planned requests per strategy, discarded passes, each
/// model's automatic cut window), as the store records it with the run.
RunFacts run_facts(const ExperimentSpec& spec);

/// Gives every run a schema v1 store kept (facts not recorded) the facts of its stored spec,
/// parsed here, where the spec is understood; a spec that no longer parses leaves its run as it
/// was (readers then use the v1 fallback). Returns how many runs gained facts.
Result<int> backfill_run_facts(ResultStore& store);

/// With `resume`, the newest unfinished run of the same spec hash is reopened (an unfinished
/// run of a *different* spec is an error naming both hashes); otherwise, or when there is
/// nothing to resume, a new run starts; either way the run's facts (run_facts) are written.
/// Returns the run id.
Result<int64_t> start_or_resume_run(ResultStore& store, const PreparedExperiment& experiment,
                                    bool resume, const nlohmann::json& env);

/// Why a run that went through every strategy failed: strategies that failed for a reason that
/// is not infeasibility (an OOM-killed tier is a result, not a failure), or no request that
/// succeeded. Empty when the run is done.
Result<std::string> run_failure(ResultStore& store, int64_t run_id);

/// Non-empty (the reason) when a failed run has nothing --resume could measure: every strategy
/// finished and run_failure says why it failed. A run stopped part-way returns empty.
Result<std::string> nothing_to_resume(ResultStore& store, const RunInfo& run);

/// Writes every planned strategy (pending, unless already further along; plan_json holds the
/// choices of strategy_plan_json plus "model_path" and "input": {"name", "shape"} at the
/// preprocessed size) and every infeasible
/// dropped one (with its reason; arity mismatches such as P@M are not strategies and are left
/// out); each row carries its variant's operator order (StrategyRow::steps). Returns the ids
/// parallel to plan.strategies.
Result<std::vector<int64_t>> record_plan(ResultStore& store, int64_t run_id,
                                         const PreparedExperiment& experiment);

/// The plan's per-strategy choices (cuts, exit) as stored in strategies.plan_json; "steps" is
/// the order the variant is built in with `exit_then_quantize` (as the runner builds it).
nlohmann::json strategy_plan_json(const PlannedStrategy& strategy, bool exit_then_quantize);

}  // namespace edgetier
