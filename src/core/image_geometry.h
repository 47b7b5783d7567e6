/// Where an image's pixels land in a model's input after resizing, cropping or letterboxing.
#pragma once

#include <cstdint>

namespace edgetier {

/// input = image * scale + offset, per axis (pixel edges, not centres). Preprocessing computes it
/// (runtime/preprocess.h image_to_input); detection maps boxes back with it
/// (metrics/detection_outputs.h map_boxes_to_image).
struct ImageToInput {
  int64_t image_width = 0, image_height = 0;  // the decoded image, before preprocessing
  double scale_x = 1, scale_y = 1;
  double offset_x = 0, offset_y = 0;  // negative after a centre crop, positive after padding

  double to_image_x(double input_x) const { return (input_x - offset_x) / scale_x; }
  double to_image_y(double input_y) const { return (input_y - offset_y) / scale_y; }
};

}  // namespace edgetier
