/// A detector's outputs in an experiment.
#include "experiment/detection_model.h"

namespace edgetier {

Result<DetectionOutputs> model_detection_outputs(const ModelFacts& facts) {
  if (facts.detection) return *facts.detection;
  return internal_error("model '" + facts.name +
                        "' was not analysed as a detector (its detection outputs are unknown)");
}

}  // namespace edgetier
