/// Assembles the report document from a ResultSet and writes its files.
#include "report/report_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "analysis/load.h"
#include "analysis/stats.h"
#include "core/files.h"
#include "report/campaign_text.h"
#include "report/csv_json.h"
#include "report/html.h"

namespace edgetier {

using nlohmann::json;

namespace {

/// At most `max` of `values` (ascending), evenly spread over their ranks, first and last kept.
std::vector<double> thin(const std::vector<double>& values, size_t max) {
  if (values.size() <= max) return values;
  if (max == 0) return {};
  if (max == 1) return {values.back()};
  std::vector<double> out;
  out.reserve(max);
  for (size_t i = 0; i < max; ++i) {
    out.push_back(values[i * (values.size() - 1) / (max - 1)]);
  }
  return out;
}

}  // namespace

json latency_distributions_json(const ResultSet& results, const AnalysisOptions& filter,
                                size_t max_outliers) {
  // Grouped like the analysis: models and their scenarios in first-seen order, then strategies
  // in display order.
  std::vector<const StrategySamples*> order;
  for (const auto& model : results.models()) {
    if (!filter.model.empty() && model != filter.model) continue;
    for (const auto& scenario : results.scenarios(model)) {
      if (!filter.scenario.empty() && scenario != filter.scenario) continue;
      const size_t first = order.size();
      for (const auto& s : results.strategies()) {
        if (s.key.model == model && s.key.scenario == scenario && !s.latency_ns.empty()) {
          order.push_back(&s);
        }
      }
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(first), order.end(),
                [](const StrategySamples* a, const StrategySamples* b) {
                  return strategy_order_less(a->key, b->key);
                });
    }
  }
  json out = json::array();
  for (const StrategySamples* s : order) {
    const std::vector<double> ms = sorted_latency_ms(*s);
    const double q1 = stats::percentile_sorted(ms, 25);
    const double q3 = stats::percentile_sorted(ms, 75);
    const double low_fence = q1 - 1.5 * (q3 - q1), high_fence = q3 + 1.5 * (q3 - q1);
    // The whiskers end at real samples: the smallest at or above the low fence and the largest
    // at or below the high fence (both exist: the quartiles lie between them).
    const auto first_in = std::lower_bound(ms.begin(), ms.end(), low_fence);
    const auto last_in = std::upper_bound(ms.begin(), ms.end(), high_fence);
    std::vector<double> outliers(ms.begin(), first_in);
    outliers.insert(outliers.end(), last_in, ms.end());
    out.push_back({{"model", s->key.model},
                   {"scenario", s->key.scenario},
                   {"label", s->key.label()},
                   {"ops", s->key.ops},
                   {"placement", s->key.placement},
                   {"n", ms.size()},
                   {"min_ms", ms.front()},
                   {"q1_ms", q1},
                   {"median_ms", stats::percentile_sorted(ms, 50)},
                   {"q3_ms", q3},
                   {"max_ms", ms.back()},
                   {"whisker_low_ms", *first_in},
                   {"whisker_high_ms", *(last_in - 1)},
                   {"outliers_total", outliers.size()},
                   {"outliers_ms", thin(outliers, max_outliers)}});
  }
  return out;
}

Result<json> build_report(const ResultSet& results, const ReportOptions& options,
                          const json* planner) {
  ASSIGN_OR_RETURN(ReportParts parts, build_report_parts(results, options, planner));
  return std::move(parts.document);
}

Result<ReportParts> build_report_parts(const ResultSet& results, const ReportOptions& options,
                                       const json* planner) {
  const AnalysisOptions& analysis_options = options.recommend.analysis;
  ASSIGN_OR_RETURN(AnalysisReport analysis, analyze(results, analysis_options));
  ASSIGN_OR_RETURN(RecommendReport recommendation, recommend(results, analysis, options.recommend));
  json report = {
      {"schema", "edgetier-report"},
      {"schema_version", 1},
      {"title", options.title},
      {"generated_by", std::string("edgetier ") + EDGETIER_VERSION},
      {"analysis", to_json(analysis)},
      {"recommendation", to_json(recommendation)},
      {"latency_distributions",
       latency_distributions_json(results, analysis_options, options.max_outliers_per_strategy)}};
  if (options.load_summary) report["load"] = to_json(load_summary(results));
  if (results.campaign) report["campaign"] = campaign_json(*results.campaign);
  if (planner != nullptr && !planner->is_null()) report["planner"] = *planner;
  return ReportParts{std::move(analysis), std::move(recommendation), std::move(report)};
}

Status write_report_files(const json& report, const std::string& html_path,
                          const std::string& csv_dir) {
  if (!html_path.empty()) {
    ASSIGN_OR_RETURN(std::string html, render_html_report(report));
    RETURN_IF_ERROR(write_file_atomic(html_path, html));
  }
  if (!csv_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(csv_dir, ec);
    if (ec) return permission_denied("cannot create folder '" + csv_dir + "': " + ec.message());
    ASSIGN_OR_RETURN(std::vector<CsvTable> tables, report_csv_tables(report));
    for (const auto& table : tables) {
      RETURN_IF_ERROR(write_file_atomic(csv_dir + "/" + table.name + ".csv", to_csv(table)));
    }
  }
  return ok_status();
}

}  // namespace edgetier
