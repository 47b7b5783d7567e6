/// Detection label sets: COCO instances JSON and YOLO label folders, read strictly into samples
/// with boxes in image pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "metrics/sample.h"

namespace edgetier {

/// The images of a detection label set, each with its objects (Sample::boxes, in pixels of the
/// image file; TruthBox::category is the class index into `classes`).
struct DetectionDataset {
  std::string images_dir;            // absolute
  std::vector<Sample> samples;       // sorted by image path; images without objects included
  std::vector<std::string> classes;  // names by class index
  /// COCO: the category id of each class index (categories in file order); YOLO: the index.
  std::vector<int64_t> category_ids;
};

/// COCO `instances_*.json` with its images folder. Every image listed must exist in
/// `images_dir`; ids are unique; an annotation names a listed image and category, its bbox is
/// [x, y, w, h] with w, h >= 0 inside the image (up to kCocoBoxSlackPx, COCO's rounding);
/// iscrowd is 0 or 1; area (optional, else w*h) is >= 0. Keys other than these are allowed
/// (segmentation, info, licenses...). Errors name the file and the key path
/// ("annotations[12].bbox").
inline constexpr double kCocoBoxSlackPx = 1.0;
Result<DetectionDataset> load_coco_detection(const std::string& instances_json,
                                             const std::string& images_dir);

/// YOLO layout: `<root>/images/` with the images, `<root>/labels/<stem>.txt` with one
/// "class cx cy w h" line per object (normalised to the image size, w and h > 0, the box inside
/// the image up to kYoloSlack), and the class names one per line in `<root>/<classes_file>`.
/// An image without a label file has no objects; a label file without an image is an error.
/// Errors name the file and line ("labels/a.txt:3: ...").
inline constexpr double kYoloSlack = 1e-4;
Result<DetectionDataset> load_yolo_detection(const std::string& root,
                                             const std::string& classes_file = "classes.txt");

}  // namespace edgetier
