/// Vega-Lite specifications of the report's charts: latency boxes, accuracy vs latency with the
/// Pareto front, latency breakdown, planner heatmaps.
#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "analysis/analyze.h"
#include "analysis/recommend.h"
#include "metrics/metric.h"
#include "report/format.h"
#include "report/terminal.h"
#include "strategy/chain.h"
#include "strategy/placement.h"

namespace edgetier::charts {

using nlohmann::json;

namespace {

// Chains without a colour of their own (strategy/chain.h OpChain::colour: a threshold sweep
// such as DEE@0.7, DEE@0.8) take these, alphabetically.
const std::vector<std::string> kExtraColors = {"#9d755d", "#bab0ac", "#1f77b4",
                                               "#8c564b", "#17becf", "#bcbd22"};
// Breakdown components in the order a request meets them; others follow alphabetically.
const std::vector<std::string> kComponentOrder = {
    "queue", "preprocess", "serialize", "transfer", "compute", "deserialize", "postprocess"};

json title(const std::string& text, const std::vector<std::string>& subtitle) {
  json t = {{"text", text}, {"anchor", "start"}, {"fontSize", 15}, {"offset", 12}};
  if (!subtitle.empty()) {
    t["subtitle"] = subtitle;
    t["subtitleColor"] = "#555";
    t["subtitleFontSize"] = 12;
  }
  return t;
}

/// Colour by operator chain with the report-wide colours, listing only the chains in `rows`.
json color_encoding(const Palette& palette, const json& rows) {
  std::set<std::string> present;
  for (const auto& r : rows) present.insert(r.at("ops").get<std::string>());
  json domain = json::array(), range = json::array();
  for (size_t i = 0; i < palette.ops.size(); ++i) {
    if (!present.count(palette.ops[i])) continue;
    domain.push_back(palette.ops[i]);
    range.push_back(palette.colors[i]);
  }
  return {{"field", "ops"},
          {"type", "nominal"},
          {"scale", {{"domain", domain}, {"range", range}}},
          {"legend", {{"title", "Operators"}, {"orient", "right"}}}};
}

/// Display names of the placements present in `scenario`, lowest tier first.
std::vector<std::string> placements_in(const json& scenario) {
  std::set<std::string> present;
  for (const auto& s : scenario.at("strategies")) present.insert(s.at("key").at("placement"));
  std::vector<std::string> out;
  for (const auto& p : known_placements()) {
    if (present.erase(p)) out.push_back(placement_display_name(p));
  }
  for (const auto& p : present) out.push_back(placement_display_name(p));
  return out;
}

double number_or(const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

/// The smallest and largest of the `fields` over `rows` (fields may be missing on some rows).
std::pair<double, double> extent(const json& rows, const std::vector<const char*>& fields) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : rows) {
    for (const char* f : fields) {
      auto it = r.find(f);
      if (it == r.end() || !it->is_number()) continue;
      lo = std::min(lo, it->get<double>());
      hi = std::max(hi, it->get<double>());
    }
  }
  return {lo, hi};
}

/// Seconds read better than ms once latencies pass a second; the data stays in ms either way.
bool use_seconds(double typical_ms) { return typical_ms >= 1000; }

/// Tick values for a log axis over [lo_ms, hi_ms]: 1-2-5 steps, finer when the range is narrow,
/// so labels neither crowd (Vega labels every minor tick) nor vanish.
json log_ticks(double lo_ms, double hi_ms) {
  const std::vector<std::vector<double>> steps = {
      {1, 2, 5}, {1, 2, 3, 5}, {1, 1.5, 2, 3, 4, 5, 7}, {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9}};
  std::vector<double> values;
  if (!(lo_ms > 0) || !(hi_ms >= lo_ms)) return values;
  for (const auto& mantissas : steps) {
    values.clear();
    for (int e = static_cast<int>(std::floor(std::log10(lo_ms))) - 1;
         e <= static_cast<int>(std::ceil(std::log10(hi_ms))); ++e) {
      for (double m : mantissas) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo_ms * 0.999 && v <= hi_ms * 1.001) values.push_back(v);
      }
    }
    if (values.size() >= 5) break;
  }
  return values;
}

json latency_axis(bool seconds, const std::string& what, double lo_ms, double hi_ms) {
  json axis = {{"title", what + (seconds ? " (s, log scale)" : " (ms, log scale)")},
               {"grid", true},
               {"values", log_ticks(lo_ms, hi_ms)}};
  if (seconds) axis["labelExpr"] = "format(datum.value / 1000, '~g')";
  return axis;
}

}  // namespace

Palette make_palette(const nlohmann::json& analysis) {
  std::set<std::string> present;
  for (const auto& sc : analysis.at("scenarios")) {
    for (const auto& s : sc.at("strategies")) present.insert(s.at("key").at("ops"));
  }
  Palette palette;
  // The study's chains first, in display order, with their colours; the rest alphabetically.
  for (const OpChain& chain : standard_op_chains()) {
    const std::string colour = chain.colour();
    if (!colour.empty() && present.erase(chain.name())) {
      palette.ops.push_back(chain.name());
      palette.colors.push_back(colour);
    }
  }
  size_t extra = 0;
  for (const auto& ops : present) {
    palette.ops.push_back(ops);
    palette.colors.push_back(kExtraColors[extra++ % kExtraColors.size()]);
  }
  return palette;
}

std::string placement_display_name(std::string_view placement) {
  // Only the canonical short names: anything else is shown as it was stored.
  for (const auto& p : all_placements()) {
    if (p.name() == placement) return p.display_name();
  }
  return std::string(placement);
}

std::string metric_axis_title(std::string_view metric) {
  return metric_display_name(metric) + " (%)";  // values are points: percent on an axis
}

json latency_boxplot_spec(const json& scenario, const json& boxes, const Palette& palette) {
  const bool from_samples = !boxes.empty();
  json rows = json::array();
  std::vector<double> medians;
  size_t n_outliers = 0;
  if (from_samples) {
    for (const auto& b : boxes) {
      const std::string placement = placement_display_name(b.at("placement").get<std::string>());
      json row = {{"kind", "box"},
                  {"label", b.at("label")},
                  {"ops", b.at("ops")},
                  {"placement", placement},
                  {"n", b.at("n")},
                  {"q1_ms", b.at("q1_ms")},
                  {"median_ms", b.at("median_ms")},
                  {"q3_ms", b.at("q3_ms")},
                  {"low_ms", b.at("whisker_low_ms")},
                  {"high_ms", b.at("whisker_high_ms")},
                  {"median", format_latency(b.at("median_ms"))},
                  {"iqr", format_latency(b.at("q1_ms")) + " - " + format_latency(b.at("q3_ms"))},
                  {"whiskers", format_latency(b.at("whisker_low_ms")) + " - " +
                                   format_latency(b.at("whisker_high_ms"))}};
      medians.push_back(b.at("median_ms"));
      rows.push_back(row);
      for (const auto& v : b.at("outliers_ms")) {
        rows.push_back({{"kind", "outlier"},
                        {"label", b.at("label")},
                        {"ops", b.at("ops")},
                        {"placement", placement},
                        {"latency_ms", v},
                        {"latency", format_latency(v)}});
        ++n_outliers;
      }
    }
  } else {
    for (const auto& s : scenario.at("strategies")) {
      const json& l = s.at("latency");
      if (l.at("n").get<int64_t>() == 0) continue;
      rows.push_back(
          {{"kind", "box"},
           {"label", s.at("label")},
           {"ops", s.at("key").at("ops")},
           {"placement", placement_display_name(s.at("key").at("placement").get<std::string>())},
           {"n", l.at("n")},
           {"q1_ms", l.at("p50_ms")},
           {"median_ms", l.at("p50_ms")},
           {"q3_ms", l.at("p95_ms")},
           {"low_ms", l.at("min_ms")},
           {"high_ms", l.at("max_ms")},
           {"median", format_latency(l.at("p50_ms"))},
           {"iqr", "p50 - p95: " + format_latency(l.at("p50_ms")) + " - " +
                       format_latency(l.at("p95_ms"))},
           {"whiskers", "min - max: " + format_latency(l.at("min_ms")) + " - " +
                            format_latency(l.at("max_ms"))}});
      medians.push_back(l.at("p50_ms"));
    }
  }
  std::sort(medians.begin(), medians.end());
  const bool seconds = !medians.empty() && use_seconds(medians[medians.size() / 2]);
  const auto [lo_ms, hi_ms] = extent(rows, {"low_ms", "high_ms", "latency_ms"});

  std::vector<std::string> subtitle;
  if (from_samples) {
    subtitle.push_back(
        "Boxes: quartiles, white line: median, whiskers: furthest request within "
        "1.5 IQR, dots: outliers" +
        std::string(n_outliers ? "" : " (none)") + ".");
  } else {
    subtitle.push_back("Bars: median to p95, white line: median, whiskers: min to max.");
  }
  subtitle.push_back("One box per operator chain, grouped by the tiers the model runs on.");

  const json y_scale = {{"type", "log"}, {"nice", false}, {"padding", 8}};
  json box_tooltip = json::array({{{"field", "label"}, {"title", "Strategy"}},
                                  {{"field", "n"}, {"title", "Requests"}},
                                  {{"field", "median"}, {"title", "Median"}},
                                  {{"field", "iqr"}, {"title", from_samples ? "IQR" : "Bar"}},
                                  {{"field", "whiskers"}, {"title", "Whiskers"}}});
  // One data source for every layer (a filter per layer would give the facets' independent x
  // scales several sources): box fields are null on outlier rows and the other way round, and
  // Vega-Lite leaves out marks whose position is null. The box comes first so the legend shows
  // filled squares; the whiskers stop at the box so drawing order does not matter.
  json layers = json::array();
  layers.push_back(
      {{"mark",
        {{"type", "bar"}, {"width", {{"band", 0.7}}}, {"stroke", "#333"}, {"strokeWidth", 0.6}}},
       {"encoding",
        {{"y",
          {{"field", "q1_ms"},
           {"type", "quantitative"},
           {"scale", y_scale},
           {"axis", latency_axis(seconds, "Latency per request", lo_ms, hi_ms)}}},
         {"y2", {{"field", "q3_ms"}}},
         {"tooltip", box_tooltip}}}});
  for (const auto& [from, to] : {std::pair{"low_ms", "q1_ms"}, std::pair{"q3_ms", "high_ms"}}) {
    layers.push_back(
        {{"mark", {{"type", "rule"}, {"strokeWidth", 1.2}}},
         {"encoding",
          {{"y", {{"field", from}, {"type", "quantitative"}}}, {"y2", {{"field", to}}}}}});
  }
  // A zero-height bar as wide as the box: its white outline is the median line.
  layers.push_back(
      {{"mark",
        {{"type", "bar"}, {"width", {{"band", 0.7}}}, {"stroke", "white"}, {"strokeWidth", 2}}},
       {"encoding",
        {{"y", {{"field", "median_ms"}, {"type", "quantitative"}}},
         {"y2", {{"field", "median_ms"}}}}}});
  if (n_outliers > 0) {
    layers.push_back(
        {{"mark", {{"type", "point"}, {"size", 9}, {"opacity", 0.45}, {"filled", true}}},
         {"encoding",
          {{"y", {{"field", "latency_ms"}, {"type", "quantitative"}}},
           {"tooltip", json::array({{{"field", "label"}, {"title", "Strategy"}},
                                    {{"field", "latency"}, {"title", "Outlier"}}})}}}});
  }
  json inner = {
      {"width", {{"step", 44}}},
      {"height", 300},
      {"encoding",
       {{"x",
         {{"field", "ops"},
          {"type", "nominal"},
          {"sort", palette.ops},
          {"axis", {{"title", nullptr}, {"labelAngle", 0}, {"labelFontWeight", "bold"}}}}},
        {"color", color_encoding(palette, rows)}}},
      {"layer", layers}};
  return {{"title", title(scenario_heading(scenario) + ": latency per strategy", subtitle)},
          {"data", {{"values", rows}}},
          {"facet",
           {{"column",
             {{"field", "placement"},
              {"type", "nominal"},
              {"sort", placements_in(scenario)},
              {"title", "Placement (tiers running the model)"},
              {"header",
               {{"labelFontSize", 12.5},
                {"labelFontWeight", "bold"},
                {"titleFontSize", 12.5},
                {"titleFontWeight", "normal"}}}}}}},
          {"spacing", 8},
          {"resolve", {{"scale", {{"x", "independent"}}}}},
          {"spec", inner}};
}

json accuracy_latency_spec(const json& scenario, const Palette& palette) {
  json points = json::array();
  std::vector<double> latencies;
  double percentile = 50;
  double confidence = 0.95;
  for (const auto& s : scenario.at("strategies")) {
    if (!s.at("accuracy").is_number()) continue;
    const json& l = s.at("latency");
    if (l.at("n").get<int64_t>() == 0) continue;
    percentile = number_or(l, "percentile", 50);
    const double ms = l.at("at_percentile_ms");
    const json& ci = l.at("at_percentile_ci_ms");
    confidence = number_or(ci, "level", confidence);
    latencies.push_back(ms);
    json speedup = s.at("vs_reference").is_object()
                       ? json(format_ratio(s.at("vs_reference").at("speedup")) + " vs " +
                              s.at("vs_reference").at("reference").get<std::string>())
                       : json("-");
    points.push_back(
        {{"label", s.at("label")},
         {"ops", s.at("key").at("ops")},
         {"placement", placement_display_name(s.at("key").at("placement").get<std::string>())},
         {"latency_ms", ms},
         {"ci_low_ms", number_or(ci, "low", ms)},
         {"ci_high_ms", number_or(ci, "high", ms)},
         {"accuracy", s.at("accuracy")},
         {"pareto", s.at("pareto")},
         {"latency", format_latency(ms) + " [" + format_latency(number_or(ci, "low", ms)) + ", " +
                         format_latency(number_or(ci, "high", ms)) + "]"},
         {"accuracy_text", format_number(s.at("accuracy")) + " %"},
         {"loss", s.at("accuracy_loss_pts").is_number()
                      ? format_number(s.at("accuracy_loss_pts")) + " pt"
                      : std::string("-")},
         {"speedup", speedup}});
  }
  if (points.empty()) return nullptr;
  std::sort(latencies.begin(), latencies.end());
  const bool seconds = use_seconds(latencies[latencies.size() / 2]);
  const auto [lo_ms, hi_ms] = extent(points, {"ci_low_ms", "ci_high_ms", "latency_ms"});
  const std::string pname = percentile_name(percentile);
  const std::string metric = scenario.value("metric", std::string());

  const json x_scale = {{"type", "log"}, {"nice", false}, {"padding", 12}};
  const json x = {{"field", "latency_ms"},
                  {"type", "quantitative"},
                  {"scale", x_scale},
                  {"axis", latency_axis(seconds, pname + " latency", lo_ms, hi_ms)}};
  const json y = {{"field", "accuracy"},
                  {"type", "quantitative"},
                  {"scale", {{"zero", false}, {"padding", 12}}},
                  {"axis", {{"title", metric_axis_title(metric)}}}};
  const json pareto_only = json::array({{{"filter", "datum.pareto"}}});
  json layers = json::array();
  layers.push_back({{"mark", {{"type", "rule"}, {"strokeWidth", 1.5}, {"opacity", 0.55}}},
                    {"encoding",
                     {{"x",
                       {{"field", "ci_low_ms"},
                        {"type", "quantitative"},
                        {"scale", x_scale},
                        {"axis", latency_axis(seconds, pname + " latency", lo_ms, hi_ms)}}},
                      {"x2", {{"field", "ci_high_ms"}}},
                      {"y", y},
                      {"color", color_encoding(palette, points)}}}});
  layers.push_back({{"transform", pareto_only},
                    {"mark",
                     {{"type", "line"},
                      {"interpolate", "step-after"},
                      {"color", "#222"},
                      {"strokeDash", json::array({6, 4})},
                      {"strokeWidth", 1.5}}},
                    {"encoding", {{"x", x}, {"y", y}, {"order", {{"field", "latency_ms"}}}}}});
  layers.push_back(
      {{"mark", {{"type", "point"}, {"filled", true}, {"size", 110}, {"opacity", 0.95}}},
       {"encoding",
        {{"x", x},
         {"y", y},
         {"color", color_encoding(palette, points)},
         {"shape",
          {{"field", "placement"},
           {"type", "nominal"},
           {"sort", placements_in(scenario)},
           {"legend", {{"title", "Placement"}}}}},
         {"tooltip", json::array({{{"field", "label"}, {"title", "Strategy"}},
                                  {{"field", "latency"}, {"title", pname + " [CI]"}},
                                  {{"field", "accuracy_text"}, {"title", metric}},
                                  {{"field", "loss"}, {"title", "Accuracy loss"}},
                                  {{"field", "speedup"}, {"title", "Speedup"}}})}}}});
  layers.push_back({{"transform", pareto_only},
                    {"mark",
                     {{"type", "text"},
                      {"align", "left"},
                      {"dx", 9},
                      {"dy", -9},
                      {"fontSize", 11.5},
                      {"fontWeight", "bold"},
                      {"color", "#222"}}},
                    {"encoding", {{"x", x}, {"y", y}, {"text", {{"field", "label"}}}}}});
  return {
      {"title", title(scenario_heading(scenario) + ": accuracy vs " + pname + " latency",
                      {"Dashed staircase: Pareto front (best accuracy within each latency; "
                       "labelled). Horizontal bars: " +
                       format_percent(confidence * 100) + " bootstrap CI of the " + pname + "."})},
      {"width", 640},
      {"height", 320},
      {"data", {{"values", points}}},
      {"layer", layers}};
}

json breakdown_spec(const json& scenario) {
  std::set<std::string> names;
  for (const auto& s : scenario.at("strategies")) {
    auto it = s.find("breakdown_p50_ms");
    if (it == s.end() || !it->is_object()) continue;
    for (const auto& [name, value] : it->items()) names.insert(name);
  }
  if (names.empty()) return nullptr;
  // Known components first in request order, then links and other names alphabetically.
  std::vector<std::string> components;
  for (const auto& c : kComponentOrder) {
    if (names.erase(c)) components.push_back(c);
  }
  components.insert(components.end(), names.begin(), names.end());

  json rows = json::array();
  std::vector<std::string> labels;
  for (const auto& s : scenario.at("strategies")) {
    auto it = s.find("breakdown_p50_ms");
    if (it == s.end() || !it->is_object() || it->empty()) continue;
    labels.push_back(s.at("label"));
    for (size_t i = 0; i < components.size(); ++i) {
      auto v = it->find(components[i]);
      if (v == it->end() || !v->is_number()) continue;
      rows.push_back({{"label", s.at("label")},
                      {"component", components[i]},
                      {"order", i},
                      {"ms", *v},
                      {"time", format_latency(*v)}});
    }
  }
  return {{"title", title(scenario_heading(scenario) + ": where the time goes",
                          {"Median of each latency component per strategy (medians do not add up "
                           "exactly to the median latency)."})},
          {"width", 640},
          {"height", {{"step", 20}}},
          {"data", {{"values", rows}}},
          {"mark", {{"type", "bar"}}},
          {"encoding",
           {{"y",
             {{"field", "label"},
              {"type", "nominal"},
              {"sort", labels},
              {"axis", {{"title", "Strategy"}}}}},
            {"x",
             {{"field", "ms"},
              {"type", "quantitative"},
              {"stack", "zero"},
              {"axis", {{"title", "Median time per component (ms)"}}}}},
            {"color",
             {{"field", "component"},
              {"type", "nominal"},
              {"scale", {{"domain", components}, {"scheme", "tableau10"}}},
              {"legend", {{"title", "Component"}}}}},
            {"order", {{"field", "order"}}},
            {"tooltip", json::array({{{"field", "label"}, {"title", "Strategy"}},
                                     {{"field", "component"}, {"title", "Component"}},
                                     {{"field", "time"}, {"title", "Median"}}})}}}};
}

json planner_heatmap_spec(const json& heatmap) {
  auto cells_it = heatmap.find("cells");
  if (cells_it == heatmap.end() || !cells_it->is_array() || cells_it->empty()) return nullptr;
  json rows = json::array();
  for (const auto& c : *cells_it) {
    const std::string strategy = c.at("strategy");
    const double ms = c.at("latency_ms");
    rows.push_back({{"me", c.at("mobile_edge_rate_mbit")},
                    {"ec", c.at("edge_cloud_rate_mbit")},
                    {"strategy", strategy},
                    {"latency", format_latency(ms)},
                    {"text", strategy + "\n" + format_latency(ms)}});
  }
  std::string heading = heatmap.value("model", std::string("model"));
  const std::string scenario = heatmap.value("scenario", std::string());
  if (!scenario.empty() && scenario != "default") heading += " (" + scenario + ")";
  const std::string pname = percentile_name(number_or(heatmap, "percentile", 50));
  return {
      {"title", title(heading + ": best strategy per bandwidth",
                      {"What-if planner: the strategy with the lowest predicted " + pname +
                       " latency for each pair of link bandwidths (cell: strategy, latency)."})},
      {"width", {{"step", 92}}},
      {"height", {{"step", 46}}},
      {"data", {{"values", rows}}},
      {"encoding",
       {{"x",
         {{"field", "me"},
          {"type", "ordinal"},
          {"sort", "ascending"},
          {"axis", {{"title", "Mobile-Edge bandwidth (Mbit/s)"}, {"labelAngle", 0}}}}},
        {"y",
         {{"field", "ec"},
          {"type", "ordinal"},
          {"sort", "descending"},
          {"axis", {{"title", "Edge-Cloud bandwidth (Mbit/s)"}}}}}}},
      {"layer",
       json::array(
           {{{"mark", {{"type", "rect"}, {"stroke", "white"}, {"strokeWidth", 2}}},
             {"encoding",
              {{"color",
                {{"field", "strategy"},
                 {"type", "nominal"},
                 {"scale", {{"scheme", "set3"}}},
                 {"legend", {{"title", "Best strategy"}}}}},
               {"tooltip", json::array({{{"field", "me"}, {"title", "Mobile-Edge Mbit/s"}},
                                        {{"field", "ec"}, {"title", "Edge-Cloud Mbit/s"}},
                                        {{"field", "strategy"}, {"title", "Best"}},
                                        {{"field", "latency"}, {"title", pname}}})}}}},
            {{"mark", {{"type", "text"}, {"fontSize", 11}, {"lineBreak", "\n"}, {"color", "#111"}}},
             {"encoding", {{"text", {{"field", "text"}}}}}}})}};
}

}  // namespace edgetier::charts
