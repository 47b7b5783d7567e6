/// Task-shaped responses: the last part's raw outputs reduced to what an app receives.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
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
/// - detect: every output unchanged (boxes, scores and labels are already what an app reads).
/// Errors name the output whose shape does not fit the task.
Result<std::vector<Tensor>> task_response(std::vector<Tensor> outputs, Task task);

/// A response value: "raw" (none) or a task name; errors list the valid values. The one reader of
/// the parameter's and `request --response`'s value.
Result<std::optional<Task>> parse_response(std::string_view value);

/// The task a request's "response" parameter asks to be answered as (protocol.h kResponseParam):
/// none when absent or "raw"; an unknown value is INVALID_ARGUMENT listing the valid ones.
Result<std::optional<Task>> response_task(const inference::ModelInferRequest& request);

}  // namespace edgetier::tier
