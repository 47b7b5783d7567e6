/// build_strategy_variant: the runner's call into operator composition with the real quantizer.
#include "experiment/variant_build.h"

#include "ops/calibrate.h"
#include "ops/compose.h"
#include "ops/manifest.h"
#include "ops/quantize.h"
#include "ops/quantize_hook.h"
#include "ops/variant_dir.h"

namespace edgetier {
namespace {

Result<QuantizeFn> make_quantizer(const VariantBuildRequest& r) {
  QuantizeHookOptions h;
  h.calibration.data_dir = r.calibration_dir;
  ASSIGN_OR_RETURN(h.calibration.method, parse_calibration_method(r.calibration_method));
  h.calibration.max_samples = r.calibration_samples;
  h.calibration.percentile = r.calibration_percentile;
  h.calibration.preprocess = r.preprocess;
  h.calibration.intra_op_threads = 2;
  ASSIGN_OR_RETURN(h.quantize.format, parse_quant_format(r.quant_format));
  h.quantize.per_channel = r.per_channel;
  h.quantize.activation_dtype = r.activations == "int8" ? DType::kInt8 : DType::kUInt8;
  return make_quantize_hook(std::move(h));
}

}  // namespace

Result<BuiltVariantInfo> build_strategy_variant(const VariantBuildRequest& r) {
  VariantOptions o;
  o.ops = {r.ops};
  o.skip_from = r.skip_from;
  o.skip_to = r.skip_to;
  ASSIGN_OR_RETURN(o.quantize_fn, make_quantizer(r));
  o.quantize_options = {{"method", r.calibration_method},
                        {"samples", r.calibration_samples},
                        {"percentile", r.calibration_percentile},
                        {"data", r.calibration_dir},
                        {"format", r.quant_format},
                        {"activations", r.activations},
                        {"per_channel", r.per_channel}};
  o.exit_then_quantize = r.exit_then_quantize;
  o.cuts = r.cuts;
  o.task = r.task;
  // Tiers preprocess with the manifest's recipe: the one the plan resolved (spec > sidecar >
  // default), written by the same path `edgetier variants` takes.
  o.preprocess = preprocess_to_json(r.preprocess);
  o.input_shapes[r.input_name] = r.input_shape;
  std::vector<VariantResult> results;
  RETURN_IF_ERROR(build_variants(r.model_path, o, r.out_dir, &results));
  if (results.size() != 1)
    return internal_error("build_variants returned " + std::to_string(results.size()) +
                          " variants for " + r.ops);
  if (!results[0].built())
    return failed_precondition(r.ops + " does not apply: " + results[0].not_applicable);
  BuiltVariantInfo info;
  info.dir = results[0].dir;
  info.cached = results[0].cached;
  ASSIGN_OR_RETURN(VariantManifest m, read_manifest(info.dir));
  info.hash = m.source_sha256.substr(0, 16) + ":" + m.options_sha256.substr(0, 16);
  return info;
}

Result<std::unique_ptr<PartRunner>> open_variant_runner(const std::string& dir,
                                                        const SessionOptions& options) {
  return open_variant(dir, options);
}

}  // namespace edgetier
