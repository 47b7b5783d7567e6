/// Calibration/evaluation data folders: images (preprocessed for the model) or .npy tensors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/preprocess.h"

namespace edgetier {

struct CalibrationDataOptions {
  /// Use at most this many files (in sorted order); 0 = all.
  int64_t max_samples = 0;
  /// How images become tensors; default: PreprocessSpec::for_input for the model's input size.
  std::optional<PreprocessSpec> preprocess;
};

/// Lists a folder (recursively, sorted by relative path) of images (.jpg .jpeg .png .bmp) or
/// .npy tensors and reads one sample at a time, so memory does not grow with the folder size.
/// Other files (labels, notes) are ignored; in a segmentation dataset (images/ and masks/
/// subfolders) only images/ is read.
class CalibrationDataReader {
 public:
  /// `input` is the model input the samples feed (name, dtype, shape with -1 for dynamic dims).
  /// Fails on a missing or empty folder, a folder mixing images and .npy files, or an image
  /// folder for an input whose height/width are dynamic and no preprocess spec gives them.
  static Result<CalibrationDataReader> open(const std::string& dir, const TensorInfo& input,
                                            const CalibrationDataOptions& options = {});

  /// Reads exactly `files` (images or .npy, in the given order); relative names are taken from
  /// the first file's folder.
  static Result<CalibrationDataReader> from_files(std::vector<std::string> files,
                                                  const TensorInfo& input,
                                                  const CalibrationDataOptions& options = {});

  size_t size() const { return files_.size(); }
  const std::vector<std::string>& files() const { return files_; }
  /// Path relative to the folder ("class/img.jpg").
  std::string relative_name(size_t index) const;
  bool is_images() const { return images_; }
  const PreprocessSpec& preprocess() const { return spec_; }
  /// Reads sample `index` as a tensor named after the model input, shaped like it
  /// (a missing leading batch dimension of 1 is added). Errors name the file. `geometry`, when
  /// given, says where the image's pixels landed in the tensor (a .npy tensor is its own image).
  Result<Tensor> read(size_t index, ImageToInput* geometry = nullptr) const;

 private:
  /// Applies the sample limit and settles the image preprocessing.
  Status finish(const CalibrationDataOptions& options);

  std::string dir_;
  std::vector<std::string> files_;
  bool images_ = false;
  TensorInfo input_;
  PreprocessSpec spec_;
};

}  // namespace edgetier
