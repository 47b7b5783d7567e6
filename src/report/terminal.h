/// Terminal printers of the analysis and recommendation reports (compact tables, one sentence
/// each).
#pragma once

#include <string>

#include "analysis/analyze.h"
#include "analysis/recommend.h"

namespace edgetier {

/// One table per model and scenario: strategy, n, p50 and p95 with CIs, accuracy, loss, speedup
/// vs Identity on the same tier with Cliff's delta magnitude; '*' marks the Pareto front. Then
/// one line per rank test and the paired accuracy tests.
std::string format_analysis(const AnalysisReport& report);

/// One block per model and scenario: the recommendation's reason, then the ranked feasible
/// strategies (or the closest infeasible ones).
std::string format_recommendations(const RecommendReport& report);

/// "not measured: QE@M (infeasible: <reason>)", "incomplete: P@ME (incomplete: 4 of 10 ...)".
std::string missing_line(const MissingStrategy& missing);

/// "6.7e-253", "0.031", "< 1e-300".
std::string format_p_value(double p);

}  // namespace edgetier
