/// Detection data kinds (COCO instances JSON, YOLO label folders) read into a Dataset.
#include <filesystem>

#include "experiment/datasets.h"
#include "experiment/detection_labels.h"

namespace edgetier {

Result<Dataset> load_detection_data(const DataSpec& spec, DataKind kind) {
  namespace fs = std::filesystem;
  Result<DetectionDataset> read = internal_error("not a detection data kind");
  if (kind == DataKind::kCoco) {
    const fs::path annotations = fs::path(spec.path) / spec.annotations;
    std::error_code ec;
    if (!fs::is_regular_file(annotations, ec)) {
      return not_found("COCO annotations '" + annotations.lexically_normal().string() +
                       "' do not exist (set data.annotations to the instances JSON, relative to '" +
                       spec.path + "')");
    }
    read = load_coco_detection(annotations.lexically_normal().string(),
                               (fs::path(spec.path) / spec.images).lexically_normal().string());
  } else if (kind == DataKind::kYolo) {
    read = load_yolo_detection(spec.path, spec.classes);
  }
  if (!read.ok()) return read.status();
  Dataset d;
  d.kind = kind;
  d.root = read->images_dir;
  d.samples = std::move(read->samples);
  d.classes = std::move(read->classes);
  d.num_classes = static_cast<int64_t>(d.classes.size());
  d.category_ids = std::move(read->category_ids);
  if (d.samples.empty()) {
    return invalid_argument("detection data '" + spec.path + "' lists no images");
  }
  return d;
}

}  // namespace edgetier
