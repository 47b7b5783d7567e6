/// A detector in an experiment: where its detections are (the sidecar's detection block checked
/// against the model's outputs, or recognised).
#pragma once

#include "core/status.h"
#include "experiment/plan.h"
#include "metrics/detection_outputs.h"

namespace edgetier {

/// The detection outputs of `facts`' model: ModelFacts::detection, resolved by analyze_model
/// (an internal error when the facts were made without it).
Result<DetectionOutputs> model_detection_outputs(const ModelFacts& facts);

}  // namespace edgetier
