/// The HTML report's tables, built from the report JSON with every text HTML-escaped.
#include "report/html_tables.h"

#include <algorithm>

#include "analysis/analyze.h"
#include "analysis/recommend.h"
#include "report/charts.h"
#include "report/format.h"
#include "report/html.h"
#include "report/terminal.h"

namespace edgetier::html {

using nlohmann::json;

namespace {

std::string esc(const std::string& text) { return html_escape(text); }

/// A number field of `j` formatted by `format`, or "-" when absent or null.
template <typename Format>
std::string field(const json& j, const char* key, Format format) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return "-";
  return format(it->get<double>());
}

std::string ms_text(double v) { return format_latency(v); }
std::string number_text(double v) { return format_number(v); }

std::string td(const std::string& html, const char* cls = "num") {
  return std::string("<td class=\"") + cls + "\">" + html + "</td>";
}

std::string th(const std::string& text, const char* cls = "num", const std::string& hint = "") {
  std::string out = std::string("<th class=\"") + cls + "\"";
  if (!hint.empty()) out += " title=\"" + esc(hint) + "\"";
  return out + ">" + esc(text) + "</th>";
}

std::string cliffs_text(const json& cliffs) {
  if (!cliffs.is_object()) return "-";
  return format_number(cliffs.value("delta", 0.0)) + " <span class=\"muted\">(" +
         esc(cliffs.value("magnitude", std::string("?"))) + ")</span>";
}

std::string ci_text(const json& ci) {
  if (!ci.is_object() || !ci.contains("low") || !ci.contains("high")) return "";
  return " <span class=\"ci\">[" + format_latency(ci.at("low")) + ", " +
         format_latency(ci.at("high")) + "]</span>";
}

std::string percentile_of(const json& scenario) {
  for (const auto& s : scenario.at("strategies")) {
    return percentile_name(s.at("latency").value("percentile", 50.0));
  }
  return "p50";
}

std::string join(const json& labels, const std::string& separator) {
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : separator) + esc(l.get<std::string>());
  return out;
}

}  // namespace

const json* find_recommendation(const json* recommendation, const std::string& model,
                                const std::string& scenario) {
  if (recommendation == nullptr || !recommendation->is_object()) return nullptr;
  auto recs = recommendation->find("recommendations");
  if (recs == recommendation->end() || !recs->is_array()) return nullptr;
  for (const auto& r : *recs) {
    if (r.value("model", std::string()) == model &&
        r.value("scenario", std::string()) == scenario) {
      return &r;
    }
  }
  return nullptr;
}

std::string summary_table(const json& analysis, const json* recommendation) {
  const bool have_rec = recommendation != nullptr && recommendation->is_object();
  std::string out = "<table class=\"data\"><thead><tr>" + th("Model", "text") +
                    th("Scenario", "text") +
                    th(have_rec ? "Recommended" : "Fastest Pareto strategy", "text") +
                    th("Latency", "num", "Latency at the analysis percentile, with its CI") +
                    th("Speedup", "num", "Against Identity on the tier the request enters") +
                    th("Accuracy loss", "num", "Identity minus this strategy, in points") +
                    th("Pareto front (fastest first)", "text") + "</tr></thead><tbody>";
  for (const auto& sc : analysis.at("scenarios")) {
    const std::string model = sc.at("model"), scenario = sc.at("scenario");
    const json* rec = find_recommendation(recommendation, model, scenario);
    const json* chosen = nullptr;  // a strategy entry of the analysis
    std::string label;
    if (rec != nullptr && rec->value("recommended", json()).is_object()) {
      label = rec->at("recommended").at("label");
    } else if (!sc.at("pareto_front").empty()) {
      label = sc.at("pareto_front").at(0);
    }
    for (const auto& s : sc.at("strategies")) {
      if (s.at("label") == label) chosen = &s;
    }
    std::string strategy_cell = label.empty() ? "-" : "<b>" + esc(label) + "</b>";
    if (rec != nullptr && !rec->value("feasible", true)) {
      strategy_cell = "<span class=\"bad\">none feasible</span>";
      if (rec->value("closest", json()).is_object()) {
        strategy_cell += " <span class=\"muted\">(closest: " +
                         esc(rec->at("closest").at("label").get<std::string>()) + ")</span>";
      }
      chosen = nullptr;
    }
    out += "<tr>" + td(esc(model), "text") + td(esc(scenario), "text") + td(strategy_cell, "text");
    if (chosen != nullptr) {
      const json& l = chosen->at("latency");
      const json& vs = chosen->at("vs_reference");
      out += td(format_latency(l.at("at_percentile_ms")) + ci_text(l.at("at_percentile_ci_ms")));
      out += td(vs.is_object() ? format_ratio(vs.at("speedup")) + " <span class=\"muted\">vs " +
                                     esc(vs.at("reference").get<std::string>()) + "</span>"
                               : "-");
      const std::string loss = field(*chosen, "accuracy_loss_pts", number_text);
      out += td(loss == "-" ? loss : loss + " pt");
    } else {
      out += td("-") + td("-") + td("-");
    }
    out += td(join(sc.at("pareto_front"), ", "), "text") + "</tr>";
  }
  return out + "</tbody></table>";
}

std::string recommendation_box(const json* rec) {
  if (rec == nullptr) return "";
  const bool feasible = rec->value("feasible", true);
  const bool tied = rec->value("tied", false);
  std::string out = std::string("<div class=\"recommendation") + (feasible ? "" : " infeasible") +
                    "\"><span class=\"tag\">" +
                    (feasible ? (tied ? "Tied" : "Recommendation") : "No feasible strategy") +
                    "</span> " +
                    esc(rec->value("reason", std::string())) + "</div>";
  return out;
}

std::string strategies_table(const json& scenario, const json* rec) {
  const std::string pname = percentile_of(scenario);
  const std::string metric = scenario.value("metric", std::string());
  std::string recommended, tied_with;
  if (rec != nullptr && rec->value("recommended", json()).is_object()) {
    recommended = rec->at("recommended").at("label");
  }
  if (rec != nullptr && rec->value("tied_with", json()).is_string()) {
    tied_with = rec->at("tied_with").get<std::string>();
  }
  bool any_failed = false, any_accuracy = false, any_exit = false;
  for (const auto& s : scenario.at("strategies")) {
    any_failed = any_failed || s.value("failed_requests", 0) > 0;
    any_exit = any_exit || s.value("exit_rate_pct", json()).is_number();
    any_accuracy = any_accuracy || s.at("accuracy").is_number();
  }
  std::string out =
      "<table class=\"data strategies\"><thead><tr>" + th("Strategy", "text") +
      th("Operators", "text") + th("Placement", "text") + th("n", "num", "Successful requests") +
      th("p50 [CI]", "num", "Median latency with its bootstrap confidence interval") +
      th("p95 [CI]") + th("p99") + th("Mean") +
      th("p50 &plusmn;%", "num",
         "Half the median's 95% CI as % of the median, and what stopped the measurement") +
      (any_failed ? th("Failed", "num", "Requests that did not complete") : "") +
      (any_exit ? th("Exits (%)", "num", "Requests the dynamic exit's early head answered") : "");
  if (any_accuracy)
    out += th(metric.empty() ? "Accuracy" : charts::metric_axis_title(metric)) + th("Loss (pt)");
  out += th("Speedup", "num", "Against Identity on the tier the request enters, at " + pname) +
         th("Cliff's delta", "num", "Latency vs Identity: negative means faster") +
         th("Pareto", "text") + "</tr></thead><tbody>";
  for (const auto& s : scenario.at("strategies")) {
    const json& l = s.at("latency");
    const std::string label = s.at("label");
    const bool pareto = s.value("pareto", false);
    std::string cls = pareto ? "pareto" : "";
    if (label == recommended) cls += " recommended";
    out += "<tr class=\"" + cls + "\">" + td("<b>" + esc(label) + "</b>", "text") +
           td(esc(s.value("ops_name", std::string())), "text") +
           td(esc(charts::placement_display_name(s.at("key").at("placement").get<std::string>())),
              "text") +
           td(std::to_string(l.value("n", 0))) +
           td(field(l, "p50_ms", ms_text) + ci_text(l.value("p50_ci_ms", json()))) +
           td(field(l, "p95_ms", ms_text) + ci_text(l.value("p95_ci_ms", json()))) +
           td(field(l, "p99_ms", ms_text)) + td(field(l, "mean_ms", ms_text)) +
           td(field(s, "precision_pct", number_text) +
              (s.value("stop_reason", json()).is_string()
                   ? " <span class=\"muted\">" + esc(s.at("stop_reason").get<std::string>()) +
                         "</span>"
                   : ""));
    if (any_failed) out += td(std::to_string(s.value("failed_requests", 0)));
    if (any_exit) out += td(field(s, "exit_rate_pct", number_text));
    if (any_accuracy) {
      out += td(field(s, "accuracy", number_text)) + td(field(s, "accuracy_loss_pts", number_text));
    }
    const json& vs = s.at("vs_reference");
    if (vs.is_object() && vs.value("reference", std::string()) != label) {
      out += td(format_ratio(vs.at("speedup")) + " <span class=\"muted\">vs " +
                esc(vs.at("reference").get<std::string>()) + "</span>") +
             td(cliffs_text(vs.value("cliffs_delta", json())));
    } else {
      out += td(vs.is_object() ? "<span class=\"muted\">reference</span>" : "-") + td("-");
    }
    std::string mark = pareto ? "<span class=\"badge\">Pareto</span>" : "";
    if (label == recommended && tied_with.empty()) {
      mark += " <span class=\"badge rec\">recommended</span>";
    } else if (label == recommended || label == tied_with) {
      mark += " <span class=\"badge rec\">tied</span>";
    }
    out += td(mark, "text") + "</tr>";
  }
  return out + "</tbody></table>";
}

std::string rank_tests(const json& scenario, const json& options) {
  auto tests = scenario.find("tests");
  if (tests == scenario.end() || !tests->is_array() || tests->empty()) return "";
  std::string out = "<table class=\"data\"><thead><tr>" + th("Comparison", "text") +
                    th("Strategies", "text") + th("H", "num", "Kruskal-Wallis H (tie-corrected)") +
                    th("df") + th("p") + th("Result", "text") + "</tr></thead><tbody>";
  std::string details;
  for (const auto& t : *tests) {
    const std::string kind = t.value("kind", std::string());
    const std::string fixed = t.value("held_fixed", std::string());
    const std::string what = kind == "across_tiers" ? "Across tiers, operators " + fixed
                             : kind == "across_operators"
                                 ? "Across operators on " + charts::placement_display_name(fixed)
                                 : kind + " " + fixed;
    const json& kw = t.at("kruskal_wallis");
    const bool significant = t.value("significant", false);
    out += "<tr>" + td(esc(what), "text") + td(join(t.at("strategies"), ", "), "text") +
           td(field(kw, "h", number_text)) + td(std::to_string(kw.value("df", 0))) +
           td(field(kw, "p_value", format_p_value)) +
           td(significant ? "<span class=\"good\">differ</span>"
                          : "<span class=\"muted\">no evidence of a difference</span>",
              "text") +
           "</tr>";
    const json& post = t.at("post_hoc");
    if (!post.contains("pairs") || post.at("pairs").empty()) continue;
    details += "<details><summary>" + esc(what) + ": Conover-Iman pairs (" +
               esc(post.value("p_adjust", std::string("?"))) +
               "-adjusted)</summary><table class=\"data compact\"><thead><tr>" + th("A", "text") +
               th("B", "text") + th("t") + th("p") + th("p adjusted") + th("Significant", "text") +
               th("Cliff's delta (A vs B)") + "</tr></thead><tbody>";
    for (const auto& p : post.at("pairs")) {
      details +=
          "<tr>" + td(esc(p.at("a").get<std::string>()), "text") +
          td(esc(p.at("b").get<std::string>()), "text") + td(field(p, "t", number_text)) +
          td(field(p, "p_value", format_p_value)) + td(field(p, "p_adjusted", format_p_value)) +
          td(p.value("significant", false) ? "yes" : "<span class=\"muted\">no</span>", "text") +
          td(cliffs_text(p.value("cliffs_delta", json()))) + "</tr>";
    }
    details += "</tbody></table></details>";
  }
  out += "</tbody></table>";
  const double alpha = options.value("alpha", 0.05);
  return out +
         "<p class=\"muted small\">Kruskal-Wallis H tests at alpha = " + format_number(alpha) +
         "; post-hoc pairs by Conover-Iman with " +
         esc(options.value("p_adjust", std::string("holm"))) +
         " adjustment; Cliff's delta magnitude: negligible &lt; 0.147 &le; small &lt; 0.33 "
         "&le; medium &lt; 0.474 &le; large.</p>" +
         details;
}

std::string accuracy_tests(const json& analysis) {
  auto tests = analysis.find("accuracy_tests");
  if (tests == analysis.end() || !tests->is_array() || tests->empty()) return "";
  std::string out = "<table class=\"data\"><thead><tr>" + th("Operators", "text") +
                    th("Against", "text") + th("Models", "text") +
                    th("Mean loss (pt)", "num", "Mean of reference minus operator accuracy") +
                    th("W", "num", "Wilcoxon signed-rank statistic") + th("p") +
                    th("Note", "text") + "</tr></thead><tbody>";
  for (const auto& t : *tests) {
    const json& ref = t.at("reference_values");
    const json& val = t.at("values");
    double loss = 0;
    const size_t n = std::min(ref.size(), val.size());
    for (size_t i = 0; i < n; ++i) loss += ref[i].get<double>() - val[i].get<double>();
    const json& w = t.at("wilcoxon");
    out += "<tr>" + td("<b>" + esc(t.at("ops").get<std::string>()) + "</b>", "text") +
           td(esc(t.at("reference").get<std::string>()), "text") +
           td(join(t.at("models"), ", "), "text") +
           td(n ? format_number(loss / static_cast<double>(n)) : "-") +
           td(w.is_object() ? field(w, "statistic", number_text) : "-") +
           td(w.is_object() ? field(w, "p_value", format_p_value) : "-") +
           td(esc(t.value("note", std::string())), "text") + "</tr>";
  }
  return out + "</tbody></table>";
}

std::string campaign_table(const json& campaign) {
  if (!campaign.is_object()) return "";
  auto seconds = [](double v) { return format_number(v) + " s"; };
  std::string out = "<p>Wall time " + field(campaign, "wall_s", seconds) + " = " +
                    field(campaign, "overhead_ratio", number_text) +
                    "x the sum of the request times (" +
                    field(campaign, "request_sum_s", seconds) + ").</p>\n<table><thead><tr>" +
                    th("phase", "") + th("time") + th("share of wall") + "</tr></thead><tbody>";
  for (const auto& p : campaign.value("phases", json::array())) {
    out += "<tr>" + td(esc(p.value("phase", "")), "") + td(field(p, "seconds", seconds)) +
           td(format_number(100.0 * p.value("share_of_wall", 0.0)) + "%") + "</tr>";
  }
  out += "<tr>" + td("unaccounted", "") + td(field(campaign, "unaccounted_s", seconds)) +
         td("") + "</tr></tbody></table>\n";
  const json overlapped = campaign.value("overlapped", json::array());
  if (!overlapped.empty()) {
    out += "<p class=\"muted\">Done beside other phases (builds at idle CPU priority):";
    for (const auto& p : overlapped)
      out += " " + esc(p.value("phase", "")) + " " + field(p, "seconds", seconds);
    out += ".</p>\n";
  }
  return out;
}

}  // namespace edgetier::html
