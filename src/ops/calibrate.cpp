/// Calibration: expose activations as outputs, stream them into histograms, pick ranges, JSON I/O.
#include "ops/calibrate.h"

#include <malloc.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <unordered_set>

#include "core/files.h"
#include "core/json_reader.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/calibration_data.h"
#include "ops/fold_batchnorm.h"
#include "ops/normalize.h"
#include "runtime/ort_session.h"

namespace edgetier {
namespace {

constexpr int kTableVersion = 1;

Status validate(const CalibrationOptions& o) {
  if (o.data_dir.empty()) return invalid_argument("calibrate: no data folder given (--data DIR)");
  if (o.max_samples < 0) return invalid_argument("calibrate: --samples must be >= 0 (0 = all)");
  if (!(o.percentile > 0.0 && o.percentile <= 100.0)) {
    return invalid_argument("calibrate: percentile " + std::to_string(o.percentile) +
                            " is outside (0, 100]");
  }
  if (o.num_bins < 256 || o.num_bins > (1 << 20)) {
    return invalid_argument("calibrate: num_bins " + std::to_string(o.num_bins) +
                            " is outside [256, 1048576]");
  }
  return ok_status();
}

// Float tensors computed by nodes, in node order, plus float graph inputs.
std::vector<std::string> default_tensors(const GraphView& view, const ShapeMap& shapes) {
  std::vector<std::string> names;
  for (const auto& in : view.inputs()) {
    auto it = shapes.find(in);
    if (it != shapes.end() && it->second.dtype == DType::kFloat32) names.push_back(in);
  }
  for (int i : view.topo_order()) {
    for (const auto& out : view.node(i).output()) {
      if (out.empty()) continue;
      auto it = shapes.find(out);
      if (it != shapes.end() && it->second.dtype == DType::kFloat32) names.push_back(out);
    }
  }
  return names;
}

TensorRange choose_range(const TensorHistogram& h, const CalibrationOptions& o) {
  switch (o.method) {
    case CalibrationMethod::kMinMax: return h.minmax_range();
    case CalibrationMethod::kPercentile: return h.percentile_range(o.percentile);
    case CalibrationMethod::kEntropy:
      // A one-sided (post-ReLU) tensor gets all 256 uint8 levels; a two-sided one half per side.
      return h.entropy_range(h.observed_min() >= 0.0f ? 256 : 128);
  }
  return h.minmax_range();
}

}  // namespace

std::string_view calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kEntropy: return "entropy";
  }
  return "minmax";
}

Result<CalibrationMethod> parse_calibration_method(std::string_view name) {
  for (auto m :
       {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    if (name == calibration_method_name(m)) return m;
  }
  return invalid_argument("unknown calibration method '" + std::string(name) + "'; did you mean '" +
                          nearest_name(std::string(name), {"minmax", "percentile", "entropy"}) +
                          "'? (minmax|percentile|entropy)");
}

Result<CalibrationTable> calibrate(const onnx::ModelProto& input_model,
                                   const CalibrationOptions& options) {
  RETURN_IF_ERROR(validate(options));
  // Normalised and BatchNorm-folded first, so tensor names match what quantize() sees.
  onnx::ModelProto normalized, model;
  NormalizeReport normalize_report;
  RETURN_IF_ERROR(normalize_model(input_model, {}, &normalized, &normalize_report)
                      .with_context("calibrate"));
  RETURN_IF_ERROR(fold_batchnorm(normalized, {}, &model));
  normalized.Clear();
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(model.graph()));
  if (view.inputs().size() != 1) {
    return unimplemented("calibrate: the model has " + std::to_string(view.inputs().size()) +
                         " inputs; calibration folders feed single-input models");
  }

  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(model));
  std::vector<std::string> tensors;
  for (const auto& t : options.tensors) tensors.push_back(normalized_name(normalize_report, t));
  if (tensors.empty()) {
    tensors = default_tensors(view, shapes);
  } else {
    const auto known = view.all_tensor_names();
    for (const auto& t : tensors) {
      if (!view.has_tensor(t)) {
        return not_found("calibrate: tensor '" + t + "' is not in the model; nearest: '" +
                         nearest_name(t, known) + "'");
      }
    }
  }
  if (tensors.empty())
    return invalid_argument("calibrate: the model has no float tensors to calibrate");

  // Expose every calibrated node output as a graph output of a private copy. Only the element
  // type is declared: ONNX Runtime infers the shapes itself, and a declared shape it cannot
  // match (a tensor whose rank static inference could not find, such as the channel split of a
  // shuffle) would make the session refuse the model.
  onnx::ModelProto probe = model;
  std::vector<std::string> outputs;  // node outputs fetched from the session
  for (const auto& t : tensors) {
    if (view.is_graph_input(t)) continue;
    outputs.push_back(t);
    if (view.is_graph_output(t)) continue;
    auto* out = probe.mutable_graph()->add_output();
    out->set_name(t);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  ASSIGN_OR_RETURN(std::string bytes, serialize_model(probe));
  probe.Clear();
  const std::string graph_name = model.graph().name();
  model.Clear();  // the session holds its own copy of the weights
  SessionOptions so;
  so.intra_op_threads = options.intra_op_threads;
  // Every calibrated tensor is an output, so ONNX Runtime cannot reuse their buffers; without its
  // arena they go back to the allocator after each sample instead of piling up in arena chunks.
  so.enable_cpu_mem_arena = false;
  ASSIGN_OR_RETURN(auto session, OrtSession::from_bytes(bytes, so, "calibration model"));
  bytes.clear();
  bytes.shrink_to_fit();

  const TensorInfo& input = session->inputs()[0];
  CalibrationDataOptions data_options;
  data_options.max_samples = options.max_samples;
  data_options.preprocess = options.preprocess;
  ASSIGN_OR_RETURN(CalibrationDataReader reader,
                   CalibrationDataReader::open(options.data_dir, input, data_options));

  std::vector<TensorHistogram> histograms;
  histograms.reserve(tensors.size());
  std::unordered_map<std::string, size_t> slot;
  for (size_t i = 0; i < tensors.size(); ++i) {
    histograms.emplace_back(options.num_bins);
    slot[tensors[i]] = i;
  }
  const int64_t total = static_cast<int64_t>(reader.size());
  // One sample at a time; its input and activations are released before the next is read.
  auto add_sample = [&](size_t s) -> Status {
    ASSIGN_OR_RETURN(Tensor sample, reader.read(s));
    if (sample.dtype == DType::kFloat32 && slot.count(sample.name)) {
      histograms[slot[sample.name]].add(sample.data_as<float>(), sample.num_elements());
    }
    auto results = session->run({sample}, outputs);
    if (!results.ok()) {
      return results.status().with_context("calibrate: sample '" + reader.relative_name(s) + "'");
    }
    for (const Tensor& t : *results) {
      if (t.dtype == DType::kFloat32)
        histograms[slot[t.name]].add(t.data_as<float>(), t.num_elements());
    }
    return ok_status();
  };
  for (size_t s = 0; s < reader.size(); ++s) {
    RETURN_IF_ERROR(add_sample(s));
    // Each sample frees tens of MB of differently sized buffers (decoded images, activations);
    // handing them back keeps fragmentation from raising the peak as the sample count grows.
    malloc_trim(0);
    if (options.progress) options.progress(static_cast<int64_t>(s + 1), total);
  }

  CalibrationTable table;
  table.method = std::string(calibration_method_name(options.method));
  table.percentile = options.method == CalibrationMethod::kPercentile ? options.percentile : 0.0;
  table.samples = total;
  table.model_graph = graph_name;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorHistogram& h = histograms[i];
    if (h.count() == 0) {
      LOG_WARN << "calibrate: tensor '" << tensors[i]
               << "' produced no finite values; left out of the table";
      continue;
    }
    table.tensors[tensors[i]] = TensorCalibration{choose_range(h, options), h.minmax_range()};
  }
  return table;
}

nlohmann::json calibration_table_to_json(const CalibrationTable& table) {
  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& [name, c] : table.tensors) {
    tensors[name] = {{"min", c.range.min},
                     {"max", c.range.max},
                     {"observed_min", c.observed.min},
                     {"observed_max", c.observed.max}};
  }
  nlohmann::json j = {{"format", "edgetier-calibration"}, {"version", kTableVersion},
                      {"method", table.method},           {"samples", table.samples},
                      {"model_graph", table.model_graph}, {"tensors", tensors}};
  if (table.method == "percentile") j["percentile"] = table.percentile;
  return j;
}

Result<CalibrationTable> calibration_table_from_json(const nlohmann::json& j) {
  // Not j.value("format", ""): it throws when "format" is there but not a string.
  if (!j.is_object() || !j.contains("format") || j.at("format") != "edgetier-calibration") {
    return invalid_argument(
        "not an edgetier calibration table (missing \"format\": \"edgetier-calibration\"); "
        "create one with `edgetier calibrate`");
  }
  // A range bound as a float: a double beyond float's range would make the conversion undefined.
  auto bound = [](const nlohmann::json& v, const std::string& where) -> Result<float> {
    if (!v.is_number()) return invalid_argument("calibration table: " + where + ": expected a number, got " + describe_json(v));
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
      return invalid_argument("calibration table: " + where + ": " + describe_json(v) + " is not a finite float");
    }
    return static_cast<float>(d);
  };
  CalibrationTable table;
  try {
    ASSIGN_OR_RETURN(const int64_t version,
                     json_whole_number(j.at("version"), "calibration table: version"));
    if (version != kTableVersion) {
      return invalid_argument("calibration table version " + std::to_string(version) +
                              " is not supported (expected " + std::to_string(kTableVersion) +
                              "); recalibrate");
    }
    table.method = j.at("method").get<std::string>();
    ASSIGN_OR_RETURN(CalibrationMethod method, parse_calibration_method(table.method));
    (void)method;
    ASSIGN_OR_RETURN(table.samples,
                     json_whole_number(j.at("samples"), "calibration table: samples", 0));
    table.model_graph = j.value("model_graph", "");
    table.percentile = j.value("percentile", 0.0);
    for (const auto& [name, t] : j.at("tensors").items()) {
      TensorCalibration c;
      const std::string where = "tensor '" + name + "'";
      if (!t.is_object()) return invalid_argument("calibration table: " + where + ": expected an object");
      ASSIGN_OR_RETURN(c.range.min, bound(t.at("min"), where + ".min"));
      ASSIGN_OR_RETURN(c.range.max, bound(t.at("max"), where + ".max"));
      c.observed = c.range;
      if (t.contains("observed_min")) {
        ASSIGN_OR_RETURN(c.observed.min, bound(t.at("observed_min"), where + ".observed_min"));
      }
      if (t.contains("observed_max")) {
        ASSIGN_OR_RETURN(c.observed.max, bound(t.at("observed_max"), where + ".observed_max"));
      }
      if (!std::isfinite(c.range.min) || !std::isfinite(c.range.max) || c.range.min > c.range.max) {
        return invalid_argument("calibration table: tensor '" + name + "' has a bad range [" +
                                std::to_string(c.range.min) + ", " + std::to_string(c.range.max) +
                                "]");
      }
      table.tensors[name] = c;
    }
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(std::string("calibration table: ") + e.what());
  }
  if (table.tensors.empty()) return invalid_argument("calibration table has no tensors");
  return table;
}

Status write_calibration_table(const CalibrationTable& table, const std::string& path) {
  std::error_code ec;
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  return write_file_atomic(path, calibration_table_to_json(table).dump(2) + "\n");
}

Result<CalibrationTable> read_calibration_table(const std::string& path) {
  ASSIGN_OR_RETURN(nlohmann::json j, read_json_file(path));
  auto table = calibration_table_from_json(j);
  if (!table.ok()) return table.status().with_context(path);
  return table;
}

}  // namespace edgetier
