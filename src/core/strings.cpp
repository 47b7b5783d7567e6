/// String helpers: edit distance, case and white space, byte sizes (one table of units).
#include "core/strings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace edgetier {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == lower(prefix);
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

namespace {

constexpr double kKi = 1024.0;
/// THE table of size units (lower case); see parse_bytes in strings.h.
const std::vector<std::pair<std::string, double>>& size_units() {
  static const std::vector<std::pair<std::string, double>> kUnits = {{"", 1},
                                                                     {"b", 1},
                                                                     {"kb", 1e3},
                                                                     {"mb", 1e6},
                                                                     {"gb", 1e9},
                                                                     {"tb", 1e12},
                                                                     {"kib", kKi},
                                                                     {"mib", kKi * kKi},
                                                                     {"gib", kKi * kKi * kKi},
                                                                     {"tib", kKi * kKi * kKi * kKi},
                                                                     {"ki", kKi},
                                                                     {"mi", kKi * kKi},
                                                                     {"gi", kKi * kKi * kKi},
                                                                     {"ti", kKi * kKi * kKi * kKi},
                                                                     {"k", kKi},
                                                                     {"m", kKi * kKi},
                                                                     {"g", kKi * kKi * kKi},
                                                                     {"t", kKi * kKi * kKi * kKi}};
  return kUnits;
}

}  // namespace

Result<int64_t> parse_bytes(std::string_view text) {
  const std::string s = trim(text);
  size_t pos = 0;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.'))
    ++pos;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + pos, value);
  if (pos == 0 || ec != std::errc() || end != s.data() + pos || !std::isfinite(value)) {
    return invalid_argument("'" + std::string(text) +
                            "' is not a size; write a number with an optional unit, e.g. "
                            "512MiB (2^20 bytes each), 512MB (10^6 bytes each) or 4g");
  }
  const std::string unit = lower(trim(s.substr(pos)));
  for (const auto& [name, factor] : size_units()) {
    if (unit != name) continue;
    const double bytes = std::round(value * factor);
    if (bytes > 9.2e18) return out_of_range("size '" + std::string(text) + "' is too large");
    return static_cast<int64_t>(bytes);
  }
  std::vector<std::string> names;
  for (const auto& u : size_units()) {
    if (!u.first.empty()) names.push_back(u.first);
  }
  return invalid_argument("unknown size unit '" + unit + "' in '" + std::string(text) +
                          "'; did you mean '" + nearest_name(unit, names) +
                          "'? (kB/MB/GB/TB = powers of 10, KiB/MiB/GiB/TiB or k/m/g/t = powers "
                          "of 2)");
}

std::string format_bytes(int64_t bytes) {
  char buffer[64];
  const double b = static_cast<double>(bytes);
  constexpr int64_t kMiB = 1LL << 20, kGiB = 1LL << 30;
  if (bytes >= kGiB) {
    std::snprintf(buffer, sizeof(buffer), "%.2f GiB", b / kGiB);
    if (bytes % kGiB != 0 && bytes % 1000000000 == 0)
      std::snprintf(buffer, sizeof(buffer), "%lld GB", static_cast<long long>(bytes / 1000000000));
    else if (bytes % kGiB != 0 && bytes % kMiB != 0 && bytes % 1000000 == 0)
      std::snprintf(buffer, sizeof(buffer), "%lld MB", static_cast<long long>(bytes / 1000000));
  } else if (bytes >= kMiB) {
    if (bytes % kMiB != 0 && bytes % 1000000 == 0)
      std::snprintf(buffer, sizeof(buffer), "%lld MB", static_cast<long long>(bytes / 1000000));
    else
      std::snprintf(buffer, sizeof(buffer), "%.0f MiB", b / kMiB);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%lld B", static_cast<long long>(bytes));
  }
  return buffer;
}

std::string shortest_number(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

std::string format_share(double share) {
  return shortest_number(std::round(share * 1000.0) / 10.0) + "%";
}

std::optional<size_t> invalid_utf8_offset(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    uint32_t code = 0, min = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if ((b & 0xE0) == 0xC0) {
      n = 1;
      code = b & 0x1F;
      min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2;
      code = b & 0x0F;
      min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3;
      code = b & 0x07;
      min = 0x10000;
    } else {
      return i;
    }
    if (n >= text.size() - i) return i;  // truncated at the end
    for (size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      code = (code << 6) | (c & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::nullopt;
}

namespace {

/// INVALID_ARGUMENT "<label>:<line>:<column>: <what> (byte 0xNN)<advice>" for text[offset].
Status text_error(std::string_view text, size_t offset, const std::string& label,
                  size_t first_line, const std::string& what, const std::string& advice) {
  size_t line = first_line, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X",
                static_cast<unsigned>(static_cast<unsigned char>(text[offset])));
  return invalid_argument(label + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": " + what + " (byte " + byte + ")" + advice);
}

}  // namespace

Status check_utf8(std::string_view text, const std::string& label, size_t first_line) {
  const auto offset = invalid_utf8_offset(text);
  if (!offset) return ok_status();
  return text_error(text, *offset, label, first_line, "not valid UTF-8", "; save the file as UTF-8");
}

Status check_yaml_text(std::string_view text, const std::string& label) {
  RETURN_IF_ERROR(check_utf8(text, label));
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      return text_error(text, i, label, 1, "a control character is not allowed in YAML", "");
    }
  }
  return ok_status();
}

}  // namespace edgetier
