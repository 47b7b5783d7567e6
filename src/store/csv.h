/// RFC 4180 CSV fields, shared by the store's export and the report's tables.
#pragma once

#include <string>
#include <vector>

namespace edgetier {

/// One CSV field, quoted when it holds a comma, quote or line break (quotes doubled).
std::string csv_field(const std::string& text);
/// Splits CSV text into records of fields; a quoted field may span lines. For tests and readers.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace edgetier
