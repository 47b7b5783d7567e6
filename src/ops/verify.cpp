/// Verification: same inputs through the reference and the variant; diff, and agreement / mIoU /
/// mAP against the reference (and mAP against labels) through metrics/task_scorer.h.
#include "ops/verify.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "metrics/detection_outputs.h"
#include "metrics/task_scorer.h"
#include "graph/model_io.h"
#include "ops/model_preprocess.h"
#include "ops/variant_dir.h"
#include "runtime/model_sidecar.h"
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

/// An input file as the models' tensor, and where the image's pixels landed in it (a .npy tensor
/// is its own image).
Result<Tensor> read_input(const std::string& file, const TensorInfo& input,
                          const PreprocessSpec& spec, ImageToInput* geometry) {
  if (lower(fs::path(file).extension().string()) == ".npy") {
    ASSIGN_OR_RETURN(Tensor t, load_npy(file, input.name));
    *geometry = ImageToInput{};
    if (t.shape.size() == 4) {
      const bool nhwc = spec.layout == "NHWC";
      geometry->image_height = t.shape[nhwc ? 1 : 2];
      geometry->image_width = t.shape[nhwc ? 2 : 3];
    }
    return t;
  }
  ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(file));
  auto t = decode_and_preprocess(bytes, spec, geometry);
  if (!t.ok()) return t.status().with_context(file);
  return t;
}

/// Detection scoring of one run: the variant against the reference's boxes and, with labels,
/// both against the labels.
struct DetectionScores {
  DetectionOutputs outputs;
  TaskScorer agreement{Task::kDetect, MetricSource::kReference};
  TaskScorer reference{Task::kDetect, MetricSource::kLabels};
  TaskScorer variant{Task::kDetect, MetricSource::kLabels};

  Status add(const std::vector<Tensor>& ref_out, const std::vector<Tensor>& var_out,
             const ImageToInput& geometry, const Sample* labelled,
             const std::vector<int64_t>& category_ids) {
    Prediction truth, pred;
    ASSIGN_OR_RETURN(truth.boxes, detections_for_scoring(ref_out, outputs, geometry));
    ASSIGN_OR_RETURN(pred.boxes, detections_for_scoring(var_out, outputs, geometry));
    if (labelled) {
      Truth labels;
      labels.boxes = labelled->boxes;
      ASSIGN_OR_RETURN(std::vector<DetectedBox> ref_scored,
                       detections_for_scoring(ref_out, outputs, geometry));
      std::vector<DetectedBox> var_scored = pred.boxes;
      if (outputs.label_space == LabelSpace::kCategoryId) {
        category_ids_to_classes(ref_scored, category_ids);
        category_ids_to_classes(var_scored, category_ids);
      }
      RETURN_IF_ERROR(reference.add_boxes(ref_scored, labels));
      RETURN_IF_ERROR(variant.add_boxes(var_scored, labels));
    }
    return agreement.add_reference(pred, truth);
  }
};

double metric_value(const TaskScorer& scorer, Metric metric) {
  for (const MetricValue& v : scorer.values()) {
    if (v.metric == metric_id(metric)) return v.value;
  }
  return -1.0;
}

}  // namespace

Result<VerifyReport> verify_variant(const std::string& reference_model,
                                    const std::string& variant_dir, const VerifyOptions& options) {
  VariantManifest manifest;
  ASSIGN_OR_RETURN(auto runner, open_variant(variant_dir, options.session, &manifest));
  ASSIGN_OR_RETURN(auto reference, OrtSession::from_file(reference_model, options.session));
  std::vector<std::string> files;
  std::vector<Sample> samples = options.samples;
  if (samples.empty()) {
    ASSIGN_OR_RETURN(files, data_files(options.data_dir, options.limit));
  } else {
    if (options.limit > 0 && static_cast<int>(samples.size()) > options.limit)
      samples.resize(static_cast<size_t>(options.limit));
    for (const Sample& sample : samples) files.push_back(sample.image_path);
  }
  VerifyReport report;
  report.reference = reference_model;
  report.variant = variant_dir;
  report.ops = manifest.ops;
  report.task = options.task.empty() ? manifest.task : options.task;
  auto task = parse_task(report.task);
  if (!task.ok() || report.task != task_name(*task)) {
    return invalid_argument("verify: task '" + report.task + "' is not classify, segment or "
                            "detect");
  }
  const bool detect = *task == Task::kDetect;
  if (!samples.empty() && !detect) {
    return invalid_argument("verify: labels are read for task detect; this variant's task is " +
                            report.task + " (pass --task detect for a detector)");
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
  std::optional<DetectionScores> detection;
  if (detect) {
    // The reference's sidecar says where its detections are (else they are recognised).
    ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(reference_model));
    auto outputs = resolve_detection_outputs(
        reference->outputs(), sidecar ? sidecar->detection : nlohmann::json(),
        sidecar ? sidecar->path : fs::path(reference_model).replace_extension(".json").string());
    if (!outputs.ok()) return outputs.status().with_context("verify: " + reference_model);
    detection.emplace();
    detection->outputs = *outputs;
    detection->agreement.set_objects_score_threshold(outputs->decode.score_threshold);
  }

  double abs_sum = 0.0;
  int64_t abs_count = 0, compared = 0;
  // The reference's predictions are the truth: top-1 agreement (classify), mIoU (segment).
  TaskScorer scorer(*task, MetricSource::kReference);
  double ref_ns = 0.0, var_ns = 0.0;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    ImageToInput geometry;
    Result<Tensor> tensor = read_input(file, input, spec, &geometry);
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
      if (detect && it->dtype == r.dtype && it->shape != r.shape) {
        // Boxes after NMS: another variant may keep another number of them.
        report.bit_identical = false;
        continue;
      }
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
    if (detection) {
      RETURN_IF_ERROR(detection
                          ->add(ref_out, var->outputs, geometry,
                                samples.empty() ? nullptr : &samples[f], options.category_ids)
                          .with_context("verify: " + file));
      ++compared;
      continue;
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
  if (compared > 0 && detection) {
    report.agree_map = detection->agreement.primary();
    if (!samples.empty()) {
      report.reference_map = detection->reference.primary();
      report.reference_map50 = metric_value(detection->reference, Metric::kMap50);
      report.map = detection->variant.primary();
      report.map50 = metric_value(detection->variant, Metric::kMap50);
      report.map_loss = report.reference_map - report.map;
    }
  } else if (compared > 0) {
    (segment ? report.miou : report.top1_agreement) = scorer.primary();
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
  if (r.task == task_name(Task::kClassify)) {
    j["top1_agreement"] = r.top1_agreement;
  } else if (r.task == task_name(Task::kSegment)) {
    j[std::string(metric_id(Metric::kMiou))] = r.miou;
  } else {
    j[std::string(metric_id(Metric::kAgreeMap))] = r.agree_map;
    if (r.map >= 0) {
      j["reference_map"] = r.reference_map;
      j["reference_map50"] = r.reference_map50;
      j[std::string(metric_id(Metric::kMap))] = r.map;
      j[std::string(metric_id(Metric::kMap50))] = r.map50;
      j["map_loss"] = r.map_loss;
    }
  }
  return j;
}

}  // namespace edgetier
