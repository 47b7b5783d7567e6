/// Detection output blocks: reading, recognising the format from a model's outputs, decoding and
/// mapping boxes back to the image.
#include "metrics/detection_outputs.h"

#include <algorithm>
#include <cmath>

#include "core/json_reader.h"

namespace edgetier {
namespace {

constexpr const char* kFormatHelp =
    "add a \"detection\" block to the model's sidecar: {\"format\": \"yolo\", \"outputs\": "
    "[\"<head>\"], \"num_classes\": C} for a raw head [1, 4+C, A] / [1, A, 4+C] / [1, A, 5+C], "
    "or {\"format\": \"boxes\", \"outputs\": [\"<boxes>\", \"<scores>\", \"<labels>\"]} for NMS "
    "inside the graph";

std::string describe_outputs(const std::vector<TensorInfo>& outputs) {
  std::string s;
  for (const TensorInfo& o : outputs) {
    if (!s.empty()) s += ", ";
    s += "'" + o.name + "' " + std::string(dtype_name(o.dtype)) + " " + shape_to_string(o.shape);
  }
  return s.empty() ? "none" : s;
}

bool is_int(DType t) { return t == DType::kInt64 || t == DType::kInt32; }

/// Rank after dropping a leading batch axis of 1 (or dynamic) beyond `rank`.
std::vector<int64_t> drop_batch(std::vector<int64_t> shape, size_t rank) {
  while (shape.size() > rank && shape.front() <= 1) shape.erase(shape.begin());
  return shape;
}

const TensorInfo* find_info(const std::vector<TensorInfo>& outputs, const std::string& name) {
  for (const TensorInfo& o : outputs) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Status check_threshold(JsonMap& map, const std::string& key, double* out) {
  RETURN_IF_ERROR(map.get(key, out));
  if (!(*out >= 0.0 && *out <= 1.0)) return map.error(key, "must be between 0 and 1");
  return ok_status();
}

}  // namespace

Result<DetectionOutputs> detection_outputs_from_json(const nlohmann::json& block,
                                                     const std::string& label) {
  ASSIGN_OR_RETURN(JsonMap map, JsonMap::open(block, label, "detection"));
  DetectionOutputs d;
  std::string format;
  RETURN_IF_ERROR(map.get("format", &format));
  if (format == "yolo") {
    d.format = DetectionFormat::kYolo;
  } else if (format == "boxes") {
    d.format = DetectionFormat::kBoxes;
  } else {
    return map.error("format", (format.empty() ? std::string("is missing") : "is '" + format + "'") +
                                   "; expected \"yolo\" (a raw head, decoded with NMS) or "
                                   "\"boxes\" (boxes, scores and labels after NMS in the graph)");
  }
  RETURN_IF_ERROR(map.get("outputs", &d.outputs));
  const size_t expected = d.format == DetectionFormat::kYolo ? 1 : 3;
  if (d.outputs.size() != expected) {
    return map.error("outputs", "names " + std::to_string(d.outputs.size()) + " tensors; format '" +
                                    format + "' needs " +
                                    (expected == 1 ? "1 (the head)" : "3 (boxes, scores, labels)"));
  }
  std::string space = "index";
  RETURN_IF_ERROR(map.get("label_space", &space));
  if (space == "index") {
    d.label_space = LabelSpace::kIndex;
  } else if (space == "category_id") {
    d.label_space = LabelSpace::kCategoryId;
  } else {
    return map.error("label_space", "is '" + space + "'; expected \"index\" or \"category_id\"");
  }
  RETURN_IF_ERROR(map.get("num_classes", &d.decode.num_classes));
  if (d.decode.num_classes < 0) return map.error("num_classes", "must be >= 0 (0: unknown)");
  RETURN_IF_ERROR(check_threshold(map, "score_threshold", &d.decode.score_threshold));
  RETURN_IF_ERROR(check_threshold(map, "iou_threshold", &d.decode.iou_threshold));
  RETURN_IF_ERROR(map.get("max_detections", &d.decode.max_detections));
  if (d.decode.max_detections < 1) return map.error("max_detections", "must be >= 1");
  RETURN_IF_ERROR(map.finish());
  return d;
}

nlohmann::json detection_outputs_to_json(const DetectionOutputs& d) {
  nlohmann::json j = {{"format", d.format == DetectionFormat::kYolo ? "yolo" : "boxes"},
                      {"outputs", d.outputs},
                      {"label_space", d.label_space == LabelSpace::kIndex ? "index" : "category_id"},
                      {"score_threshold", d.decode.score_threshold},
                      {"iou_threshold", d.decode.iou_threshold},
                      {"max_detections", d.decode.max_detections}};
  if (d.decode.num_classes > 0) j["num_classes"] = d.decode.num_classes;
  return j;
}

Result<DetectionOutputs> resolve_detection_outputs(const std::vector<TensorInfo>& model_outputs,
                                                   const nlohmann::json& declared,
                                                   const std::string& sidecar_hint) {
  const std::string where = sidecar_hint.empty() ? "the model's sidecar" : sidecar_hint;
  const std::string present = " (the model's outputs: " + describe_outputs(model_outputs) + ")";
  if (!declared.is_null()) {
    ASSIGN_OR_RETURN(DetectionOutputs d, detection_outputs_from_json(declared, where));
    for (size_t i = 0; i < d.outputs.size(); ++i) {
      const TensorInfo* info = find_info(model_outputs, d.outputs[i]);
      if (!info) {
        return invalid_argument(where + ": detection.outputs[" + std::to_string(i) + "] '" +
                                d.outputs[i] + "' is not an output of the model" + present);
      }
      const bool fits =
          d.format == DetectionFormat::kYolo
              ? info->dtype == DType::kFloat32 && info->shape.size() == 3
              : (i == 2 ? is_int(info->dtype) : info->dtype == DType::kFloat32) &&
                    drop_batch(info->shape, i == 0 ? 2 : 1).size() == (i == 0 ? 2u : 1u);
      if (!fits) {
        static const char* kRoles[] = {"boxes float32 [N, 4]", "scores float32 [N]",
                                       "labels int64 [N]"};
        return invalid_argument(where + ": detection.outputs[" + std::to_string(i) + "] '" +
                                d.outputs[i] + "' is " + std::string(dtype_name(info->dtype)) +
                                " " + shape_to_string(info->shape) + ", not " +
                                (d.format == DetectionFormat::kYolo
                                     ? std::string("a raw head float32 [1, 4+C, A] or [1, A, K]")
                                     : std::string(kRoles[i])));
      }
    }
    return d;
  }
  DetectionOutputs d;
  // One float rank-3 output and nothing else that could hold detections: a raw head.
  if (model_outputs.size() == 1 && model_outputs[0].dtype == DType::kFloat32 &&
      model_outputs[0].shape.size() == 3) {
    d.format = DetectionFormat::kYolo;
    d.outputs = {model_outputs[0].name};
    return d;
  }
  // Exactly one output of each role: boxes [N, 4], scores [N] float, labels [N] int.
  const TensorInfo *boxes = nullptr, *scores = nullptr, *labels = nullptr;
  int boxes_n = 0, scores_n = 0, labels_n = 0;
  for (const TensorInfo& o : model_outputs) {
    const auto two = drop_batch(o.shape, 2), one = drop_batch(o.shape, 1);
    if (o.dtype == DType::kFloat32 && two.size() == 2 && two[1] == 4) boxes = &o, ++boxes_n;
    else if (o.dtype == DType::kFloat32 && one.size() == 1) scores = &o, ++scores_n;
    else if (is_int(o.dtype) && one.size() == 1) labels = &o, ++labels_n;
  }
  if (model_outputs.size() == 3 && boxes_n == 1 && scores_n == 1 && labels_n == 1) {
    d.format = DetectionFormat::kBoxes;
    d.outputs = {boxes->name, scores->name, labels->name};
    return d;
  }
  return invalid_argument("the model's outputs match no known detection format" + present + "; " +
                          kFormatHelp + " (" + where + ")");
}

Result<std::vector<DetectedBox>> decode_detections(const std::vector<Tensor>& outputs,
                                                   const DetectionOutputs& spec) {
  std::vector<const Tensor*> found;
  for (const std::string& name : spec.outputs) {
    const Tensor* hit = nullptr;
    for (const Tensor& t : outputs) {
      if (t.name == name) hit = &t;
    }
    if (!hit) {
      std::string present;
      for (const Tensor& t : outputs) present += (present.empty() ? "'" : ", '") + t.name + "'";
      return invalid_argument("detection output '" + name + "' is missing from the answer (it has " +
                              (present.empty() ? std::string("no outputs") : present) + ")");
    }
    found.push_back(hit);
  }
  if (spec.format == DetectionFormat::kYolo) return decode_yolo_output(*found[0], spec.decode);
  return decode_box_outputs(*found[0], *found[1], *found[2], spec.decode);
}

Result<std::vector<DetectedBox>> detections_for_scoring(const std::vector<Tensor>& outputs,
                                                        const DetectionOutputs& spec,
                                                        const ImageToInput& geometry) {
  DetectionOutputs scoring = spec;
  scoring.decode.score_threshold = kMapScoreThreshold;
  ASSIGN_OR_RETURN(std::vector<DetectedBox> boxes, decode_detections(outputs, scoring));
  map_boxes_to_image(boxes, geometry);
  return boxes;
}

void category_ids_to_classes(std::vector<DetectedBox>& boxes,
                             const std::vector<int64_t>& category_ids) {
  for (DetectedBox& b : boxes) {
    const auto it = std::find(category_ids.begin(), category_ids.end(), b.category);
    b.category = it != category_ids.end() ? it - category_ids.begin() : -1 - b.category;
  }
}

void map_boxes_to_image(std::vector<DetectedBox>& boxes, const ImageToInput& g) {
  const double w = static_cast<double>(g.image_width), h = static_cast<double>(g.image_height);
  std::vector<DetectedBox> kept;
  kept.reserve(boxes.size());
  for (DetectedBox b : boxes) {
    const double x1 = std::clamp(g.to_image_x(b.box.x), 0.0, w);
    const double y1 = std::clamp(g.to_image_y(b.box.y), 0.0, h);
    const double x2 = std::clamp(g.to_image_x(b.box.x + b.box.w), 0.0, w);
    const double y2 = std::clamp(g.to_image_y(b.box.y + b.box.h), 0.0, h);
    if (!(x2 > x1 && y2 > y1)) continue;  // entirely in the padding or cropped away
    b.box = {x1, y1, x2 - x1, y2 - y1};
    kept.push_back(b);
  }
  boxes = std::move(kept);
}

}  // namespace edgetier
