/// Strict YAML reading helpers.
#include "experiment/yaml_reader.h"

#include <cctype>
#include <cmath>
#include <map>

#include "core/strings.h"

namespace edgetier {
namespace {

// yaml-cpp tags quoted scalars "!" and plain ones "?": a quoted "6" is a string, not a number.
bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

}  // namespace

YamlCursor YamlCursor::child(const std::string& key) const {
  YamlCursor c;
  c.path = path.empty() ? key : path + "." + key;
  c.label = label;
  // Const access: a missing key yields an invalid node instead of inserting one.
  const YAML::Node& parent = node;
  if (parent && parent.IsMap()) {
    YAML::Node found = parent[key];
    if (found) c.node.reset(found);
  }
  return c;
}

YamlCursor YamlCursor::element(size_t index) const {
  YamlCursor c;
  const YAML::Node& parent = node;
  c.node.reset(parent[index]);
  c.path = path + "[" + std::to_string(index) + "]";
  c.label = label;
  return c;
}

std::string YamlCursor::where() const {
  std::string out = label.empty() ? std::string("<yaml>") : label;
  if (node && node.IsDefined()) {
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0)
      out += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  if (!path.empty()) out += ": " + path;
  return out;
}

Status YamlCursor::error(const std::string& message) const {
  return invalid_argument(where() + ": " + message);
}

std::string describe_yaml(const YAML::Node& node) {
  if (!node || node.IsNull()) return "null";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  std::string text = node.Scalar();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return (is_quoted(node) ? "the string \"" : "'") + text + (is_quoted(node) ? "\"" : "'");
}

Result<int64_t> yaml_int(const YamlCursor& at) {
  if (at.node && at.node.IsScalar() && !is_quoted(at.node)) {
    try {
      return at.node.as<int64_t>();
    } catch (const YAML::Exception&) {
    }
  }
  return at.error("expected an integer, got " + describe_yaml(at.node));
}

Result<double> yaml_double(const YamlCursor& at) {
  if (at.node && at.node.IsScalar() && !is_quoted(at.node)) {
    try {
      const double v = at.node.as<double>();
      if (std::isfinite(v)) return v;
    } catch (const YAML::Exception&) {
    }
  }
  return at.error("expected a number, got " + describe_yaml(at.node));
}

Result<bool> yaml_bool(const YamlCursor& at) {
  if (at.node && at.node.IsScalar() && !is_quoted(at.node)) {
    try {
      return at.node.as<bool>();
    } catch (const YAML::Exception&) {
    }
  }
  return at.error("expected true or false, got " + describe_yaml(at.node));
}

Result<std::string> yaml_string(const YamlCursor& at) {
  if (at.node && at.node.IsScalar()) return at.node.Scalar();
  return at.error("expected a string, got " + describe_yaml(at.node));
}

Result<std::vector<std::string>> yaml_string_list(const YamlCursor& at) {
  std::vector<std::string> out;
  if (at.node && at.node.IsScalar()) {
    out.push_back(at.node.Scalar());
    return out;
  }
  if (!at.node || !at.node.IsSequence()) {
    return at.error("expected a list of strings, got " + describe_yaml(at.node));
  }
  for (size_t i = 0; i < at.node.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, yaml_string(at.element(i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<double>> yaml_double_list(const YamlCursor& at) {
  std::vector<double> out;
  if (at.node && at.node.IsScalar()) {
    ASSIGN_OR_RETURN(double v, yaml_double(at));
    out.push_back(v);
    return out;
  }
  if (!at.node || !at.node.IsSequence()) {
    return at.error("expected a list of numbers, got " + describe_yaml(at.node));
  }
  for (size_t i = 0; i < at.node.size(); ++i) {
    ASSIGN_OR_RETURN(double v, yaml_double(at.element(i)));
    out.push_back(v);
  }
  return out;
}

Result<int64_t> yaml_bytes(const YamlCursor& at) {
  if (!at.node || !at.node.IsScalar()) {
    return at.error("expected a size such as 512MiB or 4g, got " + describe_yaml(at.node));
  }
  auto bytes = parse_bytes(at.node.Scalar());
  if (!bytes.ok()) {
    return at.error("expected a size such as 512MiB or 4g, got '" + at.node.Scalar() +
                    "': " + bytes.status().message());
  }
  return *bytes;
}

Result<YamlMap> YamlMap::open(const YamlCursor& at) {
  if (at.node && !at.node.IsNull() && !at.node.IsMap()) {
    return at.error("expected a map of keys, got " + describe_yaml(at.node));
  }
  return YamlMap(at);
}

bool YamlMap::has(const std::string& key) {
  known_.insert(key);
  YamlCursor c = cursor_.child(key);
  return !c.is_null();
}

YamlCursor YamlMap::at(const std::string& key) {
  known_.insert(key);
  return cursor_.child(key);
}

Status YamlMap::get(const std::string& key, int64_t* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(*out, yaml_int(at(key)));
  return ok_status();
}

Status YamlMap::get(const std::string& key, int* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(int64_t v, yaml_int(at(key)));
  if (v < INT32_MIN || v > INT32_MAX)
    return at(key).error("value " + std::to_string(v) + " is out of range");
  *out = static_cast<int>(v);
  return ok_status();
}

Status YamlMap::get(const std::string& key, double* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(*out, yaml_double(at(key)));
  return ok_status();
}

Status YamlMap::get(const std::string& key, bool* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(*out, yaml_bool(at(key)));
  return ok_status();
}

Status YamlMap::get(const std::string& key, std::string* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(*out, yaml_string(at(key)));
  return ok_status();
}

Status YamlMap::get(const std::string& key, std::vector<std::string>* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(*out, yaml_string_list(at(key)));
  return ok_status();
}

Status YamlMap::get_bytes(const std::string& key, int64_t* out) {
  if (!has(key)) return ok_status();
  ASSIGN_OR_RETURN(*out, yaml_bytes(at(key)));
  return ok_status();
}

Status YamlMap::finish() const {
  if (!cursor_.node || !cursor_.node.IsMap()) return ok_status();
  std::set<std::string> seen;
  const std::vector<std::string> valid(known_.begin(), known_.end());
  for (const auto& kv : cursor_.node) {
    YamlCursor key_at{kv.first, cursor_.path, cursor_.label};
    if (!kv.first.IsScalar())
      return key_at.error("keys must be plain strings, got " + describe_yaml(kv.first));
    const std::string key = kv.first.Scalar();
    key_at.path = cursor_.path.empty() ? key : cursor_.path + "." + key;
    if (!seen.insert(key).second) return key_at.error("duplicate key");
    if (known_.count(key)) continue;
    std::string message = "unknown key";
    if (!valid.empty()) {
      message += "; did you mean '" + nearest_name(key, valid) + "'? (valid keys: ";
      for (size_t i = 0; i < valid.size(); ++i) message += (i ? ", " : "") + valid[i];
      message += ")";
    }
    return key_at.error(message);
  }
  return ok_status();
}

}  // namespace edgetier
