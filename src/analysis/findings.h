/// The study's five headline findings evaluated on a run, with the study's published medians
/// and accuracy deltas beside the run's own figures.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/result_set.h"
#include "core/status.h"

namespace edgetier {

/// The study's four models, by its data's names.
inline constexpr const char* kStudyModels[] = {"ResNet", "ResNext", "FCN", "DUC"};

/// The study model a run's model stands for: `overrides` (run model -> study model) first, else
/// by name: "duc" -> DUC, "fcn" -> FCN, "resnext" -> ResNext, "resnet" -> ResNet (any case, in
/// that order); "" when none fits.
std::string study_model_for(const std::string& run_model,
                            const std::map<std::string, std::string>& overrides);

/// One comparison behind a finding: `faster` against `slower` on one model.
struct FindingEvidence {
  std::string model;        // the run's model
  std::string study_model;  // "" when it stands for none
  std::string faster, slower;  // strategy labels, "QE@E"
  double run_ratio = 0;     // median(slower) / median(faster) in the run (> 1: the claim's way)
  std::optional<double> study_ratio;  // the same ratio in the study's samples
  double cliffs_delta = 0;  // of faster vs slower latency: < 0 when `faster` is faster
  std::string magnitude;    // negligible | small | medium | large
  bool holds = false;       // run_ratio > 1 and delta < 0, not negligible
};

/// An accuracy comparison: loss in points of each chain (Identity minus chain).
struct AccuracyEvidence {
  std::string model;
  std::string ops;
  std::string metric;  // the metric the loss is in
  double loss_pts = 0;
  bool external = false;  // the study's published figure, not measured by this run
};

struct Finding {
  std::string id;     // "a".."e"
  std::string claim;  // the study's words
  enum class Verdict { kHolds, kFails, kPartly, kNotEvaluable } verdict = Verdict::kNotEvaluable;
  std::string why;    // one sentence: what decided the verdict
  std::vector<FindingEvidence> latency;
  std::vector<AccuracyEvidence> accuracy;
};
std::string_view verdict_name(Finding::Verdict verdict);

/// The study's headline table side by side: per model and strategy, both medians and each one's
/// ratio to Edge Identity.
struct StudyComparisonRow {
  std::string model, study_model, strategy;  // strategy label "Q@E"
  double run_median_ms = 0;
  std::optional<double> study_median_ms;
  double run_vs_edge_identity = 0;  // median / median(I@E) in the run
  std::optional<double> study_vs_edge_identity;
};

struct FindingsReport {
  std::string scenario;  // the run's scenario evaluated
  std::vector<Finding> findings;
  std::vector<StudyComparisonRow> comparison;
  std::vector<std::string> notes;  // what was mapped, what was missing, what is external
};

struct FindingsOptions {
  std::map<std::string, std::string> study_models;  // run model -> study model (overrides)
  std::string scenario;  // "" = the first scenario of each model
};

/// Evaluates the findings on `run`; `study` (the study's samples and accuracy, e.g. read from
/// its latency_samples.csv and accuracy_long.csv) adds its ratios and, when the run's accuracy
/// is not measured against labels (agreement with the float model only, as for random weights),
/// supplies the accuracy deltas, marked external. Errors when the run has no samples.
Result<FindingsReport> evaluate_findings(const ResultSet& run, const ResultSet* study,
                                         const FindingsOptions& options = {});

/// The report as JSON: findings (id, claim, verdict, why, latency and accuracy evidence),
/// comparison rows and notes; absent study figures are null.
nlohmann::json to_json(const FindingsReport& report);

}  // namespace edgetier
