/// Options and loading shared by the commands that read results (analyze, recommend).
#pragma once

#include <memory>
#include <string>

#include "analysis/analyze.h"
#include "analysis/result_set.h"
#include "cli/command.h"

namespace edgetier::cli {

struct ResultSourceArgs {
  std::string results;       // a results database
  std::string samples_csv;   // third-party latency samples
  std::string accuracy_csv;  // third-party accuracy rows
  std::string p_adjust = "holm";
  AnalysisOptions analysis;
};

/// Adds RESULTS, --samples, --accuracy and the analysis options (--percentile, --model,
/// --scenario, --p-adjust, --alpha, --bootstrap, --confidence, --seed) to `app`.
void add_result_source_options(CLI::App* app, ResultSourceArgs* args);
/// Loads the data the options name; finishes `args->analysis` (the p-value adjustment).
Result<ResultSet> load_result_source(ResultSourceArgs* args);

}  // namespace edgetier::cli
