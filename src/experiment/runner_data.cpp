/// Runner stage before the builds: the evaluation and calibration data (synth generated once,
/// cached under <out>/data) and the held-out data quantize.max_accuracy_loss's search scores on.
#include <filesystem>
#include <future>
#include <map>

#include "core/log.h"
#include "experiment/detection_model.h"
#include "experiment/runner_internal.h"
#include "experiment/synth.h"

namespace edgetier::runner {
namespace fs = std::filesystem;

namespace {

/// The held-out synth set of quantize.max_accuracy_loss is generated with the data's seed plus
/// this (its folder name says the seed, so it never overwrites the reported set).
constexpr uint64_t kSearchSeedOffset = 1000000;

/// The spec entry of the loaded model `name` (null when the spec lacks it).
const ModelSpec* model_spec(const RunContext& c, const std::string& name) {
  for (const auto& m : c.e->spec.models)
    if (m.name == name) return &m;
  return nullptr;
}

/// Where the synth data of `spec` for `task` is cached for this run.
std::string synth_dir(const DataSpec& spec, Task task, const RunContext& c) {
  return synth_data_dir(spec, task, (fs::path(c.e->spec.output_dir) / "data").string());
}

/// Writes the synth data of `spec` for `task` unless it is cached already.
Status write_synth_once(const DataSpec& spec, Task task, const RunContext& c) {
  const std::string dir = synth_dir(spec, task, c);
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "classes.txt", ec)) return Status();
  SynthOptions o;
  o.task = task;
  o.count = spec.synth_count;
  o.size = static_cast<int>(spec.synth_size);
  o.seed = spec.synth_seed;
  LOG_INFO << "generating " << o.count << " synthetic " << task_name(o.task) << " images in "
           << dir;
  return write_synth_dataset(o, dir, /*force=*/true).status();
}

Result<Dataset> synth_dataset(const DataSpec& spec, const ModelFacts& facts, const RunContext& c) {
  const std::string dir = synth_dir(spec, facts.task, c);
  if (Status written = write_synth_once(spec, facts.task, c); !written.ok())
    return written.with_context("synth data for '" + facts.name + "'");
  DatasetOptions options;
  options.seed = c.e->spec.seed;
  options.model_classes = facts.classes;
  int64_t model_classes = facts.num_classes;
  if (facts.task == Task::kDetect) {
    // A detector's classes are its detection block's (or its class names); one answering a
    // dataset's category ids (COCO's) has other classes than the shapes whatever their count.
    ASSIGN_OR_RETURN(DetectionOutputs detection, model_detection_outputs(facts));
    model_classes = detection.decode.num_classes > 0
                        ? detection.decode.num_classes
                        : static_cast<int64_t>(facts.classes.size());
    // (any count but the shapes' reads the images unlabelled).
    if (detection.label_space == LabelSpace::kCategoryId) model_classes = kSynthNumClasses + 1;
  }
  auto loaded = load_dataset(synth_as_folder_spec(spec, facts.task, dir, model_classes), options);
  if (!loaded.ok()) return loaded.status().with_context("synth data for '" + facts.name + "'");
  Dataset d = std::move(*loaded);
  if (!d.labeled()) {
    LOG_INFO << "model '" << facts.name << "' has " << facts.num_classes
             << " classes, not the synthetic shapes': its variants are scored against its float "
                "outputs";
  }
  RETURN_IF_ERROR(check_data_fits_model(facts, &d));
  return d;
}

}  // namespace

std::string calibration_dir(const Dataset& d, const DataSpec& spec) {
  if (d.segmentation()) return (fs::path(d.root) / spec.images).string();
  return d.root;
}

namespace {

/// What the accuracy budget's search scores on, held out from the images the run reports:
/// calibration.data when the spec gives it; for synth data, a second synth set of the same kind
/// and size from another seed; otherwise (a folder of the user's) the run's own images, with a
/// warning that the budget is then measured on the reported images.
Result<Dataset> search_dataset(const ModelSpec& model, const ModelFacts& facts,
                               const RunContext& c) {
  const ExperimentSpec& spec = c.e->spec;
  if (spec.calibration.data) return c.calibration.at(facts.name);
  const DataSpec& data = spec.data_for(model);
  if (data.kind == DataKind::kSynth && !c.e->data.count(facts.name)) {
    DataSpec held_out = data;
    held_out.synth_seed = data.synth_seed + kSearchSeedOffset;
    return synth_dataset(held_out, facts, c);
  }
  LOG_WARN << "quantize.max_accuracy_loss for '" << facts.name
           << "': measured on the images the run reports accuracy on; set calibration.data to "
              "a separate folder to hold them out";
  return c.data.at(facts.name);
}

}  // namespace

Status prepare_data(RunContext* c) {
  // The models' synth sets are independent: written at once (one writer per folder, as two
  // models of one task share theirs), then loaded in turn below, where a failure is reported.
  std::map<std::string, std::future<Status>> writing;
  for (const auto& facts : c->e->models) {
    const ModelSpec* spec = model_spec(*c, facts.name);
    if (!spec || c->e->data.count(facts.name)) continue;
    const DataSpec& data = c->e->spec.data_for(*spec);
    if (data.kind != DataKind::kSynth) continue;
    const std::string dir = synth_dir(data, facts.task, *c);
    if (!writing.count(dir))
      writing[dir] = std::async(std::launch::async, [&data, task = facts.task, c]() {
        return write_synth_once(data, task, *c);
      });
  }
  for (auto& [dir, written] : writing) (void)written.get();
  for (const auto& facts : c->e->models) {
    const ModelSpec* spec = model_spec(*c, facts.name);
    if (!spec) return internal_error("model '" + facts.name + "' is not in the spec");
    auto given = c->e->data.find(facts.name);
    if (given != c->e->data.end()) {
      c->data[facts.name] = given->second;
    } else {
      ASSIGN_OR_RETURN(c->data[facts.name], synth_dataset(c->e->spec.data_for(*spec), facts, *c));
    }
    auto calib = c->e->calibration.find(facts.name);
    if (calib != c->e->calibration.end()) {
      c->calibration[facts.name] = calib->second;
    } else if (c->e->spec.calibration.data) {
      ASSIGN_OR_RETURN(c->calibration[facts.name],
                       synth_dataset(*c->e->spec.calibration.data, facts, *c));
    } else {
      c->calibration[facts.name] = c->data[facts.name];
    }
  }
  return Status();
}

Status prepare_search_data(RunContext* c, const std::string& model) {
  if (c->search.count(model)) return Status();
  const ModelSpec* spec = model_spec(*c, model);
  if (!spec) return internal_error("model '" + model + "' is not in the spec");
  ASSIGN_OR_RETURN(c->search[model], search_dataset(*spec, c->facts(model), *c));
  return Status();
}

}  // namespace edgetier::runner
