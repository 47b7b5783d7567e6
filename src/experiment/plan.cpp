/// The plan's pure part: cut and skip choice, the cross product and its drop reasons, printing.
#include "experiment/plan.h"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "core/strings.h"
#include "ops/cut_select.h"
#include "ops/exit_select.h"
#include "strategy/operator_tasks.h"

namespace edgetier {

std::string PlannedStrategy::variant_key() const {
  std::string key = model + "|" + ops.name();
  for (const auto& b : cuts) key += "|" + join(b, ",");
  if (!exit_from.empty()) key += "|" + exit_from + ">" + exit_to;
  return key;
}

Result<size_t> choose_skip(const ModelFacts& facts, const ExitSpec& spec) {
  if (spec.automatic) {
    ASSIGN_OR_RETURN(ExitChoice chosen, choose_exit(facts.trunks, facts.analysis.total_flops,
                                                    exit_select_options(spec)));
    for (size_t i = 0; i < facts.analysis.skips.size(); ++i) {
      if (facts.analysis.skips[i].from == chosen.from && facts.analysis.skips[i].to == chosen.to)
        return i;
    }
    return internal_error("model '" + facts.name + "': the chosen exit " + chosen.from + " -> " +
                          chosen.to + " is not among its skip candidates");
  }
  const auto& skips = facts.analysis.skips;
  if (skips.empty()) {
    return failed_precondition(
        "model '" + facts.name +
        "' has no early-exit skip candidate (no single-entry, single-exit region whose "
        "output has its input's shape)");
  }
  for (size_t i = 0; i < skips.size(); ++i) {
    if (skips[i].from == spec.from && skips[i].to == spec.to) return i;
  }
  std::string list;
  for (size_t i = 0; i < skips.size() && i < 5; ++i)
    list += (i ? ", " : "") + skips[i].from + " -> " + skips[i].to;
  return invalid_argument(
      "model '" + facts.name + "': exit from '" + spec.from + "' to '" + spec.to +
      "' is not a skippable region (single entry and exit, same shape); candidates: " + list +
      (skips.size() > 5 ? " ..." : ""));
}

Result<CutChoice> choose_cuts(const ModelFacts& facts, const CutSpec& spec, int num_boundaries,
                              const SkipCandidate* skip, const SkipSpan* span) {
  const CutAnalysis& a = facts.analysis;
  const int64_t skipped = skip ? skip->flops : 0;
  const double total = static_cast<double>(std::max<int64_t>(1, a.total_flops - skipped));
  // The region's exit tensor is gone once the exit is applied (its consumers read `from`).
  const std::set<std::string> gone =
      skip ? std::set<std::string>{skip->to} : std::set<std::string>();
  // Usable cuts and their FLOPs share below, counted on the model after the exit.
  auto usable = [&](const Cut& c, std::string* why) {
    if (skip && span) {
      if (c.position > span->first && c.position <= span->last) {
        if (why) *why = "lies inside the early exit's skipped region";
        return false;
      }
      for (const auto& t : c.tensors) {
        if (gone.count(t.name)) {
          if (why) *why = "carries '" + t.name + "', which the early exit removes";
          return false;
        }
      }
    }
    return true;
  };
  auto below = [&](const Cut& c) {
    int64_t f = c.flops_before;
    if (skip && span && c.position > span->last) f -= skipped;
    return static_cast<double>(f) / total;
  };

  CutChoice choice;
  auto add = [&](const Cut& c) {
    choice.boundaries.push_back(c.names());
    choice.bytes.push_back(c.bytes);
    choice.flops_share_below.push_back(below(c));
  };

  if (!spec.automatic) {
    if (static_cast<int>(spec.tensors.size()) != num_boundaries) {
      return failed_precondition("the cut lists " + std::to_string(spec.tensors.size()) +
                                 " boundar" + (spec.tensors.size() == 1 ? "y" : "ies") + " but a " +
                                 std::to_string(num_boundaries + 1) + "-tier placement needs " +
                                 std::to_string(num_boundaries));
    }
    int last_position = -1;
    for (const auto& names : spec.tensors) {
      std::vector<std::string> sorted = names;
      std::sort(sorted.begin(), sorted.end());
      const Cut* found = nullptr;
      for (const auto& c : a.cuts) {
        if (c.names() == sorted) found = &c;
      }
      if (!found) {
        return invalid_argument(
            "model '" + facts.name + "': {" + join(names, ", ") +
            "} is not a cut of the model (list every tensor that crosses the boundary; "
            "`edgetier inspect -v` lists the cuts)");
      }
      std::string why;
      if (!usable(*found, &why))
        return failed_precondition("cut {" + join(names, ", ") + "} " + why);
      if (found->position <= last_position) {
        return invalid_argument("model '" + facts.name +
                                "': the cut boundaries must be listed lowest first");
      }
      last_position = found->position;
      add(*found);
    }
    return choice;
  }

  if (a.cuts.empty()) {
    return failed_precondition(
        "model '" + facts.name +
        "' has no cut at all (no point where the graph "
        "narrows to a set of tensors every path crosses); it cannot be partitioned");
  }
  std::vector<const Cut*> candidates;
  for (const auto& c : a.cuts) {
    if (c.single() && c.bytes > 0 && usable(c, nullptr)) candidates.push_back(&c);
  }
  const std::string range = format_share(spec.min_flops_share) + " and " + format_share(spec.max_flops_share);
  if (num_boundaries == 1) {
    // The one ranking `variants --cut auto` uses (ops/cut_select.h), with the shares counted
    // on the model after the exit.
    auto ranked = rank_cuts(a, cut_select_options(spec), nullptr,
                            [&](const Cut& c) -> std::optional<double> {
                              if (!usable(c, nullptr)) return std::nullopt;
                              return below(c);
                            });
    if (!ranked.ok() && ranked.status().code() == StatusCode::kFailedPrecondition) {
      return failed_precondition("model '" + facts.name + "' has no cut with between " + range +
                                 " of its FLOPs below it (" + std::to_string(a.cuts.size()) +
                                 " cuts in all); set cut.tensors or widen min/max_flops_share");
    }
    if (!ranked.ok()) return ranked.status();
    add(ranked->best.cut);
    return choice;
  }
  if (num_boundaries != 2) return invalid_argument("a plan cuts at most twice (three tiers)");
  const Cut* best_a = nullptr;
  const Cut* best_b = nullptr;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double sa = below(*candidates[i]);
    if (sa < spec.min_flops_share) continue;
    for (size_t j = i + 1; j < candidates.size(); ++j) {
      const double sb = below(*candidates[j]);
      if (sb - sa < spec.min_flops_share || sb > spec.max_flops_share) continue;
      const int64_t bytes = candidates[i]->bytes + candidates[j]->bytes;
      if (!best_a || bytes < best_a->bytes + best_b->bytes) {
        best_a = candidates[i];
        best_b = candidates[j];
      }
    }
  }
  if (!best_a) {
    return failed_precondition("model '" + facts.name +
                               "' has no two single-tensor cuts that give the Mobile and Edge "
                               "parts at least " +
                               format_share(spec.min_flops_share) + " of the FLOPs each with at most " +
                               format_share(spec.max_flops_share) + " below the upper cut");
  }
  add(*best_a);
  add(*best_b);
  return choice;
}

Result<Plan> make_plan(const ExperimentSpec& spec, const std::vector<ModelFacts>& models) {
  Plan plan;
  for (const auto& facts : models) {
    const ModelSpec* model = nullptr;
    for (const auto& m : spec.models) {
      if (m.name == facts.name) model = &m;
    }
    if (!model) return internal_error("plan: no spec for model '" + facts.name + "'");
    const size_t planned_before = plan.strategies.size();
    std::vector<std::string> reasons;  // distinct, in first-seen order
    // The exit is chosen once per model: every exit chain skips the same region.
    auto skip = choose_skip(facts, spec.exit_for(*model));
    if (!skip.ok() && skip.status().code() != StatusCode::kFailedPrecondition) return skip.status();

    for (const auto& ops : spec.operators) {
      for (const auto& placement : spec.placements) {
        std::string reason;
        bool arity_mismatch = false;
        PlannedStrategy s;
        s.model = facts.name;
        s.ops = ops;
        s.placement = placement;
        if (ops.partition && placement.num_tiers() == 1) {
          reason =
              ops.name() + " splits the model; it needs a 2- or 3-tier placement (ME, EC, MC, MEC)";
          arity_mismatch = true;
        }
        if (!ops.partition && placement.num_tiers() > 1) {
          reason =
              ops.name() + " runs the model as one part; it needs a 1-tier placement (M, E, C)";
          arity_mismatch = true;
        }
        for (TierRole role : placement.tiers) {
          const TierSpec* tier = spec.testbed.tier(tier_role_name(role));
          if (reason.empty() && !arity_mismatch && (!tier || !tier->enabled)) {
            reason = "the testbed has no " + std::string(tier_role_name(role)) + " tier";
          }
        }
        // An operator that does not apply to the model's task (the operator table says).
        for (const OperatorRow& row : operator_table()) {
          if (reason.empty() && ops.has(row.id)) reason = operator_task_reason(row.id, facts.task);
        }
        // Dynamic exits measure confidence per task: the top class probability for a
        // classifier, its mean over pixels for a segmenter (ops/dynamic_exit.h).
        const SkipCandidate* skip_used = nullptr;
        const SkipSpan* span_used = nullptr;
        if (reason.empty() && ops.exit != ExitMode::kNone) {
          if (!skip.ok()) {
            reason = skip.status().message();
          } else {
            skip_used = &facts.analysis.skips[*skip];
            span_used = &facts.skip_spans[*skip];
            s.exit_from = skip_used->from;
            s.exit_to = skip_used->to;
          }
        }
        if (reason.empty() && ops.exit == ExitMode::kDynamic && !facts.dynamic_exit_reason.empty())
          reason = facts.dynamic_exit_reason;
        if (reason.empty() && ops.partition && ops.exit == ExitMode::kDynamic) {
          // A dynamic exit's split is its exit: trunk and early head on the first tier (a
          // confident request never leaves it), the rest of the model on the second.
          if (placement.num_tiers() != 2) {
            reason = ops.name() + " splits the model at its exit onto two tiers; it needs a " +
                     "2-tier placement (ME, EC, MC)";
          } else {
            s.cuts = {{s.exit_from}};
          }
        } else if (reason.empty() && ops.partition) {
          // Static exits change the graph before the cut.
          const bool static_exit = ops.exit == ExitMode::kStatic;
          auto cuts =
              choose_cuts(facts, spec.cut_for(*model), placement.num_tiers() - 1,
                          static_exit ? skip_used : nullptr, static_exit ? span_used : nullptr);
          if (!cuts.ok() && cuts.status().code() != StatusCode::kFailedPrecondition)
            return cuts.status();
          if (cuts.ok()) {
            s.cuts = cuts->boundaries;
          } else {
            reason = "no valid cut: " + cuts.status().message();
          }
        }
        if (!reason.empty() && std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
          reasons.push_back(reason);
        }
        for (const auto& scenario : spec.scenarios) {
          if (!scenario.measured) continue;  // predicted after the run, not measured
          if (reason.empty()) {
            s.scenario = scenario.name;
            plan.strategies.push_back(s);
          } else {
            plan.dropped.push_back(
                {facts.name, ops.name(), placement.name(), scenario.name, reason, !arity_mismatch});
          }
        }
      }
    }
    if (plan.strategies.size() == planned_before) {
      return invalid_argument("model '" + facts.name +
                              "' has no strategy that can run: " + join(reasons, "; "));
    }
  }
  return plan;
}

nlohmann::json plan_to_json(const PreparedExperiment& e) {
  nlohmann::json strategies = nlohmann::json::array(), dropped = nlohmann::json::array();
  for (const auto& s : e.plan.strategies) {
    nlohmann::json j = {{"model", s.model},
                        {"ops", s.ops.name()},
                        {"placement", s.placement.name()},
                        {"scenario", s.scenario},
                        {"name", s.name()}};
    if (!s.cuts.empty()) j["cuts"] = s.cuts;
    if (!s.exit_from.empty()) j["exit"] = {{"from", s.exit_from}, {"to", s.exit_to}};
    strategies.push_back(std::move(j));
  }
  for (const auto& d : e.plan.dropped) {
    dropped.push_back({{"model", d.model},
                       {"ops", d.ops},
                       {"placement", d.placement},
                       {"scenario", d.scenario},
                       {"reason", d.reason},
                       {"infeasible", d.infeasible}});
  }
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : e.models) {
    nlohmann::json j = {{"name", m.name},
                        {"path", m.path},
                        {"task", std::string(task_name(m.task))},
                        {"input", m.input.name},
                        {"input_shape", m.input.shape},
                        {"num_classes", m.num_classes},
                        {"preprocess", preprocess_to_json(m.preprocess)},
                        {"flops", m.analysis.total_flops},
                        {"cuts", m.analysis.cuts.size()},
                        {"skip_candidates", m.analysis.skips.size()}};
    auto it = e.data.find(m.name);
    if (it != e.data.end()) {
      j["data"] = {{"kind", std::string(data_kind_name(it->second.kind))},
                   {"path", it->second.root},
                   {"images", it->second.samples.size()}};
    } else {
      j["data"] = {{"kind", "synth"}};
    }
    models.push_back(std::move(j));
  }
  std::vector<std::string> scenario_names, predicted;
  for (const auto& s : e.spec.scenarios) (s.measured ? scenario_names : predicted).push_back(s.name);
  return {{"name", e.spec.name},         {"spec_hash", e.hash},      {"models", models},
          {"scenarios", scenario_names}, {"predicted_scenarios", predicted},
          {"strategies", strategies},    {"dropped", dropped}};
}

std::string plan_to_text(const PreparedExperiment& e) {
  std::ostringstream out;
  const auto& p = e.plan;
  out << "plan '" << e.spec.name << "' (spec " << e.hash << "): " << e.spec.models.size()
      << " model(s) x " << e.spec.operators.size() << " operator chain(s) x "
      << e.spec.placements.size() << " placement(s) x " << e.spec.scenarios.size()
      << " scenario(s)\n";
  out << "  " << p.strategies.size() << " strategy runs, " << p.dropped.size() << " dropped\n";
  std::vector<std::string> predicted;
  for (const auto& s : e.spec.scenarios)
    if (!s.measured) predicted.push_back(s.name);
  if (!predicted.empty()) {
    out << "  predicted after the run from the measured scenarios, not measured (measure: "
           "false): "
        << join(predicted, ", ") << "\n";
  }
  for (const auto& m : e.models) {
    out << "\nmodel " << m.name << " (" << task_name(m.task) << ", input " << m.input.name << " "
        << shape_to_string(m.input.shape) << ")";
    auto it = e.data.find(m.name);
    if (it != e.data.end()) {
      out << ", data " << data_kind_name(it->second.kind) << " " << it->second.root << " ("
          << it->second.samples.size() << " images)\n";
    } else {
      out << ", synth data (generated at run time)\n";
    }
    // One line per strategy, its scenarios joined.
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> scenarios;
    std::map<std::string, const PlannedStrategy*> first;
    for (const auto& s : p.strategies) {
      if (s.model != m.name) continue;
      if (!scenarios.count(s.name())) {
        order.push_back(s.name());
        first[s.name()] = &s;
      }
      scenarios[s.name()].push_back(s.scenario);
    }
    for (const auto& name : order) {
      const PlannedStrategy& s = *first[name];
      out << "  " << name;
      for (size_t pad = name.size(); pad < 14; ++pad) out << ' ';
      out << join(scenarios[name], ", ");
      for (const auto& b : s.cuts) out << "  cut {" << join(b, ", ") << "}";
      if (!s.exit_from.empty()) out << "  exit " << s.exit_from << " -> " << s.exit_to;
      out << "\n";
    }
    std::vector<std::string> reasons;
    std::map<std::string, std::set<std::string>> by_reason;
    for (const auto& d : p.dropped) {
      if (d.model != m.name) continue;
      if (!by_reason.count(d.reason)) reasons.push_back(d.reason);
      by_reason[d.reason].insert(strategy_label(d.ops, d.placement));
    }
    for (const auto& r : reasons) {
      out << "  dropped "
          << join(std::vector<std::string>(by_reason[r].begin(), by_reason[r].end()), " ") << ": "
          << r << "\n";
    }
  }
  return out.str();
}

}  // namespace edgetier
