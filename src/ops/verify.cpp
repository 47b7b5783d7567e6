/// Verification: same inputs through the reference and the variant; diff, agreement, mIoU.
#include "ops/verify.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/strings.h"
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

/// Argmax over the class axis: the last axis of [N, C], axis 1 of [N, C, H, W].
std::vector<int> argmax_classes(const Tensor& t, bool segment) {
  std::vector<int> out;
  const float* x = t.data_as<float>();
  if (!segment) {
    const int64_t c = t.shape.back(),
                  rows = static_cast<int64_t>(t.num_elements()) / std::max<int64_t>(c, 1);
    for (int64_t r = 0; r < rows; ++r)
      out.push_back(static_cast<int>(std::max_element(x + r * c, x + (r + 1) * c) - (x + r * c)));
    return out;
  }
  const int64_t n = t.shape[0], c = t.shape[1], pixels = t.shape[2] * t.shape[3];
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t p = 0; p < pixels; ++p) {
      int best = 0;
      for (int64_t k = 1; k < c; ++k) {
        if (x[(b * c + k) * pixels + p] > x[(b * c + best) * pixels + p])
          best = static_cast<int>(k);
      }
      out.push_back(best);
    }
  }
  return out;
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
  if (report.task != "classify" && report.task != "segment") {
    return invalid_argument("verify: task '" + report.task + "' is not classify or segment");
  }
  if (reference->inputs().size() != 1) {
    return invalid_argument("verify: the reference has " +
                            std::to_string(reference->inputs().size()) +
                            " inputs; --data feeds one tensor per file");
  }
  const TensorInfo& input = reference->inputs()[0];
  PreprocessSpec spec =
      manifest.preprocess
          ? *manifest.preprocess
          : PreprocessSpec::for_input(input.name, input.shape.size() == 4 ? input.shape[2] : 224,
                                      input.shape.size() == 4 ? input.shape[3] : 224);
  spec.input_name = input.name;
  const bool segment = report.task == "segment";

  double abs_sum = 0.0;
  int64_t abs_count = 0, agree = 0, rows = 0;
  std::vector<int64_t> intersection, union_count;  // per class, for mIoU
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
    const auto a = argmax_classes(r, segment), b = argmax_classes(*v, segment);
    if (!segment) {
      for (size_t i = 0; i < a.size(); ++i) agree += a[i] == b[i];
      rows += static_cast<int64_t>(a.size());
    } else {
      const size_t classes = static_cast<size_t>(r.shape[1]);
      intersection.resize(classes, 0);
      union_count.resize(classes, 0);
      for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] == b[i]) {
          ++intersection[a[i]];
          ++union_count[a[i]];
        } else {
          ++union_count[a[i]];
          ++union_count[b[i]];
        }
      }
    }
  }
  report.samples = static_cast<int>(files.size());
  report.mean_abs_diff = abs_count ? abs_sum / static_cast<double>(abs_count) : 0.0;
  if (!segment && rows > 0)
    report.top1_agreement = static_cast<double>(agree) / static_cast<double>(rows);
  if (segment) {
    double sum = 0.0;
    int present = 0;
    for (size_t c = 0; c < union_count.size(); ++c) {
      if (union_count[c] == 0) continue;
      sum += static_cast<double>(intersection[c]) / static_cast<double>(union_count[c]);
      ++present;
    }
    report.miou = present ? sum / present : 1.0;
  }
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
  if (r.task == "classify")
    j["top1_agreement"] = r.top1_agreement;
  else
    j["miou"] = r.miou;
  return j;
}

}  // namespace edgetier
