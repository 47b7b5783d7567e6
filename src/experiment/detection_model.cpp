/// A detector's outputs and label space in an experiment.
#include "experiment/detection_model.h"

#include <algorithm>
#include <map>

#include "runtime/model_sidecar.h"

namespace edgetier {

Result<DetectionOutputs> model_detection_outputs(const ModelFacts& facts) {
  auto sidecar = load_model_sidecar(facts.path);
  if (!sidecar.ok()) return sidecar.status().with_context("model '" + facts.name + "'");
  std::string hint = facts.path;
  if (hint.size() > 5 && hint.substr(hint.size() - 5) == ".onnx") hint.resize(hint.size() - 5);
  hint += ".json";
  const nlohmann::json declared = *sidecar ? (*sidecar)->detection : nlohmann::json();
  auto resolved =
      resolve_detection_outputs(facts.outputs, declared, *sidecar ? (*sidecar)->path : hint);
  if (!resolved.ok()) return resolved.status().with_context("model '" + facts.name + "'");
  return resolved;
}

void detections_to_data_classes(std::vector<DetectedBox>& boxes, const DetectionOutputs& outputs,
                                const Dataset& data) {
  if (outputs.label_space != LabelSpace::kCategoryId || !data.labeled()) return;
  std::map<int64_t, int64_t> index_of;
  for (size_t i = 0; i < data.category_ids.size(); ++i)
    index_of[data.category_ids[i]] = static_cast<int64_t>(i);
  std::vector<DetectedBox> kept;
  kept.reserve(boxes.size());
  for (DetectedBox& b : boxes) {
    auto it = index_of.find(b.category);
    if (it == index_of.end()) continue;
    b.category = it->second;
    kept.push_back(b);
  }
  boxes = std::move(kept);
}

}  // namespace edgetier
