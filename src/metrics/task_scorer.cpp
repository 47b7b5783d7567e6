/// Task dispatch for scoring: classify -> TopKAccuracy / Agreement, segment -> ConfusionMatrix.
#include "metrics/task_scorer.h"

#include <algorithm>
#include <string>

namespace edgetier {

Result<Prediction> predict(const Tensor& output, Task task) {
  Prediction p;
  if (task == Task::kClassify) {
    ASSIGN_OR_RETURN(std::vector<float> scores, class_scores(output));
    p.num_classes = static_cast<int64_t>(scores.size());
    p.classes = {static_cast<int32_t>(argmax(scores.data(), p.num_classes))};
    return p;
  }
  ASSIGN_OR_RETURN(p.classes, argmax_channels(output));
  p.num_classes = output.shape[output.shape.size() - 3];
  return p;
}

Result<Prediction> predict_batch(const Tensor& output, Task task) {
  Prediction p;
  if (task == Task::kClassify) {
    ASSIGN_OR_RETURN(p.classes, argmax_rows(output));
    p.num_classes = output.shape.back();
    return p;
  }
  ASSIGN_OR_RETURN(p.classes, argmax_channels_batch(output));
  p.num_classes = output.shape[output.shape.size() - 3];
  return p;
}

TaskScorer::TaskScorer(Task task, MetricSource source, int64_t num_classes, int64_t ignore_index)
    : task_(task), source_(source), confusion_(num_classes, ignore_index) {}

Status TaskScorer::add(const Tensor& output, const Truth& truth) {
  if (source_ != MetricSource::kLabels) {
    return internal_error("scoring against the reference was asked for labels");
  }
  if (task_ == Task::kClassify) return topk_.add(output, truth.label);
  return confusion_.add_logits(output, truth.mask);
}

Status TaskScorer::add_reference(const Prediction& pred, const Prediction& reference) {
  if (source_ != MetricSource::kReference) {
    return internal_error("scoring against labels was given reference predictions");
  }
  if (pred.classes.size() != reference.classes.size()) {
    return invalid_argument("the prediction has " + std::to_string(pred.classes.size()) +
                            " classes, the reference's " +
                            std::to_string(reference.classes.size()));
  }
  if (task_ == Task::kClassify) {
    for (size_t i = 0; i < pred.classes.size(); ++i) {
      agreement_.add(pred.classes[i], reference.classes[i]);
    }
    return ok_status();
  }
  RETURN_IF_ERROR(agreement_.add(pred.classes, reference.classes));
  if (!reference_confusion_) {
    reference_confusion_.emplace(std::max(pred.num_classes, reference.num_classes));
  }
  return reference_confusion_->add(reference.classes, pred.classes);
}

std::vector<MetricValue> TaskScorer::values() const {
  if (source_ == MetricSource::kReference) return {agreement_.value(task_)};
  return task_ == Task::kClassify ? topk_.values() : confusion_.values();
}

double TaskScorer::primary() const {
  if (source_ == MetricSource::kLabels) {
    return task_ == Task::kClassify ? topk_.top1() : confusion_.mean_iou();
  }
  if (task_ == Task::kClassify) return agreement_.rate();
  return reference_confusion_ ? reference_confusion_->mean_iou() : 0.0;
}

}  // namespace edgetier
