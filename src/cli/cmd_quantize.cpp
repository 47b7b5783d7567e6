/// `edgetier quantize MODEL (--table T | --data DIR) -o OUT.onnx`: post-training static int8 model.
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "cli/quantize_args.h"
#include "core/clock.h"
#include "core/log.h"
#include "graph/model_io.h"
#include "ops/calibrate.h"
#include "ops/calibration_data.h"
#include "ops/quantize.h"
#include "ops/sensitivity.h"
#include "ops/speed_check.h"

namespace edgetier::cli {
namespace {

nlohmann::json report_to_json(const QuantizeReport& r) {
  return {{"quantized_ops", r.quantized_ops},         {"quantized_nodes", r.quantized_nodes.size()},
          {"excluded_nodes", r.excluded_nodes},       {"unsupported_nodes", r.unsupported_nodes},
          {"float_ops", r.float_ops},
          {"folded_batchnorms", r.folded_batchnorms}, {"absorbed_relus", r.absorbed_relus},
          {"quantized_tensors", r.quantized_tensors}};
}

}  // namespace

std::function<int()> setup_quantize(CLI::App* app) {
  struct Args {
    std::string model;
    std::string table;
    std::string data;
    std::string method = "entropy";
    int64_t samples = 0;
    std::string preprocess;
    std::string format = "qdq";
    std::string weights = "per-channel";
    std::string activations = "uint8";
    std::string reduce_range = "auto";
    std::vector<std::string> exclude;
    double max_accuracy_loss = -1.0;
    std::string eval;
    int64_t eval_samples = 0;
    int threads = 0;
    std::string output;
    bool json = false;
    bool check_speed = true;
    int speed_runs = 7;
  };
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file (float32)")->required();
  auto* table =
      app->add_option("--table", args->table, "Calibration table from `edgetier calibrate`");
  auto* data = app->add_option("--data", args->data,
                               "Calibrate on this folder of images or .npy tensors first");
  table->excludes(data);
  app->add_option("--method", args->method,
                  "Calibration method with --data: minmax|percentile|entropy")
      ->capture_default_str();
  app->add_option("--samples", args->samples, "Calibrate on at most N samples (0 = all)")
      ->capture_default_str();
  add_preprocess_option(app, &args->preprocess);
  app->add_option("--format", args->format, "qdq|qoperator")->capture_default_str();
  app->add_option("--weights", args->weights, "per-channel|per-tensor")->capture_default_str();
  app->add_option("--activations", args->activations, "uint8|int8")->capture_default_str();
  app->add_option("--reduce-range", args->reduce_range,
                  "7-bit weights: auto|true|false (auto: on a CPU whose int8 dot product "
                  "saturates, x86 without VNNI)")
      ->capture_default_str();
  app->add_option("--exclude", args->exclude, "Nodes to keep in float (comma-separated names)")
      ->delimiter(',');
  app->add_option("--max-accuracy-loss", args->max_accuracy_loss,
                  "Keep the most sensitive nodes in float until the loss on --eval is at most this "
                  "many points");
  app->add_option(
      "--eval", args->eval,
      "Evaluation data for --max-accuracy-loss: a dataset (labels.csv, class folders, "
      "images/+masks/) or unlabelled images/.npy (then: agreement with the float model)");
  app->add_option("--eval-samples", args->eval_samples, "Evaluate on at most N samples (0 = all)")
      ->capture_default_str();
  app->add_option("--threads", args->threads, "ONNX Runtime threads (0 = its default)")
      ->capture_default_str();
  app->add_option("-o,--output", args->output, "Quantized model to write")->required();
  app->add_flag("--json", args->json, "Print a JSON summary");
  app->add_flag("--check-speed,!--no-check-speed", args->check_speed,
                "Time the int8 and the float model alternately (1 thread) and warn when int8 is "
                "slower on this machine (default: on)");
  app->add_option("--speed-runs", args->speed_runs, "Timed runs per model for --check-speed")
      ->capture_default_str();
  return [args]() {
    if (args->table.empty() && args->data.empty()) {
      return report_error(
          invalid_argument("quantize: give --table T (from `edgetier calibrate`) or --data DIR"));
    }
    if ((args->max_accuracy_loss >= 0.0) != !args->eval.empty()) {
      return report_error(invalid_argument("quantize: --max-accuracy-loss and --eval go together"));
    }
    QuantizeOptions options;
    auto format = parse_quant_format(args->format);
    if (!format.ok()) return report_error(format.status());
    options.format = *format;
    if (args->weights != "per-channel" && args->weights != "per-tensor") {
      return report_error(invalid_argument("--weights '" + args->weights +
                                           "': expected per-channel or per-tensor"));
    }
    options.per_channel = args->weights == "per-channel";
    if (args->activations != "uint8" && args->activations != "int8") {
      return report_error(
          invalid_argument("--activations '" + args->activations + "': expected uint8 or int8"));
    }
    options.activation_dtype = args->activations == "uint8" ? DType::kUInt8 : DType::kInt8;
    auto reduce_range = parse_reduce_range(args->reduce_range);
    if (!reduce_range.ok())
      return report_error(invalid_argument("--reduce-range: " + reduce_range.status().message()));
    options.reduce_range = resolve_reduce_range(*reduce_range);
    const int weight_bits = options.reduce_range ? 7 : 8;
    options.exclude = args->exclude;
    NormalizeReport normalized;
    auto model = load_normalized_model(args->model, {}, &normalized);
    if (!model.ok()) return report_error(model.status());
    auto resolved = quantize_preprocess(args->preprocess, args->model, *model);
    if (!resolved.ok()) return report_error(resolved.status());
    const std::optional<PreprocessSpec> preprocess = *resolved;
    Stopwatch watch;
    if (!args->table.empty()) {
      auto t = read_calibration_table(args->table);
      if (!t.ok()) return report_error(t.status());
      options.table = std::move(*t);
    } else {
      CalibrationOptions c;
      c.data_dir = args->data;
      auto method = parse_calibration_method(args->method);
      if (!method.ok()) return report_error(method.status());
      c.method = *method;
      c.max_samples = args->samples;
      c.preprocess = preprocess;
      c.intra_op_threads = args->threads;
      auto t = calibrate(*model, c);
      if (!t.ok()) return report_error(t.status().with_context(args->model));
      options.table = std::move(*t);
    }

    nlohmann::json summary = {{"model", args->model},
                              {"output", args->output},
                              {"format", std::string(quant_format_name(options.format))}};
    if (args->max_accuracy_loss >= 0.0) {
      SensitivityOptions s;
      s.quantize = options;
      s.max_accuracy_loss = args->max_accuracy_loss;
      auto eval = quantize_eval_options(args->eval, args->model);
      if (!eval.ok()) return report_error(eval.status());
      s.eval = std::move(*eval);
      s.eval.max_samples = args->eval_samples;
      s.eval.preprocess = preprocess;
      s.eval.intra_op_threads = args->threads;
      s.progress = [](const std::string& line) { LOG_INFO << "quantize: " << line; };
      auto found = find_sensitive_nodes(*model, s);
      if (!found.ok()) return report_error(found.status().with_context(args->model));
      if (!found->within_budget) {
        char loss[32], budget[32];
        std::snprintf(loss, sizeof(loss), "%.2f", found->final.loss_points);
        std::snprintf(budget, sizeof(budget), "%.2f", args->max_accuracy_loss);
        return report_error(failed_precondition(
            "quantize: the " + found->final.metric + " loss on '" + args->eval + "' is still " +
            loss + " points with " + std::to_string(found->excluded.size()) + " of " +
            std::to_string(found->ranking.size()) + " nodes in float, over the budget of " +
            budget +
            "; raise --max-accuracy-loss, evaluate on more samples, or recalibrate "
            "(--method minmax|percentile|entropy)"));
      }
      options.exclude.insert(options.exclude.end(), found->excluded.begin(), found->excluded.end());
      summary["sensitivity"] = sensitivity_to_json(*found);
      if (!args->json) {
        std::cout << "accuracy loss " << found->final.loss_points << " pts (" << found->final.metric
                  << ", " << found->final.samples << " samples, budget " << args->max_accuracy_loss
                  << ")";
        if (found->excluded.empty())
          std::cout << " with every node in int8\n";
        else {
          std::cout << "; left in float:";
          for (const auto& n : found->excluded) std::cout << " " << n;
          std::cout << "\n";
        }
      }
    }

    QuantizeReport report;
    options.report = &report;
    onnx::ModelProto quantized;
    Status st = quantize(*model, options, &quantized);
    if (!st.ok()) return report_error(st.with_context(args->model));
    st = save_model(quantized, args->output);
    if (!st.ok()) return report_error(st);
    summary["report"] = report_to_json(report);
    summary["weight_bits"] = weight_bits;
    summary["seconds"] = watch.elapsed_ms() / 1000.0;
    std::optional<SpeedCheck> speed;
    if (args->check_speed) {
      SpeedCheckOptions so;
      so.runs = args->speed_runs;
      auto checked = check_speed(*model, quantized, so);
      if (!checked.ok()) {
        LOG_WARN << "quantize: speed check skipped: " << checked.status().message();
      } else {
        speed = *checked;
        summary["speed_check"] = {{"fp32_ms", speed->fp32_ms}, {"int8_ms", speed->int8_ms},
                                  {"ratio", speed->ratio()}, {"runs", speed->runs},
                                  {"threads", speed->threads}};
        if (speed->int8_slower()) {
          LOG_WARN << "quantize: the int8 model is slower than the float model on this machine: "
                   << speed_check_summary(*speed)
                   << "; keep the float model, or --exclude the nodes the profile shows slow";
        }
      }
    }
    if (args->json) {
      print_json(summary);
    } else {
      int total = 0;
      std::string ops;
      for (const auto& [op, count] : report.quantized_ops) {
        total += count;
        ops += (ops.empty() ? "" : ", ") + std::to_string(count) + " " + op;
      }
      std::cout << "quantized " << total << " nodes (" << ops << ") of " << args->model << " -> "
                << args->output << " [" << quant_format_name(options.format) << ", "
                << weight_bits << "-bit weights]\n";
      for (const auto& [op, reasons] : report.float_ops) {
        for (const auto& [why, count] : reasons)
          std::cout << "  float: " << count << " " << op << " (" << why << ")\n";
      }
      if (speed) std::cout << "  speed: " << speed_check_summary(*speed) << "\n";
    }
    return 0;
  };
}

}  // namespace edgetier::cli
