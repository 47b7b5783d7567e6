/// CSV (RFC 4180): one reader and one field escaper for every CSV edgetier reads or writes.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier {

/// `text` as one CSV field: quoted (with "" for ") when it holds a comma, a quote or a newline.
std::string csv_field(std::string_view text);

struct CsvOptions {
  /// Strip white space around each field (hand-written files: "a, b").
  bool trim_fields = true;
  /// Skip lines that are empty or only white space.
  bool skip_blank_lines = true;
};

/// Reads records one at a time: drops a UTF-8 byte-order mark and '\r' before '\n', lets a quoted
/// field span lines, and counts lines from 1 so that errors say "<source>:<line>: ...".
class CsvReader {
 public:
  CsvReader(std::istream& in, std::string_view source, CsvOptions options = {});

  /// False at end of input, or on a malformed record (then `status` holds the error).
  bool next(std::vector<std::string>* fields, Status* status);
  /// The line the last record began on.
  int line() const { return record_line_; }
  /// INVALID_ARGUMENT "<source>:<line>: <message>".
  Status error(const std::string& message) const;

 private:
  std::istream& in_;
  std::string source_;
  CsvOptions options_;
  int line_ = 0;
  int record_line_ = 0;
};

/// Every record of `text`, fields untrimmed and blank lines kept as one empty field (for reading
/// back files edgetier wrote). A last record with an unterminated quote is left out.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);

}  // namespace edgetier
