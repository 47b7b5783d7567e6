/// experiment.yaml's network sections: the testbed (preset plus inline tiers and links),
/// scenarios and their sweeps, and the measurement settings.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/strings.h"
#include "experiment/spec_yaml_internal.h"
#include "testbed/backend.h"

namespace edgetier::spec_yaml {

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty()) return p;
  std::filesystem::path path(p);
  if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
  return path.lexically_normal().string();
}

Status check_choice(const YamlCursor& at, const std::string& value,
                    const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return ok_status();
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) list += (i ? ", " : "") + choices[i];
  return at.error("'" + value + "' is not one of " + list + "; did you mean '" +
                  nearest_name(value, choices) + "'?");
}

Status check_range(const YamlCursor& at, double v, double lo, double hi, const std::string& what) {
  if (v < lo || v > hi) {
    return at.error("value must be " + what + ", got " + std::to_string(v));
  }
  return ok_status();
}

static Status parse_link_values(const YamlCursor& at, LinkSpec* link) {
  if (at.node && at.node.IsScalar()) {  // shorthand: a number is the rate in Mbit/s
    ASSIGN_OR_RETURN(link->rate_mbit, yaml_double(at));
    return check_range(at, link->rate_mbit, 0, 1e6, ">= 0 (0 = unshaped)");
  }
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  RETURN_IF_ERROR(m.get("rate_mbit", &link->rate_mbit));
  double rtt_ms = link->rtt_ms();
  RETURN_IF_ERROR(m.get("rtt_ms", &rtt_ms));
  link->set_rtt_ms(rtt_ms);
  RETURN_IF_ERROR(m.get("jitter_ms", &link->jitter_ms));
  RETURN_IF_ERROR(m.get("loss_pct", &link->loss_pct));
  RETURN_IF_ERROR(check_range(m.at("rate_mbit"), link->rate_mbit, 0, 1e6, ">= 0 (0 = unshaped)"));
  RETURN_IF_ERROR(check_range(m.at("rtt_ms"), rtt_ms, 0, 1e6, ">= 0"));
  RETURN_IF_ERROR(check_range(m.at("jitter_ms"), link->jitter_ms, 0, 1e6, ">= 0"));
  RETURN_IF_ERROR(check_range(m.at("loss_pct"), link->loss_pct, 0, 100, "in [0, 100]"));
  return m.finish();
}

/// A tier's address, TLS files and tokens (network: remote), paths against the spec's folder.
static Status parse_remote_tier(YamlMap& tm, const std::string& base_dir,
                                testbed::RemoteTier* remote) {
  RETURN_IF_ERROR(tm.get("address", &remote->address));
  RETURN_IF_ERROR(tm.get("token_file", &remote->token_file));
  RETURN_IF_ERROR(tm.get("inference_token_file", &remote->inference_token_file));
  std::string kind = testbed::kTierKindEdgetier;
  RETURN_IF_ERROR(tm.get("kind", &kind));
  RETURN_IF_ERROR(
      check_choice(tm.at("kind"), kind, {testbed::kTierKindEdgetier, testbed::kTierKindKserve}));
  remote->kserve = kind == testbed::kTierKindKserve;
  RETURN_IF_ERROR(tm.get("model", &remote->model));
  RETURN_IF_ERROR(tm.get("version", &remote->version));
  if (tm.has("tls")) {
    ASSIGN_OR_RETURN(YamlMap tls, YamlMap::open(tm.at("tls")));
    RETURN_IF_ERROR(tls.get("ca", &remote->tls_ca));
    RETURN_IF_ERROR(tls.get("cert", &remote->tls_cert));
    RETURN_IF_ERROR(tls.get("key", &remote->tls_key));
    RETURN_IF_ERROR(tls.finish());
  }
  for (std::string* file : {&remote->token_file, &remote->inference_token_file, &remote->tls_ca,
                            &remote->tls_cert, &remote->tls_key}) {
    *file = resolve_path(base_dir, *file);
  }
  if (Status st = testbed::check_remote_tier(*remote); !st.ok())
    return tm.at(remote->kserve ? (remote->address.empty() ? "address" : "model") : "model")
        .error(st.message());
  return ok_status();
}

Result<TestbedSpec> parse_testbed(const YamlCursor& at, const std::string& base_dir) {
  if (at.node && at.node.IsScalar()) {
    auto t = testbed_preset(at.node.Scalar());
    if (!t.ok()) return at.error(t.status().message());
    return t;
  }
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  std::string preset = "default";
  RETURN_IF_ERROR(m.get("preset", &preset));
  auto base = testbed_preset(preset);
  if (!base.ok()) return m.at("preset").error(base.status().message());
  TestbedSpec t = *base;
  RETURN_IF_ERROR(m.get("network", &t.network));
  RETURN_IF_ERROR(check_choice(m.at("network"), t.network, testbed::network_keywords()));
  if (m.has("tiers")) {
    ASSIGN_OR_RETURN(YamlMap tiers, YamlMap::open(m.at("tiers")));
    for (auto& tier : t.tiers) {
      if (!tiers.has(tier.name)) continue;
      ASSIGN_OR_RETURN(YamlMap tm, YamlMap::open(tiers.at(tier.name)));
      RETURN_IF_ERROR(tm.get("enabled", &tier.enabled));
      RETURN_IF_ERROR(tm.get("cpus", &tier.cpus));
      RETURN_IF_ERROR(tm.get_bytes("memory", &tier.memory_bytes));
      RETURN_IF_ERROR(tm.get("threads", &tier.threads));
      RETURN_IF_ERROR(parse_remote_tier(tm, base_dir, &tier.remote));
      RETURN_IF_ERROR(check_range(tm.at("cpus"), tier.cpus, 0, 4096, ">= 0 (0 = unlimited)"));
      RETURN_IF_ERROR(
          check_range(tm.at("threads"), tier.threads, 0, 4096, ">= 0 (0 = ceil(cpus))"));
      RETURN_IF_ERROR(tm.finish());
    }
    RETURN_IF_ERROR(tiers.finish());
  }
  // The remote backend reaches every tier it uses by address; the others start their own.
  for (const auto& tier : t.tiers) {
    if (!tier.enabled) continue;
    const bool remote = t.network == "remote";
    if (remote && tier.remote.empty()) {
      return m.at(m.has("tiers") ? "tiers" : "network")
          .error("network: remote needs an address for tier '" + tier.name +
                 "' (tiers: {" + tier.name + ": {address: HOST:PORT, tls: {ca: ...}, "
                 "token_file: ...}}) or enabled: false");
    }
    if (!remote && !tier.remote.empty()) {
      return m.at("tiers").error("tier '" + tier.name + "' has an address, which only " +
                                 "network: remote uses (network is '" + t.network + "')" +
                                 (tier.remote.kserve ? "; a kind: kserve tier needs it too" : ""));
    }
  }
  if (m.has("links")) {
    ASSIGN_OR_RETURN(YamlMap links, YamlMap::open(m.at("links")));
    for (auto& link : t.links) {
      if (links.has(link.name())) RETURN_IF_ERROR(parse_link_values(links.at(link.name()), &link));
    }
    RETURN_IF_ERROR(links.finish());
  }
  RETURN_IF_ERROR(m.finish());
  return t;
}

static std::string format_value(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

/// A sweep: every combination of the listed values becomes one scenario, named
/// "<sweep>-me10M-ec1M" (rates in Mbit/s; rtt "me20ms", jitter "mej5ms", loss "mel1pct").
static Status expand_sweep(const YamlCursor& links_at, const std::string& prefix,
                           const TestbedSpec& testbed, std::vector<ScenarioSpec>* out) {
  struct Axis {
    std::string link, field;
    std::vector<double> values;
  };
  std::vector<Axis> axes;
  ASSIGN_OR_RETURN(YamlMap links, YamlMap::open(links_at));
  for (const auto& link : testbed.links) {
    if (!links.has(link.name())) continue;
    YamlCursor lat = links.at(link.name());
    if (lat.node && (lat.node.IsScalar() || lat.node.IsSequence())) {  // shorthand: rates
      ASSIGN_OR_RETURN(auto v, yaml_double_list(lat));
      axes.push_back({link.name(), "rate_mbit", v});
      continue;
    }
    ASSIGN_OR_RETURN(YamlMap lm, YamlMap::open(lat));
    for (const char* field : {"rate_mbit", "rtt_ms", "jitter_ms", "loss_pct"}) {
      if (!lm.has(field)) continue;
      ASSIGN_OR_RETURN(auto v, yaml_double_list(lm.at(field)));
      if (v.empty()) return lm.at(field).error("a sweep needs at least one value");
      axes.push_back({link.name(), field, v});
    }
    RETURN_IF_ERROR(lm.finish());
  }
  RETURN_IF_ERROR(links.finish());
  if (axes.empty()) return links_at.error("a sweep needs at least one link value list");
  std::vector<size_t> index(axes.size(), 0);
  while (true) {
    ScenarioSpec sc;
    sc.name = prefix;
    sc.links = testbed.links;
    for (size_t a = 0; a < axes.size(); ++a) {
      const double v = axes[a].values[index[a]];
      for (auto& l : sc.links) {
        if (l.name() != axes[a].link) continue;
        const std::string abbr = l.name() == "mobile-edge" ? "me" : "ec";
        const std::string& field = axes[a].field;
        if (field == "rate_mbit") {
          l.rate_mbit = v;
          sc.name += "-" + abbr + format_value(v) + "M";
        } else if (field == "rtt_ms") {
          l.set_rtt_ms(v);
          sc.name += "-" + abbr + format_value(v) + "ms";
        } else if (field == "jitter_ms") {
          l.jitter_ms = v;
          sc.name += "-" + abbr + "j" + format_value(v) + "ms";
        } else {
          l.loss_pct = v;
          sc.name += "-" + abbr + "l" + format_value(v) + "pct";
        }
        if (v < 0 || (axes[a].field == "loss_pct" && v > 100)) {
          return links_at.error(axes[a].link + "." + axes[a].field + ": value " + format_value(v) +
                                " is out of range");
        }
      }
    }
    out->push_back(std::move(sc));
    size_t a = 0;
    for (; a < axes.size(); ++a) {
      if (++index[a] < axes[a].values.size()) break;
      index[a] = 0;
    }
    if (a == axes.size()) break;
  }
  return ok_status();
}

Status parse_scenarios(const YamlCursor& at, const TestbedSpec& testbed,
                       std::vector<ScenarioSpec>* out) {
  if (!at.node || !at.node.IsSequence()) {
    return at.error("expected a list of scenarios ({name, links} or {sweep, links}), got " +
                    describe_yaml(at.node));
  }
  for (size_t i = 0; i < at.node.size(); ++i) {
    ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at.element(i)));
    std::string name, sweep;
    RETURN_IF_ERROR(m.get("name", &name));
    RETURN_IF_ERROR(m.get("sweep", &sweep));
    if (name.empty() == sweep.empty()) {
      return m.cursor().error(
          "give a scenario either a 'name' (one setting) or a 'sweep' (a grid of settings)");
    }
    bool measure = true;
    RETURN_IF_ERROR(m.get("measure", &measure));
    const size_t first = out->size();
    if (!sweep.empty()) {
      RETURN_IF_ERROR(expand_sweep(m.at("links"), sweep, testbed, out));
    } else {
      ScenarioSpec sc;
      sc.name = name;
      sc.links = testbed.links;
      if (m.has("links")) {
        ASSIGN_OR_RETURN(YamlMap links, YamlMap::open(m.at("links")));
        for (auto& link : sc.links) {
          if (links.has(link.name()))
            RETURN_IF_ERROR(parse_link_values(links.at(link.name()), &link));
        }
        RETURN_IF_ERROR(links.finish());
      }
      out->push_back(std::move(sc));
    }
    for (size_t k = first; k < out->size(); ++k) {
      ScenarioSpec& sc = (*out)[k];
      sc.measured = measure;
      if (measure) continue;
      // The planner varies rates and one RTT added on every link a request crosses.
      for (const auto& l : sc.links) {
        if (l.jitter_ms > 0 || l.loss_pct > 0) {
          return m.cursor().error("scenario '" + sc.name + "' (measure: false): " + l.name() +
                                  " sets jitter or loss, which the planner cannot predict; "
                                  "measure this scenario, or predict rates and RTT only");
        }
        if (l.rtt_ms() != sc.links.front().rtt_ms()) {
          return m.cursor().error("scenario '" + sc.name + "' (measure: false): its links have "
                                  "different RTTs; the planner predicts one RTT shared by "
                                  "every link, so give them the same rtt_ms or measure it");
        }
      }
    }
    RETURN_IF_ERROR(m.finish());
  }
  std::set<std::string> names;
  for (const auto& sc : *out) {
    if (!names.insert(sc.name).second)
      return at.error("scenario '" + sc.name + "' is defined twice");
  }
  if (out->empty()) return at.error("the scenario list is empty");
  if (std::none_of(out->begin(), out->end(), [](const ScenarioSpec& s) { return s.measured; })) {
    return at.error("every scenario has measure: false; the planner predicts from measured "
                    "scenarios, so measure at least one (two, to validate its predictions)");
  }
  return ok_status();
}

namespace {

/// `precision` as "5%", 5 (percent) or off.
Result<std::optional<double>> parse_precision(const YamlCursor& at) {
  ASSIGN_OR_RETURN(std::string text, yaml_string(at));
  if (text == "off" || text == "false") return std::optional<double>();
  std::string number = text;
  if (!number.empty() && number.back() == '%') number.pop_back();
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(v > 0) || !(v < 100))
    return at.error("expected a percentage of the median in (0, 100) such as 5% (the 95% CI "
                    "of the median within +-5%), or off for the fixed count of requests; got '" +
                    text + "'");
  return std::optional<double>(v);
}

/// The stopping rule's keys (MeasurementSpec::precision_pct): on by default when the section
/// fixes no count, refused where they would be ignored.
Status parse_stopping(YamlMap* m, MeasurementSpec* s) {
  // Keys that describe a fixed count; any of them without `precision` keeps the fixed count.
  const char* fixed_keys[] = {"requests", "passes", "discard_passes", "preset"};
  const char* fixed_key = nullptr;
  for (const char* key : fixed_keys) {
    if (!fixed_key && m->has(key)) fixed_key = key;
  }
  if (m->has("precision")) {
    ASSIGN_OR_RETURN(s->precision_pct, parse_precision(m->at("precision")));
    if (s->precision_pct && fixed_key)
      return m->at(fixed_key).error(
          "fixes the count of requests, which measurement.precision decides; drop one of them "
          "(precision: off keeps a fixed count; min_requests, max_requests and max_seconds "
          "bound the adaptive one)");
  } else if (!fixed_key) {
    s->precision_pct = kDefaultPrecisionPct;
  }
  for (const char* key :
       {"min_requests", "max_requests", "max_seconds", "round_requests", "interleave"}) {
    if (!s->precision_pct && m->has(key))
      return m->at(key).error(
          "only applies when measuring until stable (measurement.precision); this section "
          "measures a fixed count (requests x passes)");
  }
  RETURN_IF_ERROR(m->get("min_requests", &s->min_requests));
  RETURN_IF_ERROR(m->get("max_requests", &s->max_requests));
  RETURN_IF_ERROR(m->get("max_seconds", &s->max_seconds));
  RETURN_IF_ERROR(m->get("round_requests", &s->round_requests));
  RETURN_IF_ERROR(m->get("interleave", &s->interleave));
  RETURN_IF_ERROR(check_range(m->at("min_requests"), s->min_requests, 2, 1e7,
                              ">= 2 (a CI needs at least two samples)"));
  RETURN_IF_ERROR(check_range(m->at("max_requests"), s->max_requests, s->min_requests, 1e7,
                              ">= min_requests (" + std::to_string(s->min_requests) + ")"));
  RETURN_IF_ERROR(check_range(m->at("max_seconds"), s->max_seconds, 0.001, 1e7,
                              "> 0 (seconds of measuring per strategy and scenario)"));
  RETURN_IF_ERROR(check_range(m->at("round_requests"), s->round_requests, 1, 1e6, ">= 1"));
  RETURN_IF_ERROR(check_range(m->at("interleave"), s->interleave, 1, 1e4,
                              ">= 1 (strategies loaded and measured in turn at once)"));
  return ok_status();
}

}  // namespace

Result<MeasurementSpec> parse_measurement(const YamlCursor& at) {
  MeasurementSpec s;
  ASSIGN_OR_RETURN(YamlMap m, YamlMap::open(at));
  std::string preset;
  RETURN_IF_ERROR(m.get("preset", &preset));
  if (Status st = apply_measurement_preset(preset, &s); !st.ok())
    return m.at("preset").error(st.message());
  RETURN_IF_ERROR(m.get("warmup", &s.warmup));
  RETURN_IF_ERROR(m.get("requests", &s.requests));
  RETURN_IF_ERROR(m.get("passes", &s.passes));
  RETURN_IF_ERROR(m.get("discard_passes", &s.discard_passes));
  RETURN_IF_ERROR(m.get("concurrency", &s.concurrency));
  RETURN_IF_ERROR(m.get("rate_rps", &s.rate_rps));
  RETURN_IF_ERROR(m.get("timeout_ms", &s.timeout_ms));
  RETURN_IF_ERROR(check_range(m.at("warmup"), s.warmup, 0, 1e6, ">= 0"));
  RETURN_IF_ERROR(check_range(m.at("requests"), s.requests, 1, 1e7, ">= 1"));
  RETURN_IF_ERROR(check_range(m.at("passes"), s.passes, 1, 1e4, ">= 1"));
  RETURN_IF_ERROR(check_range(m.at("discard_passes"), s.discard_passes, 0, s.passes - 1,
                              "less than passes (" + std::to_string(s.passes) + ")"));
  RETURN_IF_ERROR(check_range(m.at("concurrency"), s.concurrency, 1, 1024, "in [1, 1024]"));
  RETURN_IF_ERROR(check_range(m.at("rate_rps"), s.rate_rps, 0, 1e6, ">= 0 (0 = closed loop)"));
  RETURN_IF_ERROR(
      check_range(m.at("timeout_ms"), static_cast<double>(s.timeout_ms), 1, 1e9, ">= 1"));
  RETURN_IF_ERROR(parse_stopping(&m, &s));
  RETURN_IF_ERROR(m.finish());
  return s;
}

}  // namespace edgetier::spec_yaml
