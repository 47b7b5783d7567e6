/// Detector fixtures on disk: models, sidecars, seeded images and self-made labels.
#include "ops/detector_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/files.h"
#include "graph/model_io.h"
#include "metrics/detection_outputs.h"
#include "runtime/model_sidecar.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"

namespace edgetier::testing {
namespace fs = std::filesystem;

DetectorFiles write_detector(const std::string& dir, const std::string& name,
                             const onnx::ModelProto& model, int images,
                             const nlohmann::json& detection) {
  DetectorFiles f;
  f.model_path = dir + "/" + name + ".onnx";
  EXPECT_TRUE(save_model(model, f.model_path).ok());
  const auto& dims = model.graph().input(0).type().tensor_type().shape().dim();
  const int64_t side = dims[2].dim_value();
  nlohmann::json sidecar = {{"task", "detect"},
                            {"preprocess",
                             {{"height", side},
                              {"width", side},
                              {"letterbox", true},
                              {"mean", {0.0, 0.0, 0.0}},
                              {"std", {1.0, 1.0, 1.0}}}}};
  if (!detection.is_null()) sidecar["detection"] = detection;
  std::ofstream(dir + "/" + name + ".json") << sidecar.dump(2);
  f.images = dir + "/" + name + "-images";
  fs::create_directories(f.images);
  cv::RNG rng(7);
  for (int i = 0; i < images; ++i) {
    cv::Mat image(kDetectorImageHeight, kDetectorImageWidth, CV_8UC3);
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    // A few solid rectangles, so images differ in more than noise.
    for (int r = 0; r < 2; ++r) {
      const int x = rng.uniform(0, kDetectorImageWidth - 8), y = rng.uniform(0, kDetectorImageHeight - 8);
      cv::Mat patch = image(cv::Rect(x, y, 8, 8));
      patch.setTo(cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)));
    }
    char file[32];
    std::snprintf(file, sizeof(file), "/img%02d.png", i);
    EXPECT_TRUE(cv::imwrite(f.images + file, image));
  }
  return f;
}

std::vector<Sample> self_labelled_samples(const DetectorFiles& files) {
  std::vector<Sample> samples;
  auto sidecar = load_model_sidecar(files.model_path);
  EXPECT_TRUE(sidecar.ok() && sidecar->has_value());
  if (!sidecar.ok() || !sidecar->has_value()) return samples;
  auto spec = preprocess_from_json((*sidecar)->preprocess);
  auto session = OrtSession::from_file(files.model_path, SessionOptions{});
  EXPECT_TRUE(spec.ok() && session.ok());
  if (!spec.ok() || !session.ok()) return samples;
  auto outputs = resolve_detection_outputs((*session)->outputs(), (*sidecar)->detection, "");
  EXPECT_TRUE(outputs.ok()) << outputs.status().to_string();
  if (!outputs.ok()) return samples;
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(files.images)) paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    auto bytes = read_file_bytes(path);
    ImageToInput geometry;
    auto tensor = decode_and_preprocess(*bytes, *spec, &geometry);
    auto out = (*session)->run({*tensor});
    auto boxes = detections_for_scoring(*out, *outputs, geometry);
    EXPECT_TRUE(boxes.ok()) << boxes.status().to_string();
    Sample s;
    s.image_path = path;
    // What an app receives are the labels: the boxes above the block's threshold.
    for (const DetectedBox& b : *boxes)
      if (b.score > outputs->decode.score_threshold) s.boxes.push_back({b.box, b.category});
    samples.push_back(std::move(s));
  }
  return samples;
}

}  // namespace edgetier::testing
