/// `edgetier variants MODEL --ops I,Q,EE,QE,P,QP,EEP,QEP -o DIR`: build strategy variants.
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "core/files.h"
#include "core/strings.h"
#include "experiment/spec.h"
#include "experiment/synth.h"
#include "ops/compose.h"
#include "ops/early_exit.h"
#include "ops/model_preprocess.h"
#include "ops/quantize_hook.h"
#include "ops/verify.h"
#include "strategy/chain.h"

namespace edgetier::cli {
namespace {

/// The study's chains, comma-separated: the default of --ops.
std::string standard_chain_list() {
  std::vector<std::string> names;
  for (const auto& c : standard_op_chains()) names.push_back(c.name());
  return join(names, ",");
}

/// The automatic cut's FLOPs window of `variants`: the experiment's (spec.h CutSpec), so that
/// `variants` and `run` choose the same cut.
AutoCutArgs experiment_cut_window() {
  const CutSelectOptions window = cut_select_options(CutSpec{});
  AutoCutArgs a;
  a.min_lower_flops = window.min_lower_flops;
  a.max_lower_flops = window.max_lower_flops;
  a.single_tensor = window.single_tensor_only;
  a.prefer_single_tensor = window.prefer_single_tensor;
  return a;
}

struct Args {
  std::string model;
  std::string ops = standard_chain_list();
  std::string out;
  std::string skip;
  int skip_last = 0;
  double exit_flops_share = exit_select_options(ExitSpec{}).target_flops_share;
  bool exit_then_quantize = kDefaultExitThenQuantize;
  std::vector<std::string> cuts = {"auto"};
  AutoCutArgs auto_cut = experiment_cut_window();
  bool keep_float_boundary = false;
  std::string calibration_table;
  std::string calibration_data;
  std::vector<std::string> input_shapes;
  std::string task;
  std::string preprocess;
  bool force = false;
  bool verify = false;
  int verify_samples = 8;
  bool json = false;
};

/// Synthetic calibration images when the user gives none, as `edgetier run` does: enough for
/// int8 ranges of a model under test, not for its production accuracy (said on stderr).
constexpr int64_t kSynthCalibrationImages = 32;

/// The int8 quantizer bound to this command's calibration flags: a fixed --calibration-table,
/// or calibration of the model it is handed on --calibration-data (so --exit-then-quantize
/// calibrates the exited model), or on synthetic images written to `synth_dir`.
Result<QuantizeFn> linked_quantizer(const Args& a, const std::string& synth_dir,
                                    const std::optional<PreprocessSpec>& preprocess) {
  QuantizeHookOptions h;
  // Calibration images get the model's own recipe (a detector's letterbox included).
  h.calibration.preprocess = preprocess;
  if (!a.calibration_table.empty()) {
    ASSIGN_OR_RETURN(h.table, read_calibration_table(a.calibration_table));
  } else if (!a.calibration_data.empty()) {
    h.calibration.data_dir = a.calibration_data;
    h.calibration.method = CalibrationMethod::kMinMax;
  } else {
    std::cerr << "variants: no --calibration-data or --calibration-table: Q calibrates on "
              << kSynthCalibrationImages
              << " synthetic images (edgetier data synth); pass your own images for "
                 "production ranges\n";
    h.calibration.data_dir = synth_dir;
    h.calibration.method = CalibrationMethod::kMinMax;
  }
  return make_quantize_hook(std::move(h));
}

/// Writes the synthetic images calibration and --verify use when the user gives none.
Status write_synth_images(const std::string& dir) {
  SynthOptions synth;
  synth.count = kSynthCalibrationImages;
  synth.size = 224;  // calibration and verify resize to the model's input
  auto written = write_synth_dataset(synth, dir, /*force=*/true);
  if (!written.ok()) return written.status().with_context("variants: synthetic images");
  return ok_status();
}

/// --verify: each built chain against the float model on the same images (graph rewrites off,
/// so a partition must be bit-identical); the report goes into the chain's JSON row.
nlohmann::json verify_chain(const Args& a, const std::string& dir, const std::string& data_dir,
                            const nlohmann::json& preprocess) {
  VerifyOptions v;
  v.data_dir = data_dir;
  v.limit = a.verify_samples;
  v.task = a.task;
  v.preprocess = preprocess;
  v.session.intra_op_threads = 1;
  v.session.graph_opt_level = GraphOptLevel::kDisabled;
  auto report = verify_variant(a.model, dir, v);
  if (!report.ok()) return {{"error", report.status().message()}};
  return verify_report_to_json(*report);
}

/// One line: "bit-identical", "top-1 agreement 100 pt, max diff 0.0012", "mIoU 97.5 pt ...",
/// "mAP vs float 98.2 pt ...".
std::string verify_line(const nlohmann::json& v) {
  if (v.contains("error")) return "verify failed: " + v["error"].get<std::string>();
  if (v.value("bit_identical", false)) return "verify: bit-identical";
  std::string line = "verify:";
  if (v.value("top1_agreement", -1.0) >= 0)
    line += " top-1 agreement " + shortest_number(v["top1_agreement"].get<double>()) + " pt,";
  if (v.value("miou", -1.0) >= 0) line += " mIoU " + shortest_number(v["miou"].get<double>()) + " pt,";
  if (v.value("agree_map", -1.0) >= 0)
    line += " mAP vs float " + shortest_number(v["agree_map"].get<double>()) + " pt,";
  return line + " max diff " + shortest_number(v.value("max_abs_diff", 0.0));
}

bool wants_quantizer(const std::vector<std::string>& ops) {
  for (const auto& name : ops) {
    auto chain = parse_op_chain(name, ChainSpelling::kAny);
    if (chain.ok() && chain->quantize) return true;
  }
  return false;
}

int run(const Args& a) {
  auto shapes = parse_input_shapes(a.input_shapes);
  if (!shapes.ok()) return report_error(shapes.status());
  VariantOptions o;
  o.ops = split_list(a.ops);
  if (!a.skip.empty()) {
    const size_t colon = a.skip.find(':');
    if (colon == std::string::npos)
      return report_error(invalid_argument("--skip '" + a.skip + "' must be FROM:TO"));
    o.skip_from = a.skip.substr(0, colon);
    o.skip_to = a.skip.substr(colon + 1);
  }
  o.skip_last = a.skip_last;
  o.exit_select.target_flops_share = a.exit_flops_share;
  o.exit_then_quantize = a.exit_then_quantize;
  ScopedTempDir synth_dir("edgetier-calibration");
  const bool needs_synth = a.calibration_table.empty() && a.calibration_data.empty() &&
                           (wants_quantizer(o.ops) || a.verify);
  if (needs_synth && synth_dir.path().empty())
    return report_error(internal_error("variants: cannot create a temporary folder"));
  if (needs_synth) {
    Status written = write_synth_images(synth_dir.path());
    if (!written.ok()) return report_error(written);
  }
  auto preprocess = preprocess_overrides(a.preprocess);
  if (!preprocess.ok()) return report_error(preprocess.status());
  auto model = load_runnable_model(a.model);
  if (!model.ok()) return report_error(model.status());
  if (wants_quantizer(o.ops)) {
    auto recipe = model_preprocess(a.model, *model, *preprocess, *shapes);
    if (!recipe.ok()) return report_error(recipe.status());
    auto quantizer = linked_quantizer(a, synth_dir.path(), *recipe);
    if (!quantizer.ok()) return report_error(quantizer.status());
    o.quantize_fn = *quantizer;
  }
  if (!a.calibration_table.empty()) o.quantize_options["calibration_table"] = a.calibration_table;
  if (!a.calibration_data.empty()) o.quantize_options["calibration_data"] = a.calibration_data;
  if (a.calibration_table.empty() && a.calibration_data.empty())
    o.quantize_options["calibration_data"] =
        "synthetic:" + std::to_string(kSynthCalibrationImages);
  o.calibration_table = a.calibration_table;
  if (a.cuts.size() == 1 && a.cuts[0] == "auto") {
    auto select = auto_cut_options(a.auto_cut, *shapes);
    if (!select.ok()) return report_error(select.status());
    o.auto_cut = *select;
  } else {
    for (const auto& c : a.cuts) o.cuts.push_back(split_list(c));
  }
  o.quantized_boundary = !a.keep_float_boundary;
  o.task = a.task;
  o.preprocess = *preprocess;
  o.input_shapes = *shapes;
  o.force = a.force;
  std::vector<VariantResult> results;
  Status st = build_variants(a.model, o, a.out, &results);
  std::vector<nlohmann::json> verified(results.size());
  if (a.verify) {
    // write_synth_dataset puts the images in images/ beside labels.csv.
    const std::string data =
        !a.calibration_data.empty() ? a.calibration_data : synth_dir.path() + "/images";
    if (data.empty() || (!a.calibration_table.empty() && a.calibration_data.empty()))
      return report_error(invalid_argument(
          "variants --verify with --calibration-table: pass --calibration-data DIR too (the "
          "images to verify on)"));
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].built()) verified[i] = verify_chain(a, results[i].dir, data, o.preprocess);
    }
  }
  if (a.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : results) {
      nlohmann::json row = {{"ops", r.ops}, {"built", r.built()}};
      if (r.built()) {
        row["dir"] = r.dir;
        row["cached"] = r.cached;
        row["parts"] = r.parts;
      }
      if (!r.not_applicable.empty()) row["not_applicable"] = r.not_applicable;
      if (!r.failed.empty()) row["error"] = r.failed;
      if (!verified[&r - results.data()].is_null()) row["verify"] = verified[&r - results.data()];
      j.push_back(std::move(row));
    }
    if (!results.empty()) print_json(j);
  } else {
    for (const auto& r : results) {
      if (!r.built()) continue;
      std::cout << "  " << r.ops << ": " << r.dir << " (" << r.parts << " part"
                << (r.parts == 1 ? "" : "s") << (r.cached ? ", up to date" : "") << ")";
      const auto& v = verified[&r - results.data()];
      std::cout << (v.is_null() ? "" : "; " + verify_line(v)) << "\n";
    }
    for (const auto& r : results) {
      if (!r.not_applicable.empty())
        std::cout << "  " << r.ops << ": not applicable: " << r.not_applicable << "\n";
    }
  }
  // Exit 0 when something was built and nothing failed: chains that do not apply are listed.
  if (!st.ok()) return report_error(st);
  return 0;
}

}  // namespace

std::function<int()> setup_variants(CLI::App* app) {
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file (float)")->required();
  app->add_option("--ops", args->ops,
                  "Strategies to build, comma-separated, from: " + op_chain_forms())
      ->capture_default_str();
  app->add_option("-o,--out", args->out, "Output directory; each strategy goes to DIR/<OPS>/")
      ->required();
  app->add_option("--skip", args->skip, "EE: FROM:TO (default: --skip-last)");
  app->add_option("--skip-last", args->skip_last,
                  "EE: skip exactly the last N blocks of the deepest stage (default: as many of "
                  "them as skip about --exit-flops-share of the FLOPs)");
  app->add_option("--exit-flops-share", args->exit_flops_share,
                  "EE: share of the FLOPs an automatic exit skips, about (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_flag("--exit-then-quantize", args->exit_then_quantize,
                "Q with an early exit: cut the exit first, then calibrate and quantize (default: "
                "the study's order, "
                "exit surgery on the int8 model)");
  app->add_option("--cut", args->cuts,
                  "P: tensors crossing the boundary (comma-separated), or 'auto'")
      ->capture_default_str();
  add_auto_cut_options(app, &args->auto_cut);
  app->add_flag("--keep-float-boundary", args->keep_float_boundary,
                "Q with P: ship the float cut tensor, not its int8 form");
  app->add_option("--calibration-table", args->calibration_table,
                  "Q: calibration table (edgetier calibrate)");
  app->add_option("--calibration-data", args->calibration_data,
                  "Q: folder of calibration images or .npy tensors");
  app->add_option("--input-shape", args->input_shapes,
                  "Concrete input shape NAME=1x3x224x224 (repeatable)");
  app->add_option("--task", args->task,
                  "classify, segment or detect (default: the sidecar's, else the output's rank)");
  add_preprocess_option(app, &args->preprocess);
  app->add_flag("--force", args->force, "Rebuild variants even when their manifest is up to date");
  app->add_flag("--verify", args->verify,
                "Check each built strategy against the float model (edgetier verify, graph "
                "rewrites off) on --calibration-data or synthetic images");
  app->add_option("--verify-samples", args->verify_samples, "--verify: images to compare")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app->add_flag("--json", args->json, "Print JSON");
  return [args]() { return run(*args); };
}

}  // namespace edgetier::cli
