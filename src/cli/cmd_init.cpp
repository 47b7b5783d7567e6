/// `edgetier init MODEL [--data DIR] [--task T]`: the experiment `run --model` runs, written as an
/// editable, commented experiment.yaml (the chosen cut and exit named by tensor).
#include <iostream>

#include "cli/commands.h"
#include "experiment/plan.h"
#include "experiment/user_model.h"

namespace edgetier::cli {

std::function<int()> setup_init(CLI::App* app) {
  struct Args {
    std::string model;
    std::string data;
    std::string task;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file")->required();
  app->add_option("--data", args->data,
                  "Evaluation images (kind detected from the folder); default synthetic images");
  app->add_option("--task", args->task,
                  "classify | segment (default: the sidecar's, else from the output shape)")
      ->check(CLI::IsMember({"classify", "segment"}));
  app->add_flag("--json", args->json, "Print the spec as JSON (normalised) instead of YAML");
  return [args]() {
    UserModelOptions options;
    options.model_path = args->model;
    options.data_dir = args->data;
    if (!args->task.empty()) options.task = *parse_task(args->task);
    auto spec = user_model_spec(options);
    if (!spec.ok()) return report_error(spec.status());
    // The plan's analysis names the cut and exit (and checks the model and data on the way).
    auto prepared = prepare_experiment(*spec);
    if (!prepared.ok()) return report_error(prepared.status());
    auto yaml = user_model_yaml(*spec, &*prepared);
    if (!yaml.ok()) return report_error(yaml.status());
    if (args->json) {
      auto reread = parse_spec(*yaml, spec->base_dir, "<init>");
      if (!reread.ok()) return report_error(reread.status());
      print_json(spec_to_json(*reread));
    } else {
      std::cout << *yaml;
    }
    return 0;
  };
}

}  // namespace edgetier::cli
