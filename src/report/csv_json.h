/// Flat CSV tables of the report document (`edgetier report --csv DIR`); `--json` prints the
/// document itself, so both carry the same data as the HTML report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier {

struct CsvTable {
  std::string name;  // file name without ".csv"
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

/// The report document (see report/html.h) as tables: strategies (one row per strategy with
/// every statistic, breakdown_<component>_p50_ms columns when there is a breakdown), tests
/// (Kruskal-Wallis, Conover-Iman pairs, Wilcoxon accuracy tests), pareto, recommendation, and
/// latency_boxes, load and planner when the document has those sections. Numbers keep full
/// precision (shortest round-trip form); absent values are empty cells.
Result<std::vector<CsvTable>> report_csv_tables(const nlohmann::json& report);

/// RFC 4180 text: header line, then rows; cells with a comma, quote or line break are quoted.
std::string to_csv(const CsvTable& table);

}  // namespace edgetier
