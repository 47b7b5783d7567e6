/// `edgetier findings RESULTS --study DIR`: the study's five findings evaluated on a run, with
/// the study's published medians and accuracy deltas beside the run's.
#include <filesystem>
#include <iostream>

#include "analysis/findings.h"
#include "cli/commands.h"
#include "cli/result_source.h"
#include "report/findings_text.h"

namespace edgetier::cli {

std::function<int()> setup_findings(CLI::App* app) {
  struct Args {
    ResultSourceArgs source;
    std::string study_dir;
    std::vector<std::string> study_models;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  add_result_source_options(app, &args->source);
  app->add_option("--study", args->study_dir,
                  "The study's data folder (latency_samples.csv, accuracy_long.csv): its ratios "
                  "beside the run's, and its accuracy deltas where the run has no labelled "
                  "accuracy (marked external)");
  app->add_option("--study-model", args->study_models,
                  "RUN_MODEL=STUDY_MODEL (ResNet, ResNext, FCN, DUC) where the name does not "
                  "tell; repeatable");
  app->add_flag("--json", args->json, "Print the findings as JSON");
  return [args]() {
    auto results = load_result_source(&args->source);
    if (!results.ok()) return report_error(results.status());
    FindingsOptions options;
    options.scenario = args->source.analysis.scenario;
    for (const std::string& pair : args->study_models) {
      const auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
        return report_error(invalid_argument("--study-model '" + pair +
                                             "': expected RUN_MODEL=STUDY_MODEL, e.g. "
                                             "wide_resnet101_2=ResNet"));
      }
      const std::string study = pair.substr(eq + 1);
      bool known = false;
      for (const char* m : kStudyModels) known = known || study == m;
      if (!known) {
        return report_error(invalid_argument("--study-model '" + pair + "': '" + study +
                                             "' is not one of the study's models ResNet, "
                                             "ResNext, FCN, DUC"));
      }
      options.study_models[pair.substr(0, eq)] = study;
    }
    std::optional<ResultSet> study;
    if (!args->study_dir.empty()) {
      study.emplace();
      const std::filesystem::path dir(args->study_dir);
      Status st = load_samples_csv((dir / "latency_samples.csv").string(), &*study);
      if (st.ok()) st = load_accuracy_csv((dir / "accuracy_long.csv").string(), &*study);
      if (!st.ok()) return report_error(st.with_context("--study " + args->study_dir));
    }
    auto report = evaluate_findings(*results, study ? &*study : nullptr, options);
    if (!report.ok()) return report_error(report.status());
    if (args->json) {
      print_json(to_json(*report));
    } else {
      std::cout << format_findings(*report);
    }
    return 0;
  };
}

}  // namespace edgetier::cli
