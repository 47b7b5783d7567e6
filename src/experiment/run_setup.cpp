/// Run bookkeeping between the plan and the store.
#include "experiment/run_setup.h"

#include <filesystem>

#include "core/log.h"
#include "experiment/spec.h"

namespace edgetier {

nlohmann::json strategy_plan_json(const PlannedStrategy& s, bool exit_then_quantize) {
  // The order the variant is really built in (ops/compose builds with the same steps()).
  nlohmann::json j = {{"steps", s.ops.step_names(exit_then_quantize)},
                      {"variant_key", s.variant_key()}};
  if (!s.cuts.empty()) j["cuts"] = s.cuts;
  if (!s.exit_from.empty()) j["exit"] = {{"from", s.exit_from}, {"to", s.exit_to}};
  if (s.ops.exit == ExitMode::kDynamic) j["exit_threshold"] = s.ops.exit_threshold;
  return j;
}

RunFacts run_facts(const ExperimentSpec& spec) {
  RunFacts facts;
  facts.recorded = true;
  // Measured until stable, the count is the stopping rule's: none is planned.
  if (!spec.measurement.adaptive()) {
    facts.planned_requests =
        static_cast<int64_t>(spec.measurement.requests) * spec.measurement.passes;
  }
  facts.discard_passes = spec.measurement.discard_passes;
  for (const auto& model : spec.models) {
    const CutSpec& cut = spec.cut_for(model);
    facts.cut_windows[model.name] = {cut.min_flops_share, cut.max_flops_share};
  }
  return facts;
}

Result<int> backfill_run_facts(ResultStore& store) {
  ASSIGN_OR_RETURN(std::vector<RunInfo> runs, store.runs());
  const std::string base = std::filesystem::absolute(store.path()).parent_path().string();
  int filled = 0;
  for (const RunInfo& run : runs) {
    if (run.facts.recorded) continue;
    auto spec =
        parse_spec(run.spec_yaml, base, "the spec stored with run " + std::to_string(run.run_id));
    if (!spec.ok()) {
      LOG_WARN << "run " << run.run_id << " in " << store.path()
               << " keeps no planned request counts: its stored spec does not parse ("
               << spec.status().message() << ")";
      continue;
    }
    RETURN_IF_ERROR(store.record_run_facts(run.run_id, run_facts(*spec)));
    ++filled;
  }
  return filled;
}

Result<std::string> run_failure(ResultStore& store, int64_t run_id) {
  ASSIGN_OR_RETURN(std::vector<StrategyRow> rows, store.strategies(run_id));
  std::vector<std::string> failed;
  for (const auto& r : rows) {
    if (r.status == StrategyStatus::kFailed)
      failed.push_back(r.model + " " + r.name + " [" + r.scenario + "]: " + r.reason);
  }
  ASSIGN_OR_RETURN(int64_t ok_requests, store.count_ok_requests(run_id));
  std::string why;
  if (!failed.empty()) {
    why = std::to_string(failed.size()) + " of " + std::to_string(rows.size()) +
          " strategies failed (" + failed.front() +
          (failed.size() > 1 ? "; and " + std::to_string(failed.size() - 1) + " more" : "") + ")";
  }
  if (ok_requests == 0) why += (why.empty() ? "" : "; ") + std::string("no request succeeded");
  return why;
}

Result<std::string> nothing_to_resume(ResultStore& store, const RunInfo& run) {
  if (run.status != "failed") return std::string();
  ASSIGN_OR_RETURN(std::vector<StrategyRow> rows, store.strategies(run.run_id));
  for (const auto& r : rows) {
    if (r.status == StrategyStatus::kPending || r.status == StrategyStatus::kRunning)
      return std::string();
  }
  if (rows.empty()) return std::string();
  ASSIGN_OR_RETURN(std::string why, run_failure(store, run.run_id));
  return why.empty() ? std::string("it failed after every strategy finished") : why;
}

Result<int64_t> start_or_resume_run(ResultStore& store, const PreparedExperiment& e, bool resume,
                                    const nlohmann::json& env) {
  ASSIGN_OR_RETURN(int upgraded, backfill_run_facts(store));
  if (upgraded > 0) {
    LOG_INFO << "recorded the facts of " << upgraded << " run(s) an older store kept";
  }
  ASSIGN_OR_RETURN(auto same, store.resumable_run(e.hash));
  if (resume) {
    if (same) {
      ASSIGN_OR_RETURN(std::string finished, nothing_to_resume(store, *same));
      if (!finished.empty()) {
        return failed_precondition("--resume: run " + std::to_string(same->run_id) + " of '" +
                                   same->name + "' in " + store.path() +
                                   " has nothing to resume: every strategy finished, and " +
                                   finished + "; fix that and run again without --resume");
      }
      RETURN_IF_ERROR(store.reopen_run(same->run_id, env));
      // Same spec hash, same facts; a run a v1 store kept gets them here.
      RETURN_IF_ERROR(store.record_run_facts(same->run_id, run_facts(e.spec)));
      LOG_INFO << "resuming run " << same->run_id << " of '" << e.spec.name << "' in "
               << store.path();
      return same->run_id;
    }
    ASSIGN_OR_RETURN(auto all, store.runs());
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->status != "done" && it->name == e.spec.name) {
        return failed_precondition(
            "--resume: run " + std::to_string(it->run_id) + " of '" + it->name + "' in " +
            store.path() + " was made from a different spec (hash " + it->spec_hash + ", now " +
            e.hash + "); undo the spec change, or run without --resume to start a new run");
      }
    }
    LOG_WARN << "--resume: no unfinished run of this spec in " << store.path()
             << "; starting a new run";
  } else if (same) {
    LOG_INFO << "run " << same->run_id
             << " of this spec did not finish; pass --resume to continue it";
  }
  return store.begin_run(e.spec.name, e.hash, e.spec.yaml_text, env, run_facts(e.spec));
}

Result<std::vector<int64_t>> record_plan(ResultStore& store, int64_t run_id,
                                         const PreparedExperiment& e) {
  std::vector<int64_t> ids;
  ids.reserve(e.plan.strategies.size());
  for (const auto& s : e.plan.strategies) {
    StrategyRow row;
    row.model = s.model;
    row.ops = s.ops.name();
    row.placement = s.placement.name();
    row.scenario = s.scenario;
    row.name = s.name();
    // The order the variant is built in (compose builds with the same function).
    row.steps = s.ops.step_names(e.spec.quantize.exit_then_quantize);
    nlohmann::json plan_json = strategy_plan_json(s, e.spec.quantize.exit_then_quantize);
    // The model file and input shape let readers (the what-if planner) re-analyse the cuts.
    for (const auto& facts : e.models) {
      if (facts.name != s.model) continue;
      plan_json["model_path"] = facts.path;
      plan_json["input"] = {{"name", facts.input.name}, {"shape", facts.input.shape}};
    }
    row.plan_json = plan_json.dump();
    ASSIGN_OR_RETURN(int64_t id, store.upsert_strategy(run_id, row));
    ids.push_back(id);
  }
  for (const auto& d : e.plan.dropped) {
    if (!d.infeasible) continue;  // e.g. P on one tier: not a strategy, nothing to record
    StrategyRow row;
    row.model = d.model;
    row.ops = d.ops;
    row.placement = d.placement;
    row.scenario = d.scenario;
    row.name = strategy_label(d.ops, d.placement);
    row.status = StrategyStatus::kInfeasible;
    row.reason = d.reason;
    ASSIGN_OR_RETURN(int64_t id, store.upsert_strategy(run_id, row));
    RETURN_IF_ERROR(store.set_strategy_status(id, StrategyStatus::kInfeasible, d.reason));
  }
  return ids;
}

}  // namespace edgetier
