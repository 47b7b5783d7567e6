/// `edgetier early-exit MODEL --skip FROM:TO | --skip-last N | --dynamic --exit-at T -o OUT`.
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "core/sha256.h"
#include "graph/model_io.h"
#include "ops/dynamic_exit.h"
#include "ops/early_exit.h"
#include "ops/variant_dir.h"
#include "strategy/operators.h"

namespace edgetier::cli {
namespace {

struct Args {
  std::string model;
  std::string skip;
  int skip_last = 0;
  bool dynamic = false;
  std::string exit_at;
  std::string head_input;
  double threshold = 0.9;
  std::string out;
  std::vector<std::string> input_shapes;
  std::string task;
  bool json = false;
};

bool ends_with_onnx(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

int run(const Args& a) {
  auto shapes = parse_input_shapes(a.input_shapes);
  if (!shapes.ok()) return report_error(shapes.status());
  // None of them: the static exit's region is chosen (ops/exit_select.h).
  const int modes = (!a.skip.empty()) + (a.skip_last > 0) + a.dynamic;
  if (modes > 1) {
    return report_error(invalid_argument(
        "early-exit: give at most one of --skip FROM:TO, --skip-last N, --dynamic"));
  }
  NormalizeReport normalized;
  auto model = load_normalized_model(a.model, *shapes, &normalized);
  if (!model.ok()) return report_error(model.status());
  auto manifest = source_manifest(a.model, *model, a.task, *shapes);
  if (!manifest.ok()) return report_error(manifest.status().with_context(a.model));

  std::vector<onnx::ModelProto> parts;
  nlohmann::json op_options;
  nlohmann::json summary;
  if (a.dynamic) {
    if (ends_with_onnx(a.out)) {
      return report_error(invalid_argument(
          "early-exit --dynamic writes a directory (parts + manifest), not '" + a.out + "'"));
    }
    DynamicExitOptions options{normalized_name(normalized, a.exit_at),
                               normalized_name(normalized, a.head_input),
                               a.threshold, manifest->task, *shapes};
    ExitPolicy policy;
    Status st = dynamic_exit(*model, options, &parts, &policy);
    if (!st.ok()) return report_error(st.with_context(a.model));
    manifest->ops = std::string(step_name(OperatorId::kDynamicExit));
    manifest->exit_policy = policy;
    op_options = {{"exit_at", a.exit_at}, {"head_input", a.head_input}, {"threshold", a.threshold}};
    summary = exit_policy_to_json(policy);
  } else {
    EarlyExitOptions options;
    if (!a.skip.empty()) {
      const size_t colon = a.skip.find(':');
      if (colon == std::string::npos) {
        return report_error(invalid_argument("--skip '" + a.skip + "' must be FROM:TO"));
      }
      options.from = normalized_name(normalized, a.skip.substr(0, colon));
      options.to = normalized_name(normalized, a.skip.substr(colon + 1));
    }
    options.skip_last = a.skip_last;
    options.input_shapes = *shapes;
    onnx::ModelProto exited;
    EarlyExitReport report;
    Status st = early_exit(*model, options, &exited, &report);
    if (!st.ok()) return report_error(st.with_context(a.model));
    parts.push_back(std::move(exited));
    manifest->ops = std::string(step_name(OperatorId::kEarlyExit));
    op_options = {{"from", report.from}, {"to", report.to}};
    if (a.skip_last > 0) op_options["skip_last"] = a.skip_last;
    summary = {{"from", report.from},
               {"to", report.to},
               {"removed_nodes", report.removed_nodes},
               {"pruned_nodes", report.pruned_nodes}};
  }
  manifest->chain.push_back({manifest->ops, op_options});
  manifest->options_sha256 = sha256_hex(op_options.dump());

  Status st = ends_with_onnx(a.out) ? save_model(parts[0], a.out)
                                    : write_variant(a.out, parts, *manifest, *shapes);
  if (!st.ok()) return report_error(st);
  if (a.json) {
    summary["output"] = a.out;
    print_json(summary);
  } else if (a.dynamic) {
    std::cout << a.model << " -> " << a.out << ": trunk, early head at '" << a.exit_at
              << "', rest; exit when " << summary["measure"].get<std::string>()
              << " >= " << a.threshold << "\n";
  } else {
    std::cout << a.model << " -> " << a.out << ": skipped " << summary["from"].get<std::string>()
              << " -> " << summary["to"].get<std::string>() << " ("
              << summary["removed_nodes"].size() << " nodes removed)\n";
  }
  return 0;
}

}  // namespace

std::function<int()> setup_early_exit(CLI::App* app) {
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file")->required();
  app->add_option("--skip", args->skip,
                  "Static exit: FROM:TO (connect FROM to TO's readers, drop the region)");
  app->add_option("--skip-last", args->skip_last,
                  "Static exit: skip the last N blocks of the last stage");
  app->add_flag("--dynamic", args->dynamic,
                "Dynamic exit: copy the head onto --exit-at, stop when confident");
  app->add_option("--exit-at", args->exit_at,
                  "Dynamic exit: tensor of the head input's shape to attach the copy to (default: "
                  "where the automatic static exit starts)");
  app->add_option("--head-input", args->head_input,
                  "Dynamic exit: where the head starts (default: end of last stage)");
  app->add_option("--threshold", args->threshold,
                  "Dynamic exit: confidence needed to stop early (0..1)")
      ->capture_default_str();
  app->add_option("-o,--out", args->out, "Output: a .onnx file (static) or a variant directory")
      ->required();
  app->add_option("--input-shape", args->input_shapes,
                  "Concrete input shape NAME=1x3x224x224 (repeatable)");
  app->add_option("--task", args->task,
                  "classify, segment or detect (default: the sidecar's, else the output's rank)");
  app->add_flag("--json", args->json, "Print JSON");
  return [args]() { return run(*args); };
}

}  // namespace edgetier::cli
