/// edgetier's entry point: the subcommand table, global flags and typo suggestions.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/log.h"
#include "core/strings.h"

namespace {

using edgetier::cli::CommandSpec;

// The table of subcommands, in the order `--help` lists them.
const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = {
      {"inspect", "Show a model's inputs, ops, parameters, cuts and early-exit skip candidates",
       edgetier::cli::setup_inspect},
      {"serve", "Run one tier server (KServe v2 inference + control) until stopped",
       edgetier::cli::setup_serve},
      {"deploy", "Load a variant's parts onto the running tiers for a placement (ME, EC, ...)",
       edgetier::cli::setup_deploy},
      {"request", "Send images to the first tier and print each request's latency breakdown",
       edgetier::cli::setup_request},
      {"analyze",
       "Latency/accuracy statistics, rank tests, effect sizes and Pareto front of results",
       edgetier::cli::setup_analyze},
      {"recommend", "Recommend the strategy to ship per model under latency and accuracy limits",
       edgetier::cli::setup_recommend},
      {"findings",
       "Evaluate the study's five findings on a run, the study's medians and deltas beside",
       edgetier::cli::setup_findings},
      {"report", "Write the self-contained HTML report (charts, tables, recommendation), CSV, JSON",
       edgetier::cli::setup_report},
      {"run",
       "Check an experiment's plan, then build, deploy and measure every strategy (default: the "
       "demo)",
       edgetier::cli::setup_run},
      {"init",
       "Write the default experiment on a model as an editable experiment.yaml (cut and exit "
       "named)",
       edgetier::cli::setup_init},
      {"export", "Write a results database as CSV files, or summarise its runs",
       edgetier::cli::setup_export},
      {"data", "Generate datasets (data synth: procedural shapes for classification/segmentation)",
       edgetier::cli::setup_data},
      {"profile", "Measure per-node times with ONNX Runtime's profiler (for --objective latency)",
       edgetier::cli::setup_profile},
      {"partition", "Split a model at one or more cuts into parts that chain by tensor name",
       edgetier::cli::setup_partition},
      {"early-exit",
       "Skip the last blocks (static) or add a confidence exit with the original head (dynamic)",
       edgetier::cli::setup_early_exit},
      {"variants", "Build strategy variants (operator chains) in one documented operator order",
       edgetier::cli::setup_variants},
      {"verify",
       "Run a variant and its reference on the same inputs: max diff, top-1 agreement or mIoU",
       edgetier::cli::setup_verify},
      {"testbed",
       "Bring up, check, probe or remove the tiers with CPU/memory limits and shaped links",
       edgetier::cli::setup_testbed},
      {"calibrate", "Record activation ranges on sample data for int8 quantization",
       edgetier::cli::setup_calibrate},
      {"quantize", "Post-training static int8 quantization (QDQ or QOperator)",
       edgetier::cli::setup_quantize},
      {"plan", "What-if planner: best strategy and cut per link bandwidth, from measured results",
       edgetier::cli::setup_plan},
  };
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgetier: find the best Mobile/Edge/Cloud deployment strategy for an ONNX model"};
  app.set_version_flag("--version", std::string("edgetier ") + EDGETIER_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug|info|warn|error|off")->capture_default_str();

  // Suggest the nearest command on a typo before CLI11 prints its generic message.
  std::vector<std::string> names;
  for (const auto& spec : command_table()) names.emplace_back(spec.name);
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') {
      if (std::strcmp(argv[i], "--log-level") == 0) ++i;
      continue;
    }
    bool known = false;
    for (const auto& n : names) known = known || n == argv[i];
    if (!known) {
      std::fprintf(
          stderr,
          "edgetier: error: unknown command '%s'; did you mean '%s'? (see edgetier --help)\n",
          argv[i], edgetier::nearest_name(argv[i], names).c_str());
      return 2;
    }
    break;
  }

  std::function<int()> action;
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  for (const auto& spec : command_table()) {
    CLI::App* sub = app.add_subcommand(std::string(spec.name), std::string(spec.summary));
    actions.emplace_back(sub, spec.setup(sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  edgetier::LogLevel level;
  if (!edgetier::parse_log_level(log_level, &level)) {
    std::fprintf(stderr,
                 "edgetier: error: bad --log-level '%s'; expected debug|info|warn|error|off\n",
                 log_level.c_str());
    return 2;
  }
  edgetier::set_log_level(level);
  for (auto& [sub, run] : actions) {
    if (sub->parsed()) return run();
  }
  return 2;
}
