/// Variant deployment: placement parsing, variant directories, LoadModel on each tier.
#include "tier/deploy.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/files.h"
#include "core/log.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/model_preprocess.h"
#include "runtime/model_sidecar.h"
#include "tier/client.h"

namespace edgetier::tier {
namespace fs = std::filesystem;

const TierEndpoint* TestbedEndpoints::find(const std::string& name) const {
  for (const auto& t : tiers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string TestbedEndpoints::client_address() const {
  if (tiers.empty()) return "";
  return tiers.front().client.empty() ? tiers.front().control : tiers.front().client;
}

Result<TestbedEndpoints> endpoints_from_args(const std::vector<std::string>& args) {
  TestbedEndpoints endpoints;
  for (const auto& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
      return invalid_argument("--tier '" + arg + "': expected NAME=ADDR or NAME=CONTROL,LISTEN, " +
                              "e.g. mobile=unix:/tmp/mobile.sock");
    }
    TierEndpoint e;
    e.name = arg.substr(0, eq);
    const std::string value = arg.substr(eq + 1);
    const size_t comma = value.find(',');
    e.control = value.substr(0, comma);
    e.listen = comma == std::string::npos ? e.control : value.substr(comma + 1);
    if (endpoints.find(e.name)) return invalid_argument("--tier '" + e.name + "' given twice");
    endpoints.tiers.push_back(e);
  }
  return endpoints;
}

Status add_link_arg(const std::string& arg, TestbedEndpoints* endpoints) {
  const size_t eq = arg.find('='), colon = arg.find(':', eq == std::string::npos ? 0 : eq);
  const std::string usage =
      "--link '" + arg + "': expected FROM=RATE_MBIT:DELAY_MS, e.g. mobile=10:5";
  if (eq == std::string::npos || colon == std::string::npos) return invalid_argument(usage);
  try {
    size_t used_rate = 0, used_delay = 0;
    const std::string rate_text = arg.substr(eq + 1, colon - eq - 1);
    const std::string delay_text = arg.substr(colon + 1);
    const double rate = std::stod(rate_text, &used_rate);
    const double delay = std::stod(delay_text, &used_delay);
    if (used_rate != rate_text.size() || used_delay != delay_text.size() || rate < 0 || delay < 0 ||
        !std::isfinite(rate) || !std::isfinite(delay)) {
      return invalid_argument(usage);
    }
    endpoints->userspace_links[arg.substr(0, eq)] = LinkEmulationSpec{rate, delay};
  } catch (const std::exception&) {
    return invalid_argument(usage);
  }
  return ok_status();
}

Result<std::vector<size_t>> parse_placement(const std::string& placement,
                                            const std::vector<TierEndpoint>& tiers) {
  if (placement.empty())
    return invalid_argument("placement is empty; expected e.g. M, ME, EC, MEC");
  std::vector<size_t> indices;
  for (char letter : placement) {
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(letter)));
    size_t found = tiers.size();
    for (size_t i = 0; i < tiers.size(); ++i) {
      if (!tiers[i].name.empty() &&
          std::toupper(static_cast<unsigned char>(tiers[i].name[0])) == upper) {
        if (found != tiers.size()) {
          return invalid_argument("placement letter '" + std::string(1, letter) +
                                  "' matches tiers '" + tiers[found].name + "' and '" +
                                  tiers[i].name + "'");
        }
        found = i;
      }
    }
    if (found == tiers.size()) {
      std::string names;
      for (const auto& t : tiers) names += (names.empty() ? "" : ", ") + t.name;
      return invalid_argument("placement '" + placement + "': no tier starts with '" +
                              std::string(1, letter) + "' (tiers: " + names + ")");
    }
    if (!indices.empty() && found < indices.back()) {
      return invalid_argument("placement '" + placement + "' must follow the chain order (" +
                              tiers.front().name + " first): parts flow one way");
    }
    indices.push_back(found);
  }
  return indices;
}

Result<std::optional<PreprocessSpec>> derive_preprocess(const std::string& model_path) {
  LoadOptions load_options;
  load_options.load_external_data = false;
  ASSIGN_OR_RETURN(onnx::ModelProto model, load_model(model_path, load_options));
  return model_preprocess(model_path, model);
}

Result<VariantParts> read_variant_dir(const std::string& path) {
  VariantParts parts;
  std::error_code ec;
  const fs::path dir = fs::absolute(path, ec);
  if (fs::is_regular_file(dir, ec)) {
    parts.name = dir.stem().string();
    parts.part_paths.push_back(dir.string());
    ASSIGN_OR_RETURN(std::optional<ModelSidecar> sidecar, load_model_sidecar(dir.string()));
    if (sidecar && !sidecar->detection.is_null()) {
      ASSIGN_OR_RETURN(parts.detection,
                       detection_outputs_from_json(sidecar->detection, sidecar->path));
    }
  } else if (fs::is_directory(dir, ec)) {
    parts.name = dir.filename().string();
    if (parts.name.empty()) parts.name = dir.parent_path().filename().string();
    const fs::path manifest_path = dir / "manifest.json";
    if (fs::exists(manifest_path, ec)) {
      std::ifstream in(manifest_path);
      nlohmann::json manifest = nlohmann::json::parse(in, nullptr, false);
      if (manifest.is_discarded()) {
        return invalid_argument("variant manifest '" + manifest_path.string() +
                                "' is not valid JSON");
      }
      try {
        if (manifest.contains("parts") && manifest.at("parts").is_array()) {
          for (const auto& p : manifest.at("parts")) {
            std::string file = p.is_string() ? p.get<std::string>()
                                             : p.value("file", p.value("path", std::string()));
            if (file.empty())
              return invalid_argument(manifest_path.string() + ": a part has no file");
            parts.part_paths.push_back((dir / file).string());
            std::vector<std::string> inputs;
            if (p.is_object() && p.contains("inputs")) {
              for (const auto& in : p.at("inputs"))
                inputs.push_back(in.at("name").get<std::string>());
            }
            parts.part_inputs.push_back(std::move(inputs));
          }
        }
        if (manifest.contains("exit_policy") && !manifest.at("exit_policy").is_null()) {
          auto policy = exit_policy_from_json(manifest.at("exit_policy"));
          if (!policy.ok()) return policy.status().with_context(manifest_path.string());
          parts.exit_policy = *policy;
        }
        if (manifest.contains("detection") && !manifest.at("detection").is_null()) {
          ASSIGN_OR_RETURN(parts.detection, detection_outputs_from_json(manifest.at("detection"),
                                                                        manifest_path.string()));
        }
        if (manifest.contains("preprocess") && manifest.at("preprocess").is_object()) {
          auto spec = preprocess_from_json(manifest.at("preprocess"));
          if (!spec.ok()) return spec.status().with_context(manifest_path.string());
          parts.preprocess = *spec;
        }
      } catch (const nlohmann::json::exception& e) {
        return invalid_argument(manifest_path.string() + ": " + e.what());
      }
    }
    if (parts.part_paths.empty()) {
      for (int i = 0;; ++i) {
        const fs::path part = dir / ("part" + std::to_string(i) + ".onnx");
        if (!fs::exists(part, ec)) break;
        parts.part_paths.push_back(part.string());
      }
    }
    if (parts.part_paths.empty() && fs::exists(dir / "model.onnx", ec)) {
      parts.part_paths.push_back((dir / "model.onnx").string());
    }
    if (parts.part_paths.empty()) {
      return not_found("variant '" + path +
                       "' holds no part0.onnx, model.onnx or manifest.json parts");
    }
  } else {
    return not_found("variant '" + path + "' does not exist");
  }
  for (const auto& p : parts.part_paths) {
    if (!fs::exists(p, ec)) return not_found("variant part '" + p + "' does not exist");
  }
  if (!parts.preprocess) {
    ASSIGN_OR_RETURN(parts.preprocess, derive_preprocess(parts.part_paths.front()));
  }
  return parts;
}

namespace {

/// A dynamic exit's parts on the placement's tiers: everything on one tier, or the trunk and the
/// early head on the first (a confident request never leaves it) and the rest on the second.
Result<std::vector<size_t>> exit_hosts(const std::vector<size_t>& tiers, const VariantParts& parts,
                                       const std::string& placement) {
  const size_t n = parts.part_paths.size();
  const auto head = static_cast<size_t>(parts.exit_policy->exit_part);
  if (head < 1 || head >= n) {
    return invalid_argument("variant '" + parts.name + "': exit part " + std::to_string(head) +
                            " is outside its " + std::to_string(n) + " parts");
  }
  if (tiers.size() == n) return tiers;  // one letter per part, e.g. "MME"
  if (tiers.size() > 2) {
    return invalid_argument("placement '" + placement + "': a dynamic exit runs on one tier or " +
                            "splits at its exit onto two (e.g. M, ME); give one letter per part " +
                            "for more (the variant has " + std::to_string(n) + " parts)");
  }
  std::vector<size_t> hosts(n, tiers.front());
  for (size_t p = head + 1; p < n; ++p) hosts[p] = tiers.back();
  return hosts;
}

/// The exit policy, re-indexed to tier `k`'s parts, and (when the rest runs further on) the
/// tensors the next tier needs, which are the trunk's, not the early head's.
Status add_exit(const VariantParts& parts, const std::vector<size_t>& hosts, size_t k,
                int first_part, control::LoadModelRequest* request) {
  const auto head = static_cast<size_t>(parts.exit_policy->exit_part);
  if (hosts[head] != k) return ok_status();
  if (hosts[head - 1] != k) {
    return invalid_argument("variant '" + parts.name + "': the early head (part " +
                            std::to_string(head) + ") must run on the tier of the part before it");
  }
  ExitPolicy local = *parts.exit_policy;
  local.exit_part = static_cast<int>(head) - first_part;
  request->set_exit_policy_json(exit_policy_to_json(local).dump());
  if (head + 1 < hosts.size() && hosts[head + 1] != k) {
    if (head + 1 >= parts.part_inputs.size() || parts.part_inputs[head + 1].empty()) {
      return invalid_argument("variant '" + parts.name + "': its manifest does not list the " +
                              "inputs of part " + std::to_string(head + 1) +
                              ", so the tensors to forward are unknown");
    }
    for (const auto& name : parts.part_inputs[head + 1]) request->add_forward_tensors(name);
  }
  return ok_status();
}

/// A part's graph inputs (initializers aside) and outputs as declared in its file.
Result<std::pair<std::vector<TensorInfo>, std::vector<TensorInfo>>> part_io(
    const std::string& path) {
  LoadOptions load_options;
  load_options.load_external_data = false;
  ASSIGN_OR_RETURN(onnx::ModelProto model, load_model(path, load_options));
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  std::pair<std::vector<TensorInfo>, std::vector<TensorInfo>> io;
  for (const auto& vi : model.graph().input()) {
    if (initializers.count(vi.name())) continue;
    io.first.push_back(tensor_info_from_type(vi.type()));
    io.first.back().name = vi.name();
  }
  for (const auto& vi : model.graph().output()) {
    io.second.push_back(tensor_info_from_type(vi.type()));
    io.second.back().name = vi.name();
  }
  return io;
}

/// The foreign server of tier `k` is ready and hosts what the variant's last part is.
Status check_kserve_tier(const TestbedEndpoints& endpoints, size_t k,
                         const std::vector<size_t>& hosts, const VariantParts& parts,
                         const DeployOptions& options) {
  const TierEndpoint& tier = endpoints.tiers[k];
  const size_t on_it = static_cast<size_t>(std::count(hosts.begin(), hosts.end(), k));
  if (hosts.back() != k || on_it != 1 || hosts.size() < 2) {
    return invalid_argument("placement '" + options.placement + "': kserve tier '" + tier.name +
                            "' hosts one model, so it runs exactly the variant's last part, " +
                            "after at least one part on an edgetier tier");
  }
  const KserveHop hop = endpoints.kserve_hop(tier);
  RETURN_IF_ERROR(check_kserve_ready(hop, options.control_deadline_ms).status());
  ASSIGN_OR_RETURN(auto io, part_io(parts.part_paths.back()));
  return check_kserve_metadata(hop, io.first, io.second, options.control_deadline_ms);
}

}  // namespace

ControlClients::ControlClients() = default;
ControlClients::~ControlClients() = default;

Result<TierClient*> ControlClients::of(const TestbedEndpoints& endpoints,
                                       const TierEndpoint& tier) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& client = clients_[tier.control];
  if (!client) {
    TierClientOptions client_options;
    client_options.security = endpoints.security_of(tier);
    ASSIGN_OR_RETURN(client, TierClient::connect(tier.control, client_options));
  }
  return client.get();
}

Result<DeployResult> deploy_variant(const TestbedEndpoints& endpoints, const VariantParts& parts,
                                    const DeployOptions& options, ControlClients* clients) {
  ControlClients own;
  if (!clients) clients = &own;
  ASSIGN_OR_RETURN(std::vector<size_t> hosts, parse_placement(options.placement, endpoints.tiers));
  if (parts.exit_policy) {
    ASSIGN_OR_RETURN(hosts, exit_hosts(hosts, parts, options.placement));
  } else if (hosts.size() != parts.part_paths.size()) {
    return invalid_argument("placement '" + options.placement + "' names " +
                            std::to_string(hosts.size()) + " tiers but the variant has " +
                            std::to_string(parts.part_paths.size()) + " parts");
  }
  DeployResult result;
  result.model_name = options.model_name.empty() ? parts.name : options.model_name;
  result.placement = options.placement;
  result.entry_address = endpoints.client_address();
  const size_t last = hosts.back();
  result.tiers.resize(endpoints.tiers.size());

  for (size_t k = endpoints.tiers.size(); k-- > 0;) {
    const TierEndpoint& tier = endpoints.tiers[k];
    TierDeployment& d = result.tiers[k];
    d.tier = tier.name;
    if (tier.kserve) {
      if (k > last) {
        d.role = "unused";
        continue;
      }
      RETURN_IF_ERROR(check_kserve_tier(endpoints, k, hosts, parts, options)
                          .with_context("deploy: tier '" + tier.name + "'"));
      d.role = kKserveRole;
      d.part_index = static_cast<int>(parts.part_paths.size()) - 1;
      d.parts.push_back(parts.part_paths.back());
      continue;
    }
    ASSIGN_OR_RETURN(TierClient * client, clients->of(endpoints, tier));
    if (k > last) {
      d.role = "unused";
      auto removed = client->unload(result.model_name, options.control_deadline_ms);
      if (!removed.ok()) return removed.status().with_context("deploy: tier '" + tier.name + "'");
      continue;
    }
    control::LoadModelRequest request;
    request.set_model_name(result.model_name);
    request.set_model_version(options.model_version);
    request.set_label(options.label);
    request.set_skip_warmup(options.skip_warmup);
    for (size_t p = 0; p < hosts.size(); ++p) {
      if (hosts[p] != k) continue;
      if (d.part_index < 0) d.part_index = static_cast<int>(p);
      d.parts.push_back(parts.part_paths[p]);
      control::PartSource* source = request.add_parts();
      if (options.send_bytes || endpoints.send_bytes) {
        ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(parts.part_paths[p]));
        source->set_bytes(std::move(bytes));
      } else {
        source->set_path(parts.part_paths[p]);
      }
    }
    if (d.part_index >= 0) request.set_part_index(d.part_index);
    if (parts.exit_policy) RETURN_IF_ERROR(add_exit(parts, hosts, k, d.part_index, &request));
    if (d.part_index == 0 && parts.preprocess) {
      request.set_preprocess_json(preprocess_to_json(*parts.preprocess).dump());
    }
    if (k == last && parts.detection) {
      request.set_detection_json(detection_outputs_to_json(*parts.detection).dump());
    }
    if (k < last) {
      const TierEndpoint& next = endpoints.tiers[k + 1];
      request.set_next_hop(next.listen);
      request.set_next_hop_name(next.name);
      if (next.kserve) {
        request.set_next_hop_model_name(next.kserve->name);
        request.set_next_hop_model_version(next.kserve->version);
      }
      request.set_deadline_ms(options.forward_deadline_ms);
      auto link = endpoints.userspace_links.find(tier.name);
      if (link != endpoints.userspace_links.end()) {
        request.mutable_link()->set_rate_mbit(link->second.rate_mbit);
        request.mutable_link()->set_delay_ms(link->second.delay_ms);
      }
      d.next_hop = next.listen;
    }
    auto loaded = client->load_model(request, options.control_deadline_ms);
    if (!loaded.ok()) return loaded.status().with_context("deploy: tier '" + tier.name + "'");
    d.role = loaded->role();
    d.load_ms = loaded->load_ms();
    d.warmup_ms = loaded->warmup_ms();
    LOG_DEBUG << "deploy: " << tier.name << " " << d.role << " part " << d.part_index;
  }
  return result;
}

Status undeploy(const TestbedEndpoints& endpoints, const std::string& model_name,
                ControlClients* clients) {
  ControlClients own;
  if (!clients) clients = &own;
  for (const auto& tier : endpoints.tiers) {
    if (tier.kserve) continue;
    ASSIGN_OR_RETURN(TierClient * client, clients->of(endpoints, tier));
    auto removed = client->unload(model_name);
    if (!removed.ok()) return removed.status().with_context("undeploy: tier '" + tier.name + "'");
  }
  return ok_status();
}

nlohmann::json deploy_result_to_json(const DeployResult& result) {
  nlohmann::json tiers = nlohmann::json::array();
  for (const auto& d : result.tiers) {
    tiers.push_back({{"tier", d.tier},
                     {"role", d.role},
                     {"part_index", d.part_index},
                     {"parts", d.parts},
                     {"next_hop", d.next_hop},
                     {"load_ms", d.load_ms},
                     {"warmup_ms", d.warmup_ms}});
  }
  return {{"model", result.model_name},
          {"placement", result.placement},
          {"entry", result.entry_address},
          {"tiers", tiers}};
}

}  // namespace edgetier::tier
