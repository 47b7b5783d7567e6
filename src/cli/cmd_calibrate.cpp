/// `edgetier calibrate MODEL --data DIR -o table.json`: activation ranges for int8 quantization.
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "cli/quantize_args.h"
#include "core/clock.h"
#include "core/log.h"
#include "graph/model_io.h"
#include "ops/calibrate.h"
#include "ops/calibration_data.h"

namespace edgetier::cli {

std::function<int()> setup_calibrate(CLI::App* app) {
  struct Args {
    std::string model;
    std::string data;
    std::string method = "entropy";
    int64_t samples = 0;
    double percentile = 99.99;
    std::string preprocess;
    int threads = 0;
    std::string output;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("model", args->model, "ONNX model file")->required();
  app->add_option("--data", args->data, "Folder of images (.jpg/.png) or .npy tensors")->required();
  app->add_option("--method", args->method, "minmax|percentile|entropy")->capture_default_str();
  app->add_option("--samples", args->samples, "Use at most N samples (0 = all)")
      ->capture_default_str();
  app->add_option("--percentile", args->percentile, "Percentile of |x| kept by --method percentile")
      ->capture_default_str();
  add_preprocess_option(app, &args->preprocess);
  app->add_option("--threads", args->threads, "ONNX Runtime threads (0 = its default)")
      ->capture_default_str();
  app->add_option("-o,--output", args->output, "Calibration table to write (JSON)")->required();
  app->add_flag("--json", args->json, "Print a JSON summary");
  return [args]() {
    CalibrationOptions options;
    options.data_dir = args->data;
    auto method = parse_calibration_method(args->method);
    if (!method.ok()) return report_error(method.status());
    options.method = *method;
    options.max_samples = args->samples;
    options.percentile = args->percentile;
    options.intra_op_threads = args->threads;
    int64_t last_decile = -1;
    options.progress = [&last_decile](int64_t done, int64_t total) {
      const int64_t decile = done * 10 / std::max<int64_t>(total, 1);
      if (decile != last_decile) {
        last_decile = decile;
        LOG_INFO << "calibrate: " << done << "/" << total << " samples";
      }
    };
    auto model = load_runnable_model(args->model);
    if (!model.ok()) return report_error(model.status());
    auto preprocess = quantize_preprocess(args->preprocess, args->model, *model);
    if (!preprocess.ok()) return report_error(preprocess.status());
    options.preprocess = *preprocess;
    Stopwatch watch;
    auto table = calibrate(*model, options);
    if (!table.ok()) return report_error(table.status().with_context(args->model));
    Status st = write_calibration_table(*table, args->output);
    if (!st.ok()) return report_error(st);
    const double seconds = watch.elapsed_ms() / 1000.0;
    if (args->json) {
      print_json({{"model", args->model},
                  {"table", args->output},
                  {"method", table->method},
                  {"samples", table->samples},
                  {"tensors", table->tensors.size()},
                  {"seconds", seconds}});
    } else {
      std::cout << "calibrated " << table->tensors.size() << " tensors of " << args->model << " on "
                << table->samples << " samples (" << table->method << ") in " << seconds << " s -> "
                << args->output << "\n";
    }
    return 0;
  };
}

}  // namespace edgetier::cli
