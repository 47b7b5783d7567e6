/// Fixed-width text for `edgetier plan` and `edgetier plan --validate`.
#include "report/planner_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "analysis/recommend.h"
#include "core/strings.h"
#include "report/terminal.h"

namespace edgetier {

namespace {

std::string fmt_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string rate_text(double mbit) { return mbit > 0 ? fmt_g(mbit) + " Mbit/s" : "unshaped"; }

/// "edge-cloud 10 Mbit/s RTT 20 ms" (the RTT only when there is one).
std::string link_setting_text(const std::string& link, double rate_mbit, double rtt_ms) {
  std::string text = link + " " + rate_text(rate_mbit);
  if (rtt_ms > 0) text += " RTT " + fmt_g(rtt_ms) + " ms";
  return text;
}

std::string bytes_text(double bytes) {
  char buf[32];
  if (bytes >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2f MB", bytes / 1e6);
  } else if (bytes >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.1f kB", bytes / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f B", bytes);
  }
  return buf;
}

/// Rows of cells, left-aligned columns (first `right_from` columns left, the rest right).
std::string render(const std::vector<std::vector<std::string>>& rows, size_t right_from,
                   const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      line += c < right_from ? row[c] + pad : pad + row[c];
      if (c + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string link_model_line(const LinkModel& l) {
  char buf[200];
  if (l.configured) {
    std::snprintf(buf, sizeof(buf),
                  "%s: tbf bucket max(%s, %g ms at the rate) as configured (%s at the measured "
                  "rate), crossing %.3f ms (%d points",
                  l.link.c_str(), bytes_text(static_cast<double>(l.burst_min_bytes)).c_str(),
                  l.burst_ms, bytes_text(static_cast<double>(l.burst_bytes)).c_str(),
                  l.crossing_ms, l.points);
    std::string out = buf;
    if (!l.scenarios.empty()) out += " from " + join(l.scenarios, ", ");
    return out + "; " + l.method + ")";
  }
  std::snprintf(buf, sizeof(buf), "%s: overhead %.3f ms, rate factor %.3f, burst %s (%d points",
                l.link.c_str(), l.overhead_ms, l.rate_factor,
                bytes_text(static_cast<double>(l.burst_bytes)).c_str(), l.points);
  std::string out = buf;
  if (!l.scenarios.empty()) out += " from " + join(l.scenarios, ", ");
  return out + "; " + l.method + ")";
}

}  // namespace

std::string format_plan(const PlanReport& report) {
  std::ostringstream out;
  out << "What-if planner on " << report.source << ": predicted median latency per setting\n";
  out << "Link models:\n";
  for (const auto& l : report.link_models) out << "  " << link_model_line(l) << "\n";
  out << "\n";
  const auto& me = report.rates_mbit.at("mobile-edge");
  const auto& ec = report.rates_mbit.at("edge-cloud");
  for (const auto& mp : report.models) {
    for (double rtt : report.rtt_ms) {
      out << mp.model << ": best strategy per bandwidth (RTT " << fmt_g(rtt) << " ms per link";
      if (report.max_accuracy_loss_pts) {
        out << ", accuracy loss <= " << fmt_g(*report.max_accuracy_loss_pts) << " pt";
      }
      out << "; + = cut moved)\n";
      std::vector<std::vector<std::string>> rows;
      std::vector<std::string> header = {"edge-cloud \\ mobile-edge"};
      for (double r : me) header.push_back(rate_text(r));
      rows.push_back(header);
      // Distinct moved cuts of the best strategies: "P@ME -> tensors (bytes)" -> cells.
      std::map<std::string, int> moved;
      std::vector<double> ec_desc(ec.rbegin(), ec.rend());
      for (double e : ec_desc) {
        std::vector<std::string> row = {rate_text(e)};
        for (double m : me) {
          const PlanCell* cell = nullptr;
          for (const auto& c : mp.cells) {
            if (c.rtt_ms == rtt && c.links.at("mobile-edge").rate_mbit == m &&
                c.links.at("edge-cloud").rate_mbit == e) {
              cell = &c;
            }
          }
          if (!cell || !cell->best) {
            row.push_back("-");
            continue;
          }
          const StrategyModel& s = mp.strategies[*cell->best];
          const StrategyPrediction& p = cell->predictions[*cell->best];
          const bool cut_moved = p.best_cut && *p.best_cut != s.cut->measured;
          row.push_back(s.label + (cut_moved ? "+ " : " ") + format_latency(p.best_latency_ms()));
          if (cut_moved) {
            const CutOption& o = s.cut->options[*p.best_cut];
            ++moved[s.label + " cut at " + join(o.tensors, ", ") + " (" +
                    bytes_text(static_cast<double>(o.bytes)) + ")"];
          }
        }
        rows.push_back(row);
      }
      out << render(rows, 1, "  ");
      for (const auto& [what, n] : moved) {
        out << "  + " << what << " in " << n << (n == 1 ? " cell" : " cells") << "\n";
      }
    }
    for (const auto& s : mp.strategies) {
      if (!s.cut_note.empty())
        out << "  note: " << s.label << " keeps its cut: " << s.cut_note << "\n";
    }
    for (const auto& m : mp.missing) out << "  not predicted: " << missing_line(m) << "\n";
    for (const auto& n : mp.notes) out << "  note: " << n << "\n";
    out << "\n";
  }
  for (const auto& w : report.warnings) out << "warning: " << w << "\n";
  return out.str();
}

std::string format_validation(const ValidationReport& report) {
  std::ostringstream out;
  const bool loo = report.method == "leave-one-scenario-out";
  out << "Planner validation on " << report.source << " ("
      << (loo ? "leave-one-scenario-out: each scenario predicted from the others' data"
              : "in-sample: the only scenario predicted from its own data")
      << ")\n";
  bool any_in_sample = false, any_excluded = false;
  for (const auto& v : report.scenarios) {
    std::vector<std::string> links;
    for (const auto& link : planner_links()) {
      auto it = v.links.find(link);
      if (it == v.links.end()) continue;
      links.push_back(link_setting_text(link, it->second.rate_mbit, it->second.rtt_ms));
    }
    out << "scenario " << v.scenario << " (" << join(links, ", ") << "), predicted from "
        << join(v.trained_on, ", ") << ":\n";
    std::vector<std::vector<std::string>> rows = {
        {"model", "strategy", "n", "measured p50", "predicted", "p10..p90", "error"}};
    size_t counted = 0;
    for (const auto& r : v.rows) {
      char err[32];
      std::snprintf(err, sizeof(err), "%+.1f%%%s", r.error_pct, r.excluded ? " x" : "");
      any_in_sample = any_in_sample || (loo && r.in_sample);
      any_excluded = any_excluded || r.excluded;
      counted += r.excluded ? 0 : 1;
      rows.push_back({r.model, r.strategy + (loo && r.in_sample ? " *" : ""),
                      std::to_string(r.requests), format_latency(r.measured_ms),
                      format_latency(r.predicted_ms),
                      format_latency(r.low_ms) + ".." + format_latency(r.high_ms), err});
    }
    out << render(rows, 2, "  ");
    char line[96];
    std::snprintf(line, sizeof(line),
                  "  median absolute percentage error: %.1f%% (%zu strategies)\n", v.mdape_pct,
                  counted);
    out << line;
  }
  if (any_excluded) {
    out << "  x left out of the error figure: crosses no link that changed between the "
           "scenarios\n";
  }
  if (any_in_sample) {
    out << "  * measured only in this scenario: predicted from its own data\n";
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "Median absolute percentage error: %.1f%% over %zu predictions (%s; 90th "
                "percentile %.1f%%; %.0f%% of measured medians inside p10..p90), %zu left out "
                "(no changed link crossed)\n",
                report.mdape_pct, report.predictions, report.method.c_str(), report.p90_ape_pct,
                report.interval_coverage_pct, report.excluded);
  out << line;
  out << "Link models fitted on every scenario:\n";
  for (const auto& l : report.link_models) out << "  " << link_model_line(l) << "\n";
  for (const auto& n : report.notes) out << "note: " << n << "\n";
  for (const auto& w : report.warnings) out << "warning: " << w << "\n";
  return out.str();
}

std::string format_predicted_scenarios(const nlohmann::json& predicted) {
  if (!predicted.is_object()) return "";
  std::ostringstream out;
  out << "\nPredicted scenarios (measure: false; nothing measured, the planner fitted on the "
         "measured scenarios)";
  const auto& v = predicted.value("validation", nlohmann::json());
  if (v.is_object()) {
    char line[160];
    std::snprintf(line, sizeof(line),
                  "; its error on the measured ones, %s: %.1f%% median over %d predictions",
                  v.value("method", "").c_str(), v.value("mdape_pct", 0.0),
                  v.value("predictions", 0));
    out << line;
  }
  out << "\n";
  for (const auto& sc : predicted.value("scenarios", nlohmann::json::array())) {
    std::vector<std::string> links;
    const nlohmann::json l = sc.value("links", nlohmann::json::object());
    for (const auto& link : planner_links()) {
      if (!l.contains(link)) continue;
      links.push_back(
          link_setting_text(link, l[link].value("rate_mbit", 0.0), l[link].value("rtt_ms", 0.0)));
    }
    out << "scenario " << sc.value("scenario", "") << " (" << join(links, ", ") << "):\n";
    std::vector<std::vector<std::string>> rows = {
        {"model", "strategy", "predicted p50", "p10..p90", ""}};
    for (const auto& m : sc.value("models", nlohmann::json::array())) {
      const std::string best = m["best"].is_string() ? m["best"].get<std::string>() : "";
      for (const auto& s : m.value("strategies", nlohmann::json::array())) {
        const auto& iv = s.value("interval_ms", nlohmann::json::array({0.0, 0.0}));
        const std::string label = s.value("strategy", "");
        rows.push_back({m.value("model", ""), label, format_latency(s.value("latency_ms", 0.0)),
                        format_latency(iv[0].get<double>()) + ".." +
                            format_latency(iv[1].get<double>()),
                        label == best ? "best" : ""});
      }
    }
    out << render(rows, 2, "  ");
  }
  for (const auto& w : predicted.value("warnings", nlohmann::json::array()))
    out << "  note: " << w.get<std::string>() << "\n";
  return out.str();
}

}  // namespace edgetier
