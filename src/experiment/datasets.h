/// Evaluation data: folder + labels.csv, ImageNet-style class folders, segmentation image/mask
/// pairs and unlabeled folders, listed and validated before anything is measured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "experiment/spec.h"
#include "metrics/sample.h"
#include "runtime/preprocess.h"

namespace edgetier {

struct Dataset {
  DataKind kind = DataKind::kUnlabeled;  // never kAuto or kSynth once loaded
  std::string root;
  std::vector<Sample> samples;       // absolute paths, sorted by image path (a seeded sample
                                     // when limited)
  std::vector<std::string> classes;  // names by index when known
  int64_t num_classes = 0;           // 0 when unknown
  int64_t ignore_index = -1;         // segmentation: mask value left out of metrics; -1 = none
  /// Detection: the dataset's category id of each class index (COCO's ids; YOLO: the index), so
  /// a detector answering category ids is scored against class indices.
  std::vector<int64_t> category_ids;
  bool labeled() const { return kind != DataKind::kUnlabeled; }
  bool segmentation() const { return kind == DataKind::kSegmentation; }
  bool detection() const { return kind == DataKind::kCoco || kind == DataKind::kYolo; }
};

struct DatasetOptions {
  uint64_t seed = 1;  // picks the sample when spec.limit is below the number of images
  /// Classes the model knows (sidecar), used to read names in labels.csv when the folder has no
  /// classes.txt.
  std::vector<std::string> model_classes;
};

/// File extensions read as images (lower case): .jpg .jpeg .png .bmp.
bool is_image_file(const std::string& path);

/// Decides auto: labels.csv -> folder; an images/ and a masks/ folder -> segmentation; the
/// annotations file (instances.json) -> coco; an images/ and a labels/ folder -> yolo; only
/// class subfolders with images -> imagenet; otherwise unlabeled. Other kinds pass through.
Result<DataKind> resolve_data_kind(const DataSpec& spec);

/// Lists and checks a data folder: it exists and has images; labels.csv lists only existing
/// files and every image has a label (the mismatches are named, with counts); class names are
/// known; every mask exists and matches its image's size. Synth data must be generated first
/// (see synth_data_dir) and is an error here.
Result<Dataset> load_dataset(const DataSpec& spec, const DatasetOptions& options = {});

/// A COCO or YOLO detection set (experiment/detection_labels.h readers) as a dataset; errors
/// name the file and line or key.
Result<Dataset> load_detection_data(const DataSpec& spec, DataKind kind);

/// Where the runner generates synth data for `task` under `cache_dir`, and the folder spec that
/// reads it back (folder + labels.csv for classify, segmentation pairs for segment, COCO
/// instances.json for detect). The
/// shapes' labels mean something only to a model with the shapes' classes: for a model with
/// `model_classes` > 0 other classes the images are read unlabeled (scored against the float
/// model's own outputs).
std::string synth_data_dir(const DataSpec& spec, Task task, const std::string& cache_dir);
DataSpec synth_as_folder_spec(const DataSpec& spec, Task task, const std::string& dir,
                              int64_t model_classes = 0);

/// The first `count` samples in a fixed order, cycling when the dataset is smaller: the inputs
/// every strategy is timed on.
std::vector<Sample> latency_inputs(const Dataset& data, int64_t count);

/// Reads "name\n" per line; blank lines and '#' comments are skipped.
Result<std::vector<std::string>> read_class_names(const std::string& path);

/// Width and height from a PNG, JPEG or BMP header without decoding the pixels.
struct ImageSize {
  int64_t width = 0;
  int64_t height = 0;
};
Result<ImageSize> read_image_size(const std::string& path);

/// A mask brought to the model's input geometry with the same resize/crop as the image (nearest
/// neighbour, so class ids stay class ids), then to `out_height` x `out_width` when the model's
/// output differs (0 = the preprocessed size): row-major uint8 class ids.
Result<std::vector<uint8_t>> load_mask(const std::string& path, const PreprocessSpec& spec,
                                       int64_t out_height = 0, int64_t out_width = 0);

}  // namespace edgetier
