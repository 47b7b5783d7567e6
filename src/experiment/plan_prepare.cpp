/// The plan's checking part: loads every model and data folder and checks them against each other.
#include <algorithm>
#include <filesystem>

#include "core/strings.h"
#include "experiment/plan.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/dynamic_exit.h"
#include "ops/trunk.h"
#include "runtime/load_check.h"

namespace edgetier {
namespace {

Status check_tensor_names(const GraphView& view, const std::vector<std::string>& names,
                          const std::string& ctx, const std::string& what) {
  for (const auto& n : names) {
    if (!view.has_tensor(n)) {
      return invalid_argument(ctx + ": " + what + " tensor '" + n + "' not found; nearest: '" +
                              nearest_name(n, view.all_tensor_names()) + "'");
    }
  }
  return ok_status();
}

}  // namespace

Status check_data_fits_model(const ModelFacts& facts, Dataset* data) {
  const std::string ctx = "model '" + facts.name + "' with data '" + data->root + "'";
  if (facts.task == Task::kClassify && data->kind == DataKind::kSegmentation) {
    return invalid_argument(
        ctx +
        ": the model is a classifier but the data holds segmentation masks; use a "
        "labelled folder, class folders or an unlabeled folder (or set task: segment)");
  }
  if (facts.task == Task::kSegment &&
      (data->kind == DataKind::kFolder || data->kind == DataKind::kImagenet)) {
    return invalid_argument(
        ctx +
        ": the model segments but the data has image-level labels; use images/ + "
        "masks/ pairs (kind: segmentation) or an unlabeled folder (or set task: classify)");
  }
  if (facts.task != Task::kDetect && data->detection()) {
    return invalid_argument(ctx + ": the model " +
                            (facts.task == Task::kClassify ? "classifies" : "segments") +
                            " but the data holds boxes (a detection set); use " +
                            (facts.task == Task::kClassify ? "class folders or a labels file"
                                                           : "images/ + masks/ pairs") +
                            " or an unlabeled folder (or set task: detect)");
  }
  if (facts.task == Task::kDetect &&
      (data->kind == DataKind::kFolder || data->kind == DataKind::kImagenet ||
       data->segmentation())) {
    return invalid_argument(ctx + ": the model detects objects but the data has " +
                            (data->segmentation() ? "segmentation masks" : "image-level labels") +
                            "; use boxes (COCO instances JSON or a YOLO folder) or an unlabeled "
                            "folder (or set task: " +
                            (data->segmentation() ? "segment" : "classify") + ")");
  }
  if (facts.task == Task::kClassify && data->labeled() && facts.num_classes > 0) {
    for (const auto& s : data->samples) {
      if (s.label >= facts.num_classes) {
        return invalid_argument(ctx + ": '" + s.image_path + "' has label " +
                                std::to_string(s.label) + " but the model has " +
                                std::to_string(facts.num_classes) + " classes");
      }
    }
    if (data->num_classes > facts.num_classes) {
      return invalid_argument(ctx + ": the data names " + std::to_string(data->num_classes) +
                              " classes but the model outputs " +
                              std::to_string(facts.num_classes));
    }
  }
  if (data->segmentation()) {
    if (data->num_classes == 0) data->num_classes = facts.num_classes;
    if (facts.num_classes > 0 && data->num_classes != facts.num_classes) {
      return invalid_argument(ctx + ": the data has " + std::to_string(data->num_classes) +
                              " classes but the model outputs " +
                              std::to_string(facts.num_classes));
    }
  }
  return ok_status();
}

Result<ModelFacts> analyze_model(const ModelSpec& model, const ExperimentSpec& spec) {
  const std::string ctx = "model '" + model.name + "'";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model.path, ec)) {
    return not_found(ctx + ": file '" + model.path + "' does not exist");
  }
  ASSIGN_OR_RETURN(onnx::ModelProto proto, load_model(model.path));
  // A model no tier can load is refused before anything is built or measured (one line: the
  // op, its domain and opset).
  RETURN_IF_ERROR(check_model_runs(model.path, proto));
  auto sidecar_or = load_model_sidecar(model.path);
  if (!sidecar_or.ok()) return sidecar_or.status().with_context(ctx);
  const std::optional<ModelSidecar>& sidecar = *sidecar_or;

  ModelFacts f;
  f.name = model.name;
  f.path = model.path;
  f.task = model.task ? *model.task : (sidecar && sidecar->task ? *sidecar->task : Task::kClassify);
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(proto.graph()));
  const auto& inputs = view.inputs();
  if (inputs.empty()) return invalid_argument(ctx + ": the model has no inputs");
  std::string input_name;
  if (model.input) {
    input_name = *model.input;
  } else if (sidecar && sidecar->preprocess.contains("input_name") &&
             sidecar->preprocess["input_name"].is_string()) {
    input_name = sidecar->preprocess["input_name"].get<std::string>();
  } else {
    if (inputs.size() > 1) {
      return invalid_argument(ctx + ": the model has " + std::to_string(inputs.size()) +
                              " inputs; edgetier feeds one image (set 'input' to one of them)");
    }
    input_name = inputs.front();
  }
  if (std::find(inputs.begin(), inputs.end(), input_name) == inputs.end()) {
    return invalid_argument(ctx + ": input '" + input_name + "' not found; nearest: '" +
                            nearest_name(input_name, inputs) + "'");
  }
  if (inputs.size() > 1) {
    return invalid_argument(ctx + ": the model has " + std::to_string(inputs.size()) +
                            " inputs; edgetier feeds one image input");
  }
  TensorInfo declared;
  for (const auto& vi : proto.graph().input()) {
    if (vi.name() == input_name) declared = tensor_info_from_type(vi.type());
  }
  if (declared.shape.size() != 4) {
    return invalid_argument(ctx + ": input '" + input_name + "' has shape " +
                            shape_to_string(declared.shape) +
                            "; expected an image batch [N, C, H, W] or [N, H, W, C]");
  }
  std::string layout = "NCHW";
  if (sidecar && sidecar->preprocess.contains("layout") &&
      sidecar->preprocess["layout"].is_string())
    layout = sidecar->preprocess["layout"].get<std::string>();
  if (model.preprocess.layout) layout = *model.preprocess.layout;
  const bool nchw = layout != "NHWC";
  const int64_t in_h = declared.shape[nchw ? 2 : 1], in_w = declared.shape[nchw ? 3 : 2];
  const int64_t in_c = declared.shape[nchw ? 1 : 3];
  TensorInfo image_input = declared;
  image_input.name = input_name;
  ASSIGN_OR_RETURN(f.preprocess, resolve_preprocess(image_input, sidecar ? &*sidecar : nullptr,
                                                    preprocess_override_keys(model), ctx));
  if ((in_h > 0 && in_h != f.preprocess.height) || (in_w > 0 && in_w != f.preprocess.width)) {
    return invalid_argument(ctx + ": preprocessing makes " + std::to_string(f.preprocess.height) +
                            "x" + std::to_string(f.preprocess.width) + " images but input '" +
                            input_name + "' is " + shape_to_string(declared.shape) + " (" +
                            f.preprocess.layout + "); fix preprocess crop/size or layout");
  }
  if (in_c > 0 && in_c != 3) {
    return invalid_argument(ctx + ": input '" + input_name + "' has " + std::to_string(in_c) +
                            " channels in layout " + f.preprocess.layout +
                            "; edgetier feeds 3-channel images");
  }
  if (declared.dtype != f.preprocess.dtype) {
    return invalid_argument(ctx + ": input '" + input_name + "' is " +
                            std::string(dtype_name(declared.dtype)) + " but preprocessing makes " +
                            std::string(dtype_name(f.preprocess.dtype)) +
                            " (set preprocess dtype)");
  }
  f.input.name = input_name;
  f.input.dtype = declared.dtype;
  f.input.shape = nchw ? std::vector<int64_t>{1, 3, f.preprocess.height, f.preprocess.width}
                       : std::vector<int64_t>{1, f.preprocess.height, f.preprocess.width, 3};
  auto shapes_or = infer_shapes(proto, {{input_name, f.input.shape}});
  if (!shapes_or.ok()) return shapes_or.status().with_context(ctx);
  const ShapeMap& shapes = *shapes_or;
  for (const auto& out : view.outputs()) {
    auto it = shapes.find(out);
    TensorInfo info = it != shapes.end() ? it->second : TensorInfo{out, DType::kUndefined, {}};
    info.name = out;
    f.outputs.push_back(info);
  }
  if (f.outputs.empty()) return invalid_argument(ctx + ": the model has no outputs");
  const auto& out0 = f.outputs.front().shape;
  if (f.task == Task::kDetect) {
    auto detection = resolve_detection_outputs(
        f.outputs, sidecar ? sidecar->detection : nlohmann::json(),
        sidecar ? sidecar->path
                : std::filesystem::path(model.path).replace_extension(".json").string());
    if (!detection.ok()) return detection.status().with_context(ctx);
    f.detection = *detection;
    f.num_classes = f.detection->decode.num_classes;
  } else if (f.task == Task::kClassify) {
    if (out0.size() == 2 && out0[0] == 1) f.num_classes = out0[1];
    if (out0.size() == 1) f.num_classes = out0[0];
    if (out0.size() == 4) {
      return invalid_argument(ctx + ": output '" + f.outputs[0].name + "' is " +
                              shape_to_string(out0) + ", a per-pixel map; set task: segment");
    }
  } else {
    if (out0.size() != 4) {
      return invalid_argument(
          ctx + ": a segmentation model must output [1, classes, H, W]; output '" +
          f.outputs[0].name + "' is " + shape_to_string(out0) + " (set task: classify?)");
    }
    f.num_classes = out0[1];
  }
  if (f.num_classes < 0) f.num_classes = 0;
  if (!model.classes_file.empty()) {
    ASSIGN_OR_RETURN(f.classes, read_class_names(model.classes_file));
  } else if (sidecar) {
    f.classes = sidecar->classes;
  }
  if (!f.classes.empty() && f.num_classes > 0 &&
      static_cast<int64_t>(f.classes.size()) != f.num_classes) {
    return invalid_argument(ctx + ": " + std::to_string(f.classes.size()) + " class names for " +
                            std::to_string(f.num_classes) + " model outputs");
  }

  auto analysis = analyze_cuts(view, shapes);
  if (!analysis.ok()) return analysis.status().with_context(ctx);
  f.analysis = std::move(*analysis);
  auto span_of = [&](const SkipCandidate& s) {
    SkipSpan span;
    span.first = view.num_nodes();
    span.last = -1;
    for (int node : s.node_indices) {
      span.first = std::min(span.first, view.topo_position(node));
      span.last = std::max(span.last, view.topo_position(node));
    }
    const int from_node = view.producer(s.from), to_node = view.producer(s.to);
    span.from_op = from_node >= 0 ? view.node(from_node).op_type() : "";
    span.to_op = to_node >= 0 ? view.node(to_node).op_type() : "";
    if (auto it = shapes.find(s.from); it != shapes.end()) span.dtype = it->second.dtype;
    return span;
  };
  for (const auto& s : f.analysis.skips) f.skip_spans.push_back(span_of(s));

  f.trunks = stage_trunks(view, shapes, f.analysis);

  const CutSpec& cut = spec.cut_for(model);
  if (!cut.automatic) {
    for (const auto& boundary : cut.tensors) {
      RETURN_IF_ERROR(check_tensor_names(view, boundary, ctx, "cut"));
      std::vector<std::string> bypass;
      if (!separates(view, boundary, &bypass)) {
        std::string path;
        for (size_t i = 0; i < bypass.size(); ++i) path += (i ? " -> " : "") + bypass[i];
        return invalid_argument(ctx +
                                ": the cut does not split the model; this path avoids it: " + path);
      }
    }
  }
  const ExitSpec& exit = spec.exit_for(model);
  if (!exit.automatic) RETURN_IF_ERROR(check_tensor_names(view, {exit.from, exit.to}, ctx, "exit"));
  // A dynamic exit's trunk ends at the exit's entry: every path to the output must cross it.
  if (auto skip = choose_skip(f, exit); skip.ok()) {
    const std::string& at = f.analysis.skips[*skip].from;
    if (std::vector<std::string> bypass; !separates(view, {at}, &bypass))
      f.dynamic_exit_reason = dynamic_exit_bypass_reason(at, std::move(bypass));
  }
  return f;
}

Result<PreparedExperiment> prepare_experiment(const ExperimentSpec& spec) {
  PreparedExperiment e;
  e.spec = spec;
  e.hash = spec_hash(spec);
  for (const auto& model : spec.models) {
    ASSIGN_OR_RETURN(ModelFacts facts, analyze_model(model, spec));
    DatasetOptions options;
    options.seed = spec.seed;
    options.model_classes = facts.classes;
    const DataSpec& data = spec.data_for(model);
    if (data.kind != DataKind::kSynth) {
      auto loaded = load_dataset(data, options);
      if (!loaded.ok()) return loaded.status().with_context("model '" + model.name + "' data");
      RETURN_IF_ERROR(check_data_fits_model(facts, &*loaded));
      e.data.emplace(model.name, std::move(*loaded));
    }
    if (spec.calibration.data && spec.calibration.data->kind != DataKind::kSynth) {
      auto loaded = load_dataset(*spec.calibration.data, options);
      if (!loaded.ok())
        return loaded.status().with_context("model '" + model.name + "' calibration data");
      e.calibration.emplace(model.name, std::move(*loaded));
    } else if (!spec.calibration.data && e.data.count(model.name)) {
      e.calibration.emplace(model.name, e.data.at(model.name));
    }
    e.models.push_back(std::move(facts));
  }
  ASSIGN_OR_RETURN(e.plan, make_plan(spec, e.models));
  return e;
}

}  // namespace edgetier
