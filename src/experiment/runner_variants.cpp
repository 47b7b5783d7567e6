/// Runner stages before the testbed: data (synth generated once), variants (built once per
/// variant key, cached by content hash) and accuracy (once per variant, in process).
#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include "core/files.h"
#include "core/log.h"
#include "core/sha256.h"
#include "experiment/detection_model.h"
#include "experiment/runner_internal.h"
#include "experiment/synth.h"
#include "experiment/variant_build.h"
#include "metrics/task_scorer.h"
#include "runtime/preprocess.h"

namespace edgetier::runner {
namespace fs = std::filesystem;

const ModelFacts& RunContext::facts(const std::string& model) const {
  for (const auto& m : e->models)
    if (m.name == model) return m;
  return e->models.front();  // the plan only names models it loaded
}

namespace {

/// The held-out synth set of quantize.max_accuracy_loss is generated with the data's seed plus
/// this (its folder name says the seed, so it never overwrites the reported set).
constexpr uint64_t kSearchSeedOffset = 1000000;

/// Generates (or reuses) the synth folder for a task and loads it as a dataset.
Result<Dataset> synth_dataset(const DataSpec& spec, const ModelFacts& facts, const RunContext& c) {
  const std::string cache = (fs::path(c.e->spec.output_dir) / "data").string();
  const std::string dir = synth_data_dir(spec, facts.task, cache);
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / "classes.txt", ec)) {
    SynthOptions o;
    o.task = facts.task;
    o.count = spec.synth_count;
    o.size = static_cast<int>(spec.synth_size);
    o.seed = spec.synth_seed;
    LOG_INFO << "generating " << o.count << " synthetic " << task_name(o.task) << " images in "
             << dir;
    auto summary = write_synth_dataset(o, dir, /*force=*/true);
    if (!summary.ok()) return summary.status().with_context("synth data for '" + facts.name + "'");
  }
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

/// The folder of images the calibrator reads (masks and label files left out).
std::string calibration_dir(const Dataset& d, const DataSpec& spec) {
  if (d.segmentation()) return (fs::path(d.root) / spec.images).string();
  return d.root;
}

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
  for (const auto& facts : c->e->models) {
    const ModelSpec* spec = nullptr;
    for (const auto& m : c->e->spec.models)
      if (m.name == facts.name) spec = &m;
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

namespace {

/// What the accuracy budget's search scores on, per model: only the builds read it, so the
/// builder makes it (a held-out synth set is generated here) and the measurement need not wait.
Status prepare_search_data(RunContext* c) {
  if (!c->e->spec.quantize.max_accuracy_loss) return Status();
  for (const auto& facts : c->e->models) {
    for (const auto& m : c->e->spec.models) {
      if (m.name != facts.name) continue;
      ASSIGN_OR_RETURN(c->search[facts.name], search_dataset(m, facts, *c));
    }
  }
  return Status();
}

}  // namespace

namespace {

/// Stores what each Q variant's accuracy budget kept in float with its strategies, as
/// plan_json's "quantize" (max_accuracy_loss, float_nodes, search): the report reads it there.
/// Written after every build (also when cached), so a resumed run records it again.
Status record_quantize_searches(RunContext* c) {
  bool any = false;
  for (const auto& [key, v] : c->variants) any = any || !v.quantize_search.is_null();
  if (!any) return Status();
  ASSIGN_OR_RETURN(std::vector<StrategyRow> rows, c->store->strategies(c->run_id));
  const auto& planned = c->e->plan.strategies;
  for (size_t i = 0; i < planned.size() && i < c->strategy_ids.size(); ++i) {
    const BuiltVariant& v = c->variants.at(planned[i].variant_key());
    if (v.quantize_search.is_null()) continue;
    for (StrategyRow& row : rows) {
      if (row.strategy_id != c->strategy_ids[i]) continue;
      nlohmann::json plan = nlohmann::json::parse(row.plan_json, nullptr, false);
      if (!plan.is_object()) plan = nlohmann::json::object();
      nlohmann::json q = nlohmann::json::object();
      for (const char* k : {"max_accuracy_loss", "float_nodes", "search"})
        if (v.quantize_search.contains(k)) q[k] = v.quantize_search[k];
      plan["quantize"] = q;
      row.plan_json = plan.dump();
      RETURN_IF_ERROR(c->store->upsert_strategy(c->run_id, row).status());
    }
  }
  return Status();
}

}  // namespace

Result<const BuiltVariant*> RunContext::variant(const std::string& key) {
  std::unique_lock<std::mutex> lock(variants_mu);
  if (!variants.count(key) && !builds_done) {
    std::optional<CampaignClock::Scope> waited;
    if (clock) waited.emplace(clock, "build", false);
    // Nothing is measured while waiting: the builder may have the CPU (runner_pipeline.cpp).
    if (on_build_wait) on_build_wait(true);
    while (!variants_cv.wait_for(lock, std::chrono::milliseconds(100),
                                 [&] { return variants.count(key) || builds_done; })) {
      if (cancelled()) break;
    }
    if (on_build_wait) on_build_wait(false);
    if (!variants.count(key) && !builds_done)
      return edgetier::cancelled("stopped while waiting for variant " + key);
  }
  auto it = variants.find(key);
  if (it != variants.end()) return &it->second;
  if (!builds_status.ok()) return builds_status;
  return internal_error("variant " + key + " was not built");
}

namespace {

/// Strategies in the order the measurement takes them: scenario by scenario, plan order within.
std::vector<const PlannedStrategy*> measurement_order(const PreparedExperiment& e) {
  std::vector<const PlannedStrategy*> out;
  for (const auto& scenario : e.spec.scenarios)
    for (const auto& s : e.plan.strategies)
      if (s.scenario == scenario.name) out.push_back(&s);
  for (const auto& s : e.plan.strategies)
    if (std::find(out.begin(), out.end(), &s) == out.end()) out.push_back(&s);
  return out;
}

Status build_all(RunContext* c);

}  // namespace

Status build_variants_for_plan(RunContext* c) {
  Status st = build_all(c);
  std::lock_guard<std::mutex> lock(c->variants_mu);
  c->builds_done = true;
  c->builds_status = st;
  c->variants_cv.notify_all();
  return st;
}

namespace {

Status build_all(RunContext* c) {
  RETURN_IF_ERROR(prepare_search_data(c));
  const ExperimentSpec& spec = c->e->spec;
  // The Q chains of a model (Q, QE, QP, QEP) quantize the same model: one search for them.
  const auto search_memo = make_quantize_search_memo();
  for (const PlannedStrategy* planned : measurement_order(*c->e)) {
    const PlannedStrategy& s = *planned;
    const std::string key = s.variant_key();
    {
      std::lock_guard<std::mutex> lock(c->variants_mu);
      if (c->variants.count(key)) continue;
    }
    if (c->builds_cancelled()) return cancelled("stopped while building variants");
    const ModelFacts& facts = c->facts(s.model);
    BuiltVariant v;
    v.model = s.model;
    v.ops = s.ops.name();
    fs::path model_dir = fs::path(spec.output_dir) / "variants" / s.model;
    if (!s.cuts.empty()) {
      // The same chain cut differently (P@ME and P@MEC) must not share a directory.
      std::string cuts;
      for (const auto& boundary : s.cuts) {
        for (const auto& t : boundary) cuts += t + ",";
        cuts += ";";
      }
      model_dir /= "cut-" + sha256_hex(cuts).substr(0, 8);
    }
    const DataSpec& data_spec = spec.calibration.data ? *spec.calibration.data : spec.data;
    VariantBuildRequest r;
    r.model_path = facts.path;
    r.ops = v.ops;
    r.skip_from = s.exit_from;
    r.skip_to = s.exit_to;
    r.cuts = s.cuts;
    r.task = std::string(task_name(facts.task));
    r.input_name = facts.input.name;
    r.input_shape = facts.input.shape;
    r.out_dir = model_dir.string();
    r.preprocess = facts.preprocess;
    r.calibration_dir = calibration_dir(c->calibration.at(s.model), data_spec);
    r.calibration_method = spec.calibration.method;
    r.calibration_samples = spec.calibration.samples;
    r.calibration_percentile = spec.calibration.percentile;
    r.quant_format = spec.quantize.format;
    r.activations = spec.quantize.activations;
    r.per_channel = spec.quantize.per_channel;
    r.exit_then_quantize = spec.quantize.exit_then_quantize;
    r.max_accuracy_loss = spec.quantize.max_accuracy_loss;
    if (auto it = c->search.find(s.model); it != c->search.end()) r.search_data = it->second;
    r.search_memo = search_memo;
    auto built = build_strategy_variant(r);
    Status st = built.status();
    if (built.ok()) {
      v.dir = built->dir;
      v.hash = built->hash;
      v.quantize_search = built->quantize_search;
      LOG_INFO << "variant " << s.model << "/" << v.ops << (built->cached ? " (cached)" : "")
               << ": " << v.dir;
    }
    if (!st.ok()) {
      v.error = st.message();
      LOG_WARN << "variant " << s.model << "/" << v.ops << " could not be built: " << v.error;
    }
    std::lock_guard<std::mutex> lock(c->variants_mu);
    c->variants[key] = v;
    c->variants_cv.notify_all();
  }
  return record_quantize_searches(c);
}

}  // namespace

namespace {

/// Runs a variant (or the source model, for the reference) over the dataset and feeds metrics.
Status score_variant(const std::vector<std::string>& parts_or_dir, bool is_dir,
                     const ModelFacts& facts, const Dataset& data,
                     std::vector<Prediction>* reference, std::vector<MetricValue>* values,
                     const std::function<bool()>& stop) {
  SessionOptions so;
  so.intra_op_threads = 2;
  std::unique_ptr<PartRunner> runner;
  if (is_dir) {
    ASSIGN_OR_RETURN(runner, open_variant_runner(parts_or_dir[0], so));
  } else {
    ASSIGN_OR_RETURN(runner, PartRunner::from_files(parts_or_dir, so));
  }
  // The task of labelled data is the data's (checked against the model's when it was loaded).
  const Task task = !data.labeled()       ? facts.task
                    : data.detection()    ? Task::kDetect
                    : data.segmentation() ? Task::kSegment
                                          : Task::kClassify;
  TaskScorer scorer(task, data.labeled() ? MetricSource::kLabels : MetricSource::kReference,
                    std::max<int64_t>(data.num_classes, facts.num_classes), data.ignore_index);
  const bool collect_reference = reference && reference->empty();
  std::optional<DetectionOutputs> detection;
  if (task == Task::kDetect) {
    ASSIGN_OR_RETURN(detection, model_detection_outputs(facts));
    scorer.set_objects_score_threshold(detection->decode.score_threshold);
  }
  for (size_t i = 0; i < data.samples.size(); ++i) {
    if (stop && stop()) return edgetier::cancelled("stopped while scoring accuracy");
    const Sample& s = data.samples[i];
    if (detection) {
      // Boxes are scored in the image's pixels: the preprocessing's geometry maps them back.
      ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(s.image_path));
      ImageToInput geometry;
      auto input = decode_and_preprocess(bytes, facts.preprocess, &geometry);
      if (!input.ok()) return input.status().with_context("image '" + s.image_path + "'");
      input->name = runner->inputs().empty() ? facts.input.name : runner->inputs()[0].name;
      ASSIGN_OR_RETURN(PartRunResult r, runner->run({std::move(*input)}));
      // Both sides at mAP's low threshold: the scorer takes the float model's boxes above its
      // block's threshold (what an app receives) as the objects.
      Prediction p;
      ASSIGN_OR_RETURN(p.boxes, detections_for_scoring(r.outputs, *detection, geometry));
      if (detection->label_space == LabelSpace::kCategoryId && data.labeled())
        category_ids_to_classes(p.boxes, data.category_ids);
      if (data.labeled()) {
        Truth truth;
        truth.boxes = s.boxes;
        RETURN_IF_ERROR(scorer.add_boxes(p.boxes, truth));
      } else if (collect_reference) {
        reference->push_back(std::move(p));
      } else if (reference && i < reference->size()) {
        RETURN_IF_ERROR(scorer.add_reference(p, (*reference)[i]));
      }
      continue;
    }
    ASSIGN_OR_RETURN(Tensor input, load_image_tensor(s.image_path, facts.preprocess));
    input.name = runner->inputs().empty() ? facts.input.name : runner->inputs()[0].name;
    ASSIGN_OR_RETURN(PartRunResult r, runner->run({std::move(input)}));
    if (r.outputs.empty()) return internal_error("the variant produced no output");
    const Tensor& out = r.outputs[0];
    if (data.labeled()) {
      Truth truth;
      truth.label = s.label;
      if (data.segmentation()) {
        int64_t h = 0, w = 0;
        if (out.shape.size() >= 2) {
          h = out.shape[out.shape.size() - 2];
          w = out.shape[out.shape.size() - 1];
        }
        ASSIGN_OR_RETURN(truth.mask, load_mask(s.mask_path, facts.preprocess, h, w));
      }
      RETURN_IF_ERROR(scorer.add(out, truth));
    } else {
      ASSIGN_OR_RETURN(Prediction p, predict(out, facts.task));
      if (collect_reference) {
        reference->push_back(std::move(p));
      } else if (reference && i < reference->size()) {
        RETURN_IF_ERROR(scorer.add_reference(p, (*reference)[i]));
      }
    }
  }
  if (data.labeled() || !collect_reference) *values = scorer.values();
  return Status();
}

}  // namespace

Status evaluate_accuracy(RunContext* c) {
  std::map<std::string, std::vector<Prediction>> references;  // model -> Identity's predictions
  std::set<std::string> done;
  for (const auto& s : c->e->plan.strategies) {
    const std::string key = s.variant_key();
    if (done.count(key)) continue;
    done.insert(key);
    const BuiltVariant& v = c->variants.at(key);
    if (!v.error.empty()) continue;
    ASSIGN_OR_RETURN(auto stored, c->store->accuracy(c->run_id, v.model, v.ops));
    if (!stored.empty()) continue;  // resumed: scored before
    const ModelFacts& facts = c->facts(v.model);
    const Dataset& data = c->data.at(v.model);
    std::vector<Prediction>* reference = nullptr;
    if (!data.labeled()) {
      reference = &references[v.model];
      if (reference->empty()) {
        std::vector<MetricValue> none;
        RETURN_IF_ERROR(score_variant({facts.path}, false, facts, data, reference, &none,
                                      [c] { return c->builds_cancelled(); }));
      }
    }
    std::vector<MetricValue> values;
    const auto t0 = std::chrono::steady_clock::now();
    Status st =
        score_variant({v.dir}, true, facts, data, reference, &values,
                      [c] { return c->builds_cancelled(); });
    if (st.code() == StatusCode::kCancelled) return st;
    if (!st.ok()) {
      LOG_WARN << "accuracy of " << v.model << "/" << v.ops << ": " << st.message();
      continue;
    }
    std::string line;
    for (const auto& m : values) {
      RETURN_IF_ERROR(c->store->record_accuracy(c->run_id, v.model, v.ops, m, v.hash));
      char buf[64];
      std::snprintf(buf, sizeof(buf), " %s %.1f pt", m.metric.c_str(), m.value);
      line += buf;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    LOG_INFO << "accuracy " << v.model << "/" << v.ops << ":" << line << " (" << data.samples.size()
             << " images, " << static_cast<int64_t>(ms) << " ms)";
  }
  return Status();
}

}  // namespace edgetier::runner
