/// `edgetier run`'s closing report: store -> ResultSet -> report document -> printers.
#include "cli/run_report.h"

#include <filesystem>

#include "analysis/result_set_db.h"
#include "core/log.h"
#include "report/campaign_text.h"
#include "report/load_text.h"
#include "report/report_data.h"
#include "report/terminal.h"

namespace edgetier::cli {

Result<RunReport> report_run(const RunSummary& run, bool load_summary) {
  RunReport out;
  out.json["run"] = {{"run_id", run.run_id},
                     {"status", run.status},
                     {"results", run.results_path},
                     {"strategies", run.strategies},
                     {"requests", run.requests}};
  ResultsDbOptions read;
  read.run_id = run.run_id;
  ASSIGN_OR_RETURN(ResultSet results, load_results_database(run.results_path, read));
  // Where the time went is worth printing for every run, finished or not.
  std::string campaign;
  if (results.campaign) {
    out.json["campaign"] = campaign_json(*results.campaign);
    campaign = format_campaign(out.json["campaign"]);
  }
  if (run.status != "done") {
    out.text = campaign;
    return out;
  }
  ReportOptions options;
  options.load_summary = load_summary;
  auto parts = build_report_parts(results, options);
  if (!parts.ok()) {
    out.text = "analysis: " + parts.status().message() + "\n";
    out.json["run"]["report"] = out.report_path;
    return out;
  }
  const nlohmann::json& document = parts->document;
  out.text =
      format_analysis(parts->analysis) + "\n" + format_recommendations(parts->recommendation);
  out.json["analysis"] = document.at("analysis");
  out.json["recommendation"] = document.at("recommendation");
  if (document.contains("load")) {
    out.text += format_load_summary(document.at("load"));
    out.json["load"] = document.at("load");
  }
  out.text += campaign;
  const std::string html = (std::filesystem::path(run.output_dir) / "report.html").string();
  Status written = write_report_files(document, html, "");
  if (written.ok()) {
    out.report_path = html;
  } else {
    LOG_WARN << "report.html: " << written.message();
  }
  out.json["run"]["report"] = out.report_path;
  return out;
}

}  // namespace edgetier::cli
