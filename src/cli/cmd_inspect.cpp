/// `edgetier inspect MODEL`: what a model is made of, where it can be cut or skipped, and which
/// operators apply to it (and why not where they do not).
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "experiment/applicability.h"
#include "graph/model_io.h"
#include "graph/summary.h"

namespace edgetier::cli {

std::function<int()> setup_inspect(CLI::App* app) {
  struct Args {
    std::string model;
    std::vector<std::string> input_shapes;
    bool json = false;
    bool verbose = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file")->required();
  app->add_option("--input-shape", args->input_shapes, "Concrete input shape NAME=1x3x224x224 (repeatable)");
  app->add_flag("--json", args->json, "Print JSON");
  app->add_flag("--verbose,-v", args->verbose, "List every cut and skip candidate");
  return [args]() {
    InputShapes shapes;
    for (const auto& arg : args->input_shapes) {
      Status st = parse_input_shape_arg(arg, &shapes);
      if (!st.ok()) return report_error(st);
    }
    // A model ONNX Runtime cannot run gets no summary: its MACs and cuts would mislead. The
    // summary is of the normalised model every operator sees (shapes computed at export time
    // are folded, so FLOPs count every MatMul, e.g. Swin's attention).
    NormalizeReport normalized;
    auto model = load_normalized_model(args->model, shapes, &normalized);
    if (!model.ok()) return report_error(model.status());
    auto summary = summarize_model(*model, shapes);
    if (!summary.ok()) return report_error(summary.status().with_context(args->model));
    auto applicability = operator_applicability(*model, shapes);
    if (!applicability.ok()) return report_error(applicability.status().with_context(args->model));
    if (args->json) {
      nlohmann::json j = summary_to_json(*summary);
      j["operators"] = applicability_to_json(*applicability);
      print_json(j);
    } else {
      std::cout << args->model << ": " << summary_to_text(*summary, args->verbose) << "\n"
                << applicability_to_text(*applicability);
    }
    return 0;
  };
}

}  // namespace edgetier::cli
