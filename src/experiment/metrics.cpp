/// Accuracy accumulators.
#include "experiment/metrics.h"

#include <cmath>

namespace edgetier {

int64_t argmax(const float* values, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(values[i])) continue;
    if (best < 0 || values[i] > values[best]) best = i;
  }
  return n > 0 && best < 0 ? 0 : best;
}

int64_t label_rank(const float* values, int64_t n, int64_t label) {
  const float v = values[label];
  if (std::isnan(v)) return n;
  int64_t rank = 0;
  for (int64_t i = 0; i < n; ++i) rank += values[i] > v ? 1 : 0;
  return rank;
}

Result<std::vector<float>> class_scores(const Tensor& logits) {
  if (logits.dtype != DType::kFloat32) {
    return invalid_argument("classifier output '" + logits.name + "' must be float32, got " +
                            std::string(dtype_name(logits.dtype)));
  }
  int64_t k = 0;
  if (logits.shape.size() == 1) k = logits.shape[0];
  if (logits.shape.size() == 2 && logits.shape[0] == 1) k = logits.shape[1];
  if (k <= 0 || static_cast<size_t>(k) * sizeof(float) != logits.data.size()) {
    return invalid_argument("classifier output '" + logits.name + "' must be [1, classes], got " +
                            shape_to_string(logits.shape));
  }
  return std::vector<float>(logits.data_as<float>(), logits.data_as<float>() + k);
}

Result<std::vector<int32_t>> argmax_channels(const Tensor& logits) {
  const auto& s = logits.shape;
  const bool ok_rank = s.size() == 4 ? s[0] == 1 : s.size() == 3;
  if (logits.dtype != DType::kFloat32 || !ok_rank) {
    return invalid_argument("segmentation output '" + logits.name +
                            "' must be float32 [1, classes, H, W], got " +
                            std::string(dtype_name(logits.dtype)) + " " + shape_to_string(s));
  }
  const size_t off = s.size() - 3;
  const int64_t k = s[off], hw = s[off + 1] * s[off + 2];
  if (k <= 0 || hw <= 0 || static_cast<size_t>(k * hw) * sizeof(float) != logits.data.size()) {
    return invalid_argument("segmentation output '" + logits.name + "' has a bad shape " +
                            shape_to_string(s));
  }
  const float* v = logits.data_as<float>();
  std::vector<int32_t> out(static_cast<size_t>(hw), 0);
  std::vector<float> best(v, v + hw);
  for (int64_t c = 1; c < k; ++c) {
    const float* plane = v + c * hw;
    for (int64_t p = 0; p < hw; ++p) {
      if (plane[p] > best[p] || (std::isnan(best[p]) && !std::isnan(plane[p]))) {
        best[p] = plane[p];
        out[p] = static_cast<int32_t>(c);
      }
    }
  }
  return out;
}

Status TopKAccuracy::add(const float* logits, int64_t num_classes, int64_t label) {
  if (label < 0 || label >= num_classes) {
    return invalid_argument("label " + std::to_string(label) + " is outside the model's " +
                            std::to_string(num_classes) + " classes");
  }
  const int64_t rank = label_rank(logits, num_classes, label);
  ++count_;
  top1_ += rank < 1 ? 1 : 0;
  top5_ += rank < 5 ? 1 : 0;
  return ok_status();
}

Status TopKAccuracy::add(const Tensor& logits, int64_t label) {
  ASSIGN_OR_RETURN(auto scores, class_scores(logits));
  return add(scores.data(), static_cast<int64_t>(scores.size()), label);
}

std::vector<MetricValue> TopKAccuracy::values() const {
  return {{"top1", 100.0 * top1(), count_}, {"top5", 100.0 * top5(), count_}};
}

ConfusionMatrix::ConfusionMatrix(int64_t num_classes, int64_t ignore_index)
    : k_(num_classes > 0 ? num_classes : 1),
      ignore_(ignore_index),
      m_(static_cast<size_t>(k_ * k_), 0) {}

Status ConfusionMatrix::add(const std::vector<uint8_t>& truth, const std::vector<int32_t>& pred) {
  if (truth.size() != pred.size()) {
    return invalid_argument("mask has " + std::to_string(truth.size()) +
                            " pixels but the prediction has " + std::to_string(pred.size()));
  }
  for (size_t i = 0; i < truth.size(); ++i) {
    const int64_t t = truth[i];
    if (t == ignore_) continue;
    if (t >= k_) {
      return invalid_argument("mask value " + std::to_string(t) + " is not a class id (there are " +
                              std::to_string(k_) + " classes; ignore index " +
                              std::to_string(ignore_) + ")");
    }
    const int64_t p = pred[i];
    if (p < 0 || p >= k_) {
      return invalid_argument("predicted class " + std::to_string(p) + " is outside [0, " +
                              std::to_string(k_) + ")");
    }
    ++m_[static_cast<size_t>(t * k_ + p)];
  }
  ++images_;
  return ok_status();
}

Status ConfusionMatrix::add_logits(const Tensor& logits, const std::vector<uint8_t>& truth) {
  ASSIGN_OR_RETURN(auto pred, argmax_channels(logits));
  return add(truth, pred);
}

Status ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.k_ != k_ || other.ignore_ != ignore_) {
    return invalid_argument("cannot merge confusion matrices of different classes or ignore index");
  }
  for (size_t i = 0; i < m_.size(); ++i) m_[i] += other.m_[i];
  images_ += other.images_;
  return ok_status();
}

int64_t ConfusionMatrix::pixels() const {
  int64_t n = 0;
  for (int64_t v : m_) n += v;
  return n;
}

std::vector<double> ConfusionMatrix::iou_per_class() const {
  std::vector<double> iou(static_cast<size_t>(k_), -1.0);
  for (int64_t c = 0; c < k_; ++c) {
    int64_t row = 0, col = 0;
    for (int64_t j = 0; j < k_; ++j) {
      row += at(c, j);
      col += at(j, c);
    }
    const int64_t tp = at(c, c);
    const int64_t uni = row + col - tp;
    if (uni > 0) iou[static_cast<size_t>(c)] = static_cast<double>(tp) / static_cast<double>(uni);
  }
  return iou;
}

double ConfusionMatrix::mean_iou() const {
  double sum = 0;
  int present = 0;
  for (double v : iou_per_class()) {
    if (v < 0) continue;
    sum += v;
    ++present;
  }
  return present ? sum / present : 0.0;
}

double ConfusionMatrix::pixel_accuracy() const {
  int64_t diag = 0;
  for (int64_t c = 0; c < k_; ++c) diag += at(c, c);
  const int64_t total = pixels();
  return total ? static_cast<double>(diag) / static_cast<double>(total) : 0.0;
}

std::vector<MetricValue> ConfusionMatrix::values() const {
  return {{"miou", 100.0 * mean_iou(), images_}, {"pixel_acc", 100.0 * pixel_accuracy(), images_}};
}

void Agreement::add(int64_t pred, int64_t reference) {
  ++count_;
  ++images_;
  agree_ += pred == reference ? 1 : 0;
}

Status Agreement::add(const std::vector<int32_t>& pred, const std::vector<int32_t>& reference) {
  if (pred.size() != reference.size()) {
    return invalid_argument("prediction has " + std::to_string(pred.size()) +
                            " pixels, the reference " + std::to_string(reference.size()));
  }
  for (size_t i = 0; i < pred.size(); ++i) agree_ += pred[i] == reference[i] ? 1 : 0;
  count_ += static_cast<int64_t>(pred.size());
  ++images_;
  return ok_status();
}

MetricValue Agreement::value(bool segmentation) const {
  return {segmentation ? "agree_pixel" : "agree_top1", 100.0 * rate(), images_};
}

}  // namespace edgetier
