/// build_strategy_variant: the runner's call into operator composition with the real quantizer.
#include "experiment/variant_build.h"

#include <memory>
#include <optional>

#include "ops/calibrate.h"
#include "ops/compose.h"
#include "ops/manifest.h"
#include "ops/quantize.h"
#include "ops/quantize_hook.h"
#include "ops/sensitivity.h"
#include "ops/variant_dir.h"
#include "runtime/model_sidecar.h"
#include "strategy/operators.h"

namespace edgetier {
namespace {

/// The sensitivity search's evaluation: against the labels or masks of labelled data, else the
/// float model's own predictions on the images.
Result<EvalOptions> search_eval_options(const VariantBuildRequest& r) {
  EvalOptions e;
  e.preprocess = r.preprocess;
  e.intra_op_threads = 2;
  if (r.task == task_name(Task::kDetect)) {
    // mAP of the boxes, found where the model's sidecar says (else recognised).
    e.task = Task::kDetect;
    ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(r.model_path));
    if (sidecar) {
      e.detection = sidecar->detection;
      e.detection_hint = sidecar->path;
    }
  }
  const Dataset& d = r.search_data;
  if (!d.labeled()) {
    e.data_dir = d.root;
    return e;
  }
  e.samples = d.samples;
  e.ignore_index = d.ignore_index;
  e.load_mask = [](const Sample& sample, const PreprocessSpec& p, int64_t height, int64_t width) {
    return load_mask(sample.mask_path, p, height, width);
  };
  return e;
}

Result<QuantizeFn> make_quantizer(const VariantBuildRequest& r,
                                  std::shared_ptr<std::optional<SensitivityReport>> search,
                                  const std::string& memo_options) {
  QuantizeHookOptions h;
  h.calibration.data_dir = r.calibration_dir;
  ASSIGN_OR_RETURN(h.calibration.method, parse_calibration_method(r.calibration_method));
  h.calibration.max_samples = r.calibration_samples;
  h.calibration.percentile = r.calibration_percentile;
  h.calibration.preprocess = r.preprocess;
  h.calibration.intra_op_threads = 2;
  ASSIGN_OR_RETURN(h.quantize.format, parse_quant_format(r.quant_format));
  h.quantize.per_channel = r.per_channel;
  h.quantize.reduce_range = r.reduce_range;
  h.quantize.activation_dtype = r.activations == "int8" ? DType::kInt8 : DType::kUInt8;
  if (r.max_accuracy_loss) {
    h.max_accuracy_loss = r.max_accuracy_loss;
    ASSIGN_OR_RETURN(h.eval, search_eval_options(r));
    h.on_search = [search](const SensitivityReport& found) { *search = found; };
    h.memo = r.search_memo;
    h.memo_options = memo_options;
  }
  return make_quantize_hook(std::move(h));
}

ManifestOperator* quantize_step(VariantManifest* m) {
  for (auto& step : m->chain)
    if (step.op == step_name(OperatorId::kQuantize)) return &step;
  return nullptr;
}

/// Records what the search kept in float in the quantize step of the manifest compose wrote
/// (compose records the options it was given, which hold the budget but not the outcome).
Status record_search(const std::string& dir, const SensitivityReport& found) {
  ASSIGN_OR_RETURN(VariantManifest m, read_manifest(dir));
  ManifestOperator* step = quantize_step(&m);
  if (!step) return internal_error(dir + "/manifest.json has no quantize step to record in");
  step->options["float_nodes"] = found.excluded;
  step->options["search"] = {{"metric", found.final.metric},
                             {"labelled", found.final.labelled},
                             {"samples", found.final.samples},
                             {"reference", found.final.reference},
                             {"initial_loss_points", found.initial.loss_points},
                             {"loss_points", found.final.loss_points},
                             {"ranked_nodes", found.ranking.size()}};
  return write_manifest(dir, m);
}

}  // namespace

Result<BuiltVariantInfo> build_strategy_variant(const VariantBuildRequest& r) {
  VariantOptions o;
  o.ops = {r.ops};
  o.skip_from = r.skip_from;
  o.skip_to = r.skip_to;
  if (r.max_accuracy_loss && !(*r.max_accuracy_loss >= 0.0 && *r.max_accuracy_loss <= 100.0)) {
    return invalid_argument("quantize.max_accuracy_loss must be in [0, 100] accuracy points, got " +
                            std::to_string(*r.max_accuracy_loss));
  }
  if (r.max_accuracy_loss && r.search_data.root.empty())
    return invalid_argument("quantize.max_accuracy_loss: no data to measure the loss on");
  o.quantize_options = {{"method", r.calibration_method},
                        {"samples", r.calibration_samples},
                        {"percentile", r.calibration_percentile},
                        {"data", r.calibration_dir},
                        {"format", r.quant_format},
                        {"activations", r.activations},
                        {"per_channel", r.per_channel}};
  // Only when on: variants built with 8-bit weights keep their cache keys; a cache built on a
  // machine with VNNI is not reused where auto turns it on.
  if (r.reduce_range) o.quantize_options["reduce_range"] = true;
  // Only with a budget, so the variants built without one keep their cache keys.
  if (r.max_accuracy_loss) {
    o.quantize_options["max_accuracy_loss"] = *r.max_accuracy_loss;
    o.quantize_options["search_data"] = r.search_data.root;
    o.quantize_options["search_samples"] = r.search_data.samples.size();
  }
  auto search = std::make_shared<std::optional<SensitivityReport>>();
  ASSIGN_OR_RETURN(o.quantize_fn, make_quantizer(r, search, o.quantize_options.dump()));
  o.exit_then_quantize = r.exit_then_quantize;
  o.cuts = r.cuts;
  o.task = r.task;
  // Tiers preprocess with the manifest's recipe: the one the plan resolved (spec > sidecar >
  // default), written by the same path `edgetier variants` takes.
  o.preprocess = preprocess_to_json(r.preprocess);
  o.input_shapes[r.input_name] = r.input_shape;
  std::vector<VariantResult> results;
  auto build = [&]() -> Status {
    results.clear();
    RETURN_IF_ERROR(build_variants(r.model_path, o, r.out_dir, &results));
    if (results.size() != 1)
      return internal_error("build_variants returned " + std::to_string(results.size()) +
                            " variants for " + r.ops);
    if (!results[0].built())
      return failed_precondition(r.ops + " does not apply: " + results[0].not_applicable);
    if (*search) RETURN_IF_ERROR(record_search(results[0].dir, **search));
    return ok_status();
  };
  RETURN_IF_ERROR(build());
  BuiltVariantInfo info;
  info.dir = results[0].dir;
  info.cached = results[0].cached;
  ASSIGN_OR_RETURN(VariantManifest m, read_manifest(info.dir));
  if (r.max_accuracy_loss && quantize_step(&m) &&
      !quantize_step(&m)->options.contains("float_nodes")) {
    // Built, but stopped before the search was recorded: build it again with the search.
    o.force = true;
    RETURN_IF_ERROR(build());
    info.cached = false;
    ASSIGN_OR_RETURN(m, read_manifest(info.dir));
  }
  info.hash = m.source_sha256.substr(0, 16) + ":" + m.options_sha256.substr(0, 16);
  if (r.max_accuracy_loss && quantize_step(&m)) info.quantize_search = quantize_step(&m)->options;
  return info;
}

std::shared_ptr<QuantizeSearchMemo> make_quantize_search_memo() {
  return std::make_shared<QuantizeSearchMemo>();
}

Result<std::unique_ptr<PartRunner>> open_variant_runner(const std::string& dir,
                                                        const SessionOptions& options) {
  return open_variant(dir, options);
}

}  // namespace edgetier
