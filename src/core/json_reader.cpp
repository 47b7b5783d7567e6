/// Strict JSON reader: line/column from nlohmann's byte offset, typed getters, known keys.
#include "core/json_reader.h"

#include <cmath>

#include "core/files.h"
#include "core/strings.h"

namespace edgetier {
namespace {

/// 1-based line and column of byte `offset` in `text`.
std::pair<size_t, size_t> line_column(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, const std::string& label) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the byte at which parsing failed.
    const auto [line, column] = line_column(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string reason = e.what();
    if (const size_t colon = reason.rfind(": "); colon != std::string::npos)
      reason = reason.substr(colon + 2);
    return invalid_argument(label + ":" + std::to_string(line) + ":" + std::to_string(column) +
                            ": not valid JSON: " + reason);
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(label + ": not valid JSON: " + e.what());
  }
}

Result<nlohmann::json> read_json_file(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_file_bytes(path));
  return parse_json(text, path);
}

Result<int64_t> json_whole_number(const nlohmann::json& value, std::string_view context,
                                  int64_t min, int64_t max) {
  const std::string range =
      min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max()
          ? ""
          : " in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  auto refuse = [&] {
    return invalid_argument((context.empty() ? "" : std::string(context) + ": ") +
                            "expected a whole number" + range + ", got " + describe_json(value));
  };
  int64_t number = 0;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return refuse();
    number = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    number = value.get<int64_t>();
  } else if (value.is_number_float()) {
    // [-2^63, 2^63) are exactly the doubles that convert to int64_t without undefined behaviour.
    const double d = value.get<double>();
    constexpr double kTwoTo63 = 9223372036854775808.0;
    if (!std::isfinite(d) || d != std::floor(d) || d < -kTwoTo63 || d >= kTwoTo63) return refuse();
    number = static_cast<int64_t>(d);
  } else {
    return refuse();
  }
  if (number < min || number > max) return refuse();
  return number;
}

std::string describe_json(const nlohmann::json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "a list";
  if (value.is_null()) return "null";
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

Result<JsonMap> JsonMap::open(const nlohmann::json& object, std::string label, std::string path) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (object.is_null()) return JsonMap(kEmpty, std::move(label), std::move(path));
  if (!object.is_object()) {
    return invalid_argument(label + ": " + (path.empty() ? std::string("the document") : path) +
                            ": expected an object, got " + describe_json(object));
  }
  return JsonMap(object, std::move(label), std::move(path));
}

std::string JsonMap::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

Status JsonMap::error(const std::string& key, const std::string& message) const {
  return invalid_argument(label_ + ": " + path_of(key) + ": " + message);
}

bool JsonMap::has(const std::string& key) {
  known_.insert(key);
  return object_->contains(key) && !object_->at(key).is_null();
}

const nlohmann::json& JsonMap::at(const std::string& key) {
  static const nlohmann::json kNull;
  known_.insert(key);
  auto it = object_->find(key);
  return it == object_->end() ? kNull : *it;
}

Status JsonMap::get(const std::string& key, std::string* out) {
  const auto& v = at(key);
  if (v.is_null()) return ok_status();
  if (!v.is_string()) return error(key, "expected a string, got " + describe_json(v));
  *out = v.get<std::string>();
  return ok_status();
}

Status JsonMap::get(const std::string& key, double* out) {
  const auto& v = at(key);
  if (v.is_null()) return ok_status();
  if (!v.is_number()) return error(key, "expected a number, got " + describe_json(v));
  *out = v.get<double>();
  return ok_status();
}

Status JsonMap::get(const std::string& key, int64_t* out) {
  const auto& v = at(key);
  if (v.is_null()) return ok_status();
  ASSIGN_OR_RETURN(*out, json_whole_number(v, label_ + ": " + path_of(key)));
  return ok_status();
}

Status JsonMap::get(const std::string& key, int* out) {
  const auto& v = at(key);
  if (v.is_null()) return ok_status();
  ASSIGN_OR_RETURN(const int64_t number,
                   json_whole_number(v, label_ + ": " + path_of(key), INT32_MIN, INT32_MAX));
  *out = static_cast<int>(number);
  return ok_status();
}

Status JsonMap::get(const std::string& key, bool* out) {
  const auto& v = at(key);
  if (v.is_null()) return ok_status();
  if (!v.is_boolean()) return error(key, "expected true or false, got " + describe_json(v));
  *out = v.get<bool>();
  return ok_status();
}

Status JsonMap::get(const std::string& key, std::vector<std::string>* out) {
  const auto& v = at(key);
  if (v.is_null()) return ok_status();
  if (!v.is_array()) return error(key, "expected a list of strings, got " + describe_json(v));
  std::vector<std::string> items;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return error(key,
                   "item " + std::to_string(i) + ": expected a string, got " + describe_json(v[i]));
    }
    items.push_back(v[i].get<std::string>());
  }
  *out = std::move(items);
  return ok_status();
}

Result<JsonMap> JsonMap::object(const std::string& key) {
  return JsonMap::open(at(key), label_, path_of(key));
}

Status JsonMap::finish() const {
  std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : object_->items()) {
    if (known_.count(key)) continue;
    return invalid_argument(label_ + ": unknown key '" + path_of(key) + "'; did you mean '" +
                            path_of(nearest_name(key, known)) + "'? (known: " + join(known) + ")");
  }
  return ok_status();
}

}  // namespace edgetier
