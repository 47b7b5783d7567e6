/// Fitting the planner's strategy and link models from a stored run, and predicting latencies.
#include "analysis/planner.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "analysis/analyze.h"
#include "analysis/planner_buckets.h"
#include "analysis/planner_cuts.h"
#include "analysis/stats.h"
#include "graph/graph_view.h"
#include "strategy/chain.h"
#include "strategy/placement.h"
#include "strategy/strategy.h"

namespace edgetier {

namespace {

constexpr double kNsPerMs = 1e6;
/// Burst sizes tried when fitting a link (bytes a direction passes before shaping bites): every
/// KiB up to 128 KiB covers tbf buckets (a few frames) and user-space token buckets (64 KiB).
constexpr int64_t kBurstStepBytes = 1024;
constexpr int64_t kMaxBurstBytes = 128 * 1024;

double median_ms(std::vector<double> v) { return v.empty() ? NAN : stats::median(v); }

int link_id(const std::string& link) {
  return link == link_name(TierRole::kMobile) ? static_cast<int>(LinkId::kMobileEdge)
                                              : static_cast<int>(LinkId::kEdgeCloud);
}

/// Requests go client -> mobile -> edge -> cloud: reaching the edge crosses mobile-edge, reaching
/// the cloud crosses both.
std::vector<std::string> links_crossed(const std::string& placement) {
  auto p = parse_placement(placement);
  return p.ok() ? p->links_crossed() : std::vector<std::string>{};
}

/// The chain's name says whether it is partitioned (a dynamic exit's split has no step of its
/// own, so the stored steps do not); the stored operator order decides for names that do not
/// parse (the store fills it for rows of every schema version).
bool is_partitioned(const StrategyRow& row) {
  if (auto chain = parse_op_chain(row.ops); chain.ok()) return chain->partition;
  const std::string_view partition = operator_row(OperatorId::kPartition).name;
  return std::find(row.steps.begin(), row.steps.end(), partition) != row.steps.end();
}

/// One (strategy, scenario) median on a link, for the link fit.
struct LinkPoint {
  std::string scenario;
  double up = 0, down = 0, rate_mbit = 0, rtt_ms = 0, transfer_ms = 0;
};

LinkModel fit_link(const std::string& link, const std::vector<LinkPoint>& points) {
  LinkModel best;
  best.link = link;
  best.points = static_cast<int>(points.size());
  for (const auto& p : points) {
    if (std::find(best.scenarios.begin(), best.scenarios.end(), p.scenario) ==
        best.scenarios.end()) {
      best.scenarios.push_back(p.scenario);
    }
  }
  if (points.empty()) {
    best.method = "no data (defaults)";
    return best;
  }
  // Fit overhead and rate factor for every burst size, then choose among the fits about as good
  // as the best: at a single rate a burst and the overhead trade off exactly, and a negative
  // per-request overhead is not physical.
  std::vector<LinkModel> fits;
  std::vector<double> scores;
  for (int64_t burst = 0; burst <= kMaxBurstBytes; burst += kBurstStepBytes) {
    LinkModel m = best;
    m.burst_bytes = burst;
    std::vector<double> x, y;
    for (const auto& p : points) {
      const double bits = 8 * (std::max(0.0, p.up - static_cast<double>(burst)) +
                               std::max(0.0, p.down - static_cast<double>(burst)));
      x.push_back(p.rate_mbit > 0 ? bits / (p.rate_mbit * 1e3) : 0.0);
      y.push_back(p.transfer_ms - p.rtt_ms);
    }
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    m.method = "overhead fitted (rate factor 1)";
    if (x.size() >= 3 && *hi - *lo >= 2.0) {
      // Theil-Sen: the median of pairwise slopes shrugs off a noisy strategy.
      std::vector<double> slopes;
      for (size_t i = 0; i < x.size(); ++i) {
        for (size_t j = i + 1; j < x.size(); ++j) {
          if (std::fabs(x[j] - x[i]) > 1e-9) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
        }
      }
      // A shaper never delivers much more than its rate (bursts are modelled apart) and rarely
      // much less: headers cost a few percent.
      m.rate_factor = std::clamp(stats::median(slopes), 0.95, 1.5);
      m.method = "fitted";
    }
    std::vector<double> r;
    for (size_t i = 0; i < x.size(); ++i) r.push_back(y[i] - m.rate_factor * x[i]);
    m.overhead_ms = stats::median(r);
    double score = 0;
    for (double v : r) score += std::fabs(v - m.overhead_ms);
    fits.push_back(std::move(m));
    scores.push_back(score);
  }
  // Among the fits about as good as the best: a non-negative overhead first, then the rate
  // factor closest to 1 (in steps of 1%), then the smallest burst.
  const double best_score = *std::min_element(scores.begin(), scores.end());
  const double good_enough = best_score * 1.05 + 0.005 * static_cast<double>(points.size());
  auto rank = [&](size_t i) {
    const LinkModel& m = fits[i];
    return std::make_tuple(m.overhead_ms >= 0 ? 0.0 : -m.overhead_ms,
                           std::round(std::fabs(m.rate_factor - 1) * 100), m.burst_bytes);
  };
  std::optional<size_t> pick;
  for (size_t i = 0; i < fits.size(); ++i) {
    if (scores[i] > good_enough) continue;
    if (!pick || rank(i) < rank(*pick)) pick = i;
  }
  return fits[*pick];
}

struct Group {
  std::string model, ops, placement;
  std::vector<const StoredStrategy*> parts;  // one per scenario
};

std::vector<Group> group_strategies(const StoredRun& run, const std::string& model) {
  std::vector<Group> groups;
  for (const auto& s : run.strategies) {
    if (!model.empty() && s.row.model != model) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.model == s.row.model && g.ops == s.row.ops && g.placement == s.row.placement;
    });
    if (it == groups.end()) {
      groups.push_back({s.row.model, s.row.ops, s.row.placement, {}});
      it = groups.end() - 1;
    }
    it->parts.push_back(&s);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return strategy_order_less({a.model, a.ops, a.placement, ""},
                               {b.model, b.ops, b.placement, ""});
  });
  return groups;
}

/// Model graphs loaded once per model file.
class GraphCache {
 public:
  Result<const ModelGraph*> get(const std::string& path, const InputShapes& shapes,
                                const std::string& profile) {
    auto it = graphs_.find(path);
    if (it == graphs_.end()) {
      auto g = load_model_graph(path, shapes, profile);
      if (!g.ok()) return g.status();
      it = graphs_.emplace(path, std::move(*g)).first;
    }
    return &it->second;
  }

 private:
  std::map<std::string, ModelGraph> graphs_;
};

/// Fills s->cut (or s->cut_note) for a partitioned two-tier strategy.
Status attach_cut_model(const Group& g, const std::vector<const RequestRecord*>& rows,
                        const PlannerOptions& options,
                        const std::map<std::string, std::pair<double, double>>& window,
                        GraphCache* cache, StrategyModel* s, std::vector<std::string>* notes) {
  const StrategyRow& row = g.parts.front()->row;
  nlohmann::json plan = nlohmann::json::parse(row.plan_json, nullptr, false);
  if (plan.is_discarded() || !plan.is_object()) plan = nlohmann::json::object();
  if (!is_partitioned(row)) return ok_status();
  if (!options.move_cuts) {
    s->cut_note = "cut re-choice is off";
    return ok_status();
  }
  if (g.placement.size() != 2) {
    s->cut_note = "three tiers: the cuts stay as measured";
    return ok_status();
  }
  std::vector<std::string> tensors;
  if (plan.contains("cuts") && plan.at("cuts").is_array() && !plan.at("cuts").empty() &&
      plan.at("cuts")[0].is_array()) {
    for (const auto& t : plan.at("cuts")[0]) {
      if (t.is_string()) tensors.push_back(t.get<std::string>());
    }
  }
  if (tensors.empty()) {
    s->cut_note = "the stored plan names no cut";
    return ok_status();
  }
  std::string path;
  if (auto it = options.model_files.find(g.model); it != options.model_files.end()) {
    path = it->second;
  } else if (plan.contains("model_path") && plan.at("model_path").is_string()) {
    path = plan.at("model_path").get<std::string>();
  }
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    s->cut_note = (path.empty() ? std::string("the stored plan has no model file")
                                : "model file '" + path + "' is missing") +
                  "; pass --model-file " + g.model + "=PATH to move the cut";
    return ok_status();
  }
  InputShapes shapes;
  if (plan.contains("input") && plan.at("input").is_object()) {
    const auto& in = plan.at("input");
    if (in.contains("name") && in.at("name").is_string() && in.contains("shape") &&
        in.at("shape").is_array()) {
      std::vector<int64_t> dims;
      for (const auto& d : in.at("shape"))
        dims.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
      shapes[in.at("name").get<std::string>()] = dims;
    }
  }
  std::string profile;
  if (auto it = options.profiles.find(g.model); it != options.profiles.end()) profile = it->second;
  auto graph = cache->get(path, shapes, profile);
  if (!graph.ok()) {
    // A profile the user named must be right; a model that fails to load only pins the cut.
    if (!profile.empty()) return graph.status();
    s->cut_note = "cannot analyse '" + path + "': " + graph.status().message();
    return ok_status();
  }
  for (const auto& n : (*graph)->notes) {
    if (std::find(notes->begin(), notes->end(), n) == notes->end()) notes->push_back(n);
  }
  MeasuredCut measured;
  auto placed = parse_placement(g.placement);
  if (!placed.ok() || placed->num_tiers() < 2) {
    s->cut_note = "placement '" + g.placement + "' has no boundary to move";
    return ok_status();
  }
  const TierRole lower_role = placed->tiers[0], upper_role = placed->tiers[1];
  const int lower = static_cast<int>(lower_role), upper = static_cast<int>(upper_role);
  measured.lower_tier = tier_role_name(lower_role);
  measured.upper_tier = tier_role_name(upper_role);
  measured.cut_links = links_between(lower_role, upper_role);
  std::vector<double> lc, uc, ls, up;
  for (const RequestRecord* r : rows) {
    if (r->tiers[lower].compute_ns) lc.push_back(*r->tiers[lower].compute_ns / kNsPerMs);
    if (r->tiers[upper].compute_ns) uc.push_back(*r->tiers[upper].compute_ns / kNsPerMs);
    if (r->tiers[lower].serialize_ns) ls.push_back(*r->tiers[lower].serialize_ns / kNsPerMs);
    if (r->tiers[upper].preprocess_ns) up.push_back(*r->tiers[upper].preprocess_ns / kNsPerMs);
  }
  if (lc.empty() || uc.empty()) {
    s->cut_note =
        "the rows carry no " + measured.lower_tier + "/" + measured.upper_tier + " compute time";
    return ok_status();
  }
  measured.lower_compute_ms = median_ms(lc);
  measured.upper_compute_ms = median_ms(uc);
  measured.boundary_ms = (ls.empty() ? 0.0 : median_ms(ls)) + (up.empty() ? 0.0 : median_ms(up));
  for (const auto& l : s->links) {
    if (l.link == measured.cut_links.front()) measured.cut_link_bytes_up = l.bytes_up;
  }
  std::string exit_from, exit_to;
  if (plan.contains("exit") && plan.at("exit").is_object()) {
    exit_from = plan.at("exit").value("from", "");
    exit_to = plan.at("exit").value("to", "");
  }
  if (!options.any_cut) {
    if (auto it = window.find(g.model); it != window.end()) {
      measured.min_flops_share = it->second.first;
      measured.max_flops_share = it->second.second;
    }
  }
  auto cut = make_cut_model(**graph, tensors, exit_from, exit_to, measured);
  if (!cut.ok()) {
    s->cut_note = cut.status().message();
    return ok_status();
  }
  s->cut = std::move(*cut);
  return ok_status();
}

std::optional<double> accuracy_loss(const ResultSet& results, const std::string& model,
                                    const std::string& ops) {
  const auto metric = results.primary_metric(model);
  if (!metric) return std::nullopt;
  const auto ref = results.accuracy(model, identity_chain_name(), *metric);
  const auto acc = results.accuracy(model, ops, *metric);
  if (!ref || !acc) return std::nullopt;
  return *ref - *acc;
}

}  // namespace

const std::vector<std::string>& planner_links() {
  static const std::vector<std::string> kLinks = link_names();
  return kLinks;
}

double LinkModel::burst_at(double rate_mbit) const {
  if (!configured) return static_cast<double>(burst_bytes);
  return std::max(static_cast<double>(burst_min_bytes), rate_mbit * 1e3 / 8 * burst_ms);
}

double LinkModel::transfer_ms(double bytes_up, double bytes_down, double rate_mbit,
                              double rtt_ms) const {
  double t = overhead_ms + rtt_ms;
  if (rate_mbit > 0) {
    const double b = static_cast<double>(burst_bytes);
    const double bits = 8 * (std::max(0.0, bytes_up - b) + std::max(0.0, bytes_down - b));
    t += rate_factor * bits / (rate_mbit * 1e3);
  }
  return std::max(0.0, t);
}

double predict_latency_ms(const StrategyModel& s, const std::vector<LinkModel>& links,
                          const LinkSettings& setting, std::optional<size_t> cut) {
  return predict_latency(s, links, setting, cut).median_ms;
}

LatencyPrediction predict_latency(const StrategyModel& s, const std::vector<LinkModel>& links,
                                  const LinkSettings& setting, std::optional<size_t> cut) {
  double t = s.fixed_ms;
  const CutOption* moved = nullptr;
  double shift_ms = 0;  // compute and boundary change of a moved cut
  if (cut && s.cut && *cut != s.cut->measured && *cut < s.cut->options.size()) {
    const CutModel& c = *s.cut;
    moved = &c.options[*cut];
    const CutOption& at = c.options[c.measured];
    shift_ms += c.lower_ms_per_cost * moved->lower_cost + c.upper_ms_per_cost * moved->upper_cost -
                c.lower_compute_ms - c.upper_compute_ms;
    shift_ms +=
        c.boundary_ms * (static_cast<double>(moved->bytes) / static_cast<double>(at.bytes) - 1);
  }
  t += shift_ms;
  for (const LinkLoad& load : s.links) {
    double up = load.bytes_up;
    if (moved && std::find(s.cut->cut_links.begin(), s.cut->cut_links.end(), load.link) !=
                     s.cut->cut_links.end()) {
      up = s.cut->wire_overhead_bytes + s.cut->wire_ratio * static_cast<double>(moved->bytes);
    }
    LinkModel model;
    for (const auto& l : links) {
      if (l.link == load.link) model = l;
    }
    LinkSetting ls;
    if (auto it = setting.find(load.link); it != setting.end()) ls = it->second;
    t += model.transfer_ms(up, load.bytes_down, ls.rate_mbit, ls.rtt_ms);
  }
  if (s.sequences.empty()) {
    return {t, t - (s.fixed_ms - s.fixed_p10_ms), t + (s.fixed_p90_ms - s.fixed_ms)};
  }
  // The replay: the measured requests through the setting's buckets, the moved cut's compute
  // change on every request and its tensor on the links between its tiers.
  std::vector<BucketSpec> buckets;
  std::vector<double> extra_ms;
  std::vector<bool> on_cut;
  for (const LinkLoad& load : s.links) {
    LinkSetting ls;
    if (auto it = setting.find(load.link); it != setting.end()) ls = it->second;
    double burst = 0;
    for (const auto& l : links) {
      if (l.link == load.link) burst = l.burst_at(ls.rate_mbit);
    }
    buckets.push_back({ls.rate_mbit, burst});
    extra_ms.push_back(ls.rtt_ms);
    on_cut.push_back(moved && std::find(s.cut->cut_links.begin(), s.cut->cut_links.end(),
                                        load.link) != s.cut->cut_links.end());
  }
  std::vector<double> all;
  for (const auto& seq : s.sequences) {
    std::vector<RequestSample> samples = seq;
    for (auto& r : samples) {
      r.base_ms += shift_ms;
      for (size_t l = 0; l < on_cut.size() && l < r.bytes.size(); ++l) {
        if (on_cut[l])
          r.bytes[l][0] =
              s.cut->wire_overhead_bytes + s.cut->wire_ratio * static_cast<double>(moved->bytes);
      }
    }
    const auto e2e = replay_requests(samples, buckets, extra_ms);
    all.insert(all.end(), e2e.begin(), e2e.end());
  }
  if (all.empty()) return {t, t, t};
  return {stats::median(all), stats::percentile(all, 10), stats::percentile(all, 90)};
}

Result<PlannerFit> fit_planner(const StoredRun& run, const ResultSet& results,
                               const std::vector<std::string>& scenarios,
                               const PlannerOptions& options) {
  PlannerFit fit;
  auto trained = [&](const std::string& scenario) {
    return scenarios.empty() ||
           std::find(scenarios.begin(), scenarios.end(), scenario) != scenarios.end();
  };
  std::map<std::string, std::vector<LinkPoint>> points;
  std::set<std::string> unconfigured;
  GraphCache cache;
  std::vector<std::vector<MeasuredSequence>> measured;  // parallel to fit.strategies
  for (const Group& g : group_strategies(run, options.model)) {
    StrategyModel s;
    s.model = g.model;
    s.ops = g.ops;
    s.placement = g.placement;
    s.label = strategy_label(g.ops, g.placement);
    const std::vector<std::string> crossed = links_crossed(g.placement);
    std::vector<const RequestRecord*> rows;
    std::vector<double> fixed;
    std::map<std::string, std::vector<double>> breakdown;
    std::map<std::string, std::vector<double>> up, down;
    std::string unusable;
    std::vector<MeasuredSequence> seqs;
    for (const StoredStrategy* part : g.parts) {
      if (!trained(part->row.scenario)) continue;
      std::map<std::string, std::vector<double>> t_ms, p_up, p_down;
      size_t ok_rows = 0;
      MeasuredSequence seq;
      seq.scenario = part->row.scenario;
      for (const RequestRecord* rp : in_request_order(part->requests)) {
        const RequestRecord& r = *rp;
        if (r.outcome != "ok") continue;
        ++ok_rows;
        double f = static_cast<double>(r.end_to_end_ns);
        const bool complete = std::all_of(crossed.begin(), crossed.end(), [&](const auto& l) {
          return r.links[link_id(l)].transfer_ns.has_value();
        });
        if (!complete) continue;
        RequestSample sample;
        std::vector<double> transfers;
        for (const auto& l : crossed) {
          const LinkTraffic& lt = r.links[link_id(l)];
          f -= static_cast<double>(*lt.transfer_ns);
          t_ms[l].push_back(*lt.transfer_ns / kNsPerMs);
          p_up[l].push_back(static_cast<double>(lt.bytes_up.value_or(0)));
          p_down[l].push_back(static_cast<double>(lt.bytes_down.value_or(0)));
          sample.bytes.push_back({p_up[l].back(), p_down[l].back()});
          transfers.push_back(t_ms[l].back());
        }
        sample.base_ms = f / kNsPerMs;
        seq.add(r, std::move(sample), std::move(transfers));
        rows.push_back(&r);
        fixed.push_back(f / kNsPerMs);
        if (r.client_ns) breakdown["client"].push_back(*r.client_ns / kNsPerMs);
        for (int t = 0; t < 3; ++t) {
          const TierTiming& tt = r.tiers[t];
          const std::pair<const char*, const std::optional<int64_t>*> fields[] = {
              {"queue", &tt.queue_ns},
              {"preprocess", &tt.preprocess_ns},
              {"compute", &tt.compute_ns},
              {"serialize", &tt.serialize_ns}};
          for (const auto& [name, v] : fields) {
            if (*v)
              breakdown[std::string(tier_role_name(static_cast<TierRole>(t))) + "_" + name]
                  .push_back(**v / kNsPerMs);
          }
          if (tt.postprocess_ns > 0)
            breakdown[std::string(tier_role_name(static_cast<TierRole>(t))) + "_postprocess"]
                .push_back(tt.postprocess_ns / kNsPerMs);
        }
      }
      if (ok_rows > 0 && t_ms.size() < crossed.size()) {
        unusable = "its rows carry no transfer time for a link it crosses";
      }
      if (ok_rows == 0 || t_ms.size() < crossed.size()) continue;
      if (std::find(s.scenarios.begin(), s.scenarios.end(), part->row.scenario) ==
          s.scenarios.end()) {
        s.scenarios.push_back(part->row.scenario);
      }
      seq.finish();
      seqs.push_back(std::move(seq));
      for (const auto& l : crossed) {
        if (t_ms[l].empty()) continue;
        up[l].insert(up[l].end(), p_up[l].begin(), p_up[l].end());
        down[l].insert(down[l].end(), p_down[l].begin(), p_down[l].end());
        const LinkRecord* cfg = run.link(part->row.scenario, l);
        if (!cfg) {
          unconfigured.insert(part->row.scenario + "/" + l);
          continue;
        }
        points[l].push_back({part->row.scenario, median_ms(p_up[l]), median_ms(p_down[l]),
                             cfg->configured_rate_mbit, cfg->configured_rtt_ms,
                             median_ms(t_ms[l])});
      }
    }
    if (rows.empty()) {
      if (!unusable.empty()) {
        fit.notes.push_back(g.model + " " + s.label + ": not predicted: " + unusable);
      }
      for (const StoredStrategy* part : g.parts) {
        if (!trained(part->row.scenario)) continue;
        MissingStrategy m;
        m.key = part->key();
        m.status = std::string(strategy_status_name(part->row.status));
        m.reason = part->row.reason;
        m.requests_stored = part->stored_requests;
        m.requests_planned = run.planned_requests;
        fit.missing.push_back(std::move(m));
      }
      continue;
    }
    s.requests = static_cast<int64_t>(rows.size());
    s.fixed_ms = median_ms(fixed);
    s.fixed_p10_ms = stats::percentile(fixed, 10);
    s.fixed_p90_ms = stats::percentile(fixed, 90);
    for (auto& [name, v] : breakdown) s.fixed_breakdown_ms[name] = median_ms(v);
    for (const auto& l : crossed) s.links.push_back({l, median_ms(up[l]), median_ms(down[l])});
    s.accuracy_loss_pts = accuracy_loss(results, g.model, g.ops);
    RETURN_IF_ERROR(
        attach_cut_model(g, rows, options, run.cut_flops_window, &cache, &s, &fit.notes));
    fit.strategies.push_back(std::move(s));
    measured.push_back(std::move(seqs));
  }
  for (const auto& u : unconfigured) {
    fit.notes.push_back("scenario/link " + u +
                        " has no configured rate in the run's links table; its transfers are " +
                        "left out of the link fit");
  }
  for (const auto& l : planner_links()) fit.links.push_back(fit_link(l, points[l]));
  attach_buckets(run, measured, &fit);
  return fit;
}

}  // namespace edgetier
