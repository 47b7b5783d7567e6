/// Segmentation accumulators: per-pixel argmax and the confusion matrix.
#include "metrics/segmentation.h"

#include <string>

#include "metrics/classification.h"

namespace edgetier {
namespace {

Result<std::vector<int32_t>> argmax_pixels(const Tensor& logits, bool batch) {
  const auto& s = logits.shape;
  const bool ok_rank = s.size() == 4 ? (batch || s[0] == 1) : s.size() == 3;
  if (logits.dtype != DType::kFloat32 || !ok_rank) {
    return invalid_argument("segmentation output '" + logits.name +
                            "' must be float32 [1, classes, H, W], got " +
                            std::string(dtype_name(logits.dtype)) + " " + shape_to_string(s));
  }
  const size_t off = s.size() - 3;
  const int64_t n = s.size() == 4 ? s[0] : 1;
  const int64_t k = s[off], hw = s[off + 1] * s[off + 2];
  if (n <= 0 || k <= 0 || hw <= 0 ||
      static_cast<size_t>(n * k * hw) * sizeof(float) != logits.data.size()) {
    return invalid_argument("segmentation output '" + logits.name + "' has a bad shape " +
                            shape_to_string(s));
  }
  const float* v = logits.data_as<float>();
  std::vector<int32_t> out(static_cast<size_t>(n * hw), 0);
  for (int64_t b = 0; b < n; ++b) {
    const float* image = v + b * k * hw;
    for (int64_t p = 0; p < hw; ++p) {
      out[static_cast<size_t>(b * hw + p)] = static_cast<int32_t>(argmax(image + p, k, hw));
    }
  }
  return out;
}

}  // namespace

Result<std::vector<int32_t>> argmax_channels(const Tensor& logits) {
  return argmax_pixels(logits, /*batch=*/false);
}

Result<std::vector<int32_t>> argmax_channels_batch(const Tensor& logits) {
  return argmax_pixels(logits, /*batch=*/true);
}

ConfusionMatrix::ConfusionMatrix(int64_t num_classes, int64_t ignore_index)
    : k_(num_classes > 0 ? num_classes : 1),
      ignore_(ignore_index),
      m_(static_cast<size_t>(k_ * k_), 0) {}

template <typename T>
Status ConfusionMatrix::count(const std::vector<T>& truth, const std::vector<int32_t>& pred) {
  if (truth.size() != pred.size()) {
    return invalid_argument("mask has " + std::to_string(truth.size()) +
                            " pixels but the prediction has " + std::to_string(pred.size()));
  }
  for (size_t i = 0; i < truth.size(); ++i) {
    const int64_t t = truth[i];
    if (t == ignore_) continue;
    if (t < 0 || t >= k_) {
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

Status ConfusionMatrix::add(const std::vector<uint8_t>& truth, const std::vector<int32_t>& pred) {
  return count(truth, pred);
}

Status ConfusionMatrix::add_wide(const std::vector<int32_t>& truth,
                                 const std::vector<int32_t>& pred) {
  return count(truth, pred);
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
    if (uni > 0) {
      iou[static_cast<size_t>(c)] = 100.0 * static_cast<double>(tp) / static_cast<double>(uni);
    }
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
  return total ? 100.0 * static_cast<double>(diag) / static_cast<double>(total) : 0.0;
}

std::vector<MetricValue> ConfusionMatrix::values() const {
  return {{std::string(metric_id(Metric::kMiou)), mean_iou(), images_},
          {std::string(metric_id(Metric::kPixelAcc)), pixel_accuracy(), images_}};
}

}  // namespace edgetier
