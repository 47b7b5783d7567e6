/// `edgetier analyze RESULTS`: latency statistics, accuracy loss, effects, rank tests, Pareto
/// front.
#include <iostream>

#include "cli/commands.h"
#include "cli/result_source.h"
#include "report/terminal.h"

namespace edgetier::cli {

std::function<int()> setup_analyze(CLI::App* app) {
  struct Args {
    ResultSourceArgs source;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  add_result_source_options(app, &args->source);
  app->add_flag("--json", args->json, "Print the full analysis report as JSON");
  return [args]() {
    auto results = load_result_source(&args->source);
    if (!results.ok()) return report_error(results.status());
    auto report = analyze(*results, args->source.analysis);
    if (!report.ok()) return report_error(report.status());
    if (args->json) {
      print_json(to_json(*report));
    } else {
      std::cout << format_analysis(*report);
    }
    return 0;
  };
}

}  // namespace edgetier::cli
