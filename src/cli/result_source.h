/// Options and loading shared by the commands that read results (analyze, recommend).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "analysis/analyze.h"
#include "analysis/result_set.h"
#include "cli/command.h"

namespace edgetier::cli {

struct ResultSourceArgs {
  std::string results;            // a results database (or the output folder holding results.db)
  std::optional<int64_t> run_id;  // the database's run to read (default: the newest)
  std::string samples_csv;        // third-party latency samples
  std::string accuracy_csv;       // third-party accuracy rows
  std::string p_adjust = "holm";
  AnalysisOptions analysis;
};

/// Adds RESULTS, --run, --samples, --accuracy and the analysis options (--percentile, --model,
/// --scenario, --p-adjust, --alpha, --bootstrap, --confidence, --seed) to `app`.
void add_result_source_options(CLI::App* app, ResultSourceArgs* args);
/// Loads the data the options name; finishes `args->analysis` (the p-value adjustment).
Result<ResultSet> load_result_source(ResultSourceArgs* args);

/// Checks that `path` (a database, or a folder holding results.db) can be a results database and
/// returns the database's path: missing files, CSV files and non-SQLite files get errors that say
/// what to pass instead.
Result<std::string> check_results_database(const std::string& path);

}  // namespace edgetier::cli
