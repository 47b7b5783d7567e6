/// What `edgetier run` prints after measuring: the stored run read back, analysed and reported
/// through the same build_report path as `edgetier report`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "experiment/runner.h"

namespace edgetier::cli {

struct RunReport {
  std::string text;  // analysis and recommendation tables (and the load summary)
  /// {"run", "campaign", "analysis", "recommendation", "load"}
  nlohmann::json json = nlohmann::json::object();
  std::string report_path;                         // report.html; empty when none was written
};

/// The campaign section (where the wall time went) for every run that recorded it, finished or
/// not. The run object ({run_id, status, results, strategies, requests} and "report" for a finished
/// run); for a finished run also the report document built from the store (with the load
/// section when `load_summary`), printed as tables and written to OUTPUT/report.html. A run the
/// analysis cannot handle (no samples) prints "analysis: <why>" instead; a store that cannot be
/// read is an error.
Result<RunReport> report_run(const RunSummary& run, bool load_summary);

}  // namespace edgetier::cli
