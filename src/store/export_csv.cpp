/// CSV export and summary of the results store.
#include "store/export_csv.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/files.h"

namespace fs = std::filesystem;

namespace edgetier {
namespace {

struct TableExport {
  const char* file;
  const char* select;  // without WHERE/ORDER
  const char* order;
  const char* select_v1 = nullptr;  // for a schema v1 store (read-only) when it differs
  const char* select_v2 = nullptr;  // for a schema v2 store (read-only) when it differs
};

// spec_yaml stays in the database (multi-line text); env_json and timing_json are one JSON line.
const TableExport kTables[] = {
    {"runs.csv",
     "SELECT run_id, name, spec_hash, started_at, finished_at, status, env_json, "
     "planned_requests, discard_passes, cut_windows_json, timing_json FROM runs",
     "run_id",
     "SELECT run_id, name, spec_hash, started_at, finished_at, status, env_json FROM runs",
     "SELECT run_id, name, spec_hash, started_at, finished_at, status, env_json, "
     "planned_requests, discard_passes, cut_windows_json FROM runs"},
    {"tiers.csv", "SELECT * FROM tiers", "run_id, name"},
    {"links.csv", "SELECT * FROM links", "run_id, scenario, link"},
    {"strategies.csv", "SELECT * FROM strategies", "strategy_id"},
    {"requests.csv", "SELECT * FROM requests", "run_id, strategy_id, pass, request_index"},
    {"accuracy.csv", "SELECT * FROM accuracy", "run_id, model, ops, metric"},
};

std::string format_real(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

Result<int64_t> write_table(ResultStore& store, const TableExport& table, const fs::path& path,
                            std::optional<int64_t> run_id) {
  SqliteDb& db = store.db();
  std::string sql =
      store.schema_version() < 2 && table.select_v1 != nullptr   ? table.select_v1
      : store.schema_version() < 3 && table.select_v2 != nullptr ? table.select_v2
                                                                  : table.select;
  if (run_id) sql += " WHERE run_id = ?";
  sql += std::string(" ORDER BY ") + table.order;
  ASSIGN_OR_RETURN(SqliteStatement stmt, db.prepare(sql));
  if (run_id) stmt.bind(1, *run_id);
  int64_t rows = 0;
  RETURN_IF_ERROR(replace_file_atomic(path.string(), [&](const std::string& tmp) -> Status {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return permission_denied("cannot write '" + path.string() + "'");
    for (int i = 0; i < stmt.column_count(); ++i)
      out << (i ? "," : "") << csv_field(stmt.column_name(i));
    out << "\n";
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      for (int i = 0; i < stmt.column_count(); ++i) {
        if (i) out << ',';
        switch (stmt.column_type(i)) {
          case SQLITE_NULL: break;
          case SQLITE_INTEGER: out << stmt.column_int64(i); break;
          case SQLITE_FLOAT: out << format_real(stmt.column_double(i)); break;
          default: out << csv_field(stmt.column_text(i)); break;
        }
      }
      out << "\n";
      ++rows;
    }
    out.close();
    if (!out) return resource_exhausted("writing '" + path.string() + "' failed (disk full?)");
    return ok_status();
  }));
  return rows;
}

}  // namespace

std::string resolve_results_path(const std::string& results) {
  std::error_code ec;
  if (fs::is_directory(results, ec)) return (fs::path(results) / kResultsFileName).string();
  return results;
}

Result<std::vector<ExportedFile>> export_csv(ResultStore& store, const std::string& dir,
                                             std::optional<int64_t> run_id) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return permission_denied("cannot create folder '" + dir + "': " + ec.message());
  RETURN_IF_ERROR(store.flush());
  std::vector<ExportedFile> files;
  for (const auto& table : kTables) {
    const fs::path path = fs::path(dir) / table.file;
    ASSIGN_OR_RETURN(int64_t rows, write_table(store, table, path, run_id));
    files.push_back({path.string(), rows});
  }
  return files;
}

Result<nlohmann::json> store_summary(ResultStore& store, std::optional<int64_t> run_id) {
  RETURN_IF_ERROR(store.flush());
  ASSIGN_OR_RETURN(std::vector<RunInfo> runs, store.runs());
  nlohmann::json out = {{"database", store.path()}, {"runs", nlohmann::json::array()}};
  for (const auto& r : runs) {
    if (run_id && r.run_id != *run_id) continue;
    ASSIGN_OR_RETURN(std::vector<StrategyRow> strategies, store.strategies(r.run_id));
    std::map<std::string, int64_t> by_status;
    for (const auto& s : strategies) ++by_status[std::string(strategy_status_name(s.status))];
    ASSIGN_OR_RETURN(int64_t requests, store.count_requests(r.run_id));
    ASSIGN_OR_RETURN(SqliteStatement acc,
                     store.db().prepare("SELECT COUNT(*) FROM accuracy WHERE run_id = ?"));
    acc.bind(1, r.run_id);
    ASSIGN_OR_RETURN(bool row, acc.step());
    out["runs"].push_back({{"run_id", r.run_id},
                           {"name", r.name},
                           {"spec_hash", r.spec_hash},
                           {"status", r.status},
                           {"started_at", r.started_at},
                           {"finished_at", r.finished_at},
                           {"strategies", by_status},
                           {"requests", requests},
                           {"accuracy_rows", row ? acc.column_int64(0) : 0}});
  }
  if (run_id && out["runs"].empty())
    return not_found("run " + std::to_string(*run_id) + " is not in '" + store.path() + "'");
  return out;
}

}  // namespace edgetier
