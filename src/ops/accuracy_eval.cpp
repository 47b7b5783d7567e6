/// Evaluation: the reference's score once, then top-1 / mIoU / mAP (metrics/) and output error
/// of candidates.
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

}  // namespace

nlohmann::json accuracy_to_json(const AccuracyResult& r) {
  return {{"task", task_name(r.task)},   {"metric", r.metric},       {"labelled", r.labelled},
          {"samples", r.samples},        {"reference", r.reference}, {"candidate", r.candidate},
          {"loss_points", r.loss_points}};
}

TaskScorer EvalSet::new_scorer() const {
  TaskScorer scorer(task_, labelled_ ? MetricSource::kLabels : MetricSource::kReference, classes_,
                    options_.ignore_index);
  if (detection_) scorer.set_objects_score_threshold(detection_->decode.score_threshold);
  return scorer;
}

Status EvalSet::add_prediction(size_t s, const Tensor& y, TaskScorer* scorer) const {
  if (y.dtype != DType::kFloat32 || y.shape.size() != (task_ == Task::kClassify ? 2u : 4u) ||
      y.shape[1] != classes_) {
    return invalid_argument("evaluation: output '" + output_name_ + "' is " +
                            std::string(dtype_name(y.dtype)) + " " + shape_to_string(y.shape) +
                            ", unlike the reference's");
  }
  if (!labelled_) {
    // The reference's own predictions are the truth.
    ASSIGN_OR_RETURN(Prediction pred, predict_batch(y, task_));
    return scorer->add_reference(pred, reference_predictions_[s]).with_context("evaluation");
  }
  const Sample& sample = options_.samples[s];
  Truth truth;
  truth.label = sample.label;
  if (task_ == Task::kClassify) {
    if (y.shape[0] != 1) return unimplemented("evaluation: labels need batch-1 outputs");
  } else {
    if (!options_.load_mask)
      return invalid_argument("evaluation: no mask reader for '" + sample.image_path + "'");
    ASSIGN_OR_RETURN(truth.mask,
                     options_.load_mask(sample, reader_->preprocess(), y.shape[2], y.shape[3]));
    const int64_t pixels = y.shape[0] * y.shape[2] * y.shape[3];
    if (static_cast<int64_t>(truth.mask.size()) != pixels) {
      return invalid_argument("evaluation: mask of '" + sample.image_path + "' has " +
                              std::to_string(truth.mask.size()) + " pixels for " +
                              std::to_string(pixels) + " predictions");
    }
  }
  return scorer->add(y, truth).with_context("evaluation of '" + sample.image_path + "'");
}

Status EvalSet::add_detections(size_t s, const std::vector<Tensor>& outputs,
                               TaskScorer* scorer) const {
  const std::string where = "evaluation of '" + reader_->relative_name(s) + "'";
  auto decoded = detections_for_scoring(outputs, *detection_, geometry_[s]);
  if (!decoded.ok()) return decoded.status().with_context(where);
  std::vector<DetectedBox> boxes = std::move(decoded).value();
  if (!labelled_) {
    Prediction pred;
    pred.boxes = std::move(boxes);
    return scorer->add_reference(pred, reference_predictions_[s]).with_context(where);
  }
  // The model answers dataset category ids; the truth holds class indices.
  if (detection_->label_space == LabelSpace::kCategoryId)
    category_ids_to_classes(boxes, options_.category_ids);
  Truth truth;
  truth.boxes = options_.samples[s].boxes;
  return scorer->add_boxes(boxes, truth).with_context(where);
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
    for (const auto& s : set.options_.samples) files.push_back(s.image_path);
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
  set.run_outputs_ = {set.output_name_};
  const bool detect = options.task == Task::kDetect;
  if (detect) {
    auto detection =
        resolve_detection_outputs(session->outputs(), options.detection, options.detection_hint);
    if (!detection.ok()) return detection.status().with_context("evaluation");
    set.detection_ = *detection;
    set.task_ = Task::kDetect;
    set.classes_ = set.detection_->decode.num_classes;
    set.run_outputs_ = set.detection_->outputs;
    set.output_name_ = set.run_outputs_[0];
  }

  std::optional<TaskScorer> scorer;  // once the first output tells the task
  if (detect) scorer.emplace(set.new_scorer());
  for (size_t s = 0; s < set.reader_->size(); ++s) {
    ImageToInput geometry;
    ASSIGN_OR_RETURN(Tensor sample, set.reader_->read(s, detect ? &geometry : nullptr));
    auto outs = session->run({sample}, set.run_outputs_);
    if (!outs.ok()) {
      return outs.status().with_context("evaluation sample '" + set.reader_->relative_name(s) +
                                        "'");
    }
    const Tensor& y = (*outs)[0];
    if (detect) {
      set.geometry_.push_back(geometry);
      if (set.labelled_) {
        RETURN_IF_ERROR(set.add_detections(s, *outs, &*scorer));
      } else {
        auto boxes = detections_for_scoring(*outs, *set.detection_, geometry);
        if (!boxes.ok()) {
          return boxes.status().with_context("evaluation sample '" +
                                             set.reader_->relative_name(s) + "'");
        }
        Prediction pred;
        pred.boxes = std::move(boxes).value();
        set.reference_predictions_.push_back(std::move(pred));
      }
    } else {
      if (s == 0) {
        if (y.dtype != DType::kFloat32 || (y.shape.size() != 2 && y.shape.size() != 4)) {
          return unimplemented("evaluation: output '" + set.output_name_ + "' is " +
                               std::string(dtype_name(y.dtype)) + " " + shape_to_string(y.shape) +
                               "; expected float [N, classes] (classification) or [N, classes, "
                               "H, W] (segmentation), or name the task detect");
        }
        set.task_ = y.shape.size() == 2 ? Task::kClassify : Task::kSegment;
        set.classes_ = y.shape[1];
        scorer.emplace(set.new_scorer());
      }
      if (set.labelled_) {
        RETURN_IF_ERROR(set.add_prediction(s, y, &*scorer));
      } else {
        ASSIGN_OR_RETURN(Prediction pred, predict_batch(y, set.task_));
        set.reference_predictions_.push_back(std::move(pred));
      }
    }
    // A raw head (or a classify/segment output) has a fixed size; NMS outputs do not.
    const bool fixed_size =
        !detect || set.detection_->format == DetectionFormat::kYolo;
    if (fixed_size && static_cast<int64_t>(s) < options.error_samples) {
      if (y.dtype != DType::kFloat32) {
        return invalid_argument("evaluation: output '" + set.output_name_ + "' is " +
                                std::string(dtype_name(y.dtype)) + ", not float");
      }
      set.reference_outputs_.emplace_back(y.data_as<float>(),
                                          y.data_as<float>() + y.num_elements());
    }
  }
  set.reference_metric_ = set.labelled_ && scorer ? scorer->primary() : 100.0;
  return set;
}

Result<AccuracyResult> EvalSet::score(const onnx::ModelProto& candidate) const {
  ASSIGN_OR_RETURN(auto session,
                   open_session(candidate, options_.intra_op_threads, "candidate model"));
  TaskScorer scorer = new_scorer();
  for (size_t s = 0; s < reader_->size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, reader_->read(s));
    auto outs = session->run({sample}, run_outputs_);
    if (!outs.ok()) {
      return outs.status().with_context("evaluation sample '" + reader_->relative_name(s) + "'");
    }
    if (detection_) {
      RETURN_IF_ERROR(add_detections(s, *outs, &scorer));
    } else {
      RETURN_IF_ERROR(add_prediction(s, (*outs)[0], &scorer));
    }
  }
  AccuracyResult r;
  r.task = task_;
  r.metric = std::string(primary_metric(task_).id);
  r.labelled = labelled_;
  r.samples = size();
  r.reference = reference_metric_;
  r.candidate = scorer.primary();
  r.loss_points = r.reference - r.candidate;
  return r;
}

Result<double> EvalSet::output_error(const onnx::ModelProto& candidate) const {
  ASSIGN_OR_RETURN(auto session,
                   open_session(candidate, options_.intra_op_threads, "candidate model"));
  if (detection_ && detection_->format == DetectionFormat::kBoxes) {
    // Boxes after NMS have no fixed size to compare element-wise: mAP against the reference's
    // boxes on the kept samples instead.
    TaskScorer scorer(Task::kDetect, MetricSource::kReference, classes_);
    scorer.set_objects_score_threshold(detection_->decode.score_threshold);
    const size_t n = std::min(reference_predictions_.size(),
                              static_cast<size_t>(std::max<int64_t>(options_.error_samples, 0)));
    if (n == 0) return 0.0;
    for (size_t s = 0; s < n; ++s) {
      ASSIGN_OR_RETURN(Tensor sample, reader_->read(s));
      ASSIGN_OR_RETURN(std::vector<Tensor> outs, session->run({sample}, run_outputs_));
      Prediction pred;
      ASSIGN_OR_RETURN(pred.boxes, detections_for_scoring(outs, *detection_, geometry_[s]));
      RETURN_IF_ERROR(scorer.add_reference(pred, reference_predictions_[s]));
    }
    return 1.0 - scorer.primary() / 100.0;
  }
  double total = 0.0;
  for (size_t s = 0; s < reference_outputs_.size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, reader_->read(s));
    auto outs = session->run({sample}, {output_name_});
    if (!outs.ok()) {
      return outs.status().with_context("evaluation sample '" + reader_->relative_name(s) + "'");
    }
    const Tensor& y = (*outs)[0];
    if (y.dtype != DType::kFloat32) {
      return invalid_argument("evaluation: candidate output '" + output_name_ + "' is " +
                              std::string(dtype_name(y.dtype)) + ", not float");
    }
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
