/// `edgetier run [EXPERIMENT.yaml | --model M.onnx]`: checks the whole plan before anything runs,
/// then builds, deploys and measures it (the runner), then analyses and reports the stored run;
/// --plan-only prints the plan (the built-in demo when no file is given; the demo's experiment on
/// the user's model with --model).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/run_predicted.h"
#include "cli/run_report.h"
#include "core/clock.h"
#include "experiment/plan.h"
#include "experiment/runner.h"
#include "experiment/spec.h"
#include "experiment/user_model.h"
#include "report/planner_text.h"

namespace edgetier::cli {
namespace {

std::atomic<bool> g_run_stop{false};
extern "C" void on_run_signal(int) { g_run_stop = true; }

/// Ctrl-C and SIGTERM stop after the current request: the runner flushes the store, marks the
/// run interrupted and tears the testbed down.
void install_stop_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_run_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

std::function<int()> setup_run(CLI::App* app) {
  struct Args {
    std::string experiment;
    std::string out;
    bool resume = false;
    bool plan_only = false;
    bool json = false;
    std::string model;
    std::string data;
    std::string task;
    bool serial_builds = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("experiment", args->experiment,
                  "Experiment file (YAML); without one, the built-in demo (examples/demo.yaml)");
  app->add_option("--out", args->out,
                  "Output folder (results.db, variants); overrides the spec's 'output'");
  app->add_flag("--resume", args->resume, "Continue the newest unfinished run of the same spec");
  app->add_flag("--plan-only", args->plan_only,
                "Check everything and print the plan; measure nothing");
  app->add_flag("--json", args->json, "Print JSON");
  app->add_option("--model", args->model,
                  "Run the default experiment (the demo's) on this ONNX model instead "
                  "(`edgetier init MODEL` writes it as an editable spec)");
  app->add_option("--data", args->data,
                  "With --model: evaluation images (kind detected); default synthetic images");
  app->add_option("--task", args->task, "With --model: classify | segment (default: the "
                  "sidecar's, else from the output shape)")
      ->check(CLI::IsMember({"classify", "segment"}));
  app->add_flag("--serial-builds", args->serial_builds,
                "Build the variants and score their accuracy before measuring, instead of "
                "beside the measurement at idle CPU priority");
  return [args]() {
    const int64_t started_ns = monotonic_ns();
    if (!args->model.empty() && !args->experiment.empty()) {
      return report_error(invalid_argument("give an experiment file or --model, not both ('" +
                                           args->experiment + "' and --model " + args->model +
                                           ")"));
    }
    if (args->model.empty() && (!args->data.empty() || !args->task.empty())) {
      return report_error(invalid_argument(
          "--data and --task go with --model; an experiment file sets data and task itself"));
    }
    Result<ExperimentSpec> spec = args->experiment.empty() ? load_builtin_demo()
                                                           : load_spec_file(args->experiment);
    if (!args->model.empty()) {
      UserModelOptions options;
      options.model_path = args->model;
      options.data_dir = args->data;
      if (!args->task.empty()) options.task = *parse_task(args->task);
      spec = user_model_spec(options);
    }
    if (!spec.ok()) return report_error(spec.status());
    if (!args->out.empty())
      spec->output_dir = std::filesystem::absolute(args->out).lexically_normal().string();
    auto prepared = prepare_experiment(*spec);
    if (!prepared.ok()) return report_error(prepared.status());
    if (args->plan_only) {
      if (args->json) {
        print_json(plan_to_json(*prepared));
      } else {
        std::cout << plan_to_text(*prepared);
      }
      return 0;
    }
    install_stop_handlers();
    RunOptions options;
    options.resume = args->resume;
    options.progress_tty = ::isatty(STDERR_FILENO) == 1;
    options.is_cancelled = []() { return g_run_stop.load(); };
    options.started_ns = started_ns;
    options.serial_builds = args->serial_builds;
    auto summary = run_experiment(*prepared, options);
    if (!summary.ok()) return report_error(summary.status());
    // The runner only stored; the analysis reads the store like `edgetier report` does.
    const MeasurementSpec& m = prepared->spec.measurement;
    auto report = report_run(*summary, m.concurrency > 1 || m.rate_rps > 0);
    if (!report.ok()) return report_error(report.status());
    if (summary->status == "done") {
      // Scenarios with measure: false: the planner fills them from what was measured.
      auto predicted =
          predict_unmeasured(summary->results_path, summary->run_id, prepared->spec.scenarios);
      if (!predicted.ok()) {
        // The measured run stands; only its predictions are missing.
        std::cerr << "predicted scenarios: " << predicted.status().message() << "\n";
      } else if (!predicted->is_null()) {
        report->json["predicted"] = *predicted;
        report->text += format_predicted_scenarios(*predicted);
      }
    }
    if (args->json) {
      print_json(report->json);
    } else {
      std::cout << report->text;
    }
    std::cerr << "\nrun " << summary->run_id << " " << summary->status << ": " << summary->requests
              << " requests over " << summary->strategies << " strategies";
    // A resumed run says what this session added to what was stored before it.
    if (summary->requests_before > 0) {
      std::cerr << " (" << summary->requests - summary->requests_before << " measured now, "
                << summary->requests_before << " before --resume)";
    }
    std::cerr << "\nresults: " << summary->results_path << "\n";
    if (!report->report_path.empty()) std::cerr << "report:  " << report->report_path << "\n";
    if (summary->status == "failed") {
      std::cerr << "run " << summary->run_id << " failed: " << summary->failure << "\n";
      return 1;
    }
    if (summary->status == "interrupted") {
      std::string again = args->experiment;
      if (!args->model.empty()) {
        again = "--model " + args->model + (args->data.empty() ? "" : " --data " + args->data) +
                (args->task.empty() ? "" : " --task " + args->task);
      }
      std::cerr << "continue with: edgetier run " << again
                << (args->out.empty() ? "" : " --out " + args->out) << " --resume\n";
      return 130;
    }
    return 0;
  };
}

}  // namespace edgetier::cli
