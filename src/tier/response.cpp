/// Task-shaped responses: top-k classes with probabilities, a class mask per pixel, or boxes.
#include "tier/response.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>

#include "core/clock.h"

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

/// The detections an app receives: decoded at the block's own thresholds, in image pixels.
Result<std::vector<Tensor>> detections(const std::vector<Tensor>& outputs,
                                       const DetectResponse& detect) {
  Stopwatch watch;
  DetectionOutputs recognised;
  if (!detect.outputs) {
    std::vector<TensorInfo> infos;
    for (const Tensor& t : outputs) infos.push_back({t.name, t.dtype, t.shape});
    auto found = resolve_detection_outputs(infos, nlohmann::json(), "the model's sidecar");
    if (!found.ok()) {
      return invalid_argument("a detect response needs the model's detection outputs: " +
                              found.status().message() + " (or send response=raw)");
    }
    recognised = *found;
  }
  const DetectionOutputs& spec = detect.outputs ? *detect.outputs : recognised;
  ASSIGN_OR_RETURN(std::vector<DetectedBox> boxes, decode_detections(outputs, spec));
  if (detect.geometry) map_boxes_to_image(boxes, *detect.geometry);
  std::stable_sort(boxes.begin(), boxes.end(),
                   [](const DetectedBox& a, const DetectedBox& b) { return a.score > b.score; });
  const auto n = static_cast<int64_t>(boxes.size());
  std::vector<float> xyxy, scores;
  std::vector<int64_t> labels;
  for (const DetectedBox& b : boxes) {
    for (double v : {b.box.x, b.box.y, b.box.x + b.box.w, b.box.y + b.box.h})
      xyxy.push_back(static_cast<float>(v));
    scores.push_back(static_cast<float>(b.score));
    labels.push_back(b.category);
  }
  std::vector<Tensor> shaped;
  shaped.push_back(
      Tensor::from_vector(std::string(kDetectionsBoxes), DType::kFloat32, {n, 4}, xyxy));
  shaped.push_back(
      Tensor::from_vector(std::string(kDetectionsScores), DType::kFloat32, {n}, scores));
  shaped.push_back(
      Tensor::from_vector(std::string(kDetectionsLabels), DType::kInt64, {n}, labels));
  if (detect.decode_ns) *detect.decode_ns = watch.elapsed_ns();
  return shaped;
}

}  // namespace

std::string image_geometry_to_param(const ImageToInput& g) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%lld,%lld,%.17g,%.17g,%.17g,%.17g",
                static_cast<long long>(g.image_width), static_cast<long long>(g.image_height),
                g.scale_x, g.scale_y, g.offset_x, g.offset_y);
  return buf;
}

Result<std::optional<ImageToInput>> image_geometry_from_request(
    const inference::ModelInferRequest& request) {
  const auto found = request.parameters().find(std::string(kImageGeometryParam));
  if (found == request.parameters().end()) return std::optional<ImageToInput>();
  const std::string& v = found->second.string_param();
  ImageToInput g;
  long long w = 0, h = 0;
  char tail = 0;
  if (std::sscanf(v.c_str(), "%lld,%lld,%lf,%lf,%lf,%lf%c", &w, &h, &g.scale_x, &g.scale_y,
                  &g.offset_x, &g.offset_y, &tail) != 6 ||
      w <= 0 || h <= 0 || !(g.scale_x > 0) || !(g.scale_y > 0) || !std::isfinite(g.offset_x) ||
      !std::isfinite(g.offset_y)) {
    return invalid_argument("request parameter '" + std::string(kImageGeometryParam) + "' is '" +
                            v.substr(0, 96) +
                            "'; expected width,height,scale_x,scale_y,offset_x,offset_y");
  }
  g.image_width = w;
  g.image_height = h;
  return std::optional<ImageToInput>(g);
}

Result<std::vector<Tensor>> task_response(std::vector<Tensor> outputs, Task task,
                                          const DetectResponse& detect) {
  if (task == Task::kDetect) return detections(outputs, detect);
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
      case Task::kDetect: break;  // answered above
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
