/// Evaluation: the reference's score once, then top-1 / mIoU / output error of candidates.
#include "ops/accuracy_eval.h"

#include <algorithm>

#include "graph/model_io.h"
#include "runtime/ort_session.h"

namespace edgetier {
namespace {

Result<std::unique_ptr<OrtSession>> open_session(const onnx::ModelProto& model, int threads,
                                                 const std::string& label) {
  ASSIGN_OR_RETURN(std::string bytes, serialize_model(model));
  SessionOptions so;
  so.intra_op_threads = threads;
  return OrtSession::from_bytes(bytes, so, label);
}

// Class index per row (classification) or per pixel (segmentation, NCHW) of a float output.
std::vector<int32_t> argmax_classes(const Tensor& out, EvalTask task) {
  const float* v = out.data_as<float>();
  std::vector<int32_t> classes;
  const int64_t n = out.shape[0], c = out.shape[1];
  if (task == EvalTask::kClassification) {
    for (int64_t r = 0; r < n; ++r) {
      classes.push_back(
          static_cast<int32_t>(std::max_element(v + r * c, v + (r + 1) * c) - (v + r * c)));
    }
    return classes;
  }
  const int64_t hw = out.shape[2] * out.shape[3];
  classes.resize(static_cast<size_t>(n * hw));
  for (int64_t b = 0; b < n; ++b) {
    const float* base = v + b * c * hw;
    for (int64_t p = 0; p < hw; ++p) {
      int32_t best = 0;
      float best_v = base[p];
      for (int64_t k = 1; k < c; ++k) {
        if (base[k * hw + p] > best_v) {
          best_v = base[k * hw + p];
          best = static_cast<int32_t>(k);
        }
      }
      classes[static_cast<size_t>(b * hw + p)] = best;
    }
  }
  return classes;
}

// Mean IoU (in points) of a row = truth, column = prediction confusion matrix, over the classes
// present in either.
double mean_iou(const std::vector<int64_t>& confusion, int64_t classes) {
  double sum = 0.0;
  int used = 0;
  for (int64_t k = 0; k < classes; ++k) {
    int64_t tp = confusion[static_cast<size_t>(k * classes + k)], fp = 0, fn = 0;
    for (int64_t j = 0; j < classes; ++j) {
      if (j == k) continue;
      fn += confusion[static_cast<size_t>(k * classes + j)];
      fp += confusion[static_cast<size_t>(j * classes + k)];
    }
    if (tp + fp + fn == 0) continue;
    sum += static_cast<double>(tp) / static_cast<double>(tp + fp + fn);
    ++used;
  }
  return used ? 100.0 * sum / used : 100.0;
}

}  // namespace

// Running counts behind one model's metric.
struct EvalSet::Tally {
  int64_t correct = 0, items = 0;
  std::vector<int64_t> confusion;
  double metric(EvalTask task, int64_t classes) const {
    if (task == EvalTask::kSegmentation) return mean_iou(confusion, classes);
    return items ? 100.0 * static_cast<double>(correct) / static_cast<double>(items) : 0.0;
  }
};

nlohmann::json accuracy_to_json(const AccuracyResult& r) {
  return {{"task", r.task == EvalTask::kClassification ? "classification" : "segmentation"},
          {"metric", r.metric},
          {"labelled", r.labelled},
          {"samples", r.samples},
          {"reference", r.reference},
          {"candidate", r.candidate},
          {"loss_points", r.loss_points}};
}

Status EvalSet::add_prediction(size_t s, const Tensor& y, Tally* tally) const {
  if (y.dtype != DType::kFloat32 ||
      y.shape.size() != (task_ == EvalTask::kClassification ? 2u : 4u) || y.shape[1] != classes_) {
    return invalid_argument("evaluation: output '" + output_name_ + "' is " +
                            std::string(dtype_name(y.dtype)) + " " + shape_to_string(y.shape) +
                            ", unlike the reference's");
  }
  const std::vector<int32_t> pred = argmax_classes(y, task_);
  if (tally->confusion.empty() && task_ == EvalTask::kSegmentation) {
    tally->confusion.assign(static_cast<size_t>(classes_ * classes_), 0);
  }
  if (!labelled_) {
    // The reference's own predictions are the truth.
    const std::vector<int32_t>& ref = reference_predictions_[s];
    if (ref.size() != pred.size()) return invalid_argument("evaluation: prediction sizes differ");
    for (size_t p = 0; p < pred.size(); ++p) {
      if (task_ == EvalTask::kSegmentation) {
        ++tally->confusion[static_cast<size_t>(ref[p] * classes_ + pred[p])];
      } else {
        tally->correct += pred[p] == ref[p];
        ++tally->items;
      }
    }
    return ok_status();
  }
  const EvalSample& sample = options_.samples[s];
  if (task_ == EvalTask::kClassification) {
    if (y.shape[0] != 1) return unimplemented("evaluation: labels need batch-1 outputs");
    if (sample.label < 0 || sample.label >= classes_) {
      return invalid_argument("evaluation: label " + std::to_string(sample.label) + " of '" +
                              sample.path + "' is outside the model's " + std::to_string(classes_) +
                              " classes");
    }
    tally->correct += pred[0] == sample.label;
    ++tally->items;
    return ok_status();
  }
  if (!options_.load_mask)
    return invalid_argument("evaluation: no mask reader for '" + sample.path + "'");
  ASSIGN_OR_RETURN(std::vector<uint8_t> mask,
                   options_.load_mask(sample, reader_->preprocess(), y.shape[2], y.shape[3]));
  if (mask.size() != pred.size()) {
    return invalid_argument("evaluation: mask of '" + sample.path + "' has " +
                            std::to_string(mask.size()) + " pixels for " +
                            std::to_string(pred.size()) + " predictions");
  }
  for (size_t p = 0; p < pred.size(); ++p) {
    if (mask[p] == options_.ignore_index) continue;
    if (mask[p] >= classes_) {
      return invalid_argument("evaluation: mask of '" + sample.path + "' holds class " +
                              std::to_string(mask[p]) + " of a " + std::to_string(classes_) +
                              "-class model");
    }
    ++tally->confusion[static_cast<size_t>(mask[p] * classes_ + pred[p])];
  }
  return ok_status();
}

Result<EvalSet> EvalSet::create(const onnx::ModelProto& reference, const EvalOptions& options) {
  EvalSet set;
  set.options_ = options;
  ASSIGN_OR_RETURN(auto session,
                   open_session(reference, options.intra_op_threads, "reference model"));
  if (session->inputs().size() != 1) {
    return unimplemented("evaluation: the model has " + std::to_string(session->inputs().size()) +
                         " inputs; evaluation data feeds single-input models");
  }
  CalibrationDataOptions data_options;
  data_options.max_samples = options.max_samples;
  data_options.preprocess = options.preprocess;
  set.labelled_ = !options.samples.empty();
  if (set.labelled_) {
    if (options.max_samples > 0 &&
        static_cast<int64_t>(options.samples.size()) > options.max_samples) {
      set.options_.samples.resize(static_cast<size_t>(options.max_samples));
    }
    std::vector<std::string> files;
    for (const auto& s : set.options_.samples) files.push_back(s.path);
    ASSIGN_OR_RETURN(CalibrationDataReader reader,
                     CalibrationDataReader::from_files(files, session->inputs()[0], data_options));
    set.reader_ = std::make_shared<const CalibrationDataReader>(std::move(reader));
  } else {
    ASSIGN_OR_RETURN(
        CalibrationDataReader reader,
        CalibrationDataReader::open(options.data_dir, session->inputs()[0], data_options));
    set.reader_ = std::make_shared<const CalibrationDataReader>(std::move(reader));
  }
  set.output_name_ = session->outputs()[0].name;

  Tally tally;
  for (size_t s = 0; s < set.reader_->size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, set.reader_->read(s));
    auto outs = session->run({sample}, {set.output_name_});
    if (!outs.ok()) {
      return outs.status().with_context("evaluation sample '" + set.reader_->relative_name(s) +
                                        "'");
    }
    const Tensor& y = (*outs)[0];
    if (s == 0) {
      if (y.dtype != DType::kFloat32 || (y.shape.size() != 2 && y.shape.size() != 4)) {
        return unimplemented("evaluation: output '" + set.output_name_ + "' is " +
                             std::string(dtype_name(y.dtype)) + " " + shape_to_string(y.shape) +
                             "; expected float [N, classes] (classification) or [N, classes, H, "
                             "W] (segmentation)");
      }
      set.task_ = y.shape.size() == 2 ? EvalTask::kClassification : EvalTask::kSegmentation;
      set.classes_ = y.shape[1];
    }
    if (set.labelled_) {
      RETURN_IF_ERROR(set.add_prediction(s, y, &tally));
    } else {
      set.reference_predictions_.push_back(argmax_classes(y, set.task_));
    }
    if (static_cast<int64_t>(s) < options.error_samples) {
      set.reference_outputs_.emplace_back(y.data_as<float>(),
                                          y.data_as<float>() + y.num_elements());
    }
  }
  set.reference_metric_ = set.labelled_ ? tally.metric(set.task_, set.classes_) : 100.0;
  return set;
}

Result<AccuracyResult> EvalSet::score(const onnx::ModelProto& candidate) const {
  ASSIGN_OR_RETURN(auto session,
                   open_session(candidate, options_.intra_op_threads, "candidate model"));
  Tally tally;
  for (size_t s = 0; s < reader_->size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, reader_->read(s));
    auto outs = session->run({sample}, {output_name_});
    if (!outs.ok()) {
      return outs.status().with_context("evaluation sample '" + reader_->relative_name(s) + "'");
    }
    RETURN_IF_ERROR(add_prediction(s, (*outs)[0], &tally));
  }
  AccuracyResult r;
  r.task = task_;
  r.metric = task_ == EvalTask::kClassification ? "top1" : "miou";
  r.labelled = labelled_;
  r.samples = size();
  r.reference = reference_metric_;
  r.candidate = tally.metric(task_, classes_);
  r.loss_points = r.reference - r.candidate;
  return r;
}

Result<double> EvalSet::output_error(const onnx::ModelProto& candidate) const {
  ASSIGN_OR_RETURN(auto session,
                   open_session(candidate, options_.intra_op_threads, "candidate model"));
  double total = 0.0;
  for (size_t s = 0; s < reference_outputs_.size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, reader_->read(s));
    auto outs = session->run({sample}, {output_name_});
    if (!outs.ok()) {
      return outs.status().with_context("evaluation sample '" + reader_->relative_name(s) + "'");
    }
    const Tensor& y = (*outs)[0];
    const std::vector<float>& ref = reference_outputs_[s];
    if (y.num_elements() != ref.size()) {
      return invalid_argument("evaluation: candidate output size differs from the reference");
    }
    double num = 0.0, den = 0.0;
    const float* v = y.data_as<float>();
    for (size_t i = 0; i < ref.size(); ++i) {
      const double d = static_cast<double>(v[i]) - ref[i];
      num += d * d;
      den += static_cast<double>(ref[i]) * ref[i];
    }
    total += num / std::max(den, 1e-30);
  }
  return reference_outputs_.empty() ? 0.0 : total / static_cast<double>(reference_outputs_.size());
}

}  // namespace edgetier
