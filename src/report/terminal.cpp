/// Fixed-width text tables for `edgetier analyze` and `edgetier recommend`.
#include "report/terminal.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <sstream>

#include "core/strings.h"
#include "strategy/strategy.h"

namespace edgetier {

namespace {

std::string fmt(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return buf;
}

/// A number in the table's unit with about three significant digits.
std::string number(double v) {
  if (std::isnan(v)) return "-";
  const double a = std::fabs(v);
  if (a >= 100) return fmt("%.0f", v);
  if (a >= 10) return fmt("%.1f", v);
  return fmt("%.2f", v);
}

std::string ci_text(const stats::ConfidenceInterval& ci, double scale) {
  std::string text = "[";
  text += number(ci.low * scale);
  text += ", ";
  text += number(ci.high * scale);
  text += "]";
  return text;
}

/// Pads or right-aligns cells into columns.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Columns listed in `left` are left-aligned, the rest right-aligned.
  std::string render(const std::vector<size_t>& left, const std::string& indent) const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()), 0);
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line = indent;
      for (size_t c = 0; c < row.size(); ++c) {
        const bool is_left = std::find(left.begin(), left.end(), c) != left.end();
        const std::string pad(width[c] - row[c].size(), ' ');
        line += is_left ? row[c] + pad : pad + row[c];
        if (c + 1 < row.size()) line += "  ";
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// The part of a strategy label that differs within a test group.
std::string group_member_name(const GroupTestReport& t, const std::string& label) {
  // The placement is last; DEE@0.8 has its own '@'.
  if (label.find('@') == std::string::npos) return label;
  auto [ops, placement] = split_strategy_label(label);
  return t.kind == "across_tiers" ? placement : ops;
}

std::string test_line(const GroupTestReport& t) {
  std::vector<std::string> members;
  for (const auto& s : t.strategies) members.push_back(group_member_name(t, s));
  const std::string names = join(members, ",");
  std::string line =
      fmt("%-16s %-4s %-10s H = %8.2f  p = %-9s",
          t.kind == "across_tiers" ? "across tiers" : "across operators", t.held_fixed.c_str(),
          names.c_str(), t.kruskal.h, format_p_value(t.kruskal.p_value).c_str());
  std::string pairs;
  for (const auto& p : t.post_hoc) {
    if (!pairs.empty()) pairs += ", ";
    pairs += group_member_name(t, p.a);
    pairs += "-";
    pairs += group_member_name(t, p.b);
    pairs += fmt(" %+.2f %s", p.effect.delta,
                 std::string(stats::magnitude_name(p.effect.magnitude)).c_str());
    if (!p.significant) pairs += " (ns)";
  }
  return line + "| " + pairs + "\n";
}

}  // namespace

std::string missing_line(const MissingStrategy& m) {
  const std::string kind = m.kind();
  const bool partial = kind == "incomplete";
  return std::string(partial ? "incomplete: " : "not measured: ") + m.key.label() + " (" +
         m.describe() + ")";
}

std::string format_p_value(double p) {
  if (std::isnan(p)) return "n/a";
  if (p <= 0) return "<1e-300";
  if (p < 0.001) return fmt("%.1e", p);
  return fmt("%.3f", p);
}

std::string format_analysis(const AnalysisReport& report) {
  std::ostringstream out;
  const std::string pname = percentile_name(report.options.percentile);
  const bool extra_percentile = report.options.percentile != 50 && report.options.percentile != 95;
  for (const auto& sc : report.scenarios) {
    double max_ms = 0;
    for (const auto& s : sc.strategies) max_ms = std::max(max_ms, s.latency.p95_ms);
    const bool seconds = max_ms >= 1000;
    const double scale = seconds ? 1e-3 : 1.0;
    const std::string unit = seconds ? " s" : " ms";
    const std::string metric = sc.metric.empty() ? "accuracy" : sc.metric;
    out << sc.model;
    if (sc.scenario != kDefaultScenario) out << "  [scenario " << sc.scenario << "]";
    out << "  (speedup and Pareto front on " << pname << "; * = Pareto front)\n";
    std::vector<std::string> header = {"",       "strategy",   "n",     "p50" + unit,
                                       "95% CI", "p95" + unit, "95% CI"};
    const bool any_exit = std::any_of(sc.strategies.begin(), sc.strategies.end(),
                                      [](const StrategyReport& s) { return s.exit_rate_pct; });
    if (extra_percentile) {
      header.push_back(pname + unit);
      header.push_back("95% CI");
    }
    if (any_exit) header.push_back("exits %");
    // The precision each measurement achieved, and what stopped it when the store says.
    const bool any_stop = std::any_of(sc.strategies.begin(), sc.strategies.end(),
                                      [](const StrategyReport& s) {
                                        return !s.stop_reason.empty();
                                      });
    header.push_back("p50 +-%");
    const size_t stop_column = header.size();
    if (any_stop) header.push_back("stopped on");
    for (const std::string& h : {metric, std::string("loss pt"), std::string("vs I same tier")}) {
      header.push_back(h);
    }
    Table table(header);
    for (const auto& s : sc.strategies) {
      const LatencyStats& l = s.latency;
      std::vector<std::string> row = {s.pareto ? "*" : "",         s.label,
                                      std::to_string(l.n),         number(l.p50_ms * scale),
                                      ci_text(l.p50_ci_ms, scale), number(l.p95_ms * scale),
                                      ci_text(l.p95_ci_ms, scale)};
      if (extra_percentile) {
        row.push_back(number(l.at_percentile_ms * scale));
        row.push_back(ci_text(l.at_percentile_ci_ms, scale));
      }
      if (any_exit) row.push_back(s.exit_rate_pct ? fmt("%.0f", *s.exit_rate_pct) : "-");
      row.push_back(std::isfinite(s.precision_pct) ? fmt("%.1f", s.precision_pct) : "-");
      if (any_stop) row.push_back(s.stop_reason.empty() ? "-" : s.stop_reason);
      row.push_back(s.accuracy ? fmt("%.2f", *s.accuracy) : "-");
      row.push_back(s.accuracy_loss_pts ? fmt("%.2f", *s.accuracy_loss_pts) : "-");
      std::string vs = "-";
      if (s.vs_reference && s.vs_reference->reference == s.label) {
        vs = "reference";
      } else if (s.vs_reference) {
        const auto& e = *s.vs_reference;
        vs = e.speedup >= 1 ? fmt("%.2fx faster", e.speedup) : fmt("%.2fx slower", 1 / e.speedup);
        vs += fmt(" vs %s, %s %+.2f", e.reference.c_str(),
                  std::string(stats::magnitude_name(e.cliffs.magnitude)).c_str(), e.cliffs.delta);
      }
      row.push_back(vs);
      table.add(row);
    }
    if (sc.strategies.empty()) {
      out << "  (no strategy of this scenario was measured)\n";
    } else {
      if (any_stop) {
        out << table.render({0, 1, stop_column, header.size() - 1}, "  ");
      } else {
        out << table.render({0, 1, header.size() - 1}, "  ");
      }
    }
    for (const auto& m : sc.missing) out << "  " << missing_line(m) << "\n";
    if (!sc.tests.empty()) {
      out << "  Kruskal-Wallis, then Conover-Iman ("
          << stats::p_adjust_name(report.options.p_adjust)
          << "-adjusted, ns = not significant at alpha " << report.options.alpha
          << ") with Cliff's delta:\n";
      for (const auto& t : sc.tests) out << "    " << test_line(t);
    }
    for (const auto& note : sc.notes) out << "  note: " << note << "\n";
    out << "\n";
  }
  if (!report.accuracy_tests.empty()) {
    out << "Accuracy vs " << report.options.reference_ops
        << ", paired over models (Wilcoxon signed-rank on each model's primary metric):\n";
    Table table({"ops", "models", "mean loss pt", "p", "test", "note"});
    for (const auto& t : report.accuracy_tests) {
      double loss = 0;
      for (size_t i = 0; i < t.values.size(); ++i) loss += t.reference_values[i] - t.values[i];
      loss /= static_cast<double>(t.values.size());
      table.add({t.ops, std::to_string(t.models.size()), fmt("%.2f", loss),
                 t.wilcoxon ? format_p_value(t.wilcoxon->p_value) : "-",
                 t.wilcoxon ? (t.wilcoxon->exact ? "exact" : "normal approx.") : "-", t.note});
    }
    out << table.render({0, 4, 5}, "  ");
  }
  if (!report.quantize_searches.empty()) {
    out << "int8 within the accuracy budget (quantize.max_accuracy_loss; loss measured by the "
           "search on held-out images):\n";
    Table table({"model", "ops", "budget pt", "loss pt", "all-int8 loss pt", "metric", "samples",
                 "kept in float"});
    for (const auto& q : report.quantize_searches) {
      std::string nodes = std::to_string(q.float_nodes.size());
      if (!q.float_nodes.empty()) {
        constexpr size_t kNamed = 4;
        std::vector<std::string> named(q.float_nodes.begin(),
                                       q.float_nodes.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                   kNamed, q.float_nodes.size())));
        nodes += " (" + join(named, ", ") + (q.float_nodes.size() > kNamed ? ", ..." : "") + ")";
      }
      table.add({q.model, q.ops, fmt("%.2f", q.max_accuracy_loss), fmt("%.2f", q.loss_points),
                 fmt("%.2f", q.initial_loss_points), q.metric + (q.labelled ? "" : " (agreement)"),
                 std::to_string(q.samples), nodes});
    }
    out << table.render({0, 1, 5, 7}, "  ");
  }
  for (const auto& w : report.warnings) out << "warning: " << w << "\n";
  return out.str();
}

std::string format_recommendations(const RecommendReport& report) {
  std::ostringstream out;
  const std::string pname = percentile_name(report.options.analysis.percentile);
  constexpr size_t kShown = 5;
  for (const auto& r : report.recommendations) {
    out << r.model;
    if (r.scenario != kDefaultScenario) out << " [scenario " << r.scenario << "]";
    out << ": " << (r.feasible && !r.tied ? "recommend " : "") << r.reason << "\n";
    const std::string metric = r.metric.empty() ? "accuracy" : r.metric;
    const std::vector<Candidate>& list = r.feasible ? r.ranked : r.infeasible;
    Table table({"", "strategy", pname, "95% CI", metric + " loss pt", "vs I same tier",
                 r.feasible ? "" : "violations"});
    for (size_t i = 0; i < list.size() && i < kShown; ++i) {
      const Candidate& c = list[i];
      std::string vs = "-";
      if (c.vs_reference && c.vs_reference->reference != c.label) {
        const double speedup = c.vs_reference->speedup;
        vs = fmt(speedup >= 1 ? "%.2fx faster, %s" : "%.2fx slower, %s",
                 speedup >= 1 ? speedup : 1 / speedup,
                 std::string(stats::magnitude_name(c.vs_reference->cliffs.magnitude)).c_str());
      } else if (c.vs_reference) {
        vs = "reference";
      }
      std::string ci = "[";
      ci += format_latency(c.latency_ci_ms.low);
      ci += ", ";
      ci += format_latency(c.latency_ci_ms.high);
      ci += "]";
      // Tied: the first two share the rank.
      const bool tied = r.feasible && r.tied && i < 2;
      const std::string rank = tied ? std::string("tied") : std::to_string(i + 1);
      table.add({r.feasible ? rank : "", c.label, format_latency(c.latency_ms), ci,
                 c.accuracy_loss_pts ? fmt("%.2f", *c.accuracy_loss_pts) : "-", vs,
                 join(c.violations, "; ")});
    }
    if (!list.empty()) out << table.render({1, 5, 6}, "  ");
    if (list.size() > kShown) {
      out << "  ... " << list.size() - kShown << " more (--json lists all)\n";
    }
    for (const auto& m : r.missing) out << "  " << missing_line(m) << "\n";
    out << "\n";
  }
  return out.str();
}

}  // namespace edgetier
