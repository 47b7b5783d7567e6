/// Task dispatch for scoring: classify -> TopKAccuracy / Agreement, segment -> ConfusionMatrix.
/// Every dispatch is a switch without a default, so a new Task is a compile warning here.
#include "metrics/task_scorer.h"

#include <algorithm>
#include <string>

namespace edgetier {
namespace {

int64_t channels_of(const Tensor& output) { return output.shape[output.shape.size() - 3]; }

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
  }
  return internal_error("predict: unknown task");
}

TaskScorer::TaskScorer(Task task, MetricSource source, int64_t num_classes, int64_t ignore_index)
    : task_(task), source_(source), confusion_(num_classes, ignore_index) {}

Status TaskScorer::add(const Tensor& output, const Truth& truth) {
  if (source_ != MetricSource::kLabels) {
    return internal_error("scoring against the reference was given labels");
  }
  switch (task_) {
    case Task::kClassify: return topk_.add(output, truth.label);
    case Task::kSegment: return confusion_.add_logits(output, truth.mask);
  }
  return internal_error("score: unknown task");
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
  }
  return internal_error("score: unknown task");
}

std::vector<MetricValue> TaskScorer::values() const {
  if (source_ == MetricSource::kReference) return {agreement_.value(task_)};
  switch (task_) {
    case Task::kClassify: return topk_.values();
    case Task::kSegment: return confusion_.values();
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
  }
  return 0.0;
}

}  // namespace edgetier
