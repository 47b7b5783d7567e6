/// Experiment spec: the typed form of experiment.yaml (every field has a default), operator-chain
/// and placement names, presets, model sidecars and the spec hash that identifies a run.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "ops/cut_select.h"
#include "ops/exit_select.h"
#include "runtime/model_sidecar.h"
#include "runtime/preprocess.h"
#include "strategy/chain.h"
#include "strategy/placement.h"
#include "strategy/strategy.h"
#include "strategy/task.h"
#include "testbed/topology.h"

namespace edgetier {

// Operator chains and placements (strategy = OPS@PLACEMENT, e.g. QEP@ME, DEE@0.8@E): OpChain,
// parse_op_chain, standard_op_chains, TierRole, Placement, parse_placement and all_placements
// live in strategy/ (included above) so every layer reads the names one way.

// ---------------------------------------------------------------------------------------------
// Data sources.

/// auto: decided from the folder (labels.csv -> folder, masks/ -> segmentation, only class
/// subfolders -> imagenet, otherwise unlabeled); see datasets.h resolve_data_kind.
/// kCoco: COCO instances JSON + images folder; kYolo: images/ + labels/*.txt + classes file.
enum class DataKind { kAuto, kSynth, kFolder, kImagenet, kSegmentation, kUnlabeled, kCoco, kYolo };
std::string_view data_kind_name(DataKind kind);

struct DataSpec {
  DataKind kind = DataKind::kSynth;
  std::string path;                     // absolute after loading (empty for synth)
  std::string labels = "labels.csv";    // folder: "file,label" relative to `path`
  std::string classes = "classes.txt";  // optional class names, one per line
  std::string images = "images";        // segmentation: image subfolder
  std::string masks = "masks";          // segmentation: mask subfolder (same file stems, .png)
  std::string annotations = "instances.json";  // coco: the instances JSON, relative to `path`
  int64_t num_classes = 0;              // segmentation: 0 = from classes.txt or the model's output
  int64_t ignore_index = 255;           // segmentation: mask value excluded from the metrics
  int64_t limit = 0;                    // accuracy images (a seeded sample); 0 = all
  // synth: parameters for the built-in generator (images of shapes; the task follows the model)
  int64_t synth_count = 200;
  int64_t synth_size = 96;
  uint64_t synth_seed = 1;
};

// ---------------------------------------------------------------------------------------------
// Per-model settings.

/// Preprocessing keys set in the YAML; unset ones keep the sidecar's or the model's defaults.
struct PreprocessOverrides {
  std::optional<int64_t> resize;  // shorter side; 0 = resize straight to the final size
  std::optional<std::pair<int64_t, int64_t>> crop;  // centre crop H x W after `resize`
  std::optional<std::pair<int64_t, int64_t>> size;  // fixed H x W (no crop, aspect not kept)
  /// Fit the image into H x W keeping its aspect ratio, padded grey (detectors' usual recipe).
  std::optional<std::pair<int64_t, int64_t>> letterbox;
  std::optional<std::array<float, 3>> mean;
  std::optional<std::array<float, 3>> std;
  std::optional<std::string> layout;
  std::optional<bool> bgr;
  std::optional<std::string> dtype;
  bool empty() const {
    return !resize && !crop && !size && !letterbox && !mean && !std && !layout && !bgr && !dtype;
  }
};

/// Where to cut a model for partitioned placements.
struct CutSpec {
  bool automatic = true;
  /// Explicit cuts: one list of tensor names per boundary (1 for two tiers, 2 for MEC).
  std::vector<std::vector<std::string>> tensors;
  /// Auto: the share of FLOPs each part below a boundary must carry at least...
  double min_flops_share = 0.3;
  /// ...and at most (below the last boundary), so a partition never just ships the logits.
  double max_flops_share = 0.9;
};

struct ExitSpec {
  bool automatic = true;  // pick the skip candidate (see plan.h choose_skip)
  std::string from;       // explicit: keep the graph up to `from` ...
  std::string to;  // ... and feed it to the consumers of `to` (the region between is skipped)
  std::string confidence = "max_prob";  // dynamic exit score: max_prob | margin
  /// Auto: skip at most this share of the model's FLOPs (an exit that drops most of the network
  /// is not an early exit).
  double max_flops_share = ExitSelectOptions{}.max_flops_share;
  /// Auto: skip about this share of the FLOPs (ops/exit_select.h: the deepest blocks).
  double target_flops_share = ExitSelectOptions{}.target_flops_share;
};

/// The automatic choosers' options for a spec's cut and exit: the one mapping from the YAML's
/// keys, shared by the plan, `variants` and `inspect` so all three choose alike. The cut is the
/// smallest single tensor in the window, else the smallest cut of several tensors (the plan's
/// bytes objective).
CutSelectOptions cut_select_options(const CutSpec& spec);
ExitSelectOptions exit_select_options(const ExitSpec& spec);

struct ModelSpec {
  std::string name;                  // default: the file stem
  std::string path;                  // absolute
  std::optional<Task> task;          // default: sidecar, else classify
  std::optional<std::string> input;  // input tensor name; default: sidecar, else the first input
  PreprocessOverrides preprocess;
  std::optional<DataSpec> data;  // default: the experiment's `data`
  std::optional<CutSpec> cut;    // default: the experiment's `cut`
  std::optional<ExitSpec> exit;  // default: the experiment's `exit`
  std::string classes_file;      // optional class names (one per line), absolute
};

// A model's sidecar "<model>.json" (ModelSidecar, load_model_sidecar) and the preprocessing
// resolution every command shares (resolve_preprocess): runtime/model_sidecar.h.

// ---------------------------------------------------------------------------------------------
// Operators' options, testbed, scenarios, measurement.

struct CalibrationSpec {
  std::string method = "minmax";  // minmax | entropy | percentile
  int64_t samples = 100;
  double percentile = 99.99;
  std::optional<DataSpec> data;  // default: the model's data
};

struct QuantizeSpec {
  std::string format = "qdq";         // qdq | qoperator
  std::string activations = "uint8";  // uint8 | int8 (uint8 is what ORT's x86 kernels fuse fastest)
  bool per_channel = true;
  /// 7-bit weights: auto | true | false (ops/quantize.h ReduceRange; auto: on a CPU whose int8
  /// dot product saturates, x86 without VNNI).
  std::string reduce_range = "auto";
  /// Accuracy budget in points (0-100) of the task's primary metric (top-1, mIoU): the variant
  /// build keeps the most sensitive nodes in float until the int8 loss fits (ops/sensitivity.h).
  /// Unset: every quantizable node in int8.
  std::optional<double> max_accuracy_loss;
  /// The build order of Q with an exit (not a YAML key: the runner builds the study's order).
  /// Variants are built with it and strategies.plan_json records the order it gives.
  bool exit_then_quantize = kDefaultExitThenQuantize;
};

// Tiers and links are the testbed's model (testbed/topology.h): a link is from/to, its name()
// "mobile-edge", experiment.yaml's rtt_ms its rtt_ms() = 2 x the one-way delay_ms.
using testbed::LinkSpec;
using testbed::TierSpec;
// link_names() ({"mobile-edge", "edge-cloud"}): strategy/placement.h.

struct TestbedSpec {
  std::string preset = "default";  // default | study | unlimited
  std::string network = "auto";    // auto | namespaces | loopback | remote
  std::vector<TierSpec> tiers;     // mobile, edge, cloud (after applying the preset; remote:
                                   // each with its address, TLS and token files)
  std::vector<LinkSpec> links;     // mobile-edge, edge-cloud
  const TierSpec* tier(std::string_view name) const;
  const LinkSpec* link(std::string_view name) const;
};
/// The named testbed presets (testbed/presets.h preset_topology); errors suggest the nearest
/// name.
Result<TestbedSpec> testbed_preset(std::string_view name);
std::vector<std::string> testbed_preset_names();

/// A named network setting: the testbed's links with some values replaced.
struct ScenarioSpec {
  std::string name;
  std::vector<LinkSpec> links;  // complete: every link of the testbed, overrides applied
  /// false (`measure: false`): nothing is measured in it; after the run the what-if planner
  /// predicts its cells from the measured scenarios (cli/run_predicted.h), which it validates
  /// on leaving each measured one out. Only link rates and one RTT shared by every link may
  /// differ from what was measured.
  bool measured = true;
};

struct MeasurementSpec {
  std::string preset;  // "" | study | quick (fields set explicitly win over the preset)
  int warmup = 3;      // requests per strategy x scenario before measuring (not stored)
  int requests = 50;   // requests per pass (the inputs: the first N of the data)
  int passes = 1;
  int discard_passes = 0;  // leading passes stored but excluded from statistics
  int concurrency = 1;     // closed loop: requests in flight
  double rate_rps = 0;     // > 0: open loop at this request rate instead
  int64_t timeout_ms = 60000;
  /// Measure until stable (experiment/stopping.h): set, each strategy is measured in rounds of
  /// round_requests until the 95% bootstrap CI of its median latency is within +-precision_pct
  /// of the median (at least min_requests), or until max_requests or max_seconds of measuring.
  /// Unset: the fixed count requests x passes. The YAML turns it on (at kDefaultPrecisionPct)
  /// when the measurement section fixes no count (no requests, no preset); `precision: off`
  /// keeps the fixed count.
  std::optional<double> precision_pct;
  int min_requests = 20;
  int max_requests = 200;
  double max_seconds = 30;  // of measured requests per strategy x scenario (warm-up excluded)
  int round_requests = 10;  // requests per strategy per round-robin round
  /// Strategies kept loaded and interleaved at once (a scenario with more is measured in groups
  /// of this many): bounds the tiers' memory.
  int interleave = 10;
  bool adaptive() const { return precision_pct.has_value(); }
};
/// The precision a spec gets when its measurement section fixes no count.
inline constexpr double kDefaultPrecisionPct = 5.0;
Status apply_measurement_preset(std::string_view name, MeasurementSpec* spec);

// ---------------------------------------------------------------------------------------------

struct ExperimentSpec {
  std::string name = "experiment";
  std::string source;     // the file it came from, or "<embedded demo.yaml>"
  std::string base_dir;   // relative paths in the spec are resolved against this folder
  std::string yaml_text;  // the original text, stored with the run
  std::vector<ModelSpec> models;
  DataSpec data;
  CalibrationSpec calibration;
  QuantizeSpec quantize;
  CutSpec cut;
  ExitSpec exit;
  std::vector<OpChain> operators = standard_op_chains();
  std::vector<Placement> placements = all_placements();
  TestbedSpec testbed;                  // the "default" preset unless set
  std::vector<ScenarioSpec> scenarios;  // default: one scenario "default" = the testbed's links
  MeasurementSpec measurement;
  /// `response: task` (default): the tier that answers returns what an app needs (top-5 classes
  /// with probabilities, a class mask), so bytes down are the app's; `raw`: the last part's outputs.
  bool raw_response = false;
  uint64_t seed = 1;
  std::string output_dir;  // absolute; default "<base_dir>/results"

  const DataSpec& data_for(const ModelSpec& m) const { return m.data ? *m.data : data; }
  const CutSpec& cut_for(const ModelSpec& m) const { return m.cut ? *m.cut : cut; }
  const ExitSpec& exit_for(const ModelSpec& m) const { return m.exit ? *m.exit : exit; }
  const ScenarioSpec* scenario(std::string_view name) const;
};

/// Parses YAML text; relative paths resolve against `base_dir`; `label` names the source in
/// errors. Checks structure, types and values only (no file is opened: see plan.h).
Result<ExperimentSpec> parse_spec(const std::string& yaml_text, const std::string& base_dir,
                                  const std::string& label);
/// Reads and parses a spec file (paths relative to its folder).
Result<ExperimentSpec> load_spec_file(const std::string& path);
/// The built-in demo (examples/demo.yaml compiled into the binary; paths relative to the
/// source tree).
Result<ExperimentSpec> load_builtin_demo();

/// The normalised spec (defaults filled, presets and sweeps expanded, canonical names, absolute
/// paths) as JSON with sorted keys. The output folder is left out so --out does not change it.
nlohmann::json spec_to_json(const ExperimentSpec& spec);
/// 16 hex digits (FNV-1a 64 of spec_to_json's compact dump): equal specs, equal hashes.
std::string spec_hash(const ExperimentSpec& spec);
/// FNV-1a 64-bit as 16 lowercase hex digits.
std::string fnv1a_hex(std::string_view bytes);

/// The model's YAML preprocessing (and `input`) as PreprocessSpec keys, the overrides that
/// resolve_preprocess (runtime/model_sidecar.h) applies over the sidecar: `size` is a fixed
/// resize without crop, `crop` a centre crop, `resize` the shorter side.
nlohmann::json preprocess_override_keys(const ModelSpec& model);

}  // namespace edgetier
