/// One evaluation image with what it is scored against: the one sample struct of datasets,
/// accuracy evaluation and the runner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/detection.h"

namespace edgetier {

struct Sample {
  std::string image_path;  // an image (.jpg .png ...) or a .npy tensor
  int64_t label = -1;      // classification: class index; -1 when unlabelled
  std::string mask_path;   // segmentation: the uint8 class-id mask; empty when unlabelled
  std::vector<TruthBox> boxes = {};  // detection: the image's objects in its pixels
};

}  // namespace edgetier
