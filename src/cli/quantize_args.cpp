/// Preprocessing and evaluation-data resolution for the calibrate/quantize commands.
#include "cli/quantize_args.h"

#include <filesystem>

#include "experiment/datasets.h"
#include "experiment/detection_labels.h"
#include "experiment/spec.h"
#include "ops/calibration_data.h"
#include "ops/model_preprocess.h"
#include "runtime/model_sidecar.h"

namespace edgetier::cli {
namespace fs = std::filesystem;

Result<std::optional<PreprocessSpec>> quantize_preprocess(const std::string& arg,
                                                          const std::string& model_path,
                                                          const onnx::ModelProto& model) {
  nlohmann::json overrides = nlohmann::json::object();
  if (!arg.empty()) {
    ASSIGN_OR_RETURN(overrides, read_preprocess_arg(arg));
  }
  return model_preprocess(model_path, model, overrides);
}

Result<EvalOptions> quantize_eval_options(const std::string& dir, const std::string& model_path) {
  EvalOptions options;
  options.data_dir = dir;
  std::error_code ec;
  bool has_npy = false;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) {
    has_npy = has_npy || it->path().extension() == ".npy";
  }
  ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(model_path));
  if (sidecar && sidecar->task == Task::kDetect) {
    // mAP of the boxes: against a COCO instances JSON or a YOLO folder when the folder is one,
    // else against the float model's own boxes.
    options.task = Task::kDetect;
    options.detection = sidecar->detection;
    options.detection_hint = sidecar->path;
    if (has_npy) return options;
    const fs::path root(dir);
    const bool coco = fs::is_regular_file(root / "instances.json", ec);
    const bool yolo = fs::is_directory(root / "labels", ec) && fs::is_directory(root / "images", ec);
    if (!coco && !yolo) return options;
    const fs::path images = fs::is_directory(root / "images", ec) ? root / "images" : root;
    auto labels = coco ? load_coco_detection((root / "instances.json").string(), images.string())
                       : load_yolo_detection(dir);
    if (!labels.ok()) return labels.status().with_context("--eval");
    options.samples = std::move(labels->samples);
    options.category_ids = std::move(labels->category_ids);
    return options;
  }
  if (has_npy) return options;  // tensors carry no labels: agreement with the float model
  DataSpec spec;
  spec.kind = DataKind::kAuto;
  spec.path = fs::absolute(dir, ec).string();
  DatasetOptions data_options;
  if (sidecar) data_options.model_classes = sidecar->classes;
  auto data = load_dataset(spec, data_options);
  if (!data.ok()) return data.status().with_context("--eval");
  if (!data->labeled()) return options;
  options.samples = data->samples;
  options.ignore_index = data->ignore_index;
  options.load_mask = [](const Sample& sample, const PreprocessSpec& p, int64_t height,
                         int64_t width) { return load_mask(sample.mask_path, p, height, width); };
  return options;
}

}  // namespace edgetier::cli
