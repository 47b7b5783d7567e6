/// `edgetier export`: the results store as flat CSV files (one column per breakdown field) and a
/// JSON/text summary of its runs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/csv.h"
#include "store/store.h"

namespace edgetier {

struct ExportedFile {
  std::string path;
  int64_t rows = 0;
};

/// Writes runs.csv, tiers.csv, links.csv, strategies.csv, requests.csv and accuracy.csv into
/// `dir` (created if needed; each file written to a temporary name and renamed). NULL is an empty
/// field; text is quoted when it holds a comma, quote or newline; reals round-trip exactly.
/// `run_id` restricts every file to one run.
Result<std::vector<ExportedFile>> export_csv(ResultStore& store, const std::string& dir,
                                             std::optional<int64_t> run_id = std::nullopt);

/// {"database", "runs": [{run_id, name, spec_hash, status, started_at, finished_at,
/// "strategies": {status: count}, "requests", "accuracy_rows"}]}.
Result<nlohmann::json> store_summary(ResultStore& store,
                                     std::optional<int64_t> run_id = std::nullopt);

/// RESULTS may name the database or the output folder holding results.db.
std::string resolve_results_path(const std::string& results);

}  // namespace edgetier
