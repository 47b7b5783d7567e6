/// A detector's outputs: which format and tensors hold its detections (declared in the model's
/// sidecar "detection" block or recognised from the outputs), decoding them, and mapping boxes
/// back to the image.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/image_geometry.h"
#include "core/status.h"
#include "core/tensor.h"
#include "metrics/detection.h"
#include "metrics/detection_decode.h"

namespace edgetier {

/// kBoxes: NMS inside the graph, torchvision style (boxes [N, 4] x1 y1 x2 y2, scores [N],
/// labels [N]); kYolo: one raw head decoded with class-aware NMS (detection_decode.h).
enum class DetectionFormat { kBoxes, kYolo };

/// What a label number means: a class index into the model's classes, or a dataset category id
/// (torchvision's COCO detectors answer COCO category ids, 1..90 with gaps).
enum class LabelSpace { kIndex, kCategoryId };

/// The sidecar block, e.g. {"format": "yolo", "outputs": ["output0"], "num_classes": 10,
/// "score_threshold": 0.25, "iou_threshold": 0.45, "max_detections": 100} or
/// {"format": "boxes", "outputs": ["boxes", "scores", "labels"], "label_space": "category_id"}.
struct DetectionOutputs {
  DetectionFormat format = DetectionFormat::kYolo;
  /// kYolo: {head}; kBoxes: {boxes, scores, labels}, in that order.
  std::vector<std::string> outputs;
  LabelSpace label_space = LabelSpace::kIndex;
  DetectionDecodeOptions decode;  // num_classes (kYolo), thresholds, max detections
};

/// Reads a "detection" block; unknown keys, a wrong output count or thresholds outside [0, 1]
/// are errors "<label>: detection.<key>: ...".
Result<DetectionOutputs> detection_outputs_from_json(const nlohmann::json& block,
                                                     const std::string& label);
nlohmann::json detection_outputs_to_json(const DetectionOutputs& outputs);

/// The detection outputs of a model with `model_outputs` (names, dtypes, shapes; dims <= 0 are
/// dynamic): the declared block (null: none) checked against them, or else recognised when
/// unambiguous: three outputs float [N, 4], float [N] and int [N] (kBoxes, in whatever order),
/// or one float output of rank 3 (kYolo). Anything else is an error that names every output
/// with its shape and says how to declare the format in `sidecar_hint` (the sidecar's path).
Result<DetectionOutputs> resolve_detection_outputs(const std::vector<TensorInfo>& model_outputs,
                                                   const nlohmann::json& declared,
                                                   const std::string& sidecar_hint);

/// One image's detections, in input pixels, from the model's `outputs` (found by name; a
/// missing one is an error naming it and the outputs present). mAP is scored at a low score
/// threshold, apps at the block's: callers that score copy the spec and lower it.
Result<std::vector<DetectedBox>> decode_detections(const std::vector<Tensor>& outputs,
                                                   const DetectionOutputs& spec);

/// The score threshold detections are scored at: mAP integrates precision over every recall, so
/// low-score detections count (COCO evaluation and the YOLO exporters' validation use 0.001);
/// the block's own threshold is what an app receives.
inline constexpr double kMapScoreThreshold = 0.001;

/// One image's detections as they are scored: decoded at kMapScoreThreshold (the block's NMS
/// and maximum kept) and mapped to image pixels through `geometry`.
Result<std::vector<DetectedBox>> detections_for_scoring(const std::vector<Tensor>& outputs,
                                                        const DetectionOutputs& spec,
                                                        const ImageToInput& geometry);

/// A label_space category_id model's labels as class indices: `category_ids[i]` is the dataset's
/// id of class i (experiment/detection_labels.h). An id the dataset lacks becomes a negative
/// category no truth has, so mAP leaves it out as COCO leaves out unknown categories.
void category_ids_to_classes(std::vector<DetectedBox>& boxes,
                             const std::vector<int64_t>& category_ids);

/// Boxes in input pixels to image pixels through the preprocessing's geometry, clipped to the
/// image; boxes left with no area are dropped.
void map_boxes_to_image(std::vector<DetectedBox>& boxes, const ImageToInput& geometry);

}  // namespace edgetier
