/// Run bookkeeping between the plan and the store.
#include "experiment/run_setup.h"

#include "core/log.h"

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

Result<int64_t> start_or_resume_run(ResultStore& store, const PreparedExperiment& e, bool resume,
                                    const nlohmann::json& env) {
  ASSIGN_OR_RETURN(auto same, store.resumable_run(e.hash));
  if (resume) {
    if (same) {
      RETURN_IF_ERROR(store.reopen_run(same->run_id, env));
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
  return store.begin_run(e.spec.name, e.hash, e.spec.yaml_text, env);
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
