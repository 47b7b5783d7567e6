/// Strict YAML reading (yaml-cpp): typed getters whose errors name the file, line and key path,
/// and unknown-key errors that suggest the nearest valid key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier {

/// A node plus where it came from, so every error can say "spec.yaml:12:3: measurement.passes".
struct YamlCursor {
  YAML::Node node;
  std::string path;   // "measurement.passes", "models[0].path"; "" for the document root
  std::string label;  // file name (or "<embedded demo.yaml>") used in messages

  YamlCursor() = default;
  YamlCursor(const YAML::Node& n, std::string p, std::string l)
      : path(std::move(p)), label(std::move(l)) {
    if (n) node.reset(n);
  }
  YamlCursor(const YamlCursor& other) = default;
  // yaml-cpp's Node::operator= writes through to the document; rebind with reset() instead.
  YamlCursor& operator=(const YamlCursor& other) {
    node.reset(other.node);
    path = other.path;
    label = other.label;
    return *this;
  }

  YamlCursor child(const std::string& key) const;
  YamlCursor element(size_t index) const;
  /// "spec.yaml:12:3: measurement.passes" (line/column 1-based when yaml-cpp knows them).
  std::string where() const;
  /// INVALID_ARGUMENT "<where>: <message>".
  Status error(const std::string& message) const;
  bool is_null() const { return !node || node.IsNull(); }
};

/// "a map", "a list", "null" or the quoted scalar text: for "expected X, got Y" messages.
std::string describe_yaml(const YAML::Node& node);

Result<int64_t> yaml_int(const YamlCursor& at);
Result<double> yaml_double(const YamlCursor& at);
Result<bool> yaml_bool(const YamlCursor& at);
Result<std::string> yaml_string(const YamlCursor& at);
/// A list of strings; a single scalar is accepted as a one-element list.
Result<std::vector<std::string>> yaml_string_list(const YamlCursor& at);
Result<std::vector<double>> yaml_double_list(const YamlCursor& at);
/// Byte sizes: an integer, or "512MiB", "4GiB", "4g", "100MB", "1.5G" (k/m/g are binary like
/// Docker).
Result<int64_t> yaml_bytes(const YamlCursor& at);

/// Reads one YAML map. Every key read through it is "known"; finish() rejects the rest, naming
/// the unknown key's path and the nearest known key. A null node reads as an empty map.
class YamlMap {
 public:
  static Result<YamlMap> open(const YamlCursor& at);

  bool has(const std::string& key);
  YamlCursor at(const std::string& key);
  /// Declares `key` valid without reading it (for keys handled elsewhere).
  void allow(const std::string& key) { known_.insert(key); }

  // Each getter leaves *out unchanged when the key is absent or null.
  Status get(const std::string& key, int64_t* out);
  Status get(const std::string& key, int* out);
  Status get(const std::string& key, double* out);
  Status get(const std::string& key, bool* out);
  Status get(const std::string& key, std::string* out);
  Status get(const std::string& key, std::vector<std::string>* out);
  Status get_bytes(const std::string& key, int64_t* out);

  /// Unknown or duplicate keys -> INVALID_ARGUMENT naming the key path and the nearest valid key.
  Status finish() const;
  const YamlCursor& cursor() const { return cursor_; }

 private:
  explicit YamlMap(YamlCursor cursor) : cursor_(std::move(cursor)) {}
  YamlCursor cursor_;
  std::set<std::string> known_;
};

}  // namespace edgetier
