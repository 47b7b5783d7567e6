/// `edgetier recommend RESULTS`: the strategy to ship per model under latency and accuracy limits.
#include <iostream>

#include "analysis/recommend.h"
#include "cli/commands.h"
#include "cli/result_source.h"
#include "report/terminal.h"

namespace edgetier::cli {

std::function<int()> setup_recommend(CLI::App* app) {
  struct Args {
    ResultSourceArgs source;
    std::optional<double> max_latency_ms;
    std::optional<double> max_accuracy_loss_pts;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  add_result_source_options(app, &args->source);
  app->add_option("--max-latency-ms", args->max_latency_ms,
                  "Feasible strategies have the --percentile latency at or below this");
  app->add_option("--max-accuracy-loss", args->max_accuracy_loss_pts,
                  "Feasible strategies lose at most this many accuracy points vs Identity");
  app->add_flag("--json", args->json, "Print the recommendations as JSON");
  return [args]() {
    auto results = load_result_source(&args->source);
    if (!results.ok()) return report_error(results.status());
    RecommendOptions options;
    options.analysis = args->source.analysis;
    options.max_latency_ms = args->max_latency_ms;
    options.max_accuracy_loss_pts = args->max_accuracy_loss_pts;
    auto report = recommend(*results, options);
    if (!report.ok()) return report_error(report.status());
    if (args->json) {
      print_json(to_json(*report));
    } else {
      std::cout << format_recommendations(*report);
    }
    return 0;
  };
}

}  // namespace edgetier::cli
