/// `edgetier profile MODEL [--threads N] -o P.json`: per-node times from ONNX Runtime's profiler.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "ops/profile.h"

namespace edgetier::cli {

std::function<int()> setup_profile(CLI::App* app) {
  struct Args {
    std::string model;
    std::string out;
    ProfileOptions options;
    std::vector<std::string> input_shapes;
    std::string opt_level = "all";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file")->required();
  app->add_option("-o,--out", args->out, "Profile file to write (JSON)")->required();
  app->add_option("--threads", args->options.threads, "ONNX Runtime intra-op threads")
      ->capture_default_str();
  app->add_option("--runs", args->options.runs, "Profiled runs (their mean is kept)")
      ->capture_default_str();
  app->add_option("--warmup", args->options.warmup, "Runs before profiling counts")
      ->capture_default_str();
  app->add_option("--graph-opt", args->opt_level,
                  "ONNX Runtime graph optimisation: disabled|basic|extended|all")
      ->check(CLI::IsMember({"disabled", "basic", "extended", "all"}))
      ->capture_default_str();
  app->add_option("--input-shape", args->input_shapes,
                  "Concrete input shape NAME=1x3x224x224 (repeatable)");
  app->add_flag("--json", args->json, "Print the profile as JSON");
  return [args]() {
    auto shapes = parse_input_shapes(args->input_shapes);
    if (!shapes.ok()) return report_error(shapes.status());
    ProfileOptions options = args->options;
    options.input_shapes = *shapes;
    options.graph_opt_level = args->opt_level == "disabled"   ? GraphOptLevel::kDisabled
                              : args->opt_level == "basic"    ? GraphOptLevel::kBasic
                              : args->opt_level == "extended" ? GraphOptLevel::kExtended
                                                              : GraphOptLevel::kAll;
    auto model = load_runnable_model(args->model);
    if (!model.ok()) return report_error(model.status());
    auto profile = profile_model(args->model, options);
    if (!profile.ok()) return report_error(profile.status().with_context(args->model));
    Status st = write_profile(args->out, *profile);
    if (!st.ok()) return report_error(st);
    if (args->json) {
      print_json(profile_to_json(*profile));
      return 0;
    }
    std::printf("%s: %d runs at %d thread(s): %.1f us kernel time, %.1f us wall per run -> %s\n",
                args->model.c_str(), profile->runs, profile->threads, profile->total_us,
                profile->wall_us, args->out.c_str());
    auto nodes = profile->nodes;
    std::sort(nodes.begin(), nodes.end(),
              [](const NodeTime& a, const NodeTime& b) { return a.mean_us > b.mean_us; });
    for (size_t i = 0; i < nodes.size() && i < 10; ++i) {
      std::printf("  %9.1f us  %-12s %s\n", nodes[i].mean_us, nodes[i].op.c_str(),
                  nodes[i].name.c_str());
    }
    if (profile->unattributed_us > 0)
      std::printf("  %9.1f us  (layout reorders and other kernels outside model nodes)\n",
                  profile->unattributed_us);
    return 0;
  };
}

}  // namespace edgetier::cli
