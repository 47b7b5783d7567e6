/// The self-contained HTML report: page skeleton, styles, chart bootstrap and the sections.
#include "report/html.h"

#include <algorithm>
#include <cctype>

#include "analysis/analyze.h"
#include "analysis/recommend.h"
#include "report/charts.h"
#include "report/format.h"
#include "report/html_tables.h"
#include "report/terminal.h"
#include "report/vega_bundle.h"

namespace edgetier {

using nlohmann::json;

namespace {

constexpr std::string_view kStyle = R"css(
:root { --ink:#1d2330; --muted:#5b6473; --line:#dfe3ea; --band:#f5f7fa; --accent:#2f5d9e;
        --good:#2c7a3f; --bad:#b3261e; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
       Arial,sans-serif; color:var(--ink); background:#eef1f5; }
header { background:#1f2a3c; color:#fff; padding:22px 36px 18px; }
header h1 { margin:0 0 4px; font-size:24px; font-weight:600; }
header .meta { color:#c5cdda; font-size:13px; }
nav { background:#fff; border-bottom:1px solid var(--line); padding:8px 36px; font-size:13px; }
nav a { color:var(--accent); text-decoration:none; margin-right:16px; white-space:nowrap; }
main { max-width:1320px; margin:0 auto; padding:20px 24px 40px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:18px 24px;
          margin:0 0 20px; }
h2 { margin:0 0 12px; font-size:20px; font-weight:600; }
h3 { margin:22px 0 8px; font-size:15px; font-weight:600; color:#2b3445; }
p { margin:6px 0 10px; }
.muted { color:var(--muted); } .small { font-size:12px; }
.good { color:var(--good); font-weight:600; } .bad { color:var(--bad); font-weight:600; }
.chart { margin:10px 0 18px; overflow-x:auto; min-height:40px; }
.recommendation { border-left:4px solid var(--good); background:#eef7f0; padding:10px 14px;
                  margin:4px 0 14px; border-radius:0 6px 6px 0; }
.recommendation.infeasible { border-color:var(--bad); background:#fbeeed; }
.recommendation .tag { font-weight:700; margin-right:6px; }
table.data { border-collapse:collapse; width:100%; margin:6px 0 12px; font-size:13px; }
table.data th { background:var(--band); font-weight:600; border-bottom:2px solid var(--line);
                padding:6px 8px; white-space:nowrap; }
table.data td { border-bottom:1px solid var(--line); padding:5px 8px; }
table.data .num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
table.data .text { text-align:left; }
table.data tbody tr:hover { background:#f7f9fc; }
.table-wrap { overflow-x:auto; }
table.strategies { font-size:12.5px; }
table.strategies th, table.strategies td { padding-left:6px; padding-right:6px; }
table.data tr.pareto td { background:#f3f7ff; }
table.data tr.recommended td { background:#eaf6ec; }
table.compact { font-size:12px; }
.ci { color:var(--muted); font-size:11.5px; }
.badge { display:inline-block; padding:1px 7px; border-radius:9px; background:#dfe8f6;
         color:#23487d; font-size:11px; font-weight:600; }
.badge.rec { background:#d7efdc; color:#1f5f2f; }
details { margin:4px 0 8px; } summary { cursor:pointer; color:var(--accent); }
ul.notes { margin:4px 0 0; padding-left:20px; color:var(--muted); }
#edgetier-errors { display:none; white-space:pre-wrap; background:#fbeeed; color:var(--bad);
                   border:1px solid #f0c4c0; padding:10px; border-radius:6px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:0 0 30px; }
)css";

// Runs before the Vega bundles so errors while they load are recorded too. Messages that arrive
// after the charts settled (a late resource violation) update the status again.
constexpr std::string_view kErrorHook = R"js(
(function () {
  var log = { errors: [], warnings: [], settled: false, rendered: 0 };
  window.edgetierLog = log;
  log.show = function () {
    if (!log.settled) return;
    var messages = log.errors.concat(log.warnings);
    var box = document.getElementById('edgetier-errors');
    var status = document.getElementById('edgetier-status');
    if (messages.length) {
      box.textContent = 'The page reported problems:\n' + messages.join('\n');
      box.style.display = 'block';
    }
    status.setAttribute('data-rendered', String(log.rendered));
    status.setAttribute('data-state', messages.length ? 'error' : 'done');
  };
  function add(list, message) { list.push(message); log.show(); }
  function text(args) {
    return Array.prototype.map.call(args, function (a) {
      return a && a.stack ? String(a.stack) : String(a);
    }).join(' ');
  }
  var error = console.error, warn = console.warn;
  console.error = function () { add(log.errors, text(arguments)); error.apply(console, arguments); };
  console.warn = function () { add(log.warnings, text(arguments)); warn.apply(console, arguments); };
  window.addEventListener('error', function (e) { add(log.errors, 'error: ' + e.message); });
  window.addEventListener('unhandledrejection', function (e) {
    add(log.errors, 'unhandled rejection: ' + e.reason);
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    add(log.errors, 'blocked by the content security policy: ' + e.violatedDirective + ' ' +
                    e.blockedURI);
  });
})();
)js";

// Embeds every chart as SVG, then reports the outcome on #edgetier-status.
constexpr std::string_view kRenderCharts = R"js(
(function () {
  var log = window.edgetierLog;
  var charts = JSON.parse(document.getElementById('edgetier-charts').textContent);
  var config = JSON.parse(document.getElementById('edgetier-chart-config').textContent);
  function finish() { log.settled = true; log.show(); }
  if (typeof vegaEmbed !== 'function') {
    log.errors.push('the Vega libraries did not load');
    finish();
    return;
  }
  document.getElementById('edgetier-libs').textContent = 'Vega ' + vega.version +
      ', Vega-Lite ' + vegaLite.version + ', vega-embed ' + vegaEmbed.version;
  // Vega-Lite warns when facets with independent x scales (the latency boxes) union one field
  // from layers that each filter out their own missing values. Those layers are forks of one
  // data source, exactly what the warning assumes, so only that message is dropped; every other
  // message reaches the console (and so the page's error list).
  var benign = 'Detected faceted independent scales that union domain of the same fields';
  var logger = {
    level: function (l) { return arguments.length ? logger : vega.Warn; },
    error: function () { console.error.apply(console, arguments); return logger; },
    warn: function () {
      var m = Array.prototype.join.call(arguments, ' ');
      if (m.indexOf(benign) < 0) console.warn.apply(console, arguments);
      return logger;
    },
    info: function () { return logger; },
    debug: function () { return logger; }
  };
  Promise.all(charts.map(function (c) {
    var el = document.getElementById(c.id);
    return Promise.resolve().then(function () {
      var compiled = vegaLite.compile(c.spec, { config: config, logger: logger }).spec;
      // ast: expressions run in vega's interpreter, so the page needs no eval (see the CSP).
      return vegaEmbed(el, compiled, { mode: 'vega', renderer: 'svg', actions: false, ast: true });
    }).then(function () {
      var n = el.querySelectorAll('svg').length;
      el.setAttribute('data-svg', String(n));
      if (n > 0) log.rendered += 1; else log.errors.push(c.id + ': no SVG was drawn');
    }, function (e) { log.errors.push(c.id + ': ' + (e && e.message ? e.message : e)); });
  })).then(finish, function (e) { log.errors.push(String(e)); finish(); });
})();
)js";

/// Look shared by every chart (vega-embed's `config` option).
json chart_config() {
  const std::string font = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  return {{"font", font},
          {"background", "#ffffff"},
          {"padding", 6},
          {"view", {{"stroke", "#d5d9e0"}}},
          {"axis",
           {{"labelFontSize", 11.5},
            {"titleFontSize", 12.5},
            {"titleFontWeight", 600},
            {"titleColor", "#2b3445"},
            {"labelColor", "#3a4252"},
            {"gridColor", "#e8ebf0"}}},
          {"legend",
           {{"labelFontSize", 12},
            {"titleFontSize", 12.5},
            {"titleFontWeight", 600},
            {"symbolOpacity", 1}}},
          {"header", {{"labelColor", "#2b3445"}}}};
}

/// Collects chart containers and their specs while the sections are written.
class ChartList {
 public:
  std::string add(json spec, const std::string& kind) {
    const std::string id = "chart-" + std::to_string(charts_.size());
    charts_.push_back({{"id", id}, {"kind", kind}, {"spec", std::move(spec)}});
    return "<div class=\"chart\" id=\"" + id + "\" data-kind=\"" + html_escape(kind) +
           "\"></div>\n";
  }
  const json& charts() const { return charts_; }

 private:
  json charts_ = json::array();
};

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  }
  return out;
}

/// Rows of `latency_distributions` for one model and scenario.
json boxes_for(const json& document, const std::string& model, const std::string& scenario) {
  json out = json::array();
  auto it = document.find("latency_distributions");
  if (it == document.end() || !it->is_array()) return out;
  for (const auto& b : *it) {
    if (b.value("model", std::string()) == model &&
        b.value("scenario", std::string()) == scenario) {
      out.push_back(b);
    }
  }
  return out;
}

std::string scenario_section(const json& document, const json& sc, const json* recommendation,
                             const charts::Palette& palette, ChartList* charts, std::string* nav) {
  const std::string model = sc.at("model"), scenario = sc.at("scenario");
  const std::string heading = scenario_heading(sc);
  const std::string id = "model-" + slug(model + "-" + scenario);
  *nav += "<a href=\"#" + id + "\">" + html_escape(heading) + "</a>";
  const json* rec = html::find_recommendation(recommendation, model, scenario);
  std::string out = "<section id=\"" + id + "\"><h2>" + html_escape(heading) + "</h2>\n";
  if (!sc.value("metric", std::string()).empty() && sc.at("reference_accuracy").is_number()) {
    out +=
        "<p class=\"muted\">Accuracy metric: " + html_escape(sc.at("metric").get<std::string>()) +
        "; Identity scores " + format_number(sc.at("reference_accuracy")) + " %.</p>\n";
  }
  out += html::recommendation_box(rec);
  out += charts->add(
      charts::latency_boxplot_spec(sc, boxes_for(document, model, scenario), palette), "latency");
  json accuracy = charts::accuracy_latency_spec(sc, palette);
  if (!accuracy.is_null()) out += charts->add(std::move(accuracy), "accuracy");
  json breakdown = charts::breakdown_spec(sc);
  if (!breakdown.is_null()) out += charts->add(std::move(breakdown), "breakdown");
  out += "<h3>Strategies</h3>\n<div class=\"table-wrap\">" + html::strategies_table(sc, rec) +
         "</div>\n";
  const std::string tests = html::rank_tests(sc, document.at("analysis").at("options"));
  if (!tests.empty()) out += "<h3>Rank tests</h3>\n" + tests;
  if (sc.contains("notes") && !sc.at("notes").empty()) {
    out += "<h3>Notes</h3><ul class=\"notes\">";
    for (const auto& n : sc.at("notes"))
      out += "<li>" + html_escape(n.get<std::string>()) + "</li>";
    out += "</ul>";
  }
  return out + "</section>\n";
}

std::string planner_section(const json* planner, ChartList* charts, std::string* nav) {
  if (planner == nullptr || !planner->is_object() || !planner->contains("heatmaps")) return "";
  std::string body;
  for (const auto& heatmap : planner->at("heatmaps")) {
    json spec = charts::planner_heatmap_spec(heatmap);
    if (!spec.is_null()) body += charts->add(std::move(spec), "planner");
  }
  if (body.empty()) return "";
  *nav += "<a href=\"#planner\">What-if planner</a>";
  return "<section id=\"planner\"><h2>What-if planner: link bandwidth</h2>\n<p class=\"muted\">"
         "Predicted best strategy when the Mobile-Edge and Edge-Cloud links run at other "
         "bandwidths.</p>\n" +
         body + "</section>\n";
}

std::string options_text(const json& analysis) {
  const json& o = analysis.at("options");
  return "Strategies ranked at " + percentile_name(o.value("percentile", 50.0)) + "; " +
         format_percent(o.value("confidence", 0.95) * 100) + " percentile-bootstrap CIs (" +
         std::to_string(o.value("bootstrap_resamples", 0)) + " resamples, seed " +
         std::to_string(o.value("seed", 0ULL)) + "); alpha " +
         format_number(o.value("alpha", 0.05)) + "; " + o.value("p_adjust", std::string("holm")) +
         "-adjusted post-hoc p-values.";
}

Result<std::string> render(const json& input, const json* planner_override) {
  json document = input.contains("analysis") ? input : json{{"analysis", input}};
  const json& analysis = document.at("analysis");
  if (!analysis.is_object() || !analysis.contains("scenarios") ||
      !analysis.at("scenarios").is_array()) {
    return invalid_argument(
        "report JSON has no analysis 'scenarios' array; pass the output of "
        "`edgetier analyze --json` or `edgetier report --json`");
  }
  if (analysis.at("scenarios").empty()) {
    return invalid_argument("report JSON has no scenarios to show (no measured strategies)");
  }
  if (planner_override != nullptr) document["planner"] = *planner_override;
  const json* recommendation =
      document.contains("recommendation") && document.at("recommendation").is_object()
          ? &document.at("recommendation")
          : nullptr;
  const json* planner = document.contains("planner") ? &document.at("planner") : nullptr;

  const charts::Palette palette = charts::make_palette(analysis);
  ChartList charts;
  std::string nav = "<a href=\"#summary\">Summary</a>";
  std::string sections;
  for (const auto& sc : analysis.at("scenarios")) {
    sections += scenario_section(document, sc, recommendation, palette, &charts, &nav);
  }
  const std::string acc = html::accuracy_tests(analysis);
  if (!acc.empty()) {
    nav += "<a href=\"#accuracy\">Accuracy tests</a>";
    sections +=
        "<section id=\"accuracy\"><h2>Accuracy across models</h2>\n<p class=\"muted\">"
        "Paired accuracy of each operator chain against Identity over the models "
        "(Wilcoxon signed-rank).</p>\n" +
        acc + "</section>\n";
  }
  sections += planner_section(planner, &charts, &nav);
  if (document.contains("campaign")) {
    nav += "<a href=\"#campaign\">Campaign</a>";
    sections += "<section id=\"campaign\"><h2>Where the run's time went</h2>\n" +
                html::campaign_table(document.at("campaign")) + "</section>\n";
  }
  if (analysis.contains("warnings") && !analysis.at("warnings").empty()) {
    nav += "<a href=\"#warnings\">Warnings</a>";
    sections += "<section id=\"warnings\"><h2>Warnings</h2><ul class=\"notes\">";
    for (const auto& w : analysis.at("warnings")) {
      sections += "<li>" + html_escape(w.get<std::string>()) + "</li>";
    }
    sections += "</ul></section>\n";
  }

  const std::string title = document.value("title", std::string("edgetier deployment report"));
  const std::string generated_by = document.value("generated_by", std::string("edgetier"));
  std::string html;
  html.reserve(1 << 21);
  html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // Nothing may load from anywhere: the report must never reach the network.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"generator\" content=\"" +
      html_escape(generated_by) + "\">\n<title>" + html_escape(title) + "</title>\n<style>" +
      std::string(kStyle) + "</style>\n<script>" + std::string(kErrorHook) + "</script>\n";
  for (const auto& script : vega_scripts()) {
    // The bundles go inline verbatim; a closing tag inside one would end the element early.
    std::string lower(script.source);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("</script") != std::string::npos || lower.find("<!--") != std::string::npos) {
      return internal_error("the embedded " + std::string(script.name) +
                            " bundle contains '</script' or '<!--' and cannot be inlined");
    }
    html += "<script data-library=\"" + std::string(script.name) + "\">\n";
    html += script.source;
    html += "\n</script>\n";
  }
  html += "</head>\n<body>\n<header><h1>" + html_escape(title) + "</h1><div class=\"meta\">" +
          html_escape(analysis.value("source", std::string())) + " &middot; " +
          std::to_string(analysis.value("total_samples", 0ULL)) + " requests &middot; " +
          std::to_string(analysis.at("scenarios").size()) + " model/scenario combinations" +
          "</div></header>\n<nav>" + nav +
          "</nav>\n<main>\n"
          "<noscript><section class=\"bad\">The charts need JavaScript; the tables below are "
          "complete without it.</section></noscript>\n"
          "<div id=\"edgetier-status\" data-state=\"rendering\" data-charts=\"" +
          std::to_string(charts.charts().size()) +
          "\" data-rendered=\"0\" hidden></div>\n"
          "<pre id=\"edgetier-errors\"></pre>\n"
          "<section id=\"summary\"><h2>Summary</h2>\n" +
          html::summary_table(analysis, recommendation) + "<p class=\"muted small\">" +
          html_escape(options_text(analysis)) + "</p></section>\n" + sections +
          "</main>\n<footer>Generated by " + html_escape(generated_by) +
          " &middot; charts: <span id=\"edgetier-libs\">Vega</span> (inlined; this file works "
          "offline)</footer>\n";
  html += "<script type=\"application/json\" id=\"edgetier-report\">" + json_for_script(document) +
          "</script>\n";
  json specs = json::array();
  for (const auto& c : charts.charts())
    specs.push_back({{"id", c.at("id")}, {"spec", c.at("spec")}});
  html += "<script type=\"application/json\" id=\"edgetier-charts\">" + json_for_script(specs) +
          "</script>\n<script type=\"application/json\" id=\"edgetier-chart-config\">" +
          json_for_script(chart_config()) + "</script>\n<script>" + std::string(kRenderCharts) +
          "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string json_for_script(const json& value) {
  // Replacing the error handler keeps invalid UTF-8 in names from throwing.
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

Result<std::string> render_html_report(const json& report, const json* planner) {
  // Reports may come from files: a wrongly typed field surfaces as a json exception here.
  try {
    return render(report, planner);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("report JSON: ") + e.what());
  }
}

}  // namespace edgetier
