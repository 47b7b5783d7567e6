/// Runner stage on the testbed: per scenario bring tiers and links up and measure its
/// strategies in round-robin rounds until each is stable (or its fixed count is done), storing
/// every request; tier deaths and OOM kills become the strategy's recorded outcome.
//
// Interleaving without redeploying. Deploying a variant loads an ONNX Runtime session per part
// on its tier and warms it up, which costs as much as a round of requests: redeploying each
// round would double the run and measure cold caches. So, measuring until stable, the strategies
// of a scenario are taken in groups of measurement.interleave (the bound on what the tiers
// hold); each stays loaded under its own model name (model.OPS.PLACEMENT) from its first round
// until it stops, and round r sends a batch of each unstable strategy of the group in turn: slow
// drift of the machine affects them alike. Loading several at once may exhaust a tier's memory a
// strategy alone would fit in; a strategy whose deploy or requests kill a tier while others are
// loaded is therefore not blamed: the testbed restarts and it is measured later alone, where a
// second death is its outcome (infeasible, as before). A fixed count (measurement.requests)
// keeps the order it always had: one strategy deployed at a time, all its requests, undeployed.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "core/files.h"
#include "core/log.h"
#include "experiment/round_order.h"
#include "experiment/runner_bed.h"
#include "experiment/stopping.h"
#include "runtime/preprocess.h"

namespace edgetier::runner {
namespace {

struct StrategyOutcome {
  StrategyStatus status = StrategyStatus::kDone;
  std::string reason;
  bool restart = false;  // the testbed must come up again before the next strategy
};

/// One strategy of the scenario while it is being measured.
struct Active {
  size_t plan_index = 0;
  int64_t id = 0;
  const PlannedStrategy* s = nullptr;
  tier::DeployOptions deploy;
  std::optional<Task> answer_as;  // what the app receives (unset: the raw outputs)
  bool deployed = false;
  bool announced = false;  // progress named it
  CompletedRequests have;     // the stored (pass, index) pairs
  std::vector<double> ok_ms;  // answered latencies, stored ones included
  int64_t measured_ns = 0;    // on the strategy's own measuring clock (its rounds only)
  StopRule rule;
  StopCheck last;
  std::string first_error;
  std::optional<StrategyOutcome> outcome;  // set: measured to the end (or failed)
};

class ScenarioRounds {
 public:
  /// `bed`: the testbed, kept across scenarios (brought up here when none is).
  ScenarioRounds(RunContext* c, const ScenarioSpec& scenario, Progress* progress,
                 const std::map<std::string, std::vector<std::string>>& encoded,
                 const std::map<std::string, std::vector<Sample>>& inputs, Bed* bed)
      : c_(c), m_(c->e->spec.measurement), scenario_(scenario), progress_(progress),
        encoded_(encoded), inputs_(inputs), schedule_(request_schedule(m_)), bed_(*bed) {}

  /// Measures the plan's strategies `todo`; false when a stop left something unmeasured. The
  /// testbed stays up after a complete scenario for the next one.
  Result<bool> run(const std::vector<size_t>& todo) {
    std::deque<std::vector<Active*>> groups;
    for (size_t i : todo) {
      ASSIGN_OR_RETURN(Active * a, make_active(i));
      if (!a) continue;
      // A fixed count: one at a time, as always; until stable: interleaved in groups of
      // measurement.interleave.
      if (m_.adaptive() && !groups.empty() &&
          groups.back().size() < static_cast<size_t>(m_.interleave)) {
        groups.back().push_back(a);
      } else {
        groups.push_back({a});
      }
    }
    while (!groups.empty()) {
      std::vector<Active*> group = std::move(groups.front());
      groups.pop_front();
      ASSIGN_OR_RETURN(bool complete, run_group(group, &groups));
      if (!complete) {
        RETURN_IF_ERROR(take_down());
        return false;
      }
    }
    return true;
  }

 private:
  Result<Active*> make_active(size_t i) {
    const PlannedStrategy& s = c_->e->plan.strategies[i];
    auto a = std::make_unique<Active>();
    a->plan_index = i;
    a->id = c_->strategy_ids[i];
    a->s = &s;
    a->deploy.model_name = s.model + "." + s.ops.name() + "." + s.placement.name();
    a->deploy.placement = s.placement.name();
    a->deploy.label = s.name();
    a->deploy.forward_deadline_ms = m_.timeout_ms;
    if (!c_->e->spec.raw_response) a->answer_as = c_->facts(s.model).task;
    ASSIGN_OR_RETURN(a->have, c_->store->completed_requests(c_->run_id, a->id));
    for (int64_t ns : a->have.ok_latency_ns) a->ok_ms.push_back(static_cast<double>(ns) / 1e6);
    a->measured_ns = a->have.measured_ns;
    a->rule = stop_rule(m_, stats::derive_seed(c_->e->spec.seed,
                                               scenario_.name + "/" + s.model + "/" + s.name()));
    actives_.push_back(std::move(a));
    return actives_.back().get();
  }

  /// Rounds over `group` until each member stopped; members evicted by a tier death while
  /// others were loaded go to the back of `groups`, alone. false: stopped by a signal.
  Result<bool> run_group(std::vector<Active*> group, std::deque<std::vector<Active*>>* groups) {
    while (true) {
      bool any = false;
      for (Active* a : group) {
        if (a->outcome) continue;
        if (c_->cancelled()) return false;
        any = true;
        // A member whose variant is still building joins the rounds once it is built while
        // the others go on; waiting is for when nothing else can go (round_order.h).
        const RoundMember self = member_state(a);
        const RoundStep step =
            self.can_go() ? RoundStep::kMeasure  // the usual case: nothing else to look at
                          : round_step(self, member_states(group),
                                       groups->empty() ? std::vector<RoundMember>()
                                                       : member_states(groups->front()));
        if (step == RoundStep::kSkip) continue;
        if (step == RoundStep::kDefer) {
          std::vector<Active*> later;
          for (Active* x : group)
            if (!x->outcome) later.push_back(x);
          groups->insert(groups->begin() + 1, std::move(later));
          return true;
        }
        if (step == RoundStep::kWait) {
          // Whichever of these variants is built first.
          std::vector<std::string> keys;
          for (const Active* x : group)
            if (!x->outcome) keys.push_back(x->s->variant_key());
          if (!groups->empty())
            for (const Active* x : groups->front()) keys.push_back(x->s->variant_key());
          if (!c_->wait_for_any(keys)) return false;
          break;  // and look again from the group's first member
        }
        const bool shared = std::any_of(group.begin(), group.end(), [&](const Active* x) {
          return x != a && x->deployed;
        });
        ASSIGN_OR_RETURN(std::optional<StrategyOutcome> o, round(a));
        if (!o) {
          if (c_->cancelled()) return false;
          continue;
        }
        if (o->restart) {
          // The tiers died: every loaded strategy is gone with them.
          lost_tier_ = true;
          RETURN_IF_ERROR(take_down());
          if (shared) {
            progress_->note(label(*a) + ": a tier died with other strategies loaded (" +
                            o->reason + "); measuring it alone later");
            groups->push_back({a});
            group.erase(std::find(group.begin(), group.end(), a));
            break;  // the rest of the group goes on, redeployed on a fresh testbed
          }
        }
        RETURN_IF_ERROR(finish(a, *o));
      }
      if (!any) return true;
    }
  }

  RoundMember member_state(const Active* a) {
    return RoundMember{a->outcome.has_value(), a->announced,
                       c_->variant_ready(a->s->variant_key())};
  }
  std::vector<RoundMember> member_states(const std::vector<Active*>& group) {
    std::vector<RoundMember> out;
    for (const Active* x : group) out.push_back(member_state(x));
    return out;
  }

  /// Deploys `a` if needed and sends its next batch. Returns the outcome once it is finished.
  Result<std::optional<StrategyOutcome>> round(Active* a) {
    if (!a->announced) {
      // Its variant may still be building beside the measurement: wait for it here.
      ASSIGN_OR_RETURN(const BuiltVariant* v, c_->variant(a->s->variant_key()));
      RETURN_IF_ERROR(
          c_->store->set_strategy_status(a->id, StrategyStatus::kRunning, "", v->hash));
      if (!v->error.empty())
        return std::optional<StrategyOutcome>(
            StrategyOutcome{StrategyStatus::kFailed, "variant not built: " + v->error});
      progress_->start_strategy(scenario_.name, a->s->model + " " + a->s->name());
      a->announced = true;
    }
    if (!a->deployed) {
      if (bed_.session && !tier_failure_reason(&bed_, 0).empty()) {
        // A tier died after the previous strategy: start afresh rather than blame this one.
        lost_tier_ = true;
        RETURN_IF_ERROR(take_down());
      }
      if (!bed_.session) {
        auto timed = c_->clock->time("testbed_up");
        auto up = bring_up(c_, scenario_);
        if (!up.ok()) {
          if (up.status().code() == StatusCode::kCancelled || c_->cancelled())
            return std::optional<StrategyOutcome>();
          // The first bring-up failing is the run's problem; after a tier died (a remote
          // device that stays gone), the strategies left fail with the reason and the run
          // goes on to report what it measured.
          if (!lost_tier_)
            return up.status().with_context("testbed for scenario '" + scenario_.name + "'");
          return std::optional<StrategyOutcome>(
              StrategyOutcome{StrategyStatus::kFailed, "testbed: " + up.status().message()});
        }
        bed_ = std::move(*up);
      }
      if (auto o = deploy(a)) return o;
    }
    std::vector<std::pair<int, int>> batch;
    const size_t limit = m_.adaptive() ? static_cast<size_t>(m_.round_requests) : schedule_.size();
    for (const auto& key : schedule_) {
      if (batch.size() >= limit) break;
      if (!a->have.contains(key.first, key.second)) batch.push_back(key);
    }
    if (auto o = send_batch(a, batch)) return o;
    if (c_->cancelled()) return std::optional<StrategyOutcome>();
    const int64_t sent = static_cast<int64_t>(a->have.size());
    a->last = check_stop(a->ok_ms, sent, static_cast<double>(a->measured_ns) / 1e9, a->rule);
    const bool all_sent = sent >= static_cast<int64_t>(schedule_.size());
    // A fixed count ends when its count is stored, whatever the precision.
    if (!m_.adaptive()) a->last.reason = all_sent ? StopReason::kFixed : StopReason::kContinue;
    if (a->last.reason == StopReason::kContinue && !all_sent)
      return std::optional<StrategyOutcome>();
    if (a->last.reason == StopReason::kContinue) a->last.reason = StopReason::kMaxRequests;
    {
      auto timed = c_->clock->time("undeploy");
      (void)tier::undeploy(bed_.endpoints, a->deploy.model_name, bed_.control.get());
    }
    a->deployed = false;
    // Deployed, yet it answered nothing: not a measurement of the strategy.
    if (a->ok_ms.empty() && sent > 0) {
      return std::optional<StrategyOutcome>(StrategyOutcome{
          StrategyStatus::kFailed, "every request failed (" + std::to_string(sent) +
                                       "), first: " + a->first_error});
    }
    return std::optional<StrategyOutcome>(StrategyOutcome{});
  }

  std::optional<StrategyOutcome> deploy(Active* a) {
    auto v = c_->variant(a->s->variant_key());
    if (!v.ok()) return StrategyOutcome{StrategyStatus::kFailed, v.status().message()};
    auto timed_deploy = std::make_optional<CampaignClock::Scope>(c_->clock, "deploy", false);
    auto parts = tier::read_variant_dir((*v)->dir);
    if (!parts.ok()) return StrategyOutcome{StrategyStatus::kFailed, parts.status().message()};
    auto deployed = tier::deploy_variant(bed_.endpoints, *parts, a->deploy, bed_.control.get());
    timed_deploy.reset();
    if (!deployed.ok()) {
      std::string dead = tier_failure_reason(&bed_);
      if (!dead.empty()) return StrategyOutcome{StrategyStatus::kInfeasible, dead, true};
      return StrategyOutcome{StrategyStatus::kFailed, "deploy: " + deployed.status().message()};
    }
    a->deployed = true;
    const auto& encoded = encoded_.at(a->s->model);
    auto timed_warmup = c_->clock->time("warmup");
    for (int w = 0; w < m_.warmup && !c_->cancelled(); ++w) {
      auto r = bed_.client->infer_image(a->deploy.model_name, encoded[w % encoded.size()],
                                        m_.timeout_ms, a->answer_as);
      if (!r.ok()) {
        std::string dead = tier_failure_reason(&bed_);
        if (!dead.empty()) return StrategyOutcome{StrategyStatus::kInfeasible, dead, true};
      }
    }
    return std::nullopt;
  }

  /// Sends `batch` with the spec's concurrency or rate and stores every request. An outcome
  /// when a tier died or the store failed.
  std::optional<StrategyOutcome> send_batch(Active* a,
                                            const std::vector<std::pair<int, int>>& batch) {
    const auto& encoded = encoded_.at(a->s->model);
    const auto& inputs = inputs_.at(a->s->model);
    std::mutex mu;
    std::string failure;
    const int64_t base_ns = a->measured_ns;
    std::atomic<int64_t> store_ns{0};
    const auto t0 = Clock::now();
    drive(static_cast<int64_t>(batch.size()), m_, [&](int64_t k) -> bool {
      if (c_->cancelled()) return false;
      const auto [pass, idx] = batch[static_cast<size_t>(k)];
      const size_t input = static_cast<size_t>(idx) % inputs.size();
      RequestRecord rec;
      rec.strategy_id = a->id;
      rec.pass = pass;
      rec.request_index = idx;
      rec.input_file = inputs[input].image_path;
      // Sent times run on the strategy's own clock, so the other strategies' rounds in between
      // do not dilute its throughput.
      rec.sent_ns = base_ns + ns_since(t0);
      const auto start = Clock::now();
      auto r = bed_.client->infer_image(a->deploy.model_name, encoded[input], m_.timeout_ms,
                                        a->answer_as);
      rec.end_to_end_ns = ns_since(start);
      if (r.ok()) {
        fill_breakdown(r->breakdown, &rec);
        rec.end_to_end_ns =
            r->breakdown.end_to_end_ns > 0 ? r->breakdown.end_to_end_ns : rec.end_to_end_ns;
      } else {
        // Stopping: a request cut short by the stop is measured again on --resume.
        if (c_->cancelled()) return false;
        rec.outcome = "error: " + r.status().message();
        // A tier that died is the strategy's outcome, not a row per lost request.
        std::string dead = tier_failure_reason(&bed_);
        std::lock_guard<std::mutex> lock(mu);
        if (!dead.empty()) {
          failure = dead;
          return false;
        }
        if (a->first_error.empty()) a->first_error = r.status().message();
      }
      const Stopwatch stored;
      Status st = c_->store->add_request(c_->run_id, rec);
      store_ns += stored.elapsed_ns();
      std::lock_guard<std::mutex> lock(mu);
      if (!st.ok()) {
        failure = "store: " + st.message();
        return false;
      }
      a->have.done.emplace(pass, idx);
      if (rec.outcome == "ok") a->ok_ms.push_back(static_cast<double>(rec.end_to_end_ns) / 1e6);
      progress_->add();
      return true;
    });
    a->measured_ns = base_ns + ns_since(t0);
    c_->clock->add("requests", std::max<int64_t>(0, a->measured_ns - base_ns - store_ns));
    c_->clock->add("store", store_ns);
    if (failure.empty()) return std::nullopt;
    (void)tier::undeploy(bed_.endpoints, a->deploy.model_name, bed_.control.get());
    a->deployed = false;
    const bool oom = failure.rfind("does not fit", 0) == 0;
    return StrategyOutcome{oom ? StrategyStatus::kInfeasible : StrategyStatus::kFailed, failure,
                           true};
  }

  /// Stores how `a` ended: its status, the stopping rule that ended it and its precision.
  Status finish(Active* a, const StrategyOutcome& o) {
    auto timed = c_->clock->time("store");
    a->outcome = o;
    RETURN_IF_ERROR(c_->store->flush());
    // A strategy failed before its variant was built has no hash to record.
    auto v = c_->variant(a->s->variant_key());
    const std::string hash = v.ok() ? (*v)->hash : "";
    if (o.status == StrategyStatus::kDone) {
      const double pct = a->last.precision_pct;
      RETURN_IF_ERROR(c_->store->record_stop(
          a->id, std::string(stop_reason_name(a->last.reason)),
          std::isfinite(pct) ? std::optional<double>(pct) : std::nullopt));
      if (m_.adaptive()) {
        char buf[160];
        std::snprintf(buf, sizeof(buf), ": %zu requests, median %.2f ms +-%.1f%% (stopped on %s)",
                      a->have.size(), a->last.median_ms, pct,
                      std::string(stop_reason_name(a->last.reason)).c_str());
        progress_->note(label(*a) + buf);
      }
    }
    RETURN_IF_ERROR(c_->store->set_strategy_status(a->id, o.status, o.reason, hash));
    if (o.status != StrategyStatus::kDone) {
      progress_->note(label(*a) + ": " + std::string(strategy_status_name(o.status)) + ": " +
                      o.reason);
    }
    // Requests the strategy will never send still count as done for the ETA.
    progress_->skip(std::max<int64_t>(0, planned_per_strategy(m_) -
                                             static_cast<int64_t>(a->have.size())));
    return ok_status();
  }

  Status take_down() {
    for (auto& a : actives_) a->deployed = false;
    return runner::take_down(c_, &bed_);
  }

  std::string label(const Active& a) const {
    return a.s->model + " " + a.s->name() + " [" + scenario_.name + "]";
  }

  RunContext* c_;
  const MeasurementSpec& m_;
  const ScenarioSpec& scenario_;
  Progress* progress_;
  const std::map<std::string, std::vector<std::string>>& encoded_;
  const std::map<std::string, std::vector<Sample>>& inputs_;
  const std::vector<std::pair<int, int>> schedule_;
  std::vector<std::unique_ptr<Active>> actives_;
  Bed& bed_;
  bool lost_tier_ = false;  // a tier died during this scenario
};

}  // namespace

Status measure_all(RunContext* c, std::optional<EarlyBed> early) {
  const ExperimentSpec& spec = c->e->spec;
  const MeasurementSpec& m = spec.measurement;
  ASSIGN_OR_RETURN(auto status, stored_status(c));
  auto finished = [&](int64_t id) { return is_finished(status[id]); };
  // Measuring until stable, the ETA assumes every strategy runs to max_requests: an upper bound
  // that shrinks as strategies stop early.
  const int64_t per_strategy = planned_per_strategy(m);
  int64_t done = 0, skipped = 0;  // stored; never to be sent (finished strategies)
  for (size_t i = 0; i < c->e->plan.strategies.size(); ++i) {
    const int64_t id = c->strategy_ids[i];
    ASSIGN_OR_RETURN(CompletedRequests have, c->store->completed_requests(c->run_id, id));
    const int64_t stored = std::min<int64_t>(per_strategy, static_cast<int64_t>(have.size()));
    done += stored;
    if (finished(id)) skipped += per_strategy - stored;
  }
  // A run killed while its testbed was up left it behind: remove it before anything else
  // (start_first_testbed did when it brought one up).
  if (!early) RETURN_IF_ERROR(teardown_previous_testbed(c->state_dir));
  Progress progress(c->options.progress_tty,
                    per_strategy * static_cast<int64_t>(c->e->plan.strategies.size()));
  progress.add(done);
  progress.skip(skipped);

  // Inputs per model: the same first N images for every strategy, read once (request i takes
  // input i modulo the data's size).
  const int64_t distinct = m.adaptive() ? m.max_requests : m.requests;
  std::map<std::string, std::vector<Sample>> inputs;
  std::map<std::string, std::vector<std::string>> encoded;
  for (const auto& [model, data] : c->data) {
    auto& samples = inputs[model];
    samples = latency_inputs(data, std::min<int64_t>(distinct, data.samples.size()));
    for (const auto& s : samples) {
      ASSIGN_OR_RETURN(std::string b, read_file_bytes(s.image_path));
      encoded[model].push_back(std::move(b));
    }
  }

  bool stopped = false;  // a stop left something unmeasured
  Bed bed;               // kept across scenarios while only the links change
  for (const auto& scenario : spec.scenarios) {
    std::vector<size_t> todo = scenario_todo(*c, scenario.name, status);
    if (todo.empty()) continue;
    if (early && early->scenario == scenario.name) {
      Result<Bed> up = [&]() {
        auto timed = c->clock->time("testbed_up");
        return early->bed.get();
      }();
      early.reset();
      if (!up.ok()) {
        if (up.status().code() == StatusCode::kCancelled || c->cancelled()) {
          stopped = true;
          break;
        }
        return up.status().with_context("testbed for scenario '" + scenario.name + "'");
      }
      bed = std::move(*up);
      progress.note("scenario " + scenario.name + ": testbed up");
    }
    if (c->cancelled()) {
      stopped = true;
      break;
    }
    if (bed.session && bed.scenario != scenario.name && tier_failure_reason(&bed, 0).empty()) {
      auto timed = c->clock->time("link_reshape");
      Status reshaped = reshape_for(c, scenario, &bed);
      if (reshaped.ok()) {
        progress.note("scenario " + scenario.name + ": links of the running testbed re-shaped");
      } else {
        LOG_INFO << "scenario " << scenario.name << ": a new testbed (" << reshaped.message()
                 << ")";
      }
    }
    if (bed.session && bed.scenario != scenario.name) RETURN_IF_ERROR(take_down(c, &bed));
    if (!bed.session) progress.note("scenario " + scenario.name + ": bringing the testbed up");
    ScenarioRounds rounds(c, scenario, &progress, encoded, inputs, &bed);
    ASSIGN_OR_RETURN(bool complete, rounds.run(todo));
    if (!complete) {
      stopped = true;
      break;
    }
  }
  RETURN_IF_ERROR(take_down(c, &bed));
  progress.finish();
  RETURN_IF_ERROR(c->store->flush());
  if (stopped) return cancelled("stopped by a signal");
  return Status();
}

}  // namespace edgetier::runner
