/// The CSV reader: quoted fields (also across lines), BOM and CRLF, line numbers in errors.
#include "core/csv.h"

#include <sstream>

#include "core/strings.h"

namespace edgetier {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

CsvReader::CsvReader(std::istream& in, std::string_view source, CsvOptions options)
    : in_(in), source_(source), options_(options) {}

bool CsvReader::next(std::vector<std::string>* fields, Status* status) {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_;
    if (line_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (options_.skip_blank_lines && trim(line).empty()) continue;
    record_line_ = line_;
    if (Status utf8 = check_utf8(line, source_, static_cast<size_t>(line_)); !utf8.ok()) {
      *status = utf8;
      return false;
    }
    fields->assign(1, std::string());
    bool quoted = false;
    for (;;) {
      for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
          if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            fields->back() += '"';
            ++i;
          } else if (c == '"') {
            quoted = false;
          } else {
            fields->back() += c;
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          fields->emplace_back();
        } else {
          fields->back() += c;
        }
      }
      if (!quoted) break;
      // A quoted field goes on on the next line (the newline is part of it).
      if (!std::getline(in_, line)) {
        *status = error("unterminated quoted field");
        return false;
      }
      ++line_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (Status utf8 = check_utf8(line, source_, static_cast<size_t>(line_)); !utf8.ok()) {
        *status = utf8;
        return false;
      }
      fields->back() += '\n';
    }
    if (options_.trim_fields) {
      for (auto& f : *fields) f = trim(f);
    }
    return true;
  }
  return false;
}

Status CsvReader::error(const std::string& message) const {
  return invalid_argument(source_ + ":" + std::to_string(record_line_) + ": " + message);
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::istringstream in{std::string(text)};
  CsvReader reader(in, "csv", CsvOptions{/*trim_fields=*/false, /*skip_blank_lines=*/false});
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> fields;
  Status status;
  while (reader.next(&fields, &status)) rows.push_back(fields);
  return rows;
}

}  // namespace edgetier
