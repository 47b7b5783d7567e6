/// A thin RAII layer over the SQLite C API: connections, prepared statements, and SQLite result
/// codes turned into Status (SQLITE_FULL -> RESOURCE_EXHAUSTED, corrupt -> DATA_LOSS, ...).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace edgetier {

/// Maps an SQLite result code to a Status; `context` says what was being done.
Status sqlite_status(int rc, sqlite3* db, const std::string& context);

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQLite.
  void bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, int value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
  void bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const std::optional<int64_t>& value) {
    if (value)
      bind(index, *value);
    else
      bind_null(index);
  }
  void bind(int index, const std::optional<double>& value) {
    if (value)
      bind(index, *value);
    else
      bind_null(index);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }

  /// Runs one step: true when a row is available, false when done.
  Result<bool> step();
  /// Steps to completion (for statements that return no rows).
  Status run();
  void reset();

  int column_count() const { return sqlite3_column_count(stmt_); }
  std::string column_name(int i) const { return sqlite3_column_name(stmt_, i); }
  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int column_type(int i) const { return sqlite3_column_type(stmt_, i); }
  int64_t column_int64(int i) const { return sqlite3_column_int64(stmt_, i); }
  double column_double(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string column_text(int i) const;
  std::optional<int64_t> column_optional_int64(int i) const {
    return is_null(i) ? std::nullopt : std::optional<int64_t>(column_int64(i));
  }
  std::optional<double> column_optional_double(int i) const {
    return is_null(i) ? std::nullopt : std::optional<double>(column_double(i));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  /// `flags`: SQLITE_OPEN_READONLY or SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE.
  static Result<SqliteDb> open(const std::string& path, int flags);

  Status exec(const std::string& sql);
  Result<SqliteStatement> prepare(const std::string& sql);
  /// The single value of a one-row query (e.g. "PRAGMA journal_mode").
  Result<std::string> query_text(const std::string& sql);
  Result<int64_t> query_int(const std::string& sql);
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace edgetier
