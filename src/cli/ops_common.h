/// Helpers shared by the operator subcommands (partition, early-exit, variants, verify, profile).
#pragma once

#include <onnx/onnx_pb.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"
#include "ops/cut_select.h"
#include "ops/manifest.h"
#include "ops/normalize.h"

namespace edgetier::cli {

/// The model at `path`, loaded and checked to run in ONNX Runtime (runtime/load_check.h): every
/// operator command and inspect start here, so a model no tier can load stops with one line
/// naming the op, domain and opset before anything is built or reported.
Result<onnx::ModelProto> load_runnable_model(const std::string& path);

/// `--preprocess`: PreprocessSpec keys over the model's sidecar over the input-size default
/// (runtime/model_sidecar.h), the flag of every command that records or applies preprocessing.
void add_preprocess_option(CLI::App* app, std::string* arg);
/// The flag's keys (an empty object without it).
Result<nlohmann::json> preprocess_overrides(const std::string& arg);

/// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);
Result<InputShapes> parse_input_shapes(const std::vector<std::string>& args);

/// Loads `path` and normalises it (ops/normalize.h), so every operator command works on the same
/// graph the variants are built from; `report` maps tensor names given on the file's graph.
Result<onnx::ModelProto> load_normalized_model(const std::string& path, const InputShapes& shapes,
                                               NormalizeReport* report);
/// `names` as they are called in the normalised model.
std::vector<std::string> normalized_names(const NormalizeReport& report,
                                          const std::vector<std::string>& names);

/// The `--cut auto` flags, shared by partition and variants.
struct AutoCutArgs {
  std::string objective = "bytes";
  double min_lower_flops = 0.0;
  double max_lower_flops = 1.0;
  bool single_tensor = false;
  bool prefer_single_tensor = false;  // not a flag: the experiment's window sets it
  std::string profile;
  std::string upper_profile;
  double lower_scale = 1.0;
  double upper_scale = 1.0;
  double bandwidth_mbit = 0.0;
  double rtt_ms = 0.0;
};
void add_auto_cut_options(CLI::App* app, AutoCutArgs* args);
Result<CutSelectOptions> auto_cut_options(const AutoCutArgs& args, const InputShapes& input_shapes);
nlohmann::json cut_candidate_json(const CutCandidate& c);

}  // namespace edgetier::cli
