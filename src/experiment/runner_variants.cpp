/// Runner stages beside the measurement: variants (built once per variant key, cached by content
/// hash, in the order the measurement takes them) and accuracy (once per variant, in process).
#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include "core/files.h"
#include "core/log.h"
#include "core/sha256.h"
#include "experiment/detection_model.h"
#include "experiment/round_order.h"
#include "experiment/runner_internal.h"
#include "experiment/variant_build.h"
#include "metrics/task_scorer.h"
#include "ops/quantize.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"
#include "tier/deploy.h"
#include "tier/model_registry.h"

namespace edgetier::runner {
namespace fs = std::filesystem;

const ModelFacts& RunContext::facts(const std::string& model) const {
  for (const auto& m : e->models)
    if (m.name == model) return m;
  return e->models.front();  // the plan only names models it loaded
}

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

bool RunContext::wait_for_any(const std::vector<std::string>& keys) {
  std::unique_lock<std::mutex> lock(variants_mu);
  auto any_ready = [&] {
    return builds_done || std::any_of(keys.begin(), keys.end(),
                                      [&](const std::string& k) { return variants.count(k) > 0; });
  };
  if (any_ready()) return true;
  std::optional<CampaignClock::Scope> waited;
  if (clock) waited.emplace(clock, "build", false);
  // Nothing is measured while waiting: the builder may have the CPU (runner_pipeline.cpp).
  if (on_build_wait) on_build_wait(true);
  while (!variants_cv.wait_for(lock, std::chrono::milliseconds(100), any_ready)) {
    if (cancelled()) break;
  }
  if (on_build_wait) on_build_wait(false);
  return any_ready();
}

Result<const BuiltVariant*> RunContext::variant(const std::string& key) {
  if (!wait_for_any({key})) return edgetier::cancelled("stopped while waiting for variant " + key);
  std::lock_guard<std::mutex> lock(variants_mu);
  auto it = variants.find(key);
  if (it != variants.end()) return &it->second;
  if (!builds_status.ok()) return builds_status;
  return internal_error("variant " + key + " was not built");
}

bool RunContext::variant_ready(const std::string& key) {
  std::lock_guard<std::mutex> lock(variants_mu);
  return builds_done || variants.count(key) > 0;
}

namespace {

/// Whether building `s` runs the quantize search (a Q chain under quantize.max_accuracy_loss):
/// seconds where the other chains take milliseconds.
bool runs_quantize_search(const ExperimentSpec& spec, const PlannedStrategy& s) {
  return s.ops.quantize && spec.quantize.max_accuracy_loss.has_value();
}

/// Strategies in the order the builder takes them: the measurement's (scenario by scenario, plan
/// order within), except that the chains that need the quantize search go after the quick ones
/// of their group and of the next (round_order.h build_sequence): the measurement takes a
/// group's strategies as their variants come (runner_measure.cpp), so it measures the quick
/// ones while the search runs instead of waiting for it.
std::vector<const PlannedStrategy*> build_order(const PreparedExperiment& e) {
  const size_t group = static_cast<size_t>(std::max(1, e.spec.measurement.interleave));
  std::vector<const PlannedStrategy*> out;
  for (const auto& scenario : e.spec.scenarios) {
    std::vector<const PlannedStrategy*> in_scenario;
    std::vector<bool> slow;
    for (const auto& s : e.plan.strategies) {
      if (s.scenario != scenario.name) continue;
      in_scenario.push_back(&s);
      slow.push_back(runs_quantize_search(e.spec, s));
    }
    for (size_t i : build_sequence(slow, group)) out.push_back(in_scenario[i]);
  }
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

/// Loads each part of the variant in `dir` once with the tiers' session options, which saves
/// its optimized graph in the tiers' cache (runtime/session_cache.h): here, on the idle
/// builder, rather than inside a deploy the measurement waits for. Best effort: a part that
/// does not load here is loaded (and reported) by its tier.
void preoptimize_parts(const RunContext& c, const std::string& dir) {
  if (c.tier_session_cache_dir.empty()) return;
  auto parts = tier::read_variant_dir(dir);
  if (!parts.ok()) return;
  // The tiers' options (the cache keys on them); one thread, as the builder runs beside.
  const SessionOptions options = tier::tier_session_options(1, c.tier_session_cache_dir);
  for (const std::string& part : parts->part_paths) {
    if (c.builds_cancelled()) return;
    auto session = OrtSession::from_file(part, options);
    if (!session.ok()) {
      LOG_DEBUG << "pre-optimizing " << part << ": " << session.status().message();
    }
  }
}

Status build_all(RunContext* c) {
  const ExperimentSpec& spec = c->e->spec;
  // The Q chains of a model (Q, QE, QP, QEP) quantize the same model: one search for them.
  const auto search_memo = make_quantize_search_memo();
  for (const PlannedStrategy* planned : build_order(*c->e)) {
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
    // Checked when the spec was read.
    r.reduce_range = resolve_reduce_range(
        parse_reduce_range(spec.quantize.reduce_range).value_or(ReduceRange::kAuto));
    r.exit_then_quantize = spec.quantize.exit_then_quantize;
    // The budget is the quantizer's: the float chains neither need its data nor key on it.
    if (runs_quantize_search(spec, s)) {
      RETURN_IF_ERROR(prepare_search_data(c, s.model));
      r.max_accuracy_loss = spec.quantize.max_accuracy_loss;
      r.search_data = c->search.at(s.model);
    }
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
    const std::string built_dir = v.error.empty() ? v.dir : "";
    {
      std::lock_guard<std::mutex> lock(c->variants_mu);
      c->variants[key] = v;
      c->variants_cv.notify_all();
    }
    // After publishing: a measurement waiting for this variant does not wait for this too.
    if (!built_dir.empty()) preoptimize_parts(*c, built_dir);
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
    Status st = score_variant({v.dir}, true, facts, data, reference, &values,
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
