/// Vega-Lite specifications of the report's charts, built from the report JSON (see html.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace edgetier::charts {

/// Colours and display order shared by every chart, so an operator chain has the same colour in
/// all of them.
struct Palette {
  std::vector<std::string> ops;     // chains in display order (I, Q, EE, QE, P, QP, EEP, QEP, ...)
  std::vector<std::string> colors;  // one per entry of `ops`
};

/// The palette for the chains present in `analysis` (the `analysis` section of the report).
Palette make_palette(const nlohmann::json& analysis);

/// "Mobile" for "M", "Mobile-Edge" for "ME"; unknown placements are returned unchanged.
std::string placement_display_name(std::string_view placement);
/// The metric table's display name with "(%)": "Top-1 accuracy (%)" for "top1", "mIoU (%)" for
/// "miou", "<metric> (%)" for ids outside the table.
std::string metric_axis_title(std::string_view metric);

/// Latency box plots on a log axis, one column per placement and one box per operator chain:
/// boxes are quartiles, whiskers reach the furthest sample within 1.5 IQR, dots are outliers.
/// `boxes` are the `latency_distributions` rows of this model and scenario; when empty the chart
/// falls back to the analysis percentiles (bar from p50 to p95, whiskers from min to max).
nlohmann::json latency_boxplot_spec(const nlohmann::json& scenario, const nlohmann::json& boxes,
                                    const Palette& palette);

/// Accuracy against latency at the analysis percentile (log axis) with bootstrap CIs, the Pareto
/// front drawn as a line. Null when no strategy of `scenario` has an accuracy.
nlohmann::json accuracy_latency_spec(const nlohmann::json& scenario, const Palette& palette);

/// Stacked bars of the median of each latency component per strategy. Null when no strategy of
/// `scenario` reports a breakdown.
nlohmann::json breakdown_spec(const nlohmann::json& scenario);

/// A heatmap of the best strategy per (Mobile-Edge, Edge-Cloud) bandwidth cell for one entry of
/// the planner's `heatmaps` (see html.h), each cell labelled with the strategy and its predicted
/// latency. Null when the entry has no cells.
nlohmann::json planner_heatmap_spec(const nlohmann::json& heatmap);

}  // namespace edgetier::charts
