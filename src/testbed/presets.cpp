/// Presets and tiers.yaml parsing.
///
/// tiers.yaml:
///   cpu_period_us: 8000         # CFS period of the CPU quotas (see kDefaultCpuPeriodUs)
///   port: 50051                 # TCP port of every tier
///   ready_timeout_s: 30         # how long a tier may take to print READY
///   probe_tolerance: 0.10       # `up` refuses links further off than this
///   server_command: ["{exe}", "serve", "--tier", "{tier}", ...]
///   tiers:                      # chain order: the client talks to the first
///     - {name: mobile, cpus: 0.5, memory: 512MiB}
///     - {name: edge, cpus: 1, memory: 2GiB}
///   links:                      # one per neighbouring pair, from the client's side
///     - {from: mobile, to: edge, rate_mbit: 200, delay_ms: 0, jitter_ms: 0, loss_pct: 0}
///
/// Tiers on other machines (`testbed up --network remote`, experiment `network: remote`) are
/// given by address instead of limits; paths are relative to the file's folder:
///   tiers:
///     - {name: edge, address: 10.0.0.2:8001, token_file: edge.token,
///        tls: {ca: ca.pem, cert: client.pem, key: client.key}}
/// The last tier may be a foreign KServe v2 server hosting the last part (no control calls):
///     - {name: cloud, kind: kserve, address: 10.0.0.3:8001, model: resnet-top, version: "1",
///        tls: {ca: ca.pem}, token_file: cloud.token}
///   links:                      # optional: rate_mbit is what the link should do (0: unknown);
///     - {from: mobile, to: edge, rate_mbit: 100}   # nothing is shaped, the probe measures it
#include "testbed/presets.h"

#include <sched.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <filesystem>

#include "core/strings.h"
#include "testbed/files.h"
#include "tier/security.h"

namespace edgetier::testbed {
namespace {

const std::vector<std::string> kTopKeys = {"tiers",          "links",          "cpu_period_us",
                                           "port",           "server_command", "ready_timeout_s",
                                           "probe_tolerance"};
const std::vector<std::string> kTierKeys = {"name",    "cpus",       "memory",
                                            "address", "token_file", "inference_token_file",
                                            "tls",     "kind",       "model",
                                            "version"};
const std::vector<std::string> kTlsKeys = {"ca", "cert", "key"};
const std::vector<std::string> kLinkKeys = {"from",     "to",        "rate_mbit",
                                            "delay_ms", "jitter_ms", "loss_pct"};

Status check_keys(const YAML::Node& node, const std::vector<std::string>& allowed,
                  const std::string& path, const std::string& label) {
  if (!node.IsMap()) return invalid_argument(label + ": '" + path + "' must be a mapping");
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string full = path.empty() ? key : path + "." + key;
    return invalid_argument(label + ": unknown key '" + full + "'; did you mean '" +
                            nearest_name(key, allowed) + "'?");
  }
  return ok_status();
}

template <typename T>
Status read_scalar(const YAML::Node& node, const std::string& path, const std::string& label,
                   T* out) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception&) {
    std::string text = node.IsScalar() ? node.Scalar() : "<not a scalar>";
    return invalid_argument(label + ": '" + path + "' must be a number, got '" + text + "'");
  }
  return ok_status();
}

Status read_string(const YAML::Node& node, const std::string& path, const std::string& label,
                   std::string* out) {
  if (!node.IsScalar()) return invalid_argument(label + ": '" + path + "' must be a string");
  *out = node.Scalar();
  return ok_status();
}

bool valid_tier_name(const std::string& name) {
  if (name.empty() || name.size() > 16 || !std::islower(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  });
}

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string resolve_file(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  return p.lexically_normal().string();
}

// A tier's address, TLS files and tokens (the remote backend); paths against `base_dir`.
Status parse_remote(const YAML::Node& node, const std::string& path, const std::string& label,
                    const std::string& base_dir, RemoteTier* remote) {
  std::string kind = kTierKindEdgetier;
  std::string* strings[] = {&remote->address, &remote->token_file, &remote->inference_token_file,
                            &kind,           &remote->model,      &remote->version};
  const char* keys[] = {"address", "token_file", "inference_token_file", "kind", "model",
                        "version"};
  for (size_t k = 0; k < std::size(keys); ++k) {
    if (node[keys[k]])
      RETURN_IF_ERROR(read_string(node[keys[k]], path + "." + keys[k], label, strings[k]));
  }
  if (node["tls"]) {
    const YAML::Node& tls = node["tls"];
    RETURN_IF_ERROR(check_keys(tls, kTlsKeys, path + ".tls", label));
    std::string* files[] = {&remote->tls_ca, &remote->tls_cert, &remote->tls_key};
    for (size_t k = 0; k < 3; ++k) {
      if (tls[kTlsKeys[k]])
        RETURN_IF_ERROR(read_string(tls[kTlsKeys[k]], path + ".tls." + kTlsKeys[k], label,
                                    files[k]));
    }
  }
  for (std::string* file : {&remote->token_file, &remote->inference_token_file, &remote->tls_ca,
                            &remote->tls_cert, &remote->tls_key}) {
    if (!file->empty()) *file = resolve_file(base_dir, *file);
  }
  if (kind != kTierKindEdgetier && kind != kTierKindKserve) {
    return invalid_argument(label + ": '" + path + ".kind' is '" + kind + "'; expected " +
                            kTierKindEdgetier + " (an edgetier serve) or " + kTierKindKserve +
                            " (a foreign KServe v2 server)");
  }
  remote->kserve = kind == kTierKindKserve;
  if (remote->address.empty() && (!remote->token_file.empty() || !remote->tls_ca.empty())) {
    return invalid_argument(label + ": '" + path +
                            "' has TLS or token files but no address (they are for remote tiers)");
  }
  if (Status st = check_remote_tier(*remote); !st.ok())
    return st.with_context(label + ": '" + path + "'");
  return ok_status();
}

Result<TestbedConfig> parse_root(const YAML::Node& root, const std::string& label,
                                 const std::string& base_dir) {
  TestbedConfig config;
  config.source = label;
  config.server_command = default_server_command();
  RETURN_IF_ERROR(check_keys(root, kTopKeys, "", label));
  if (root["cpu_period_us"]) {
    RETURN_IF_ERROR(
        read_scalar(root["cpu_period_us"], "cpu_period_us", label, &config.cpu_period_us));
  }
  if (root["port"]) RETURN_IF_ERROR(read_scalar(root["port"], "port", label, &config.port));
  if (root["ready_timeout_s"]) {
    double seconds = 0;
    RETURN_IF_ERROR(read_scalar(root["ready_timeout_s"], "ready_timeout_s", label, &seconds));
    config.ready_timeout_ms = static_cast<int>(seconds * 1000);
  }
  if (root["probe_tolerance"]) {
    RETURN_IF_ERROR(
        read_scalar(root["probe_tolerance"], "probe_tolerance", label, &config.probe_tolerance));
  }
  if (root["server_command"]) {
    const YAML::Node& cmd = root["server_command"];
    if (!cmd.IsSequence() || cmd.size() == 0) {
      return invalid_argument(label + ": 'server_command' must be a non-empty list of strings");
    }
    config.server_command.clear();
    for (size_t i = 0; i < cmd.size(); ++i) {
      std::string arg;
      RETURN_IF_ERROR(
          read_string(cmd[i], "server_command[" + std::to_string(i) + "]", label, &arg));
      config.server_command.push_back(arg);
    }
  }
  const YAML::Node& tiers = root["tiers"];
  if (!tiers || !tiers.IsSequence() || tiers.size() == 0) {
    return invalid_argument(
        label + ": 'tiers' must be a non-empty list (e.g. - {name: mobile, cpus: 0.5})");
  }
  for (size_t i = 0; i < tiers.size(); ++i) {
    std::string path = "tiers[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(check_keys(tiers[i], kTierKeys, path, label));
    TierSpec tier;
    if (!tiers[i]["name"]) return invalid_argument(label + ": '" + path + ".name' is missing");
    RETURN_IF_ERROR(read_string(tiers[i]["name"], path + ".name", label, &tier.name));
    if (tiers[i]["cpus"])
      RETURN_IF_ERROR(read_scalar(tiers[i]["cpus"], path + ".cpus", label, &tier.cpus));
    if (tiers[i]["memory"]) {
      std::string text;
      RETURN_IF_ERROR(read_string(tiers[i]["memory"], path + ".memory", label, &text));
      auto bytes = parse_bytes(text);
      if (!bytes.ok()) return bytes.status().with_context(label + ": '" + path + ".memory'");
      tier.memory_bytes = *bytes;
    }
    RETURN_IF_ERROR(parse_remote(tiers[i], path, label, base_dir, &tier.remote));
    config.tiers.push_back(tier);
  }
  const YAML::Node& links = root["links"];
  if (links && !links.IsSequence()) return invalid_argument(label + ": 'links' must be a list");
  for (size_t i = 0; links && i < links.size(); ++i) {
    std::string path = "links[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(check_keys(links[i], kLinkKeys, path, label));
    LinkSpec link;
    for (const char* key : {"from", "to"}) {
      if (!links[i][key])
        return invalid_argument(label + ": '" + path + "." + key + "' is missing");
    }
    RETURN_IF_ERROR(read_string(links[i]["from"], path + ".from", label, &link.from));
    RETURN_IF_ERROR(read_string(links[i]["to"], path + ".to", label, &link.to));
    const std::pair<const char*, double*> numbers[] = {{"rate_mbit", &link.rate_mbit},
                                                       {"delay_ms", &link.delay_ms},
                                                       {"jitter_ms", &link.jitter_ms},
                                                       {"loss_pct", &link.loss_pct}};
    for (const auto& [key, field] : numbers) {
      if (links[i][key])
        RETURN_IF_ERROR(read_scalar(links[i][key], path + "." + key, label, field));
    }
    config.links.push_back(link);
  }
  if (config.links.empty()) fill_remote_links(&config);
  RETURN_IF_ERROR(validate_testbed_config(config));
  return config;
}

}  // namespace

namespace {
constexpr const char* kSessionCacheFolder = "sessions";
}  // namespace

std::string tier_session_cache_dir(const std::string& state_dir) {
  return state_dir + "/" + kSessionCacheFolder;
}

std::vector<std::string> default_server_command() {
  // The listen addresses are reachable only inside this machine's testbed (loopback, or the
  // run's own namespaces and veth links), so plaintext TCP is allowed there; control calls go
  // over the owner-only unix socket, or over TCP with the run's token. The tiers share one
  // folder of optimized graphs (they run on this machine's CPU), so a part loaded again, on
  // any tier or in the next scenario, skips graph optimization.
  return {"{exe}",         "serve",        "--tier",       "{tier}",      "--listen",
          "{listen}",      "--listen",     "unix:{unix}",  "--threads",   "{threads}",
          "--token-file",  "{token_file}", "--model-root", "{model_root}", "--insecure",
          "--session-cache", tier_session_cache_dir("{state_dir}")};
}

HostResources detect_host_resources() {
  HostResources host;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) host.cpus = std::max(1, CPU_COUNT(&set));
  auto meminfo = read_text_file("/proc/meminfo");
  if (meminfo.ok()) {
    std::istringstream lines(*meminfo);
    std::string key;
    int64_t kib = 0;
    std::string unit;
    while (lines >> key >> kib >> unit) {
      if (key == "MemTotal:") host.memory_bytes = kib * 1024;
    }
  }
  return host;
}

std::vector<std::string> topology_preset_names() { return {"default", "study", "unlimited"}; }

Result<PresetTopology> preset_topology(std::string_view name) {
  constexpr int64_t kGiB = int64_t{1} << 30;
  auto tiers = [](double m_cpus, int64_t m_bytes, double e_cpus, int64_t e_bytes, double c_cpus,
                  int64_t c_bytes) {
    return std::vector<TierSpec>{
        {"mobile", m_cpus, m_bytes}, {"edge", e_cpus, e_bytes}, {"cloud", c_cpus, c_bytes}};
  };
  auto links = [](double mobile_edge_mbit, double edge_cloud_mbit) {
    return std::vector<LinkSpec>{{"mobile", "edge", mobile_edge_mbit},
                                 {"edge", "cloud", edge_cloud_mbit}};
  };
  PresetTopology t;
  t.name = std::string(name);
  if (name == "default") {
    t.tiers = tiers(0.5, 1 * kGiB, 1.0, 2 * kGiB, 2.0, 4 * kGiB);
    t.links = links(200, 10);
  } else if (name == "study") {
    t.tiers = tiers(4, 4 * kGiB, 8, 16 * kGiB, 16, 64 * kGiB);
    t.links = links(200, 1);
  } else if (name == "unlimited") {
    t.tiers = tiers(0, 0, 0, 0, 0, 0);
    t.links = links(0, 0);
  } else {
    return invalid_argument("unknown testbed preset '" + std::string(name) + "'; did you mean '" +
                            nearest_name(std::string(name), topology_preset_names()) +
                            "'? (presets: " + join(topology_preset_names()) + ")");
  }
  return t;
}

std::vector<std::string> preset_names() { return {"default", "study"}; }

Result<TestbedConfig> preset_config(const std::string& name, const HostResources& host) {
  if (name != "default" && name != "study") {
    return invalid_argument("unknown testbed preset '" + name + "'; did you mean '" +
                            nearest_name(name, preset_names()) + "'? (presets: default, study)");
  }
  ASSIGN_OR_RETURN(PresetTopology preset, preset_topology(name));
  ASSIGN_OR_RETURN(PresetTopology study, preset_topology("study"));
  TestbedConfig config;
  config.source = "preset " + name;
  config.server_command = default_server_command();
  // The study's ratios: CPUs relative to Cloud, memory in parts of Mobile's.
  const double cloud_cpus = std::max(1, host.cpus);
  const TierSpec& study_cloud = study.tiers.back();
  const TierSpec& study_mobile = study.tiers.front();
  int64_t parts_total = 0;
  for (const auto& t : study.tiers) parts_total += t.memory_bytes / study_mobile.memory_bytes;
  const int64_t mib = 1024 * 1024;
  const int64_t unit =
      static_cast<int64_t>(static_cast<double>(host.memory_bytes) * kMemoryBudgetFraction /
                           static_cast<double>(parts_total));
  for (const auto& t : study.tiers) {
    const int64_t parts = t.memory_bytes / study_mobile.memory_bytes;
    config.tiers.push_back({t.name, cloud_cpus * t.cpus / study_cloud.cpus,
                            std::max<int64_t>(64 * mib, unit * parts / mib * mib)});
  }
  config.links = preset.links;
  RETURN_IF_ERROR(validate_testbed_config(config));
  return config;
}

Result<TestbedConfig> parse_testbed_config(const std::string& yaml_text, const std::string& label) {
  RETURN_IF_ERROR(check_yaml_text(yaml_text, label));
  try {
    YAML::Node root = YAML::Load(yaml_text);
    return parse_root(root, label, "");
  } catch (const YAML::Exception& e) {
    return invalid_argument(label + ": YAML error: " + e.what());
  }
}

Result<TestbedConfig> load_testbed_config(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return text.status();
  try {
    const std::string dir = std::filesystem::absolute(path).parent_path().string();
    return parse_root(YAML::Load(*text), path, dir);
  } catch (const YAML::Exception& e) {
    return invalid_argument(path + ": YAML error: " + e.what());
  }
}

bool is_remote_config(const TestbedConfig& config) {
  return std::any_of(config.tiers.begin(), config.tiers.end(),
                     [](const TierSpec& t) { return !t.remote.empty(); });
}

void fill_remote_links(TestbedConfig* config) {
  if (!is_remote_config(*config) || !config->links.empty()) return;
  for (size_t i = 0; i + 1 < config->tiers.size(); ++i)
    config->links.push_back({config->tiers[i].name, config->tiers[i + 1].name});
}

Status validate_testbed_config(const TestbedConfig& config) {
  const std::string& label = config.source;
  const bool remote = is_remote_config(config);
  std::vector<std::string> names;
  for (size_t i = 0; i < config.tiers.size(); ++i) {
    const TierSpec& tier = config.tiers[i];
    std::string path = label + ": tiers[" + std::to_string(i) + "]";
    if (!valid_tier_name(tier.name)) {
      return invalid_argument(path + ".name '" + tier.name +
                              "' must be 1-16 lowercase letters/digits starting with a letter");
    }
    if (std::find(names.begin(), names.end(), tier.name) != names.end()) {
      return invalid_argument(path + ".name '" + tier.name + "' appears twice");
    }
    names.push_back(tier.name);
    if (remote != !tier.remote.empty()) {
      return invalid_argument(path + " ('" + tier.name + "'): give every tier an address " +
                              "(remote) or none (tiers this machine starts), not a mix");
    }
    if (remote && tier.remote.tls_ca.empty() &&
        !tier::is_loopback_address(tier.remote.address)) {
      return invalid_argument(path + " ('" + tier.name + "'): address " + tier.remote.address +
                              " is not loopback and has no tls; its token would cross the " +
                              "network in plaintext; give tls: {ca: ca.pem} (and cert/key " +
                              "for tiers that require client certificates)");
    }
    if (tier.cpus < 0 || tier.cpus > 1024)
      return invalid_argument(path + ".cpus " + number(tier.cpus) + " is out of range");
    if (tier.memory_bytes != 0 && tier.memory_bytes < 16 * 1024 * 1024) {
      return invalid_argument(path + ".memory " + format_bytes(tier.memory_bytes) +
                              " is below 16 MiB; a tier process cannot start in that");
    }
  }
  if (config.tiers.empty()) return invalid_argument(label + ": no tiers");
  if (config.links.size() != config.tiers.size() - 1) {
    return invalid_argument(label + ": " + std::to_string(config.tiers.size()) + " tiers need " +
                            std::to_string(config.tiers.size() - 1) +
                            " links (one per neighbouring pair), got " +
                            std::to_string(config.links.size()));
  }
  for (size_t i = 0; i < config.links.size(); ++i) {
    const LinkSpec& link = config.links[i];
    std::string path = label + ": links[" + std::to_string(i) + "]";
    const std::string& want_from = config.tiers[i].name;
    const std::string& want_to = config.tiers[i + 1].name;
    if (link.from != want_from || link.to != want_to) {
      return invalid_argument(path + " joins '" + link.from + "' and '" + link.to +
                              "'; links follow the tier order, so it must be from: " + want_from +
                              ", to: " + want_to);
    }
    if (remote) {
      // Real links are what they are: edgetier records and measures them, it shapes nothing.
      if (link.rate_mbit < 0 || link.rate_mbit > 100000) {
        return invalid_argument(path + ".rate_mbit " + number(link.rate_mbit) +
                                " must be in [0, 100000] (0: unknown, measured)");
      }
      if (link.emulates_delay_or_loss()) {
        return invalid_argument(path + ": remote links are not shaped by edgetier; shape them " +
                                "with tc on the devices (README: Measure on real devices) and " +
                                "drop delay_ms/jitter_ms/loss_pct here");
      }
      continue;
    }
    if (!(link.rate_mbit > 0) || link.rate_mbit > 100000) {
      return invalid_argument(path + ".rate_mbit " + number(link.rate_mbit) +
                              " must be in (0, 100000]");
    }
    if (link.delay_ms < 0 || link.jitter_ms < 0 || link.loss_pct < 0 || link.loss_pct > 100) {
      return invalid_argument(path +
                              ": delay_ms/jitter_ms must be >= 0 and loss_pct within 0..100");
    }
  }
  if (config.cpu_period_us < 1000 || config.cpu_period_us > 1000000) {
    return invalid_argument(label + ": cpu_period_us " + std::to_string(config.cpu_period_us) +
                            " must be within 1000..1000000");
  }
  if (config.port <= 0 || config.port > 65535) {
    return invalid_argument(label + ": port " + std::to_string(config.port) + " is not a TCP port");
  }
  if (config.server_command.empty()) return invalid_argument(label + ": server_command is empty");
  if (config.probe_tolerance <= 0) return invalid_argument(label + ": probe_tolerance must be > 0");
  if (config.ready_timeout_ms <= 0)
    return invalid_argument(label + ": ready_timeout_s must be > 0");
  return ok_status();
}

}  // namespace edgetier::testbed
