/// Detector fixtures on disk for the operator tests: a model, its sidecar and letterboxed images.
#pragma once

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/sample.h"

namespace edgetier::testing {

struct DetectorFiles {
  std::string model_path;
  std::string images;  // a folder of PNGs wider than tall, letterboxed into the square input
};

/// Writes `model` as `dir`/`name`.onnx with its sidecar (task detect; letterbox preprocessing
/// at the input's size, mean 0 and std 1; the `detection` block when not null) and `images`
/// seeded PNGs of kDetectorImageWidth x kDetectorImageHeight pixels.
inline constexpr int kDetectorImageWidth = 40, kDetectorImageHeight = 28;
DetectorFiles write_detector(const std::string& dir, const std::string& name,
                             const onnx::ModelProto& model, int images,
                             const nlohmann::json& detection = nullptr);

/// The images of `files` labelled with the model's own detections at its block's score
/// threshold, in image pixels (class indices as categories): truth the float model scores 100 on.
std::vector<Sample> self_labelled_samples(const DetectorFiles& files);

}  // namespace edgetier::testing
