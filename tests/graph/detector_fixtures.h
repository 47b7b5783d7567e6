/// Builder-made detectors (seeded, deterministic) whose raw head is named "output0", as YOLO
/// exporters name it, whole or split in two parts (graph/fixtures.h has the FPN and box ones).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <vector>

namespace edgetier::fixtures {

/// input [1, 3, S, S] -> two stride-2 convolutions -> "output0" float [1, 4 + classes, (S/4)^2]:
/// cx, cy in [0, S], w, h in [0, S/2] (input pixels), then sigmoid class scores.
onnx::ModelProto output0_detector(int64_t image_size = 32, int64_t classes = 3);

/// The same in two parts: part 0 takes "input" [1, 3, S, S] and ends in "feature"
/// [1, 8, S/2, S/2]; part 1 takes "feature" and ends in "output0".
std::vector<onnx::ModelProto> output0_detector_parts(int64_t image_size = 32,
                                                     int64_t classes = 3);

}  // namespace edgetier::fixtures
