/// Classification accumulators: argmax, label rank, top-k.
#include "metrics/classification.h"

#include <cmath>
#include <string>

namespace edgetier {

int64_t argmax(const float* values, int64_t n, int64_t stride) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    const float v = values[i * stride];
    if (std::isnan(v)) continue;
    if (best < 0 || v > values[best * stride]) best = i;
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

Result<std::vector<int32_t>> argmax_rows(const Tensor& logits) {
  const int64_t k = logits.shape.empty() ? 0 : logits.shape.back();
  if (logits.dtype != DType::kFloat32 || k <= 0 ||
      static_cast<size_t>(shape_num_elements(logits.shape)) * sizeof(float) != logits.data.size()) {
    return invalid_argument(
        "classifier output '" + logits.name + "' must be float32 [N, classes], got " +
        std::string(dtype_name(logits.dtype)) + " " + shape_to_string(logits.shape));
  }
  const float* v = logits.data_as<float>();
  const int64_t rows = shape_num_elements(logits.shape) / k;
  std::vector<int32_t> out(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) out[static_cast<size_t>(r)] = argmax(v + r * k, k);
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
  return {{std::string(metric_id(Metric::kTop1)), top1(), count_},
          {std::string(metric_id(Metric::kTop5)), top5(), count_}};
}

}  // namespace edgetier
