/// The report document: analysis, recommendation and latency distributions of a ResultSet as one
/// JSON value that every printer (HTML, CSV, JSON) reads.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/analyze.h"
#include "analysis/recommend.h"
#include "analysis/result_set.h"
#include "core/status.h"

namespace edgetier {

struct ReportOptions {
  /// Analysis settings (percentile, filters, bootstrap, tests) and recommendation limits.
  RecommendOptions recommend;
  std::string title = "edgetier deployment report";
  /// Outliers kept per strategy for the box plots; beyond that an evenly spread subset (always
  /// including the extremes) is kept and the total is recorded.
  size_t max_outliers_per_strategy = 200;
  /// Add the "load" section (analysis/load.h: p50/p95/p99 and throughput per strategy), as
  /// `edgetier run` does for a run measured under load.
  bool load_summary = false;
};

/// The report document with the analysis and recommendation it was made from, for printers that
/// take them typed (the terminal tables); `document` holds the same values as JSON.
struct ReportParts {
  AnalysisReport analysis;
  RecommendReport recommendation;
  nlohmann::json document;
};

/// Tukey box-plot summaries of every strategy's latency (in analysis display order) that passes
/// the model/scenario filters of `filter`: one object per strategy with model, scenario, label,
/// ops, placement, n, min_ms, q1_ms, median_ms, q3_ms, max_ms (quartiles by linear
/// interpolation, as the analysis' percentiles), whisker_low_ms/whisker_high_ms (the furthest
/// samples within 1.5 IQR of the box), outliers_ms (ascending, at most `max_outliers`) and
/// outliers_total.
nlohmann::json latency_distributions_json(const ResultSet& results, const AnalysisOptions& filter,
                                          size_t max_outliers);

/// Analyses `results`, recommends and assembles the report document (layout in report/html.h):
/// schema, schema_version, title, generated_by, analysis, recommendation,
/// latency_distributions, load (with options.load_summary) and, when given, planner.
Result<nlohmann::json> build_report(const ResultSet& results, const ReportOptions& options,
                                    const nlohmann::json* planner = nullptr);
/// Same, keeping the analysis and recommendation beside the document.
Result<ReportParts> build_report_parts(const ResultSet& results, const ReportOptions& options,
                                       const nlohmann::json* planner = nullptr);

/// Writes the HTML report to `html_path` (when not empty) and the CSV tables into `csv_dir`
/// (when not empty), as `edgetier report` and `edgetier run` do. Each file is written to a
/// temporary name beside it and renamed, so a reader never sees half a file.
Status write_report_files(const nlohmann::json& report, const std::string& html_path,
                          const std::string& csv_dir);

}  // namespace edgetier
