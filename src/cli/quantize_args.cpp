/// Preprocessing and evaluation-data resolution for the calibrate/quantize commands.
#include "cli/quantize_args.h"

#include <filesystem>

#include "experiment/datasets.h"
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
  if (has_npy) return options;  // tensors carry no labels: agreement with the float model
  DataSpec spec;
  spec.kind = DataKind::kAuto;
  spec.path = fs::absolute(dir, ec).string();
  DatasetOptions data_options;
  ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(model_path));
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
