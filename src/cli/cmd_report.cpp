/// `edgetier report RESULTS -o report.html`: the self-contained HTML report, CSV tables and JSON.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/result_source.h"
#include "core/json_reader.h"
#include "report/report_data.h"

namespace edgetier::cli {

namespace {

Result<nlohmann::json> load_json_file(const std::string& path) {
  auto parsed = read_json_file(path);
  if (!parsed.ok()) return parsed.status().with_context("planner file");
  nlohmann::json value = std::move(parsed).value();
  if (!value.is_object() || !value.contains("heatmaps")) {
    return invalid_argument("planner file '" + path + "' has no 'heatmaps' array");
  }
  return value;
}

}  // namespace

std::function<int()> setup_report(CLI::App* app) {
  struct Args {
    ResultSourceArgs source;
    std::optional<double> max_latency_ms;
    std::optional<double> max_accuracy_loss_pts;
    std::string output = "report.html";
    std::string csv_dir;
    std::string planner;
    std::string title = "edgetier deployment report";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  add_result_source_options(app, &args->source);
  app->add_option(
      "--max-latency-ms", args->max_latency_ms,
      "Recommendation: feasible strategies have the --percentile latency at or below this");
  app->add_option("--max-accuracy-loss", args->max_accuracy_loss_pts,
                  "Recommendation: feasible strategies lose at most this many accuracy points");
  app->add_option("-o,--output", args->output,
                  "HTML report to write (one self-contained file that works offline)")
      ->capture_default_str();
  app->add_option("--csv", args->csv_dir,
                  "Also write the data as CSV tables (strategies, tests, pareto, recommendation, "
                  "latency_boxes) into this folder");
  app->add_option("--planner", args->planner, "What-if planner JSON whose heatmaps to include");
  app->add_option("--title", args->title, "Report title")->capture_default_str();
  app->add_flag("--json", args->json, "Print the report data as JSON");
  return [args]() {
    auto results = load_result_source(&args->source);
    if (!results.ok()) return report_error(results.status());
    std::optional<nlohmann::json> planner;
    if (!args->planner.empty()) {
      auto loaded = load_json_file(args->planner);
      if (!loaded.ok()) return report_error(loaded.status());
      planner = std::move(loaded).value();
    }
    ReportOptions options;
    options.title = args->title;
    options.recommend.analysis = args->source.analysis;
    options.recommend.max_latency_ms = args->max_latency_ms;
    options.recommend.max_accuracy_loss_pts = args->max_accuracy_loss_pts;
    auto report = build_report(*results, options, planner ? &*planner : nullptr);
    if (!report.ok()) return report_error(report.status());
    Status written = write_report_files(*report, args->output, args->csv_dir);
    if (!written.ok()) return report_error(written);
    if (args->json) {
      print_json(*report);
      return 0;
    }
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(args->output, ec);
    std::cout << "wrote " << args->output << " (" << (ec ? 0 : bytes / 1024) << " KiB, "
              << report->at("analysis").at("scenarios").size()
              << " model/scenario sections; open it in any browser, no network needed)\n";
    if (!args->csv_dir.empty()) std::cout << "wrote CSV tables to " << args->csv_dir << "/\n";
    return 0;
  };
}

}  // namespace edgetier::cli
