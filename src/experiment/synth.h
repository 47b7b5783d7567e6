/// Procedural shape dataset: textured images with 1-3 shapes, class labels, segmentation masks and
/// object boxes.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "strategy/task.h"

namespace edgetier {

inline constexpr int kSynthNumClasses = 10;

/// The shape classes in label order (label i <-> mask value i + 1).
const std::array<std::string_view, kSynthNumClasses>& synth_class_names();

/// What to generate. Every image depends only on (seed, index, size and the difficulty knobs),
/// never on the task, so a classify and a segment set with the same seed share their images.
struct SynthOptions {
  Task task = Task::kClassify;
  int64_t count = 1000;
  int size = 96;  // images are size x size pixels
  uint64_t seed = 0;
  int min_objects = 1;
  int max_objects = 3;
  double noise_std = 8.0;  // upper bound of the per-image Gaussian pixel noise (grey levels)
  // The largest object's visible area is at least this many times the runner-up's, so the
  // classification label ("class of the largest object") is unambiguous to a human.
  double min_area_ratio = 1.5;

  Status validate() const;
};

/// One drawn shape, after occlusion by the shapes drawn over it.
struct SynthObject {
  int class_id = 0;
  int64_t visible_pixels = 0;
  double center_x = 0, center_y = 0, radius = 0, angle_deg = 0;
  /// The box of the visible pixels in image pixels ([x, y, w, h], COCO's convention: the pixel
  /// at column x is covered by [x, x + 1)).
  int box_x = 0, box_y = 0, box_w = 0, box_h = 0;
};

struct SynthSample {
  cv::Mat image;  // size x size, CV_8UC3, BGR (OpenCV's order; PNG files come out RGB)
  cv::Mat mask;   // size x size, CV_8UC1: class + 1 per pixel, 0 = background
  int label = 0;  // class of the object with the most visible pixels
  std::vector<SynthObject> objects;  // in drawing order (later ones occlude earlier ones)
};

/// Generates sample `index` of the stream defined by `options` (deterministic across runs and
/// machines: std::mt19937 with hand-written uniform/normal mappings).
Result<SynthSample> synth_sample(const SynthOptions& options, int64_t index);

struct SynthDatasetSummary {
  Task task = Task::kClassify;
  std::string dir;
  int64_t count = 0;
  int size = 0;
  uint64_t seed = 0;
  std::array<int64_t, kSynthNumClasses> images_per_label{};  // by classification label
  // Pixels per mask value (index 0 = background); filled for both tasks.
  std::array<int64_t, kSynthNumClasses + 1> pixels_per_class{};
  int64_t bytes_written = 0;
  double elapsed_ms = 0;
};

/// Writes a dataset folder atomically (a temporary sibling folder renamed into place):
///   classify: DIR/images/000000.png ..., DIR/labels.csv ("file,label"), DIR/classes.txt
///   segment:  DIR/images/*.png, DIR/masks/*.png (uint8, same names), DIR/classes.txt
///             (background first).
///   detect:   DIR/images/*.png, DIR/instances.json (COCO: every visible shape's box, category
///             id = class + 1, area = visible pixels), DIR/classes.txt.
/// A non-empty DIR is refused unless `force`, and even then only if it holds a classes.txt
/// (i.e. it looks like an earlier dataset), so a typo cannot wipe an unrelated folder.
Result<SynthDatasetSummary> write_synth_dataset(const SynthOptions& options, const std::string& dir,
                                                bool force);

nlohmann::json synth_summary_to_json(const SynthDatasetSummary& summary);

}  // namespace edgetier
