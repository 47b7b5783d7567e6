/// A detector in an experiment: where its detections are (the sidecar's detection block checked
/// against the model's outputs, or recognised), and its label numbers in a dataset's classes.
#pragma once

#include <vector>

#include "core/status.h"
#include "experiment/datasets.h"
#include "experiment/plan.h"
#include "metrics/detection_outputs.h"

namespace edgetier {

/// The detection outputs of `facts`' model (metrics/detection_outputs.h
/// resolve_detection_outputs over the model's outputs and its sidecar's "detection" block).
Result<DetectionOutputs> model_detection_outputs(const ModelFacts& facts);

/// A detector answering dataset category ids (LabelSpace::kCategoryId, as torchvision's COCO
/// models do) scored against a dataset whose truth holds class indices: each detection's id
/// becomes the index of that category in `data.category_ids`; detections of a category the data
/// does not have are dropped (they cannot match anything). Index-space labels pass unchanged.
void detections_to_data_classes(std::vector<DetectedBox>& boxes, const DetectionOutputs& outputs,
                                const Dataset& data);

}  // namespace edgetier
