/// SQLite RAII wrapper and result-code mapping.
#include "store/sqlite_db.h"

#include <utility>

namespace edgetier {

Status sqlite_status(int rc, sqlite3* db, const std::string& context) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_OK || primary == SQLITE_ROW || primary == SQLITE_DONE) return ok_status();
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string message = context + ": " + detail;
  switch (primary) {
    case SQLITE_FULL:
      return resource_exhausted(
          message +
          " (the disk or the database size limit is full; rows committed so far "
          "are kept, free space and rerun with --resume)");
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return data_loss(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return unavailable(message + " (another edgetier process is writing this database?)");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return permission_denied(message);
    case SQLITE_CANTOPEN: return not_found(message);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return invalid_argument(message);
    case SQLITE_IOERR: return unavailable(message);
    case SQLITE_NOMEM: return resource_exhausted(message);
    case SQLITE_INTERRUPT: return cancelled(message);
    default: return internal_error(message);
  }
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Result<bool> SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = sqlite_status(rc, db_, std::string("running '") + sqlite3_sql(stmt_) + "'");
  sqlite3_reset(stmt_);
  return st;
}

Status SqliteStatement::run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, step());
    if (!row) break;
  }
  reset();
  return ok_status();
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string SqliteStatement::column_text(int i) const {
  const unsigned char* text = sqlite3_column_text(stmt_, i);
  if (!text) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close_v2(db_);
}

Result<SqliteDb> SqliteDb::open(const std::string& path, int flags) {
  SqliteDb db;
  db.path_ = path;
  const int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(rc, db.db_, "opening '" + path + "'");
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

Status SqliteDb::exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (error) sqlite3_free(error);
  return sqlite_status(rc, db_, "'" + path_ + "'");
}

Result<SqliteStatement> SqliteDb::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(rc, db_, "'" + path_ + "': preparing '" + sql + "'");
  return SqliteStatement(db_, stmt);
}

Result<std::string> SqliteDb::query_text(const std::string& sql) {
  ASSIGN_OR_RETURN(SqliteStatement stmt, prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return not_found("'" + sql + "' returned no row");
  return stmt.column_text(0);
}

Result<int64_t> SqliteDb::query_int(const std::string& sql) {
  ASSIGN_OR_RETURN(SqliteStatement stmt, prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return not_found("'" + sql + "' returned no row");
  return stmt.column_int64(0);
}

}  // namespace edgetier
