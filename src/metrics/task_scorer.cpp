/// Task dispatch for scoring: classify -> TopKAccuracy / Agreement, segment -> ConfusionMatrix,
/// detect -> DetectionAP.
/// Every dispatch is a switch without a default, so a new Task is a compile warning here.
#include "metrics/task_scorer.h"

#include <algorithm>
#include <string>

#include "metrics/detection_decode.h"

namespace edgetier {
namespace {

int64_t channels_of(const Tensor& output) { return output.shape[output.shape.size() - 3]; }

Result<Prediction> decode_detection(const Tensor& output, int64_t num_classes) {
  DetectionDecodeOptions options;
  options.num_classes = num_classes;
  Prediction p;
  ASSIGN_OR_RETURN(p.boxes, decode_yolo_output(output, options));
  p.num_classes = num_classes;
  return p;
}

}  // namespace

Result<Prediction> predict(const Tensor& output, Task task) {
  Prediction p;
  switch (task) {
    case Task::kClassify: {
      ASSIGN_OR_RETURN(std::vector<float> scores, class_scores(output));
      p.num_classes = static_cast<int64_t>(scores.size());
      p.classes = {static_cast<int32_t>(argmax(scores.data(), p.num_classes))};
      return p;
    }
    case Task::kSegment: {
      ASSIGN_OR_RETURN(p.classes, argmax_channels(output));
      p.num_classes = channels_of(output);
      return p;
    }
    case Task::kDetect: return decode_detection(output, 0);
  }
  return internal_error("predict: unknown task");
}

Result<Prediction> predict_batch(const Tensor& output, Task task) {
  Prediction p;
  switch (task) {
    case Task::kClassify: {
      ASSIGN_OR_RETURN(p.classes, argmax_rows(output));
      p.num_classes = output.shape.back();
      return p;
    }
    case Task::kSegment: {
      ASSIGN_OR_RETURN(p.classes, argmax_channels_batch(output));
      p.num_classes = channels_of(output);
      return p;
    }
    case Task::kDetect: return decode_detection(output, 0);
  }
  return internal_error("predict: unknown task");
}

TaskScorer::TaskScorer(Task task, MetricSource source, int64_t num_classes, int64_t ignore_index)
    : task_(task),
      source_(source),
      confusion_(num_classes, ignore_index),
      num_classes_(num_classes) {}

Status TaskScorer::add(const Tensor& output, const Truth& truth) {
  if (source_ != MetricSource::kLabels) {
    return internal_error("scoring against the reference was given labels");
  }
  switch (task_) {
    case Task::kClassify: return topk_.add(output, truth.label);
    case Task::kSegment: return confusion_.add_logits(output, truth.mask);
    case Task::kDetect: {
      ASSIGN_OR_RETURN(Prediction p, decode_detection(output, num_classes_));
      return add_boxes(p.boxes, truth);
    }
  }
  return internal_error("score: unknown task");
}

Status TaskScorer::add_boxes(const std::vector<DetectedBox>& boxes, const Truth& truth) {
  if (task_ != Task::kDetect || source_ != MetricSource::kLabels) {
    return internal_error("boxes scored by a scorer that is not for labelled detection");
  }
  return detection_.add(boxes, truth.boxes);
}

Status TaskScorer::add_reference(const Prediction& pred, const Prediction& reference) {
  if (source_ != MetricSource::kReference) {
    return internal_error("scoring against labels was given reference predictions");
  }
  if (pred.classes.size() != reference.classes.size()) {
    return invalid_argument("the prediction has " + std::to_string(pred.classes.size()) +
                            " class ids, the reference's " +
                            std::to_string(reference.classes.size()));
  }
  switch (task_) {
    case Task::kClassify:
      for (size_t i = 0; i < pred.classes.size(); ++i) {
        agreement_.add(pred.classes[i], reference.classes[i]);
      }
      return ok_status();
    case Task::kSegment: {
      RETURN_IF_ERROR(agreement_.add(pred.classes, reference.classes));
      if (!reference_confusion_) {
        reference_confusion_.emplace(std::max(pred.num_classes, reference.num_classes));
      }
      return reference_confusion_->add_wide(reference.classes, pred.classes);
    }
    case Task::kDetect: {
      // The reference's confident detections are the objects the variant should find.
      std::vector<TruthBox> objects, all_boxes;
      for (const DetectedBox& b : reference.boxes) {
        all_boxes.push_back({b.box, b.category});
        if (b.score > objects_score_threshold_) objects.push_back({b.box, b.category});
      }
      predicted_boxes_ += static_cast<int64_t>(pred.boxes.size());
      RETURN_IF_ERROR(detection_all_boxes_.add(pred.boxes, all_boxes));
      return detection_.add(pred.boxes, objects);
    }
  }
  return internal_error("score: unknown task");
}

std::vector<MetricValue> TaskScorer::values() const {
  if (source_ == MetricSource::kReference) {
    if (task_ != Task::kDetect) return {agreement_.value(task_)};
    return {{std::string(primary_metric(task_, source_).id), primary(), detection_.images()}};
  }
  switch (task_) {
    case Task::kClassify: return topk_.values();
    case Task::kSegment: return confusion_.values();
    case Task::kDetect: return detection_.values();
  }
  return {};
}

double TaskScorer::primary() const {
  switch (task_) {
    case Task::kClassify:
      return source_ == MetricSource::kLabels ? topk_.top1() : agreement_.rate();
    case Task::kSegment:
      if (source_ == MetricSource::kLabels) return confusion_.mean_iou();
      return reference_confusion_ ? reference_confusion_->mean_iou() : 0.0;
    case Task::kDetect: {
      if (source_ == MetricSource::kLabels) return std::max(detection_.map(), 0.0);  // -1: none
      if (const double objects = detection_.map(); objects >= 0) return objects;
      if (const double all = detection_all_boxes_.map(); all >= 0) return all;
      return predicted_boxes_ == 0 ? 100.0 : 0.0;  // the reference found nothing at all
    }
  }
  return 0.0;
}

}  // namespace edgetier
