/// String helpers used across layers: spelling suggestions, join/lower/upper/trim, byte sizes,
/// UTF-8 checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier {

/// The candidate with the smallest edit distance to `name` (for "did you mean" hints); "" when
/// there are no candidates.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);
/// Levenshtein distance.
size_t edit_distance(std::string_view a, std::string_view b);

std::string join(const std::vector<std::string>& parts, std::string_view separator = ", ");
std::string lower(std::string_view s);
std::string upper(std::string_view s);
/// Without leading and trailing ASCII white space.
std::string trim(std::string_view s);
bool starts_with_ci(std::string_view s, std::string_view prefix);
/// The pieces between each `separator` ("a,,b" -> {"a", "", "b"}; "" -> {""}).
std::vector<std::string> split(std::string_view text, char separator);
/// The words between runs of white space (none for blank text).
std::vector<std::string> split_words(std::string_view text);

/// The byte offset of the first byte of `text` that does not start a well-formed UTF-8 sequence
/// (overlong forms, surrogates and code points past U+10FFFF are ill-formed); nullopt when all is.
std::optional<size_t> invalid_utf8_offset(std::string_view text);
/// INVALID_ARGUMENT "<label>:<line>:<column>: not valid UTF-8 (byte 0xNN); ..." for text read
/// from a file whose names and values end up in JSON, HTML and the database, which need UTF-8
/// (nlohmann's dump() throws on invalid UTF-8). `text` starts on line `first_line` of the file.
Status check_utf8(std::string_view text, const std::string& label, size_t first_line = 1);
/// check_utf8, and no control character but tab, line feed and carriage return: YAML allows no
/// other, and yaml-cpp turns a NUL byte into a lone 0xA0 byte, which is not UTF-8.
Status check_yaml_text(std::string_view text, const std::string& label);

/// Byte sizes, with one meaning in every parser and printer (case-insensitive, space allowed
/// before the unit, fractions allowed: "1.5GiB"):
///   no unit or "B"                      bytes
///   kB, MB, GB, TB                      powers of 10 (SI): 1 MB = 10^6 bytes
///   KiB, MiB, GiB, TiB (or Ki, Mi, ...) powers of 2 (IEC): 1 MiB = 2^20 bytes
///   k, m, g, t (one letter)             powers of 2, as docker, cgroups and `free` read them
/// Errors name the text and suggest the nearest unit.
Result<int64_t> parse_bytes(std::string_view text);
/// Prints a size so that parse_bytes reads it back to the same number where it is an exact
/// multiple of a unit ("512 MiB", "512 MB", "1.00 GiB", "1000 B"); other sizes are rounded to
/// the nearest MiB ("488 MiB") or to 2 decimals of a GiB.
std::string format_bytes(int64_t bytes);

/// Shortest text that reads back as the same double ("0.8", "10", "1e-05").
std::string shortest_number(double value);

/// A share in [0, 1] as a percentage with at most one decimal: 0.106 -> "10.6%", 0.5 -> "50%".
std::string format_share(double share);

}  // namespace edgetier
