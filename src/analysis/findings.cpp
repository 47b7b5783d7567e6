/// The study's findings on a run: latency comparisons with Cliff's delta, accuracy losses from
/// the run's labels or, marked external, from the study's published figures.
#include "analysis/findings.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "analysis/analyze.h"
#include "analysis/stats.h"
#include "metrics/metric.h"

namespace edgetier {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct Cell {
  std::string ops, placement;
  std::string label() const { return strategy_label(ops, placement); }
};

/// The headline columns of the study's table (PAPER: Edge I, Q, EE, QE, Mobile I, Mobile-Edge P,
/// Cloud I).
const std::vector<Cell>& headline_cells() {
  static const std::vector<Cell> cells = {{"I", "E"},  {"Q", "E"},  {"EE", "E"}, {"QE", "E"},
                                          {"I", "M"},  {"P", "ME"}, {"I", "C"}};
  return cells;
}

class Evaluator {
 public:
  Evaluator(const ResultSet& run, const ResultSet* study, const FindingsOptions& options)
      : run_(run), study_(study), options_(options) {}

  std::string scenario_of(const std::string& model) const {
    if (!options_.scenario.empty()) return options_.scenario;
    const auto scenarios = run_.scenarios(model);
    return scenarios.empty() ? std::string(kDefaultScenario) : scenarios.front();
  }

  std::vector<double> run_ms(const std::string& model, const Cell& c) const {
    const StrategySamples* s = run_.find({model, c.ops, c.placement, scenario_of(model)});
    return s ? sorted_latency_ms(*s) : std::vector<double>{};
  }
  std::vector<double> study_ms(const std::string& study_model, const Cell& c) const {
    if (!study_ || study_model.empty()) return {};
    const StrategySamples* s =
        study_->find({study_model, c.ops, c.placement, std::string(kDefaultScenario)});
    return s ? sorted_latency_ms(*s) : std::vector<double>{};
  }

  /// `faster` against `slower` on `model`; nullopt when the run lacks either.
  std::optional<FindingEvidence> compare(const std::string& model, const Cell& faster,
                                         const Cell& slower) const {
    const auto f = run_ms(model, faster), s = run_ms(model, slower);
    if (f.empty() || s.empty()) return std::nullopt;
    FindingEvidence e;
    e.model = model;
    e.study_model = study_model_for(model, options_.study_models);
    e.faster = faster.label();
    e.slower = slower.label();
    e.run_ratio = median(s) / median(f);
    const stats::CliffsDelta d = stats::cliffs_delta_sorted(f, s);
    e.cliffs_delta = d.delta;
    e.magnitude = std::string(stats::magnitude_name(d.magnitude));
    // Both must agree: the median lower and the samples tending lower (delta < 0).
    e.holds = e.run_ratio > 1 && d.delta < 0 && d.magnitude != stats::EffectMagnitude::kNegligible;
    const auto sf = study_ms(e.study_model, faster), ss = study_ms(e.study_model, slower);
    if (!sf.empty() && !ss.empty()) e.study_ratio = median(ss) / median(sf);
    return e;
  }

  /// Loss in points of `ops` on `model`: the run's when its accuracy is against labels, else
  /// the study's published figure (external); nullopt when neither exists.
  std::optional<AccuracyEvidence> loss(const std::string& model, const std::string& ops) const {
    if (const auto metric = run_.primary_metric(model)) {
      const MetricInfo* info = find_metric(*metric);
      if (info && info->source == MetricSource::kLabels) {
        const auto base = run_.accuracy(model, "I", *metric), v = run_.accuracy(model, ops, *metric);
        if (base && v) return AccuracyEvidence{model, ops, *metric, *base - *v, false};
      }
    }
    const std::string sm = study_model_for(model, options_.study_models);
    if (!study_ || sm.empty()) return std::nullopt;
    const auto metric = study_->primary_metric(sm);
    if (!metric) return std::nullopt;
    const auto base = study_->accuracy(sm, "I", *metric), v = study_->accuracy(sm, ops, *metric);
    if (!base || !v) return std::nullopt;
    return AccuracyEvidence{model, ops, *metric, *base - *v, true};
  }

  std::vector<std::string> models_standing_for(const std::set<std::string>& study_models) const {
    std::vector<std::string> out;
    for (const std::string& m : run_.models()) {
      const std::string sm = study_model_for(m, options_.study_models);
      if (study_models.count(sm)) out.push_back(m);
    }
    return out;
  }

 private:
  const ResultSet& run_;
  const ResultSet* study_;
  const FindingsOptions& options_;
};

/// Holds when every model does, partly when some do, fails when none does.
Finding::Verdict verdict_of(size_t holding, size_t models) {
  return holding == models ? Finding::Verdict::kHolds
         : holding == 0    ? Finding::Verdict::kFails
                           : Finding::Verdict::kPartly;
}

/// Holds when every model's comparisons hold, partly when some do.
void decide(Finding* f, const std::string& subject) {
  if (f->latency.empty()) {
    f->verdict = Finding::Verdict::kNotEvaluable;
    f->why = "the run has none of the strategies compared (" + subject + ")";
    return;
  }
  std::set<std::string> models, holding;
  for (const FindingEvidence& e : f->latency) models.insert(e.model);
  for (const std::string& m : models) {
    bool all = true;
    for (const FindingEvidence& e : f->latency) {
      if (e.model == m && !e.holds) all = false;
    }
    if (all) holding.insert(m);
  }
  f->verdict = verdict_of(holding.size(), models.size());
  std::string list;
  for (const std::string& m : holding) list += (list.empty() ? "" : ", ") + m;
  f->why = std::to_string(holding.size()) + " of " + std::to_string(models.size()) +
           " models: " + subject + (list.empty() ? "" : " (" + list + ")") +
           "; a comparison holds when the median is lower with a non-negligible Cliff's delta";
}

void add(std::vector<FindingEvidence>* out, std::optional<FindingEvidence> e) {
  if (e) out->push_back(std::move(*e));
}

}  // namespace

std::string study_model_for(const std::string& run_model,
                            const std::map<std::string, std::string>& overrides) {
  if (const auto it = overrides.find(run_model); it != overrides.end()) return it->second;
  const std::string m = lower(run_model);
  if (m.find("duc") != std::string::npos) return "DUC";
  if (m.find("fcn") != std::string::npos) return "FCN";
  if (m.find("resnext") != std::string::npos) return "ResNext";
  if (m.find("resnet") != std::string::npos) return "ResNet";
  for (const char* s : kStudyModels) {
    if (lower(s) == m) return s;
  }
  return "";
}

std::string_view verdict_name(Finding::Verdict v) {
  switch (v) {
    case Finding::Verdict::kHolds: return "holds";
    case Finding::Verdict::kFails: return "fails";
    case Finding::Verdict::kPartly: return "partly";
    case Finding::Verdict::kNotEvaluable: return "not evaluable";
  }
  return "?";
}

Result<FindingsReport> evaluate_findings(const ResultSet& run, const ResultSet* study,
                                         const FindingsOptions& options) {
  if (run.empty()) {
    return failed_precondition("the run has no measured requests: nothing to evaluate (" +
                               run.source + ")");
  }
  Evaluator ev(run, study, options);
  FindingsReport report;
  report.scenario = options.scenario;
  const std::vector<std::string> models = run.models();
  for (const std::string& m : models) {
    const std::string sm = study_model_for(m, options.study_models);
    report.notes.push_back(m + (sm.empty() ? ": stands for none of the study's models (give "
                                             "--study-model " + m + "=ResNet|ResNext|FCN|DUC)"
                                           : " stands for the study's " + sm) +
                           ", scenario " + ev.scenario_of(m));
  }
  const Cell IE{"I", "E"}, QE_E{"QE", "E"}, QE{"Q", "E"}, EEE{"EE", "E"}, IM{"I", "M"},
      PME{"P", "ME"}, IC{"I", "C"};

  Finding a{"a", "Edge QE is the fastest strategy, at a medium accuracy loss"};
  for (const std::string& m : models) {
    add(&a.latency, ev.compare(m, QE_E, QE));
    add(&a.latency, ev.compare(m, QE_E, EEE));
    add(&a.latency, ev.compare(m, QE_E, IE));
    for (const char* ops : {"Q", "EE", "QE"}) {
      if (auto l = ev.loss(m, ops)) a.accuracy.push_back(*l);
    }
  }
  decide(&a, "QE@E faster than Q@E, EE@E and I@E");

  Finding b{"b", "Q alone loses the least accuracy"};
  {
    std::set<std::string> with, holding;
    for (const std::string& m : models) {
      const auto q = ev.loss(m, "Q"), ee = ev.loss(m, "EE"), qe = ev.loss(m, "QE");
      for (const auto& l : {q, ee, qe}) {
        if (l) b.accuracy.push_back(*l);
      }
      if (!q || (!ee && !qe)) continue;
      with.insert(m);
      if ((!ee || q->loss_pts < ee->loss_pts) && (!qe || q->loss_pts < qe->loss_pts)) holding.insert(m);
    }
    bool external = false;
    for (const AccuracyEvidence& l : b.accuracy) external = external || l.external;
    if (with.empty()) {
      b.why = "no model has the accuracy of Q and of EE or QE (measured against labels, or the "
              "study's published figures with --study)";
    } else {
      b.verdict = verdict_of(holding.size(), with.size());
      b.why = std::to_string(holding.size()) + " of " + std::to_string(with.size()) +
              " models: Q's loss below EE's and QE's" +
              (external ? "; losses marked external are the study's published figures (this "
                          "run's accuracy is agreement with the float model only)"
                        : "");
    }
  }

  Finding c{"c", "Mobile-Edge partitioning beats Mobile alone when Mobile is constrained"};
  for (const std::string& m : models) add(&c.latency, ev.compare(m, PME, IM));
  decide(&c, "P@ME faster than I@M");

  Finding d{"d", "A network-constrained Cloud wins for small inputs (FCN)"};
  for (const std::string& m : ev.models_standing_for({"FCN"})) {
    add(&d.latency, ev.compare(m, IC, IE));
    add(&d.latency, ev.compare(m, IC, IM));
  }
  decide(&d, "I@C faster than I@E and I@M on the FCN model");

  Finding e{"e", "Edge wins for large inputs"};
  for (const std::string& m : ev.models_standing_for({"ResNet", "ResNext", "DUC"})) {
    add(&e.latency, ev.compare(m, IE, IC));
    add(&e.latency, ev.compare(m, IE, IM));
  }
  decide(&e, "I@E faster than I@C and I@M on the ResNet, ResNeXt and DUC models");

  report.findings = {a, b, c, d, e};

  for (const std::string& m : models) {
    const std::string sm = study_model_for(m, options.study_models);
    const auto base = ev.run_ms(m, IE), study_base = ev.study_ms(sm, IE);
    if (base.empty()) continue;
    for (const Cell& cell : headline_cells()) {
      const auto v = ev.run_ms(m, cell);
      if (v.empty()) continue;
      StudyComparisonRow row{m, sm, cell.label(), median(v)};
      row.run_vs_edge_identity = row.run_median_ms / median(base);
      const auto s = ev.study_ms(sm, cell);
      if (!s.empty()) {
        row.study_median_ms = median(s);
        if (!study_base.empty()) row.study_vs_edge_identity = *row.study_median_ms / median(study_base);
      }
      report.comparison.push_back(row);
    }
  }
  if (!study) {
    report.notes.push_back("no study data given (--study DIR with latency_samples.csv and "
                           "accuracy_long.csv): the study's ratios are not shown");
  }
  return report;
}

namespace {

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const FindingsReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : report.findings) {
    nlohmann::json latency = nlohmann::json::array(), accuracy = nlohmann::json::array();
    for (const FindingEvidence& e : f.latency) {
      latency.push_back({{"model", e.model}, {"study_model", e.study_model},
                         {"faster", e.faster}, {"slower", e.slower},
                         {"run_ratio", e.run_ratio}, {"study_ratio", optional_json(e.study_ratio)},
                         {"cliffs_delta", e.cliffs_delta}, {"magnitude", e.magnitude},
                         {"holds", e.holds}});
    }
    for (const AccuracyEvidence& a : f.accuracy) {
      accuracy.push_back({{"model", a.model}, {"ops", a.ops}, {"metric", a.metric},
                          {"loss_pts", a.loss_pts}, {"external", a.external}});
    }
    findings.push_back({{"id", f.id}, {"claim", f.claim},
                        {"verdict", std::string(verdict_name(f.verdict))}, {"why", f.why},
                        {"latency", latency}, {"accuracy", accuracy}});
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const StudyComparisonRow& r : report.comparison) {
    rows.push_back({{"model", r.model}, {"study_model", r.study_model}, {"strategy", r.strategy},
                    {"run_median_ms", r.run_median_ms},
                    {"study_median_ms", optional_json(r.study_median_ms)},
                    {"run_vs_edge_identity", r.run_vs_edge_identity},
                    {"study_vs_edge_identity", optional_json(r.study_vs_edge_identity)}});
  }
  return {{"findings", findings}, {"comparison", rows}, {"notes", report.notes}};
}

}  // namespace edgetier
