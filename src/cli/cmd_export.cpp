/// `edgetier export RESULTS [--csv DIR] [--run N] [--json]`: the results store as flat CSVs, and a
/// summary of its runs.
#include <iostream>

#include "cli/commands.h"
#include "store/export_csv.h"
#include "store/store.h"

namespace edgetier::cli {

std::function<int()> setup_export(CLI::App* app) {
  struct Args {
    std::string results;
    std::string csv_dir;
    int64_t run_id = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("results", args->results,
                  "Results database, or the output folder holding results.db")
      ->required();
  app->add_option(
      "--csv", args->csv_dir,
      "Write runs, tiers, links, strategies, requests and accuracy as CSV files into DIR");
  app->add_option("--run", args->run_id, "Only this run (default: every run)");
  app->add_flag("--json", args->json, "Print JSON");
  return [args]() {
    StoreOptions options;
    options.read_only = true;
    auto store = ResultStore::open(resolve_results_path(args->results), options);
    if (!store.ok()) return report_error(store.status());
    std::optional<int64_t> run;
    if (args->run_id > 0) run = args->run_id;
    auto summary = store_summary(**store, run);
    if (!summary.ok()) return report_error(summary.status());
    if (!args->csv_dir.empty()) {
      auto files = export_csv(**store, args->csv_dir, run);
      if (!files.ok()) return report_error(files.status());
      (*summary)["files"] = nlohmann::json::array();
      for (const auto& f : *files)
        (*summary)["files"].push_back({{"path", f.path}, {"rows", f.rows}});
    }
    if (args->json) {
      print_json(*summary);
      return 0;
    }
    std::cout << (*summary)["database"].get<std::string>() << ":\n";
    for (const auto& r : (*summary)["runs"]) {
      std::cout << "  run " << r["run_id"] << " '" << r["name"].get<std::string>() << "' ("
                << r["status"].get<std::string>() << ", started "
                << r["started_at"].get<std::string>() << "): " << r["requests"] << " requests, "
                << r["accuracy_rows"] << " accuracy rows, strategies";
      for (const auto& [status, count] : r["strategies"].items())
        std::cout << " " << status << "=" << count;
      std::cout << "\n";
    }
    if (summary->contains("files")) {
      for (const auto& f : (*summary)["files"]) {
        std::cout << "  wrote " << f["path"].get<std::string>() << " (" << f["rows"] << " rows)\n";
      }
    }
    return 0;
  };
}

}  // namespace edgetier::cli
