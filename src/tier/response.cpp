/// Task-shaped responses: top-k classes with probabilities, or a class mask per pixel.
#include "tier/response.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>

#include "metrics/segmentation.h"
#include "tier/protocol.h"

namespace edgetier::tier {
namespace {

/// True when every value is in [0, 1] and they sum to 1: a Softmax already ends the model.
bool is_distribution(const float* v, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!(v[i] >= 0.0f && v[i] <= 1.0f)) return false;
    sum += v[i];
  }
  return std::abs(sum - 1.0) < 1e-3;
}

/// Top-k of every row of [..., K]: ids (ties to the lower id, NaN last) and probabilities.
Result<std::vector<Tensor>> top_classes(const Tensor& out) {
  if (out.shape.empty() || out.shape.back() <= 0) {
    return invalid_argument("classification output '" + out.name + "' has shape " +
                            shape_to_string(out.shape) +
                            "; a task response needs the classes on the last axis (send "
                            "response=raw to get it unchanged)");
  }
  const int64_t k_classes = out.shape.back();
  const int64_t rows = static_cast<int64_t>(out.num_elements()) / k_classes;
  const int64_t k = std::min<int64_t>(kResponseTopK, k_classes);
  std::vector<int64_t> shape = out.shape;
  shape.back() = k;
  if (shape.size() == 1) shape.insert(shape.begin(), 1);  // [K] answers as one row, [1, k]
  Tensor ids = Tensor::zeros(out.name + "_classes", DType::kInt64, shape);
  Tensor scores = Tensor::zeros(out.name + "_scores", DType::kFloat32, shape);
  std::vector<int64_t> order(static_cast<size_t>(k_classes));
  std::vector<double> prob(static_cast<size_t>(k_classes));
  for (int64_t r = 0; r < rows; ++r) {
    const float* v = out.data_as<float>() + r * k_classes;
    const bool already = is_distribution(v, k_classes);
    double top = -INFINITY;
    for (int64_t c = 0; c < k_classes; ++c) {
      if (std::isfinite(v[c])) top = std::max(top, static_cast<double>(v[c]));
    }
    double sum = 0;
    for (int64_t c = 0; c < k_classes; ++c) {
      // Max-subtracted so large logits do not overflow; a NaN or -inf score gets probability 0.
      const double p = already ? v[c] : (std::isfinite(v[c]) ? std::exp(v[c] - top) : 0.0);
      prob[static_cast<size_t>(c)] = p;
      sum += p;
    }
    if (!already && sum > 0) {
      for (double& p : prob) p /= sum;
    }
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
      const float x = v[a], y = v[b];
      if (std::isnan(x) != std::isnan(y)) return std::isnan(y);  // NaN ranks last
      if (x != y && !std::isnan(x)) return x > y;
      return a < b;
    });
    for (int64_t i = 0; i < k; ++i) {
      ids.data_as<int64_t>()[r * k + i] = order[static_cast<size_t>(i)];
      scores.data_as<float>()[r * k + i] =
          static_cast<float>(prob[static_cast<size_t>(order[static_cast<size_t>(i)])]);
    }
  }
  std::vector<Tensor> shaped;
  shaped.push_back(std::move(ids));
  shaped.push_back(std::move(scores));
  return shaped;
}

/// The per-pixel argmax of [N, K, H, W] / [K, H, W] as a class mask.
Result<Tensor> class_mask(const Tensor& out) {
  if (out.shape.size() != 3 && out.shape.size() != 4) {
    return invalid_argument("segmentation output '" + out.name + "' has shape " +
                            shape_to_string(out.shape) +
                            "; a task response needs [N, K, H, W] or [K, H, W] (send "
                            "response=raw to get it unchanged)");
  }
  const int64_t k_classes = out.shape[out.shape.size() - 3];
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, argmax_channels_batch(out));
  std::vector<int64_t> shape = out.shape;
  shape.erase(shape.end() - 3);  // drop the class axis
  if (k_classes <= 256) {
    std::vector<uint8_t> narrow(ids.begin(), ids.end());
    return Tensor::from_vector(out.name + "_mask", DType::kUInt8, shape, narrow);
  }
  return Tensor::from_vector(out.name + "_mask", DType::kInt32, shape, ids);
}

}  // namespace

Result<std::vector<Tensor>> task_response(std::vector<Tensor> outputs, Task task) {
  std::vector<Tensor> shaped;
  for (Tensor& out : outputs) {
    if (out.dtype != DType::kFloat32) {
      shaped.push_back(std::move(out));
      continue;
    }
    switch (task) {
      case Task::kClassify: {
        ASSIGN_OR_RETURN(std::vector<Tensor> top, top_classes(out));
        for (Tensor& t : top) shaped.push_back(std::move(t));
        break;
      }
      case Task::kSegment: {
        ASSIGN_OR_RETURN(Tensor mask, class_mask(out));
        shaped.push_back(std::move(mask));
        break;
      }
      case Task::kDetect:
        // Boxes, scores and labels are already what an app reads; they go back as they are.
        shaped.push_back(std::move(out));
        break;
    }
  }
  return shaped;
}

Result<std::optional<Task>> parse_response(std::string_view value) {
  if (value == kRawResponse) return std::optional<Task>();
  auto task = parse_task(value);
  if (!task.ok()) {
    std::string valid = std::string(kRawResponse);
    for (Task t : all_tasks()) valid += ", " + std::string(task_name(t));
    return invalid_argument("'" + std::string(value.substr(0, 64)) + "'; expected one of " +
                            valid);
  }
  return std::optional<Task>(*task);
}

Result<std::optional<Task>> response_task(const inference::ModelInferRequest& request) {
  const auto found = request.parameters().find(std::string(kResponseParam));
  if (found == request.parameters().end()) return std::optional<Task>();
  if (found->second.parameter_choice_case() != inference::InferParameter::kStringParam) {
    return invalid_argument("request parameter '" + std::string(kResponseParam) +
                            "' must be a string: raw or a task name");
  }
  auto parsed = parse_response(found->second.string_param());
  if (!parsed.ok()) {
    return invalid_argument("request parameter '" + std::string(kResponseParam) + "' is " +
                            parsed.status().message());
  }
  return parsed;
}

}  // namespace edgetier::tier
