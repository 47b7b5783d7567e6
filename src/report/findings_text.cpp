/// Terminal printer of the study's findings: verdicts, evidence, side-by-side medians.
#include "report/findings_text.h"

#include <cstdio>
#include <optional>


namespace edgetier {
namespace {

std::string fixed(double v, const char* format = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string ratio_or_dash(const std::optional<double>& r) {
  return r ? fixed(*r, "%.2fx") : std::string("-");
}

}  // namespace

std::string format_findings(const FindingsReport& report) {
  std::string out = "The study's findings on this run\n";
  for (const Finding& f : report.findings) {
    out += "\n(" + f.id + ") " + f.claim + ": " + std::string(verdict_name(f.verdict)) + "\n";
    out += "    " + f.why + "\n";
    for (const FindingEvidence& e : f.latency) {
      out += "    " + e.model + ": " + e.faster + " vs " + e.slower + " " +
             fixed(e.run_ratio, "%.2fx") + " (Cliff's delta " + fixed(e.cliffs_delta) + ", " +
             e.magnitude + "), study " + ratio_or_dash(e.study_ratio) +
             (e.holds ? "" : "  [does not hold]") + "\n";
    }
    for (const AccuracyEvidence& a : f.accuracy) {
      out += "    " + a.model + ": " + a.ops + " loses " + fixed(a.loss_pts) + " pt of " + a.metric +
             (a.external ? "  [external: the study's published figure, not measured]" : "") + "\n";
    }
  }
  if (!report.comparison.empty()) {
    out += "\nMedians side by side (ratio to Edge Identity; the study's testbed differs, compare "
           "ratios)\n";
    char line[256];
    std::snprintf(line, sizeof(line), "  %-22s %-8s %-8s %12s %12s %10s %10s\n", "model", "study",
                  "strategy", "run ms", "study ms", "run /I@E", "study /I@E");
    out += line;
    for (const StudyComparisonRow& r : report.comparison) {
      std::snprintf(line, sizeof(line), "  %-22s %-8s %-8s %12s %12s %10s %10s\n", r.model.c_str(),
                    r.study_model.empty() ? "-" : r.study_model.c_str(), r.strategy.c_str(),
                    fixed(r.run_median_ms, "%.1f").c_str(),
                    r.study_median_ms ? fixed(*r.study_median_ms, "%.0f").c_str() : "-",
                    fixed(r.run_vs_edge_identity, "%.2fx").c_str(),
                    ratio_or_dash(r.study_vs_edge_identity).c_str());
      out += line;
    }
  }
  if (!report.notes.empty()) {
    out += "\nNotes\n";
    for (const std::string& n : report.notes) out += "  - " + n + "\n";
  }
  return out;
}

}  // namespace edgetier
