/// A user's own model in the default experiment: the spec `run --model` runs and `init` writes.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "experiment/plan.h"
#include "experiment/spec.h"

namespace edgetier {

struct UserModelOptions {
  std::string model_path;   // the .onnx file (relative to the working folder)
  std::string data_dir;     // evaluation images; empty = synthetic images (kind detected)
  std::optional<Task> task; // empty: the sidecar's, else from the output's rank
};

/// The built-in demo's experiment (operators, placements, cut/exit windows, testbed, scenarios,
/// measurement, calibration) with the demo's models replaced by this one: task from the options,
/// else the sidecar, else the first output's rank (2: classify, 4: segment); data from the folder
/// (kind detected from its contents) or the demo's synthetic images (scored against the float
/// model when the model's classes are not the synthetic ones). Paths are absolute; results go
/// to ./results/<model stem>. `yaml_text` is user_model_yaml() of it (automatic cut and exit).
Result<ExperimentSpec> user_model_spec(const UserModelOptions& options);

/// The spec as an editable, commented experiment.yaml that parse_spec reads back. With
/// `prepared` (the spec prepared), the cut and exit the plan chose are written by tensor name,
/// with comments saying they were chosen automatically and how to change them; a cut that only
/// reproduces the plan as `auto` (an early exit moves the partitioned chains' cut) stays `auto`
/// with the chosen tensors in a comment.
Result<std::string> user_model_yaml(const ExperimentSpec& spec,
                                    const PreparedExperiment* prepared = nullptr);

/// True when two plans run the same strategies (names, scenarios, cuts, exits) and drop the same
/// ones for the same reasons.
bool same_plan(const Plan& a, const Plan& b);

}  // namespace edgetier
