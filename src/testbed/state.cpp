/// JSON (de)serialisation of the testbed state.
#include "testbed/state.h"

#include "core/files.h"
#include "testbed/files.h"

namespace edgetier::testbed {

std::string tier_status_name(TierStatus status) {
  switch (status) {
    case TierStatus::kStarting: return "starting";
    case TierStatus::kRunning: return "running";
    case TierStatus::kDead: return "dead";
    case TierStatus::kOom: return "oom";
  }
  return "dead";
}

namespace {

TierStatus parse_tier_status(const std::string& text) {
  if (text == "starting") return TierStatus::kStarting;
  if (text == "running") return TierStatus::kRunning;
  if (text == "oom") return TierStatus::kOom;
  return TierStatus::kDead;
}

nlohmann::json tier_to_json(const TierRecord& t) {
  nlohmann::json j = {{"name", t.name},
                      {"pid", t.pid},
                      {"start_ticks", t.start_ticks},
                      {"netns", t.netns},
                      {"cgroup", t.cgroup.to_json()},
                      {"cpus", t.cpus},
                      {"memory_bytes", t.memory_bytes},
                      {"threads", t.threads},
                      {"listen", t.listen},
                      {"control", t.control},
                      {"log", t.log},
                      {"state", tier_status_name(t.state)},
                      {"detail", t.detail}};
  if (!t.client.empty()) j["client"] = t.client;
  if (!t.remote.empty()) {
    j["remote"] = {{"address", t.remote.address},
                   {"tls_ca", t.remote.tls_ca},
                   {"tls_cert", t.remote.tls_cert},
                   {"tls_key", t.remote.tls_key},
                   {"token_file", t.remote.token_file},
                   {"inference_token_file", t.remote.inference_token_file}};
    if (t.remote.kserve) {
      j["remote"]["kind"] = kTierKindKserve;
      j["remote"]["model"] = t.remote.model;
      j["remote"]["version"] = t.remote.version;
    }
  }
  return j;
}

TierRecord tier_from_json(const nlohmann::json& j) {
  TierRecord t;
  t.name = j.at("name").get<std::string>();
  t.pid = j.value("pid", -1);
  t.start_ticks = j.value("start_ticks", int64_t{-1});
  t.netns = j.value("netns", "");
  if (j.contains("cgroup") && j.at("cgroup").is_object())
    t.cgroup = TierCgroup::from_json(j.at("cgroup"));
  t.cpus = j.value("cpus", 0.0);
  t.memory_bytes = j.value("memory_bytes", int64_t{0});
  t.threads = j.value("threads", 1);
  t.listen = j.value("listen", "");
  t.control = j.value("control", "");
  t.client = j.value("client", "");
  t.log = j.value("log", "");
  t.state = parse_tier_status(j.value("state", "dead"));
  t.detail = j.value("detail", "");
  if (j.contains("remote") && j.at("remote").is_object()) {
    const nlohmann::json& r = j.at("remote");
    t.remote.address = r.at("address").get<std::string>();
    t.remote.tls_ca = r.value("tls_ca", "");
    t.remote.tls_cert = r.value("tls_cert", "");
    t.remote.tls_key = r.value("tls_key", "");
    t.remote.token_file = r.value("token_file", "");
    t.remote.inference_token_file = r.value("inference_token_file", "");
    t.remote.kserve = r.value("kind", kTierKindEdgetier) == kTierKindKserve;
    t.remote.model = r.value("model", "");
    t.remote.version = r.value("version", "");
  }
  return t;
}

nlohmann::json link_to_json(const LinkRecord& l) {
  nlohmann::json j = {{"name", l.name()},
                      {"from", l.from},
                      {"to", l.to},
                      {"rate_mbit", l.rate_mbit},
                      {"delay_ms", l.delay_ms},
                      {"jitter_ms", l.jitter_ms},
                      {"loss_pct", l.loss_pct},
                      {"shaping", l.shaping},
                      {"delay_emulation", l.delay_emulation},
                      {"userspace", l.userspace()},  // for the tiers' forwarders
                      {"from_addr", l.from_addr},
                      {"to_addr", l.to_addr},
                      {"devices", l.devices}};
  j["probe"] = l.probe ? l.probe->to_json() : nlohmann::json(nullptr);
  return j;
}

LinkRecord link_from_json(const nlohmann::json& j) {
  LinkRecord l;
  l.from = j.at("from").get<std::string>();
  l.to = j.at("to").get<std::string>();
  l.rate_mbit = j.value("rate_mbit", 0.0);
  l.delay_ms = j.value("delay_ms", 0.0);
  l.jitter_ms = j.value("jitter_ms", 0.0);
  l.loss_pct = j.value("loss_pct", 0.0);
  // A hand-written file may say only "userspace": true.
  l.shaping = j.value("shaping", j.value("userspace", false) ? "userspace" : "tc");
  l.delay_emulation = j.value("delay_emulation", "none");
  l.from_addr = j.value("from_addr", "");
  l.to_addr = j.value("to_addr", "");
  l.devices = j.value("devices", std::vector<std::string>{});
  if (j.contains("probe") && j.at("probe").is_object())
    l.probe = LinkProbe::from_json(j.at("probe"));
  return l;
}

// Runs `parse`, turning a JSON error into one naming the element ("tiers[1]: ...key 'name'...").
template <typename Parse>
Status guarded(const std::string& where, Parse parse) {
  try {
    parse();
  } catch (const nlohmann::json::exception& e) {
    return data_loss("testbed state: " + where + ": " + e.what());
  }
  return ok_status();
}

}  // namespace

nlohmann::json TestbedState::to_json() const {
  nlohmann::json j = {{"format", "edgetier-testbed-1"},
                      {"run_id", run_id},
                      {"root", root},
                      {"network", network},
                      {"phase", phase},
                      {"controller_pid", controller_pid},
                      {"controller_start_ticks", controller_start_ticks},
                      {"state_dir", state_dir},
                      {"config_source", config_source},
                      {"cpu_cgroup", cpu_cgroup},
                      {"memory_cgroup", memory_cgroup},
                      {"cpu_period_us", cpu_period_us},
                      {"mtu", mtu},
                      {"created_unix_ms", created_unix_ms},
                      {"token_file", token_file},
                      {"model_root", model_root},
                      {"warnings", warnings}};
  j["tiers"] = nlohmann::json::array();
  for (const auto& t : tiers) j["tiers"].push_back(tier_to_json(t));
  j["links"] = nlohmann::json::array();
  for (const auto& l : links) j["links"].push_back(link_to_json(l));
  return j;
}

Result<TestbedState> TestbedState::from_json(const nlohmann::json& j, bool require_run) {
  if (!j.is_object()) return data_loss("testbed state: expected an object");
  try {
    TestbedState s;
    s.run_id = require_run ? j.at("run_id").get<std::string>() : j.value("run_id", "");
    s.root = j.value("root", false);
    s.network = j.value("network", s.root ? "namespaces" : "loopback");
    s.phase = j.value("phase", "starting");
    s.controller_pid = j.value("controller_pid", -1);
    s.controller_start_ticks = j.value("controller_start_ticks", int64_t{-1});
    s.state_dir = j.value("state_dir", "");
    s.config_source = j.value("config_source", "");
    s.cpu_cgroup = j.value("cpu_cgroup", "none");
    s.memory_cgroup = j.value("memory_cgroup", "none");
    s.cpu_period_us = j.value("cpu_period_us", int64_t{0});
    s.mtu = j.value("mtu", 0);
    s.created_unix_ms = j.value("created_unix_ms", int64_t{0});
    s.token_file = j.value("token_file", "");
    s.model_root = j.value("model_root", "");
    s.warnings = j.value("warnings", std::vector<std::string>{});
    const nlohmann::json tiers = j.value("tiers", nlohmann::json::array());
    for (size_t i = 0; i < tiers.size(); ++i) {
      Status st = guarded("tiers[" + std::to_string(i) + "]",
                          [&]() { s.tiers.push_back(tier_from_json(tiers.at(i))); });
      RETURN_IF_ERROR(st);
    }
    const nlohmann::json links = j.value("links", nlohmann::json::array());
    for (size_t i = 0; i < links.size(); ++i) {
      Status st = guarded("links[" + std::to_string(i) + "]",
                          [&]() { s.links.push_back(link_from_json(links.at(i))); });
      RETURN_IF_ERROR(st);
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return data_loss(std::string("testbed state: ") + e.what());
  }
}

const TierRecord* TestbedState::find_tier(const std::string& name) const {
  for (const auto& t : tiers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string default_state_dir() { return "/tmp/edgetier-testbed"; }

std::string state_file_path(const std::string& dir) { return dir + "/testbed.json"; }

Status write_state(const std::string& dir, const TestbedState& state) {
  RETURN_IF_ERROR(make_directories(dir));
  return write_file_atomic(state_file_path(dir), state.to_json().dump(2) + "\n");
}

Result<TestbedState> read_state_file(const std::string& path, bool require_run) {
  auto text = read_text_file(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return not_found("no testbed state at " + path +
                       " (run `edgetier testbed up` first, or pass --state-dir)");
    }
    return text.status();
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded())
    return data_loss(path + " is not valid JSON; remove it or run `edgetier testbed down`");
  auto state = TestbedState::from_json(j, require_run);
  if (!state.ok()) return state.status().with_context(path);
  return state;
}

Result<TestbedState> read_state(const std::string& dir) {
  return read_state_file(state_file_path(dir));
}

}  // namespace edgetier::testbed
