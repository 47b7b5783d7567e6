/// Verification: same inputs through the reference and the variant; diff, and agreement / mIoU
/// against the reference through metrics/task_scorer.h.
#include "ops/verify.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/strings.h"
#include "metrics/task_scorer.h"
#include "graph/model_io.h"
#include "ops/model_preprocess.h"
#include "ops/variant_dir.h"
#include "runtime/preprocess.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

Result<std::vector<std::string>> data_files(const std::string& dir, int limit) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found("--data '" + dir + "' is not a directory");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string ext = lower(entry.path().extension().string());
    if (entry.is_regular_file() &&
        (ext == ".npy" || ext == ".jpg" || ext == ".jpeg" || ext == ".png")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty())
    return not_found("--data '" + dir + "' holds no .npy, .jpg, .jpeg or .png files");
  if (limit > 0 && static_cast<int>(files.size()) > limit) files.resize(static_cast<size_t>(limit));
  return files;
}

/// OK when the manifest's recipe is the reference's (the input name aside: parts may rename it);
/// otherwise names each key that differs.
Status same_preprocess(const PreprocessSpec& manifest, const PreprocessSpec& reference,
                       const std::string& variant_dir, const std::string& reference_model) {
  nlohmann::json a = preprocess_to_json(manifest), b = preprocess_to_json(reference);
  a.erase("input_name");
  b.erase("input_name");
  std::string diff;
  for (const auto& [key, value] : b.items()) {
    if (a.contains(key) && a.at(key) == value) continue;
    diff += (diff.empty() ? "" : ", ") + key + " " + (a.contains(key) ? a.at(key).dump() : "-") +
            " (reference: " + value.dump() + ")";
  }
  if (diff.empty()) return ok_status();
  return failed_precondition("verify: " + variant_dir +
                             "/manifest.json preprocesses images unlike the reference '" +
                             reference_model + "' (--preprocess > its sidecar > the default): " +
                             diff + "; rebuild the variant with `edgetier variants`, or pass "
                             "--preprocess with the recipe the model expects");
}

}  // namespace

Result<VerifyReport> verify_variant(const std::string& reference_model,
                                    const std::string& variant_dir, const VerifyOptions& options) {
  VariantManifest manifest;
  ASSIGN_OR_RETURN(auto runner, open_variant(variant_dir, options.session, &manifest));
  ASSIGN_OR_RETURN(auto reference, OrtSession::from_file(reference_model, options.session));
  ASSIGN_OR_RETURN(std::vector<std::string> files, data_files(options.data_dir, options.limit));
  VerifyReport report;
  report.reference = reference_model;
  report.variant = variant_dir;
  report.ops = manifest.ops;
  report.task = options.task.empty() ? manifest.task : options.task;
  auto task = parse_task(report.task);
  if (!task.ok() || report.task != task_name(*task) || *task == Task::kDetect) {
    return invalid_argument("verify: task '" + report.task + "' is not classify or segment");
  }
  if (reference->inputs().size() != 1) {
    return invalid_argument("verify: the reference has " +
                            std::to_string(reference->inputs().size()) +
                            " inputs; --data feeds one tensor per file");
  }
  const TensorInfo& input = reference->inputs()[0];
  // Both sides get the reference model's recipe (flag > sidecar > default). Comparing them on
  // one recipe cannot show a manifest that would preprocess deployed images otherwise, so such a
  // manifest is refused here.
  LoadOptions load_options;
  load_options.load_external_data = false;
  ASSIGN_OR_RETURN(onnx::ModelProto reference_proto, load_model(reference_model, load_options));
  ASSIGN_OR_RETURN(std::optional<PreprocessSpec> resolved,
                   model_preprocess(reference_model, reference_proto, options.preprocess));
  PreprocessSpec spec =
      resolved ? *resolved
      : manifest.preprocess
          ? *manifest.preprocess
          : PreprocessSpec::for_input(input.name, input.shape.size() == 4 ? input.shape[2] : 224,
                                      input.shape.size() == 4 ? input.shape[3] : 224);
  spec.input_name = input.name;
  const bool images = std::any_of(files.begin(), files.end(), [](const std::string& f) {
    return lower(fs::path(f).extension().string()) != ".npy";
  });
  if (images && resolved && manifest.preprocess) {
    RETURN_IF_ERROR(same_preprocess(*manifest.preprocess, spec, variant_dir, reference_model));
  }
  const bool segment = *task == Task::kSegment;

  double abs_sum = 0.0;
  int64_t abs_count = 0, compared = 0;
  // The reference's predictions are the truth: top-1 agreement (classify), mIoU (segment).
  TaskScorer scorer(*task, MetricSource::kReference);
  double ref_ns = 0.0, var_ns = 0.0;
  for (const auto& file : files) {
    Result<Tensor> tensor = lower(fs::path(file).extension().string()) == ".npy"
                                ? load_npy(file, input.name)
                                : load_image_tensor(file, spec);
    if (!tensor.ok()) return tensor.status().with_context("verify");
    ASSIGN_OR_RETURN(std::vector<Tensor> ref_out, reference->run({*tensor}));
    ref_ns += static_cast<double>(reference->last_run_ns());
    auto var = runner->run({*tensor});
    if (!var.ok()) return var.status().with_context("verify: " + file);
    for (int64_t ns : var->part_ns) var_ns += ns > 0 ? static_cast<double>(ns) : 0.0;
    report.exited_early += var->exited_early;
    bool compared_any = false;
    for (const Tensor& r : ref_out) {
      auto it = std::find_if(var->outputs.begin(), var->outputs.end(),
                             [&](const Tensor& t) { return t.name == r.name; });
      if (it == var->outputs.end()) continue;
      if (it->shape != r.shape || it->dtype != r.dtype) {
        return invalid_argument("verify: output '" + r.name + "' is " + shape_to_string(r.shape) +
                                " in the reference but " + shape_to_string(it->shape) +
                                " in the variant (" + file + ")");
      }
      if (std::find(report.outputs.begin(), report.outputs.end(), r.name) == report.outputs.end())
        report.outputs.push_back(r.name);
      compared_any = true;
      report.bit_identical = report.bit_identical && r.data == it->data;
      if (r.dtype != DType::kFloat32) continue;
      for (size_t i = 0; i < r.num_elements(); ++i) {
        const double d =
            std::fabs(static_cast<double>(r.data_as<float>()[i]) - it->data_as<float>()[i]);
        report.max_abs_diff = std::max(report.max_abs_diff, d);
        abs_sum += d;
        ++abs_count;
      }
    }
    if (!compared_any) {
      return invalid_argument("verify: the variant has no output named like the reference's (" +
                              ref_out.at(0).name + ")");
    }
    // Task metric on the first output.
    const Tensor& r = ref_out[0];
    auto v = std::find_if(var->outputs.begin(), var->outputs.end(),
                          [&](const Tensor& t) { return t.name == r.name; });
    if (v == var->outputs.end() || r.dtype != DType::kFloat32) continue;
    if (segment && r.shape.size() != 4) {
      return invalid_argument("verify: task segment needs an [N, C, H, W] output; '" + r.name +
                              "' is " + shape_to_string(r.shape));
    }
    ASSIGN_OR_RETURN(Prediction a, predict_batch(r, *task));
    ASSIGN_OR_RETURN(Prediction b, predict_batch(*v, *task));
    RETURN_IF_ERROR(scorer.add_reference(b, a).with_context("verify: " + file));
    ++compared;
  }
  report.samples = static_cast<int>(files.size());
  report.mean_abs_diff = abs_count ? abs_sum / static_cast<double>(abs_count) : 0.0;
  if (compared > 0) (segment ? report.miou : report.top1_agreement) = scorer.primary();
  report.reference_ms_mean = ref_ns / report.samples / 1e6;
  report.variant_ms_mean = var_ns / report.samples / 1e6;
  return report;
}

nlohmann::json verify_report_to_json(const VerifyReport& r) {
  nlohmann::json j = {{"reference", r.reference},
                      {"variant", r.variant},
                      {"ops", r.ops},
                      {"task", r.task},
                      {"samples", r.samples},
                      {"outputs", r.outputs},
                      {"max_abs_diff", r.max_abs_diff},
                      {"mean_abs_diff", r.mean_abs_diff},
                      {"bit_identical", r.bit_identical},
                      {"exited_early", r.exited_early},
                      {"reference_ms_mean", r.reference_ms_mean},
                      {"variant_ms_mean", r.variant_ms_mean}};
  if (r.task == task_name(Task::kClassify))
    j["top1_agreement"] = r.top1_agreement;
  else
    j[std::string(metric_id(Metric::kMiou))] = r.miou;
  return j;
}

}  // namespace edgetier
