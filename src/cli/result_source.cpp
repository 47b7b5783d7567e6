/// Loading a ResultSet from a results database or from CSV files named on the command line.
#include "cli/result_source.h"

#include <filesystem>
#include <fstream>

#include "analysis/result_set_db.h"
#include "store/export_csv.h"

namespace edgetier::cli {

void add_result_source_options(CLI::App* app, ResultSourceArgs* args) {
  app->add_option("results", args->results,
                  "Results database written by `edgetier run` (or its output folder)");
  app->add_option("--run", args->run_id, "Run of the results database to read (default: newest)");
  app->add_option("--samples", args->samples_csv,
                  "Latency samples CSV instead of a database (columns latency_s,placement,model,"
                  "strategy[,scenario])");
  app->add_option("--accuracy", args->accuracy_csv,
                  "Accuracy CSV to go with --samples (columns model,strategy,metric,value)");
  app->add_option("--percentile", args->analysis.percentile,
                  "Latency percentile that ranks strategies (Pareto front, speedups, "
                  "recommendation); 50 = median, as the study reports")
      ->capture_default_str();
  app->add_option("--model", args->analysis.model, "Only this model");
  app->add_option("--scenario", args->analysis.scenario, "Only this network scenario");
  app->add_option("--p-adjust", args->p_adjust, "Post-hoc p-value adjustment: none|holm|bonferroni")
      ->capture_default_str();
  app->add_option("--alpha", args->analysis.alpha, "Significance level")->capture_default_str();
  app->add_option("--bootstrap", args->analysis.bootstrap.resamples,
                  "Bootstrap resamples for confidence intervals")
      ->capture_default_str();
  app->add_option("--confidence", args->analysis.bootstrap.confidence,
                  "Confidence level of the intervals")
      ->capture_default_str();
  app->add_option("--seed", args->analysis.bootstrap.seed, "Bootstrap seed")->capture_default_str();
}

Result<std::string> check_results_database(const std::string& given) {
  const std::string path = resolve_results_path(given);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (path != given) {
      return not_found("folder '" + given + "' holds no " + kResultsFileName +
                       "; pass the results database written by `edgetier run`");
    }
    return not_found("results database '" + path + "' does not exist");
  }
  if (has_sqlite_header(path)) return path;
  std::ifstream in(path, std::ios::binary);
  std::string head(16, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head.find(',') != std::string::npos || head.rfind("latency", 0) == 0) {
    return invalid_argument("'" + path + "' looks like a CSV file, not a results database; " +
                            "pass it as --samples " + path);
  }
  return invalid_argument("'" + path + "' is not a results database (no SQLite header)");
}

Result<ResultSet> load_result_source(ResultSourceArgs* args) {
  ASSIGN_OR_RETURN(args->analysis.p_adjust, stats::parse_p_adjust(args->p_adjust));
  ResultSet results;
  if (!args->results.empty() && !args->samples_csv.empty()) {
    return invalid_argument("give either a results database or --samples, not both");
  }
  if (!args->results.empty()) {
    ASSIGN_OR_RETURN(std::string path, check_results_database(args->results));
    ResultsDbOptions options;
    options.run_id = args->run_id;
    ASSIGN_OR_RETURN(results, load_results_database(path, options));
  } else if (args->run_id) {
    return invalid_argument("--run selects a run of a results database; none was given");
  } else if (!args->samples_csv.empty()) {
    RETURN_IF_ERROR(load_samples_csv(args->samples_csv, &results));
  } else {
    return invalid_argument("no results given; pass a results database or --samples CSV " +
                            std::string("[--accuracy CSV]"));
  }
  if (!args->accuracy_csv.empty()) RETURN_IF_ERROR(load_accuracy_csv(args->accuracy_csv, &results));
  return results;
}

}  // namespace edgetier::cli
