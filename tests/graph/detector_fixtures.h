/// Builder-made detectors (seeded, deterministic): a raw YOLO-style head and a model ending in
/// torchvision-style boxes/scores/labels.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <vector>

namespace edgetier::fixtures {

/// input [1, 3, S, S] -> two stride-2 convolutions -> "output0" float [1, 4 + classes, (S/4)^2]:
/// cx, cy in [0, S], w, h in [0, S/2] (input pixels), then sigmoid class scores.
onnx::ModelProto tiny_yolo_detector(int64_t image_size = 32, int64_t classes = 3);

/// The same trunk ending in "boxes" float [A, 4] (x1, y1, x2, y2), "scores" float [A] (the best
/// class score) and "labels" int64 [A] (its class), as detectors with NMS in the graph answer.
onnx::ModelProto tiny_box_detector(int64_t image_size = 32, int64_t classes = 3);

/// A raw-head detector in two parts: part 0 takes "input" [1, 3, S, S] and ends in "feature"
/// [1, 8, S/2, S/2]; part 1 takes "feature" and ends in "output0" [1, 4 + classes, (S/4)^2].
std::vector<onnx::ModelProto> tiny_yolo_detector_parts(int64_t image_size = 32,
                                                       int64_t classes = 3);

}  // namespace edgetier::fixtures
