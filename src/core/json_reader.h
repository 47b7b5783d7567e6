/// Strict JSON reading (nlohmann_json): parse errors with file, line and column; typed getters
/// whose errors name the key path; unknown keys rejected with the nearest valid key.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier {

/// Parses `text`; a syntax error is INVALID_ARGUMENT "<label>:<line>:<column>: <reason>".
Result<nlohmann::json> parse_json(std::string_view text, const std::string& label);
/// Reads and parses a file (NOT_FOUND names it when it cannot be opened).
Result<nlohmann::json> read_json_file(const std::string& path);

/// Reads one JSON object. Keys read through it are "known"; finish() rejects the others, naming
/// the key's path and the nearest known key. Errors read "<label>: <path>.<key>: <message>".
class JsonMap {
 public:
  /// `path` is where the object sits in its document ("" for the root, "tiers[0]", ...).
  static Result<JsonMap> open(const nlohmann::json& object, std::string label,
                              std::string path = "");

  bool has(const std::string& key);
  /// The value at `key` (null when absent); marks the key known.
  const nlohmann::json& at(const std::string& key);
  /// Declares `key` valid without reading it.
  void allow(const std::string& key) { known_.insert(key); }
  /// "<path>.<key>" (or "<key>" at the root).
  std::string path_of(const std::string& key) const;

  // Each getter leaves *out unchanged when the key is absent or null.
  Status get(const std::string& key, std::string* out);
  Status get(const std::string& key, double* out);
  Status get(const std::string& key, int64_t* out);
  Status get(const std::string& key, int* out);
  Status get(const std::string& key, bool* out);
  Status get(const std::string& key, std::vector<std::string>* out);
  /// A nested object (absent or null: an empty object).
  Result<JsonMap> object(const std::string& key);

  Status finish() const;
  /// INVALID_ARGUMENT "<label>: <path.key>: <message>".
  Status error(const std::string& key, const std::string& message) const;

 private:
  JsonMap(const nlohmann::json& object, std::string label, std::string path)
      : object_(&object), label_(std::move(label)), path_(std::move(path)) {}
  const nlohmann::json* object_;
  std::string label_;
  std::string path_;
  std::set<std::string> known_;
};

/// `value` as a whole number in [min, max]: a JSON integer, or a float with no fraction ("3.0").
/// Every integer read of JSON goes through it, because nlohmann's get<int64_t>() on a float out
/// of range (1e300) or on an unsigned above INT64_MAX is undefined behaviour or wraps. The error
/// (INVALID_ARGUMENT) reads "<context>: expected a whole number, got 1.5" or "<context>: expected
/// a whole number in [0, 10], got 11" (no prefix when `context` is empty).
Result<int64_t> json_whole_number(const nlohmann::json& value, std::string_view context,
                                  int64_t min = std::numeric_limits<int64_t>::min(),
                                  int64_t max = std::numeric_limits<int64_t>::max());

/// "an object", "a list", "null", "true" or the value's JSON text: for "expected X, got Y".
std::string describe_json(const nlohmann::json& value);

}  // namespace edgetier
