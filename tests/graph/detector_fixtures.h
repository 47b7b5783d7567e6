/// Builder-made detector fixtures (seeded, deterministic): a YOLO-style raw head with FPN levels
/// and a boxes/scores/labels detector for the operator tests; single-head detectors whose raw
/// head is named "output0", as YOLO exporters name it, whole or split in two parts.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace edgetier::fixtures {

/// A YOLO-style detector without NMS: a residual backbone with two feature levels (strides 4 and
/// 8) joined top-down as in an FPN, one head per level (cx, cy, w, h = sigmoid * image_size, then
/// `classes` sigmoid scores), the levels' anchors concatenated: one output [1, 4 + classes, A].
onnx::ModelProto tiny_yolo_detector(int64_t image_size = 32, int64_t classes = 3);
/// The level-1 features (stride 4) and level-2 features (stride 8) of tiny_yolo_detector: a cut
/// of two tensors (both cross to the FPN and the heads).
std::vector<std::string> tiny_yolo_fpn_cut(const onnx::ModelProto& detector);
/// A detector answering torchvision-style triples: boxes float [A, 4] (x1 y1 x2 y2, x2 >= x1),
/// scores float [A] and labels int64 [A], one per anchor of a stride-4 head (no NMS op).
onnx::ModelProto tiny_box_detector(int64_t image_size = 32, int64_t classes = 3);

/// input [1, 3, S, S] -> two stride-2 convolutions -> "output0" float [1, 4 + classes, (S/4)^2]:
/// cx, cy in [0, S], w, h in [0, S/2] (input pixels), then sigmoid class scores.
onnx::ModelProto output0_detector(int64_t image_size = 32, int64_t classes = 3);

/// The same in two parts: part 0 takes "input" [1, 3, S, S] and ends in "feature"
/// [1, 8, S/2, S/2]; part 1 takes "feature" and ends in "output0".
std::vector<onnx::ModelProto> output0_detector_parts(int64_t image_size = 32,
                                                     int64_t classes = 3);

}  // namespace edgetier::fixtures
