/// ResultSet storage, strategy-name helpers and the CSV readers for the study's data formats.
#include "analysis/result_set.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>

#include "core/csv.h"
#include "core/strings.h"
#include "metrics/metric.h"
#include "strategy/chain.h"
#include "strategy/placement.h"

namespace edgetier {

// ---------------------------------------------------------------------------------------------
// ResultSet

StrategySamples& ResultSet::slot(const StrategyKey& key) {
  auto it = index_.find(key);
  if (it != index_.end()) return strategies_[it->second];
  index_.emplace(key, strategies_.size());
  StrategySamples samples;
  samples.key = key;
  strategies_.push_back(std::move(samples));
  return strategies_.back();
}

void ResultSet::add_latency(const StrategyKey& key, int64_t latency_ns) {
  slot(key).latency_ns.push_back(latency_ns);
}

void ResultSet::add_request(const StrategyKey& key, int64_t latency_ns,
                            const std::map<std::string, int64_t>& breakdown_ns) {
  StrategySamples& s = slot(key);
  s.latency_ns.push_back(latency_ns);
  for (const auto& [name, ns] : breakdown_ns) s.breakdown_ns[name].push_back(ns);
}

void ResultSet::add_request(const StrategyKey& key, int64_t latency_ns,
                            const std::map<std::string, int64_t>& breakdown_ns,
                            const std::map<std::string, int64_t>& bytes) {
  add_request(key, latency_ns, breakdown_ns);
  StrategySamples& s = slot(key);
  for (const auto& [name, n] : bytes) s.bytes[name].push_back(n);
}

void ResultSet::add_missing(MissingStrategy missing) { missing_.push_back(std::move(missing)); }

std::string MissingStrategy::kind() const {
  if (status == "infeasible") return "infeasible";
  if (status == "failed") return "failed";
  if (requests_stored == 0) return "not measured";
  return "incomplete";
}

std::string MissingStrategy::describe() const {
  const std::string k = kind();
  if (k == "infeasible" || k == "failed") {
    std::string out = k;
    if (!reason.empty()) out += ": " + reason;
    if (k == "failed" && requests_stored > 0) {
      out += " (" + std::to_string(requests_stored) + " requests stored)";
    }
    return out;
  }
  std::string out = k + ": " + std::to_string(requests_stored);
  if (requests_planned) out += " of " + std::to_string(*requests_planned);
  out += " requests stored (status " + status + ")";
  return out;
}

void ResultSet::set_stop_reason(const StrategyKey& key, const std::string& reason) {
  slot(key).stop_reason = reason;
}

void ResultSet::add_failures(const StrategyKey& key, int64_t count) {
  slot(key).failed_requests += count;
}

void ResultSet::add_exit_decisions(const StrategyKey& key, int64_t decided, int64_t taken) {
  StrategySamples& s = slot(key);
  s.exit_decisions += decided;
  s.exits_taken += taken;
}

void ResultSet::add_sent_window(const StrategyKey& key, int64_t sent_ns, int64_t end_ns) {
  auto& window = slot(key).sent_window_ns;
  if (!window) {
    window.emplace(sent_ns, end_ns);
    return;
  }
  window->first = std::min(window->first, sent_ns);
  window->second = std::max(window->second, end_ns);
}

Status ResultSet::add_accuracy(const AccuracyRow& row) {
  for (const auto& r : accuracy_) {
    if (r.model == row.model && r.ops == row.ops && r.metric == row.metric) {
      if (r.value == row.value) return ok_status();
      return invalid_argument("accuracy of " + row.model + " " + row.ops + " " + row.metric +
                              " given twice with different values (" + std::to_string(r.value) +
                              " and " + std::to_string(row.value) + ")");
    }
  }
  accuracy_.push_back(row);
  return ok_status();
}

const StrategySamples* ResultSet::find(const StrategyKey& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &strategies_[it->second];
}

size_t ResultSet::total_samples() const {
  size_t n = 0;
  for (const auto& s : strategies_) n += s.latency_ns.size();
  return n;
}

std::vector<std::string> ResultSet::models() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& m) {
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  };
  for (const auto& s : strategies_) add(s.key.model);
  for (const auto& r : accuracy_) add(r.model);
  for (const auto& m : missing_) add(m.key.model);
  return out;
}

std::vector<std::string> ResultSet::scenarios(const std::string& model) const {
  std::vector<std::string> out;
  for (const auto& s : strategies_) {
    if (s.key.model != model) continue;
    if (std::find(out.begin(), out.end(), s.key.scenario) == out.end()) {
      out.push_back(s.key.scenario);
    }
  }
  for (const auto& m : missing_) {
    if (m.key.model != model) continue;
    if (std::find(out.begin(), out.end(), m.key.scenario) == out.end()) {
      out.push_back(m.key.scenario);
    }
  }
  return out;
}

std::optional<double> ResultSet::accuracy(const std::string& model, const std::string& ops,
                                          const std::string& metric) const {
  std::string wanted = ops;
  while (!wanted.empty()) {
    for (const auto& r : accuracy_) {
      if (r.model == model && r.ops == wanted && r.metric == metric) return r.value;
    }
    wanted = unpartitioned_ops(wanted);
  }
  return std::nullopt;
}

std::optional<std::string> ResultSet::primary_metric(const std::string& model) const {
  std::vector<std::string> seen;
  for (const auto& r : accuracy_) {
    if (r.model == model) seen.push_back(r.metric);
  }
  if (seen.empty()) return std::nullopt;
  return pick_primary_metric(seen);
}

// ---------------------------------------------------------------------------------------------
// Strategy names

// The names are strategy/'s (chain.h, placement.h); these keep the string forms analysis and
// report work with. A name that does not parse has no parent, rank or display name of its own.

const std::vector<std::string>& known_placements() {
  static const std::vector<std::string> kPlacements = [] {
    std::vector<std::string> out;
    for (const auto& p : all_placements()) out.push_back(p.name());
    return out;
  }();
  return kPlacements;
}

Result<std::string> normalize_placement(std::string_view name) {
  ASSIGN_OR_RETURN(Placement p, parse_placement(name));
  return p.name();
}

std::string unpartitioned_ops(const std::string& ops) {
  auto chain = parse_op_chain(ops);
  if (!chain.ok() || !chain->unpartitioned()) return "";
  return chain->unpartitioned()->name();
}

int ops_complexity(const std::string& ops) {
  auto chain = parse_op_chain(ops);
  return chain.ok() ? chain->complexity() : 0;
}

std::string ops_display_name(const std::string& ops) {
  auto chain = parse_op_chain(ops);
  return chain.ok() ? chain->display_name() : ops;
}

// ---------------------------------------------------------------------------------------------
// CSV reading

namespace {


bool parse_double(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto [ptr, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && ptr == e && std::isfinite(*out);
}

int column_of(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (lower(header[i]) == name) return static_cast<int>(i);
  }
  return -1;
}

Status check_name(const CsvReader& reader, const std::string& column, const std::string& value) {
  if (value.empty()) return reader.error("empty " + column);
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      return reader.error(column + " '" + value + "' contains white space");
    }
  }
  return ok_status();
}

/// The study's wide accuracy names: "ResNet Quantize EarlyExit Partition" -> {ResNet, QEP}.
Result<std::pair<std::string, std::string>> parse_study_variant(const CsvReader& reader,
                                                                const std::string& name) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < name.size()) {
    size_t end = name.find(' ', pos);
    if (end == std::string::npos) end = name.size();
    if (end > pos) words.push_back(name.substr(pos, end - pos));
    pos = end + 1;
  }
  if (words.empty()) return reader.error("empty Model");
  bool q = false, ee = false, p = false;
  for (size_t i = 1; i < words.size(); ++i) {
    std::string w = lower(words[i]);
    if (w == "quantize" || w == "quantized") {
      q = true;
    } else if (w == "earlyexit") {
      ee = true;
    } else if (w == "partition") {
      p = true;
    } else {
      return reader.error("unknown operator '" + words[i] + "' in '" + name +
                          "'; expected Quantize, EarlyExit or Partition");
    }
  }
  OpChain chain;
  chain.quantize = q;
  chain.exit = ee ? ExitMode::kStatic : ExitMode::kNone;
  chain.partition = p;
  return std::make_pair(words[0], chain.name());
}

}  // namespace

Status read_samples_csv(std::istream& in, std::string_view source_name, ResultSet* results) {
  CsvReader reader(in, source_name);
  std::vector<std::string> f;
  Status st;
  if (!reader.next(&f, &st)) {
    return st.ok() ? invalid_argument(std::string(source_name) + ": empty file; expected a " +
                                      "header latency_s,placement,model,strategy")
                   : st;
  }
  const std::vector<std::string> header = f;
  int c_lat = -1;
  double to_ns = 0;
  for (const auto& [name, scale] : {std::pair<const char*, double>{"latency_s", 1e9},
                                    {"latency_ms", 1e6},
                                    {"latency_ns", 1.0}}) {
    if (c_lat < 0 && (c_lat = column_of(header, name)) >= 0) to_ns = scale;
  }
  const int c_place = column_of(header, "placement");
  const int c_model = column_of(header, "model");
  const int c_strategy = column_of(header, "strategy");
  const int c_scenario = column_of(header, "scenario");
  if (c_lat < 0 || c_place < 0 || c_model < 0 || c_strategy < 0) {
    return reader.error("header '" + join(header, ",") +
                        "' lacks a column; expected latency_s (or latency_ms, latency_ns), " +
                        "placement, model, strategy and optionally scenario");
  }
  std::map<std::string, std::string> placement_cache;
  size_t rows = 0;
  while (reader.next(&f, &st)) {
    if (f.size() != header.size()) {
      return reader.error("expected " + std::to_string(header.size()) + " fields, found " +
                          std::to_string(f.size()));
    }
    double latency = 0;
    if (!parse_double(f[c_lat], &latency)) {
      return reader.error(header[c_lat] + " '" + f[c_lat] + "' is not a number");
    }
    if (latency < 0) return reader.error(header[c_lat] + " " + f[c_lat] + " is negative");
    StrategyKey key;
    key.model = f[c_model];
    key.ops = f[c_strategy];
    key.scenario = c_scenario >= 0 ? f[c_scenario] : std::string(kDefaultScenario);
    RETURN_IF_ERROR(check_name(reader, "model", key.model));
    RETURN_IF_ERROR(check_name(reader, "strategy", key.ops));
    RETURN_IF_ERROR(check_name(reader, "scenario", key.scenario));
    auto cached = placement_cache.find(f[c_place]);
    if (cached == placement_cache.end()) {
      auto placement = normalize_placement(f[c_place]);
      if (!placement.ok()) return reader.error(placement.status().message());
      cached = placement_cache.emplace(f[c_place], *placement).first;
    }
    key.placement = cached->second;
    results->add_latency(key, static_cast<int64_t>(std::llround(latency * to_ns)));
    ++rows;
  }
  RETURN_IF_ERROR(st);
  if (rows == 0)
    return invalid_argument(std::string(source_name) + ": no sample rows after the header");
  return ok_status();
}

Status read_accuracy_csv(std::istream& in, std::string_view source_name, ResultSet* results) {
  CsvReader reader(in, source_name);
  std::vector<std::string> f;
  Status st;
  if (!reader.next(&f, &st)) {
    return st.ok() ? invalid_argument(std::string(source_name) +
                                      ": empty file; expected a header model,strategy,metric,value")
                   : st;
  }
  const std::vector<std::string> header = f;
  const int c_model = column_of(header, "model");
  const int c_strategy = column_of(header, "strategy");
  const int c_metric = column_of(header, "metric");
  const int c_value = column_of(header, "value");
  const bool long_format = c_model >= 0 && c_strategy >= 0 && c_metric >= 0 && c_value >= 0;
  const bool wide_format = !long_format && c_model == 0 && header.size() >= 2;
  if (!long_format && !wide_format) {
    return reader.error("header '" + join(header, ",") +
                        "' is neither model,strategy,metric,value nor Model,<metric>,...");
  }
  size_t rows = 0;
  while (reader.next(&f, &st)) {
    if (f.size() != header.size()) {
      return reader.error("expected " + std::to_string(header.size()) + " fields, found " +
                          std::to_string(f.size()));
    }
    if (long_format) {
      AccuracyRow row{f[c_model], f[c_strategy], lower(f[c_metric]), 0};
      RETURN_IF_ERROR(check_name(reader, "model", row.model));
      RETURN_IF_ERROR(check_name(reader, "strategy", row.ops));
      RETURN_IF_ERROR(check_name(reader, "metric", row.metric));
      if (!parse_double(f[c_value], &row.value)) {
        return reader.error("value '" + f[c_value] + "' is not a number");
      }
      Status added = results->add_accuracy(row);
      if (!added.ok()) return reader.error(added.message());
      ++rows;
      continue;
    }
    ASSIGN_OR_RETURN(auto variant, parse_study_variant(reader, f[0]));
    for (size_t c = 1; c < header.size(); ++c) {
      if (f[c].empty()) continue;  // the wide layout leaves metrics a model lacks empty
      AccuracyRow row{variant.first, variant.second, lower(header[c]), 0};
      if (!parse_double(f[c], &row.value)) {
        return reader.error(header[c] + " '" + f[c] + "' is not a number");
      }
      Status added = results->add_accuracy(row);
      if (!added.ok()) return reader.error(added.message());
      ++rows;
    }
  }
  RETURN_IF_ERROR(st);
  if (rows == 0) return invalid_argument(std::string(source_name) + ": no accuracy rows");
  return ok_status();
}

Status load_samples_csv(const std::string& path, ResultSet* results) {
  std::ifstream in(path);
  if (!in) return not_found("cannot open samples CSV '" + path + "'");
  RETURN_IF_ERROR(read_samples_csv(in, path, results));
  results->source += (results->source.empty() ? "" : ", ") + path;
  return ok_status();
}

Status load_accuracy_csv(const std::string& path, ResultSet* results) {
  std::ifstream in(path);
  if (!in) return not_found("cannot open accuracy CSV '" + path + "'");
  RETURN_IF_ERROR(read_accuracy_csv(in, path, results));
  results->source += (results->source.empty() ? "" : ", ") + path;
  return ok_status();
}

}  // namespace edgetier
