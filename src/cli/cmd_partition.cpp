/// `edgetier partition MODEL --cut T1[,T2...] [--cut ...] -o DIR`: split a model into parts.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "core/sha256.h"
#include "graph/model_io.h"
#include "ops/partition.h"
#include "ops/variant_dir.h"
#include "strategy/operators.h"

namespace edgetier::cli {
namespace {

struct Args {
  std::string model;
  std::vector<std::string> cuts;
  std::string out;
  std::vector<std::string> input_shapes;
  std::string task;
  std::string preprocess;
  bool keep_float_boundary = false;
  AutoCutArgs auto_cut;
  bool json = false;
};

int run(const Args& a) {
  auto shapes = parse_input_shapes(a.input_shapes);
  if (!shapes.ok()) return report_error(shapes.status());
  NormalizeReport normalized;
  auto model = load_normalized_model(a.model, *shapes, &normalized);
  if (!model.ok()) return report_error(model.status());

  PartitionOptions options;
  options.quantized_boundary = !a.keep_float_boundary;
  nlohmann::json chosen = nullptr;
  for (const auto& cut : a.cuts) {
    if (cut == "auto") {
      if (a.cuts.size() != 1)
        return report_error(invalid_argument("--cut auto picks one cut; give it alone"));
      auto select = auto_cut_options(a.auto_cut, *shapes);
      if (!select.ok()) return report_error(select.status());
      auto choice = select_cut(*model, *select);
      if (!choice.ok()) return report_error(choice.status().with_context(a.model));
      options.cuts.push_back(choice->best.cut.names());
      chosen = {{"objective", select->objective},
                {"considered", choice->considered},
                {"ranked", nlohmann::json::array()}};
      for (size_t i = 0; i < choice->ranked.size() && i < 5; ++i)
        chosen["ranked"].push_back(cut_candidate_json(choice->ranked[i]));
    } else {
      options.cuts.push_back(normalized_names(normalized, split_list(cut)));
    }
  }
  std::vector<onnx::ModelProto> parts;
  Status st = partition(*model, options, &parts);
  if (!st.ok()) return report_error(st.with_context(a.model));

  auto preprocess = preprocess_overrides(a.preprocess);
  if (!preprocess.ok()) return report_error(preprocess.status());
  auto manifest = source_manifest(a.model, *model, a.task, *shapes, *preprocess);
  if (!manifest.ok()) return report_error(manifest.status().with_context(a.model));
  manifest->ops = std::string(step_name(OperatorId::kPartition));
  nlohmann::json op_options = {{"cuts", options.cuts},
                               {"quantized_boundary", options.quantized_boundary}};
  if (!chosen.is_null()) op_options["auto"] = chosen;
  manifest->chain.push_back({std::string(step_name(OperatorId::kPartition)), op_options});
  manifest->options_sha256 = sha256_hex(op_options.dump());
  st = write_variant(a.out, parts, *manifest, *shapes);
  if (!st.ok()) return report_error(st);
  auto written = read_manifest(a.out);
  if (!written.ok()) return report_error(written.status());

  if (a.json) {
    nlohmann::json j = manifest_to_json(*written);
    j["directory"] = a.out;
    if (!chosen.is_null()) j["auto_cut"] = chosen;
    print_json(j);
    return 0;
  }
  std::cout << a.model << " -> " << a.out << ": " << written->parts.size() << " parts\n";
  for (const auto& c : written->cuts) {
    std::cout << "  part" << c.after_part << " -> part" << c.after_part + 1 << ": " << c.bytes
              << " bytes\n";
    for (const auto& t : c.tensors) {
      std::cout << "    " << t.name << " " << dtype_name(t.dtype) << " " << shape_to_string(t.shape)
                << "\n";
    }
  }
  return 0;
}

}  // namespace

std::function<int()> setup_partition(CLI::App* app) {
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file")->required();
  app->add_option("--cut", args->cuts,
                  "Tensors crossing one boundary, comma-separated (repeat for 3+ parts), or 'auto'")
      ->required();
  app->add_option("-o,--out", args->out, "Output directory (part0.onnx ... + manifest.json)")
      ->required();
  app->add_option("--input-shape", args->input_shapes,
                  "Concrete input shape NAME=1x3x224x224 (repeatable)");
  app->add_option("--task", args->task,
                  "classify, segment or detect (default: the sidecar's, else the output's rank)");
  add_preprocess_option(app, &args->preprocess);
  app->add_flag(
      "--keep-float-boundary", args->keep_float_boundary,
      "On QDQ models, ship the float cut tensor instead of its int8 QuantizeLinear output");
  add_auto_cut_options(app, &args->auto_cut);
  app->add_flag("--json", args->json, "Print the manifest as JSON");
  return [args]() { return run(*args); };
}

}  // namespace edgetier::cli
