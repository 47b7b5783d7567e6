/// Preprocessing and evaluation-data resolution for the calibrate/quantize commands.
#include "cli/quantize_args.h"

#include <filesystem>

#include "experiment/datasets.h"
#include "experiment/spec.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"
#include "ops/calibration_data.h"

namespace edgetier::cli {
namespace fs = std::filesystem;

Result<std::optional<PreprocessSpec>> quantize_preprocess(const std::string& arg,
                                                          const std::string& model_path,
                                                          const onnx::ModelProto& model) {
  if (!arg.empty()) {
    ASSIGN_OR_RETURN(PreprocessSpec spec, parse_preprocess_arg(arg));
    return std::optional<PreprocessSpec>(spec);
  }
  ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(model_path));
  if (!sidecar || sidecar->preprocess.empty()) return std::optional<PreprocessSpec>();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  if (view.inputs().empty()) return std::optional<PreprocessSpec>();
  TensorInfo input;
  for (const auto& in : model.graph().input()) {
    if (in.name() == view.inputs()[0]) input = tensor_info_from_type(in.type());
  }
  const auto& s = input.shape;
  const bool nhwc = s.size() == 4 && s[3] == 3 && s[1] != 3;
  const int64_t h = s.size() == 4 ? (nhwc ? s[1] : s[2]) : -1;
  const int64_t w = s.size() == 4 ? (nhwc ? s[2] : s[3]) : -1;
  ModelSpec model_spec;
  model_spec.path = model_path;
  auto spec = resolve_preprocess(model_spec, &*sidecar, view.inputs()[0], h, w);
  if (!spec.ok()) return spec.status().with_context(model_path + " sidecar");
  return std::optional<PreprocessSpec>(*spec);
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
