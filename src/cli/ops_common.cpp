/// Operator subcommand helpers: the checked model load, lists, shapes, automatic-cut flags.
#include "cli/ops_common.h"

#include "core/strings.h"
#include "graph/model_io.h"
#include "runtime/load_check.h"
#include "runtime/model_sidecar.h"

namespace edgetier::cli {

Result<onnx::ModelProto> load_runnable_model(const std::string& path) {
  ASSIGN_OR_RETURN(onnx::ModelProto model, load_model(path));
  RETURN_IF_ERROR(check_model_runs(path, model));
  return model;
}

void add_preprocess_option(CLI::App* app, std::string* arg) {
  app->add_option("--preprocess", *arg,
                  "Image preprocessing keys (inline JSON or a .json file) over the model's "
                  "sidecar <model>.json over the input-size default");
}

Result<nlohmann::json> preprocess_overrides(const std::string& arg) {
  if (arg.empty()) return nlohmann::json::object();
  return read_preprocess_arg(arg);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (auto& item : split(text, ',')) {
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

Result<InputShapes> parse_input_shapes(const std::vector<std::string>& args) {
  InputShapes shapes;
  for (const auto& arg : args) RETURN_IF_ERROR(parse_input_shape_arg(arg, &shapes));
  return shapes;
}

Result<onnx::ModelProto> load_normalized_model(const std::string& path, const InputShapes& shapes,
                                               NormalizeReport* report) {
  ASSIGN_OR_RETURN(onnx::ModelProto loaded, load_runnable_model(path));
  NormalizeOptions options;
  options.input_shapes = shapes;
  onnx::ModelProto normalized;
  RETURN_IF_ERROR(normalize_model(loaded, options, &normalized, report).with_context(path));
  return normalized;
}

std::vector<std::string> normalized_names(const NormalizeReport& report,
                                          const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(normalized_name(report, n));
  return out;
}

void add_auto_cut_options(CLI::App* app, AutoCutArgs* a) {
  app->add_option("--objective", a->objective,
                  "With --cut auto: bytes (smallest transfer) or latency")
      ->check(CLI::IsMember({"bytes", "latency"}))
      ->capture_default_str();
  app->add_option("--min-lower-flops", a->min_lower_flops,
                  "With --cut auto: least share of FLOPs below the cut (0..1)")
      ->capture_default_str();
  app->add_option("--max-lower-flops", a->max_lower_flops,
                  "With --cut auto: most share of FLOPs below the cut (0..1)")
      ->capture_default_str();
  app->add_flag("--single-tensor", a->single_tensor,
                "With --cut auto: only cuts of one tensor");
  app->add_option("--profile", a->profile,
                  "Latency objective: per-node profile of the lower tier (edgetier profile)");
  app->add_option("--upper-profile", a->upper_profile,
                  "Latency objective: profile of the upper tier (default: --profile)");
  app->add_option("--lower-scale", a->lower_scale,
                  "Latency objective: multiply lower-tier times by this")
      ->capture_default_str();
  app->add_option("--upper-scale", a->upper_scale,
                  "Latency objective: multiply upper-tier times by this")
      ->capture_default_str();
  app->add_option("--bandwidth-mbit", a->bandwidth_mbit,
                  "Latency objective: link rate between the parts (Mbit/s)");
  app->add_option("--rtt-ms", a->rtt_ms, "Latency objective: round-trip time added per request")
      ->capture_default_str();
}

Result<CutSelectOptions> auto_cut_options(const AutoCutArgs& a, const InputShapes& input_shapes) {
  CutSelectOptions o;
  o.objective = a.objective;
  o.min_lower_flops = a.min_lower_flops;
  o.max_lower_flops = a.max_lower_flops;
  o.single_tensor_only = a.single_tensor;
  o.prefer_single_tensor = a.prefer_single_tensor;
  o.input_shapes = input_shapes;
  o.lower_scale = a.lower_scale;
  o.upper_scale = a.upper_scale;
  o.bandwidth_mbit = a.bandwidth_mbit;
  o.rtt_ms = a.rtt_ms;
  if (!a.profile.empty()) {
    ASSIGN_OR_RETURN(ModelProfile p, read_profile(a.profile));
    o.profile = std::move(p);
  }
  if (!a.upper_profile.empty()) {
    ASSIGN_OR_RETURN(ModelProfile p, read_profile(a.upper_profile));
    o.upper_profile = std::move(p);
  }
  return o;
}

nlohmann::json cut_candidate_json(const CutCandidate& c) {
  nlohmann::json j = {{"tensors", c.cut.names()},
                      {"bytes", c.cut.bytes},
                      {"lower_flops_share", c.lower_flops_share}};
  if (c.predicted_ms > 0.0) {
    j["lower_ms"] = c.lower_ms;
    j["transfer_ms"] = c.transfer_ms;
    j["upper_ms"] = c.upper_ms;
    j["predicted_ms"] = c.predicted_ms;
  }
  return j;
}

}  // namespace edgetier::cli
