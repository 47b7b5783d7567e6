/// `edgetier plan RESULTS`: the what-if planner (predicted latency of every strategy per link
/// bandwidth and RTT, best strategy and cut per setting); --validate checks it against the
/// measured scenarios.
#include <iostream>

#include "analysis/planner.h"
#include "analysis/result_set_db.h"
#include "cli/commands.h"
#include "cli/result_source.h"
#include "report/planner_text.h"

namespace edgetier::cli {

std::function<int()> setup_plan(CLI::App* app) {
  struct Args {
    std::string results;
    std::optional<int64_t> run_id;
    std::vector<std::string> bandwidth;
    std::string rtt_ms;
    std::string model;
    std::vector<std::string> model_files;
    std::vector<std::string> profiles;
    std::optional<double> max_accuracy_loss_pts;
    bool keep_cuts = false;
    bool any_cut = false;
    bool validate = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("results", args->results,
                  "Results database written by `edgetier run` (or its output folder)")
      ->required();
  app->add_option("--run", args->run_id, "Run of the results database (default: newest)");
  app->add_option("--bandwidth", args->bandwidth,
                  "LINK=RATE[,RATE...] in Mbit/s, e.g. mobile-edge=1,10,50,100,200 (repeat per "
                  "link; a link left out keeps its measured rates)")
      ->allow_extra_args(false);
  app->add_option("--rtt-ms", args->rtt_ms,
                  "RTT[,RTT...] in ms added on every link a request crosses (default: as "
                  "measured)");
  app->add_option("--model", args->model, "Only this model");
  app->add_option("--model-file", args->model_files,
                  "MODEL=PATH.onnx when the stored plan's model file moved (for cut re-choice)")
      ->allow_extra_args(false);
  app->add_option("--profile", args->profiles,
                  "MODEL=PROFILE.json from `edgetier profile` (per-node times for cut re-choice; "
                  "default: FLOPs)")
      ->allow_extra_args(false);
  app->add_option("--max-accuracy-loss", args->max_accuracy_loss_pts,
                  "The best strategy of a setting loses at most this many accuracy points vs "
                  "Identity");
  app->add_flag("--keep-cuts", args->keep_cuts,
                "Predict partitioned strategies at their measured cut only");
  app->add_flag(
      "--any-cut", args->any_cut,
      "Consider every cut, not only those within the experiment's cut.min/max_flops_share");
  app->add_flag("--validate", args->validate,
                "Predict every measured scenario from the others and print the median absolute "
                "percentage error");
  app->add_flag("--json", args->json, "Print JSON");
  return [args]() {
    PlannerOptions options;
    for (const auto& b : args->bandwidth) {
      if (Status st = parse_link_values(b, "--bandwidth", &options.rates_mbit); !st.ok())
        return report_error(st);
    }
    if (!args->rtt_ms.empty()) {
      if (Status st = parse_rtt_values(args->rtt_ms, &options.rtt_ms); !st.ok())
        return report_error(st);
    }
    for (const auto& m : args->model_files) {
      if (Status st = parse_name_path(m, "--model-file", &options.model_files); !st.ok())
        return report_error(st);
    }
    for (const auto& p : args->profiles) {
      if (Status st = parse_name_path(p, "--profile", &options.profiles); !st.ok())
        return report_error(st);
    }
    options.model = args->model;
    options.max_accuracy_loss_pts = args->max_accuracy_loss_pts;
    options.move_cuts = !args->keep_cuts;
    options.any_cut = args->any_cut;
    if (options.max_accuracy_loss_pts && !(*options.max_accuracy_loss_pts >= 0)) {
      return report_error(invalid_argument("--max-accuracy-loss must be 0 or more points"));
    }
    auto path = check_results_database(args->results);
    if (!path.ok()) return report_error(path.status());
    ResultsDbOptions db_options;
    db_options.run_id = args->run_id;
    auto run = read_results_database(*path, db_options);
    if (!run.ok()) return report_error(run.status());
    if (args->validate) {
      auto report = validate_planner(*run, options);
      if (!report.ok()) return report_error(report.status());
      if (args->json) {
        print_json(validation_to_json(*report));
      } else {
        std::cout << format_validation(*report);
      }
      return 0;
    }
    auto report = plan_grid(*run, options);
    if (!report.ok()) return report_error(report.status());
    if (args->json) {
      print_json(planner_to_json(*report));
    } else {
      std::cout << format_plan(*report);
    }
    return 0;
  };
}

}  // namespace edgetier::cli
