/// Task-shaped responses: the last part's raw outputs reduced to what an app receives.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/image_geometry.h"
#include "core/status.h"
#include "core/tensor.h"
#include "metrics/detection_outputs.h"
#include "proto/grpc_predict_v2.pb.h"
#include "strategy/task.h"

namespace edgetier::tier {

/// How many classes a classification response carries.
inline constexpr int kResponseTopK = 5;

/// Each float output shaped for `task`; other outputs pass unchanged.
/// - classify, [..., K]: "<name>_classes" int64 [..., min(K, 5)] (best first, ties to the lower
///   id) and "<name>_scores" float [..., min(K, 5)], probabilities (softmax of the scores unless
///   they already are a distribution).
/// - segment, [N, K, H, W] or [K, H, W]: "<name>_mask" [N, H, W] / [H, W] of per-pixel class ids,
///   uint8 when K <= 256, else int32.
/// - detect: the detections at the detection block's thresholds (a raw head decoded with
///   class-aware NMS, or the model's own boxes/scores/labels), boxes mapped to the original
///   image's pixels through `detect.geometry` (input pixels when it is unknown):
///   "detections_boxes" float [N, 4] (x1, y1, x2, y2), "detections_scores" float [N],
///   "detections_labels" int64 [N] (the model's label numbers), best score first.
/// Errors name the output whose shape does not fit the task.
struct DetectResponse {
  const DetectionOutputs* outputs = nullptr;  // null: recognised from the outputs
  std::optional<ImageToInput> geometry;
  int64_t* decode_ns = nullptr;  // set: the decoding time (NMS included)
};
inline constexpr std::string_view kDetectionsBoxes = "detections_boxes";
inline constexpr std::string_view kDetectionsScores = "detections_scores";
inline constexpr std::string_view kDetectionsLabels = "detections_labels";
Result<std::vector<Tensor>> task_response(std::vector<Tensor> outputs, Task task,
                                          const DetectResponse& detect = {});

/// The image_geometry request parameter (protocol.h kImageGeometryParam) written and read.
std::string image_geometry_to_param(const ImageToInput& geometry);
/// None when the request has no such parameter; a malformed one is INVALID_ARGUMENT.
Result<std::optional<ImageToInput>> image_geometry_from_request(
    const inference::ModelInferRequest& request);

/// A response value: "raw" (none) or a task name; errors list the valid values. The one reader of
/// the parameter's and `request --response`'s value.
Result<std::optional<Task>> parse_response(std::string_view value);

/// The task a request's "response" parameter asks to be answered as (protocol.h kResponseParam):
/// none when absent or "raw"; an unknown value is INVALID_ARGUMENT listing the valid ones.
Result<std::optional<Task>> response_task(const inference::ModelInferRequest& request);

}  // namespace edgetier::tier
