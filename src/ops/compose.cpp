/// Operator composition: resolve the options once on the float model, then build each chain.
#include "ops/compose.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/log.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/dynamic_exit.h"
#include "ops/early_exit.h"
#include "ops/exit_select.h"
#include "ops/normalize.h"
#include "ops/partition.h"
#include "ops/profile.h"
#include "ops/trunk.h"
#include "ops/variant_dir.h"
#include "strategy/chain.h"
#include "strategy/operator_tasks.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

using json = nlohmann::json;

using Step = OperatorId;

/// The chain a requested name builds. Only canonical names: the name is the variant's folder and
/// its manifest's `ops`, so two spellings of one chain would build and cache it twice.
Result<OpChain> variant_chain(const std::string& ops) {
  auto chain = parse_op_chain(ops, ChainSpelling::kCanonical);
  if (!chain.ok()) return chain.status().with_context("variants");
  return chain;
}

/// The standard chains without Q, comma-separated ("I,EE,P,EEP"): what builds without a quantizer.
std::string float_chains() {
  std::vector<std::string> names;
  for (const auto& c : standard_op_chains()) {
    if (!c.quantize) names.push_back(c.name());
  }
  return join(names, ",");
}

/// Options resolved once on the float model so every chain uses the same skip and cuts.
struct Plan {
  std::string skip_from, skip_to;
  /// Cut choices, best first: the explicit cut alone, or the automatic ranking (on the float
  /// model for chains without EE, on the float model with the exit for chains with it). A chain
  /// takes the first choice whose tensors all still exist after its earlier steps.
  std::vector<std::vector<std::string>> cuts;
  std::vector<std::vector<std::string>> ee_cuts;
  json auto_cut = nullptr;
  json quantize = nullptr;
  std::optional<CalibrationRecord> calibration;
  /// Why an operator does not apply to this model (empty: it applies). A chain that needs it is
  /// listed as not applicable with this reason, and the others are built.
  std::string exit_reason;     // EE, DEE: no skippable region
  std::string cut_reason;      // P without an exit: no cut in the window
  std::string ee_cut_reason;   // P after a static exit
  std::string quantize_reason; // Q: no quantizer bound
};

/// True for an error that means "this operator does not apply to this model" rather than a bad
/// request: the chains needing it are skipped with the reason.
bool inapplicable(const Status& st) { return st.code() == StatusCode::kFailedPrecondition; }

/// `model` is the analysis of the model being cut; only read for automatic cuts.
Result<std::vector<std::vector<std::string>>> rank_cut_names(const AnalysedModel* model,
                                                             const VariantOptions& o) {
  // Explicit boundaries are one choice (two give three parts); see run_step.
  if (!o.cuts.empty()) return o.cuts;
  if (!o.auto_cut)
    return invalid_argument("variants: P needs --cut TENSOR[,TENSOR...] or --cut auto");
  if (!model) return internal_error("variants: an automatic cut without the model's analysis");
  ASSIGN_OR_RETURN(CutSelection choice, rank_cuts(model->analysis, *o.auto_cut, &model->view));
  std::vector<std::vector<std::string>> ranked;
  for (const auto& c : choice.ranked) ranked.push_back(c.cut.names());
  return ranked;
}

/// The skip on the float model: explicit --skip, or chosen (ops/exit_select.h), --skip-last N
/// taking exactly N blocks.
Result<std::pair<std::string, std::string>> resolve_skip(const AnalysedModel* model,
                                                         const VariantOptions& o) {
  if (!o.skip_from.empty() || !o.skip_to.empty()) return std::make_pair(o.skip_from, o.skip_to);
  if (!model) return internal_error("variants: an automatic exit without the model's analysis");
  ExitSelectOptions select = o.exit_select;
  select.blocks = o.skip_last;
  ASSIGN_OR_RETURN(ExitChoice choice,
                   choose_exit(model->view, model->shapes, model->analysis, select));
  return std::make_pair(choice.from, choice.to);
}

Result<Plan> make_plan(const onnx::ModelProto& model, const VariantOptions& o, bool any_q,
                       bool any_ee, bool any_p, bool any_eep) {
  Plan plan;
  // The float model is analysed once, and only when a choice is left to the chooser.
  const bool auto_skip = any_ee && o.skip_from.empty() && o.skip_to.empty();
  const bool auto_cuts = any_p && o.cuts.empty();
  std::optional<AnalysedModel> analysed;
  if (auto_skip || auto_cuts) {
    auto made = analyse_model(model, o.input_shapes);
    if (!made.ok()) return made.status().with_context("variants");
    analysed = std::move(made).value();
  }
  onnx::ModelProto exited;
  if (any_ee) {
    auto skip = resolve_skip(analysed ? &*analysed : nullptr, o);
    if (!skip.ok() && !inapplicable(skip.status()))
      return skip.status().with_context("variants: EE");
    if (!skip.ok()) {
      plan.exit_reason = skip.status().message();
    } else {
      EarlyExitOptions ee;
      ee.from = skip->first;
      ee.to = skip->second;
      ee.input_shapes = o.input_shapes;
      EarlyExitReport report;
      RETURN_IF_ERROR(early_exit(model, ee, &exited, &report).with_context("variants: EE"));
      plan.skip_from = report.from;
      plan.skip_to = report.to;
    }
  }
  if (any_p) {
    auto cuts = rank_cut_names(analysed ? &*analysed : nullptr, o);
    if (!cuts.ok() && !inapplicable(cuts.status())) return cuts.status();
    if (cuts.ok()) plan.cuts = *cuts;
    if (!cuts.ok()) plan.cut_reason = cuts.status().message();
    plan.ee_cuts = plan.cuts;
    plan.ee_cut_reason = plan.cut_reason;
    if (any_eep && o.cuts.empty() && plan.exit_reason.empty()) {
      // The exit removes blocks: cuts and their shares are counted on the exited model.
      ASSIGN_OR_RETURN(const AnalysedModel exited_analysed, analyse_model(exited, o.input_shapes));
      auto ee_cuts = rank_cut_names(&exited_analysed, o);
      if (!ee_cuts.ok() && !inapplicable(ee_cuts.status())) return ee_cuts.status();
      plan.ee_cuts = ee_cuts.ok() ? *ee_cuts : std::vector<std::vector<std::string>>{};
      plan.ee_cut_reason = ee_cuts.ok() ? "" : "after the exit: " + ee_cuts.status().message();
    }
    if (o.cuts.empty()) {
      plan.auto_cut = {{"objective", o.auto_cut->objective},
                       {"min_lower_flops", o.auto_cut->min_lower_flops},
                       {"max_lower_flops", o.auto_cut->max_lower_flops},
                       {"single_tensor", o.auto_cut->single_tensor_only},
                       {"prefer_single_tensor", o.auto_cut->prefer_single_tensor},
                       {"bandwidth_mbit", o.auto_cut->bandwidth_mbit},
                       {"rtt_ms", o.auto_cut->rtt_ms},
                       {"lower_scale", o.auto_cut->lower_scale},
                       {"upper_scale", o.auto_cut->upper_scale}};
      if (o.auto_cut->profile)
        plan.auto_cut["profile_sha256"] = sha256_hex(profile_to_json(*o.auto_cut->profile).dump());
      if (o.auto_cut->upper_profile) {
        plan.auto_cut["upper_profile_sha256"] =
            sha256_hex(profile_to_json(*o.auto_cut->upper_profile).dump());
      }
    }
  }
  if (any_q) {
    if (!o.quantize_fn) {
      plan.quantize_reason =
          "operator Q needs the int8 quantizer and its calibration: pass --calibration-data DIR "
          "(images or .npy) or --calibration-table FILE (edgetier calibrate), or build the float "
          "strategies only (--ops " +
          float_chains() + ")";
    }
    plan.quantize = o.quantize_options;
    if (!o.calibration_table.empty()) {
      ASSIGN_OR_RETURN(std::string digest, sha256_file(o.calibration_table));
      plan.calibration = CalibrationRecord{o.calibration_table, digest};
      plan.quantize["calibration_sha256"] = digest;
    }
  }
  return plan;
}

/// Why `steps` cannot be built on this model, or empty when every step applies.
std::string not_applicable_reason(const std::vector<OperatorId>& steps, const Plan& plan) {
  const auto has = [&](OperatorId s) {
    return std::find(steps.begin(), steps.end(), s) != steps.end();
  };
  const bool exit = has(OperatorId::kEarlyExit) || has(OperatorId::kDynamicExit);
  if (exit && !plan.exit_reason.empty()) return plan.exit_reason;
  if (has(OperatorId::kQuantize) && !plan.quantize_reason.empty()) return plan.quantize_reason;
  if (has(OperatorId::kPartition) && !has(OperatorId::kDynamicExit)) {
    const std::string& why = has(OperatorId::kEarlyExit) ? plan.ee_cut_reason : plan.cut_reason;
    if (!why.empty()) return why;
  }
  return "";
}

/// The name a float-model tensor has in `after` (the model after earlier steps). Quantizers may
/// fold an elementwise op into its producer (a ReLU absorbed by the int8 clamp, a BatchNorm folded
/// into a Conv): then the tensor's value lives on under the name of that op's output, so follow
/// single readers of those kinds while the name is missing.
Result<std::string> surviving_name(const GraphView& before, const GraphView& after,
                                   const std::string& name, const std::string& what) {
  std::string cur = name;
  for (int hop = 0; hop < 4; ++hop) {
    if (after.has_tensor(cur)) return cur;
    const auto& readers = before.consumers(cur);
    if (readers.size() != 1) break;
    const auto& node = before.node(readers[0]);
    if (node.op_type() != "Relu" && node.op_type() != "BatchNormalization" &&
        node.op_type() != "Clip")
      break;
    cur = node.output(0);
  }
  return not_found(what + " '" + name +
                   "' does not exist after the earlier steps (the quantizer fused it away); " +
                   "pick a neighbouring tensor, e.g. '" +
                   nearest_name(name, after.all_tensor_names()) + "'");
}

/// What a step's options are before building (the cache key is made of these).
json step_key(Step s, const Plan& plan, const VariantOptions& o, bool with_exit) {
  switch (s) {
    case Step::kQuantize: return plan.quantize;
    case Step::kEarlyExit: return {{"from", plan.skip_from}, {"to", plan.skip_to}};
    case Step::kDynamicExit: return {{"exit_at", plan.skip_from}};  // threshold: in the name
    case Step::kPartition: {
      const auto& choices = with_exit ? plan.ee_cuts : plan.cuts;
      json j = {{"choices", json::array()}, {"quantized_boundary", o.quantized_boundary}};
      for (size_t i = 0; i < choices.size() && i < 8; ++i) j["choices"].push_back(choices[i]);
      if (!plan.auto_cut.is_null()) j["auto"] = plan.auto_cut;
      return j;
    }
  }
  return nullptr;
}

bool up_to_date(const std::string& dir, const std::string& source_sha256,
                const std::string& options_sha256) {
  auto m = read_manifest(dir);
  if (!m.ok() || m->source_sha256 != source_sha256 || m->options_sha256 != options_sha256)
    return false;
  std::error_code ec;
  for (const auto& part : m->parts) {
    if (!fs::exists(fs::path(dir) / part.file, ec)) return false;
  }
  return true;
}

}  // namespace

Status build_variants(const std::string& model_path, const VariantOptions& requested,
                      const std::string& out_dir, std::vector<VariantResult>* results) {
  VariantOptions o = requested;
  if (o.ops.empty())
    return invalid_argument("variants: no operators given (--ops with some of " + op_chain_forms() +
                            ")");
  bool any_q = false, any_ee = false, any_p = false, any_eep = false;
  for (const auto& ops : o.ops) {
    ASSIGN_OR_RETURN(OpChain chain, variant_chain(ops));
    const auto steps = chain.steps(o.exit_then_quantize);
    const auto has = [&](Step s) {
      return std::find(steps.begin(), steps.end(), s) != steps.end();
    };
    any_q = any_q || has(Step::kQuantize);
    any_ee = any_ee || has(Step::kEarlyExit) || has(Step::kDynamicExit);
    any_p = any_p || has(Step::kPartition);
    any_eep = any_eep || (has(Step::kEarlyExit) && has(Step::kPartition));
  }
  ASSIGN_OR_RETURN(onnx::ModelProto loaded, load_model(model_path));
  ASSIGN_OR_RETURN(VariantManifest base,
                   source_manifest(model_path, loaded, o.task, o.input_shapes, o.preprocess));
  ASSIGN_OR_RETURN(const Task task, parse_task(base.task));
  // Every operator works on the normalised model; names given on the file's graph are mapped.
  onnx::ModelProto model;
  NormalizeReport normalized;
  RETURN_IF_ERROR(normalize_model(loaded, {o.input_shapes}, &model, &normalized)
                      .with_context("variants: " + model_path));
  loaded.Clear();
  o.skip_from = normalized_name(normalized, o.skip_from);
  o.skip_to = normalized_name(normalized, o.skip_to);
  for (auto& boundary : o.cuts)
    for (auto& t : boundary) t = normalized_name(normalized, t);
  ASSIGN_OR_RETURN(Plan plan, make_plan(model, o, any_q, any_ee, any_p, any_eep));
  ASSIGN_OR_RETURN(GraphView float_view, GraphView::build(model.graph()));

  std::error_code ec;
  const bool created_out = !fs::exists(out_dir, ec);
  std::map<std::string, onnx::ModelProto> memo;  // "Q", "EE", "Q>EE", "EE>Q": shared prefixes
  std::vector<VariantResult> done;
  Status status;  // the first chain that failed (not one that does not apply)
  for (const auto& ops : o.ops) {
    ASSIGN_OR_RETURN(const OpChain chain, variant_chain(ops));
    // THE operator order (strategy/chain.h): the plan the experiment stores is the same list.
    const auto steps = chain.steps(o.exit_then_quantize);
    const bool with_exit = std::find(steps.begin(), steps.end(), Step::kEarlyExit) != steps.end();
    VariantManifest manifest = base;
    manifest.ops = ops;
    json key = {{"format_version", kManifestFormatVersion}, {"ops", ops}, {"chain", json::array()},
                {"preprocess", base.preprocess ? preprocess_to_json(*base.preprocess) : json()}};
    for (Step s : steps)
      key["chain"].push_back(
          {{"op", std::string(step_name(s))}, {"options", step_key(s, plan, o, with_exit)}});
    manifest.options_sha256 = sha256_hex(key.dump());
    if (std::find(steps.begin(), steps.end(), Step::kQuantize) != steps.end())
      manifest.calibration = plan.calibration;
    const std::string dir = (fs::path(out_dir) / ops).string();
    std::string why = not_applicable_reason(steps, plan);
    for (Step s : steps) {
      if (why.empty()) why = operator_task_reason(s, task);
    }
    if (!why.empty()) {
      VariantResult r;
      r.ops = ops;
      r.not_applicable = why;
      done.push_back(std::move(r));
      continue;
    }
    if (!o.force && up_to_date(dir, manifest.source_sha256, manifest.options_sha256)) {
      LOG_DEBUG << "variants: " << dir << " is up to date";
      auto m = read_manifest(dir);
      VariantResult r;
      r.ops = ops;
      r.dir = dir;
      r.cached = true;
      r.parts = m.ok() ? static_cast<int>(m->parts.size()) : 0;
      done.push_back(std::move(r));
      continue;
    }

    const onnx::ModelProto* current = &model;
    std::string prefix;
    std::vector<onnx::ModelProto> parts;
    auto run_step = [&](Step s) -> Status {
      ASSIGN_OR_RETURN(GraphView view, GraphView::build(current->graph()));
      if (s == Step::kPartition) {
        PartitionOptions p;
        p.quantized_boundary = o.quantized_boundary;
        Status last = ok_status();
        // A boundary named on the float model, renamed to what survived the earlier steps.
        auto map_boundary =
            [&](const std::vector<std::string>& boundary) -> Result<std::vector<std::string>> {
          std::vector<std::string> names;
          for (const auto& t : boundary) {
            ASSIGN_OR_RETURN(std::string mapped, surviving_name(float_view, view, t, "cut tensor"));
            names.push_back(mapped);
          }
          return names;
        };
        if (!o.cuts.empty()) {
          // Explicit boundaries, in chain order: all of them.
          for (const auto& boundary : o.cuts) {
            ASSIGN_OR_RETURN(std::vector<std::string> names, map_boundary(boundary));
            p.cuts.push_back(names);
          }
        } else {
          // Automatic: the first cut choice whose tensors all survived the earlier steps.
          for (const auto& choice : with_exit ? plan.ee_cuts : plan.cuts) {
            auto names = map_boundary(choice);
            if (names.ok()) {
              p.cuts = {*names};
              break;
            }
            last = names.status();
          }
        }
        if (p.cuts.empty()) return last;
        RETURN_IF_ERROR(partition(*current, p, &parts));
        json options = {{"cuts", p.cuts}, {"quantized_boundary", p.quantized_boundary}};
        if (!plan.auto_cut.is_null()) options["auto"] = plan.auto_cut;
        manifest.chain.push_back({std::string(step_name(Step::kPartition)), options});
        return ok_status();
      }
      if (s == Step::kDynamicExit) {
        ASSIGN_OR_RETURN(std::string exit_at,
                         surviving_name(float_view, view, plan.skip_from, "exit tensor"));
        DynamicExitOptions dee;
        dee.exit_at = exit_at;
        // The head starts where the skipped blocks end: the same region EE skips.
        ASSIGN_OR_RETURN(dee.head_input,
                         surviving_name(float_view, view, plan.skip_to, "exit tensor TO"));
        dee.threshold = chain.exit_threshold;
        dee.task = o.task;
        dee.input_shapes = o.input_shapes;
        ExitPolicy policy;
        RETURN_IF_ERROR(dynamic_exit(*current, dee, &parts, &policy));
        manifest.exit_policy = policy;
        manifest.chain.push_back({std::string(step_name(Step::kDynamicExit)),
                                  {{"exit_at", exit_at}, {"threshold", dee.threshold}}});
        return ok_status();
      }
      json options;
      onnx::ModelProto next;
      // Memo key: the steps so far ("Q", "Q>EE", "EE>Q"), shared by chains with that prefix.
      if (!prefix.empty()) prefix += ">";
      prefix += step_name(s);
      if (s == Step::kQuantize) {
        options = plan.quantize;
      } else {
        ASSIGN_OR_RETURN(std::string from,
                         surviving_name(float_view, view, plan.skip_from, "exit tensor FROM"));
        ASSIGN_OR_RETURN(std::string to,
                         surviving_name(float_view, view, plan.skip_to, "exit tensor TO"));
        options = {{"from", from}, {"to", to}};
      }
      manifest.chain.push_back({std::string(step_name(s)), options});
      auto it = memo.find(prefix);
      if (it == memo.end()) {
        if (s == Step::kQuantize) {
          RETURN_IF_ERROR(o.quantize_fn(*current, &next));
        } else {
          EarlyExitOptions ee;
          ee.from = options["from"].get<std::string>();
          ee.to = options["to"].get<std::string>();
          ee.input_shapes = o.input_shapes;
          RETURN_IF_ERROR(early_exit(*current, ee, &next));
        }
        it = memo.emplace(prefix, std::move(next)).first;
      }
      current = &it->second;
      return ok_status();
    };
    Status chain_status;
    for (Step s : steps) {
      chain_status = run_step(s);
      if (!chain_status.ok()) break;
    }
    if (chain_status.ok() && parts.empty()) parts.push_back(*current);
    if (chain_status.ok()) chain_status = write_variant(dir, parts, manifest, o.input_shapes);
    VariantResult r;
    r.ops = ops;
    if (!chain_status.ok() && inapplicable(chain_status)) {
      r.not_applicable = chain_status.message();
      done.push_back(std::move(r));
      continue;
    }
    if (!chain_status.ok()) {
      std::string order;
      for (Step st : steps) order += (order.empty() ? "" : " -> ") + std::string(step_name(st));
      chain_status = chain_status.with_context("variants: building " + ops + " (" +
                                               (order.empty() ? "no steps" : order) + ")");
      // The other chains are still built: one failing operator does not cost the rest.
      r.failed = chain_status.message();
      if (status.ok()) status = chain_status;
      done.push_back(std::move(r));
      continue;
    }
    r.dir = dir;
    r.parts = static_cast<int>(parts.size());
    done.push_back(std::move(r));
  }
  const bool any_built = std::any_of(done.begin(), done.end(),
                                     [](const VariantResult& r) { return !r.dir.empty(); });
  if (status.ok() && !any_built) {
    std::string reasons;
    for (const auto& r : done) reasons += "\n  " + r.ops + ": " + r.not_applicable;
    status = failed_precondition("variants: none of the requested strategies applies to '" +
                                 model_path + "':" + reasons);
  }
  if (!any_built && created_out) fs::remove_all(out_dir, ec);
  if (results) *results = std::move(done);
  return status;
}

}  // namespace edgetier
