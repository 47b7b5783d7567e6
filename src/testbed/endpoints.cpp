/// Endpoints from a testbed state file.
#include "testbed/endpoints.h"

namespace edgetier::testbed {

Result<tier::TestbedEndpoints> endpoints_from_state(const TestbedState& state,
                                                    const std::string& label) {
  tier::TestbedEndpoints endpoints;
  for (const auto& t : state.tiers) {
    tier::TierEndpoint e;
    e.name = t.name;
    e.control = t.control.empty() ? t.listen : t.control;
    e.listen = t.listen.empty() ? t.control : t.listen;
    e.client = t.client;
    if (!t.remote.empty()) {
      auto security = remote_tier_security(t.remote);
      if (!security.ok()) return security.status().with_context(label + ": tier '" + t.name + "'");
      e.security = *security;
      if (t.remote.kserve) e.kserve = tier::KserveModelRef{t.remote.model, t.remote.version};
    }
    if (e.control.empty()) {
      return invalid_argument(label + ": tier '" + e.name + "' has neither control nor listen");
    }
    endpoints.tiers.push_back(e);
  }
  if (endpoints.tiers.empty()) return invalid_argument(label + ": no tiers listed");
  // Remote hosts have none of this machine's files.
  endpoints.send_bytes = state.network == "remote";
  for (const auto& l : state.links) {
    if (!l.userspace()) continue;  // shaped by the kernel
    endpoints.userspace_links[l.from] = tier::LinkEmulationSpec{l.rate_mbit, l.delay_ms};
  }
  if (!state.token_file.empty()) {
    auto token = tier::read_token_file(state.token_file, "the testbed's token file");
    if (!token.ok()) return token.status().with_context(label);
    endpoints.security.token = *token;
  }
  return endpoints;
}

Result<tier::ClientSecurity> remote_tier_security(const RemoteTier& remote) {
  tier::ClientSecurityFiles files;
  files.tls_ca = remote.tls_ca;
  files.tls_cert = remote.tls_cert;
  files.tls_key = remote.tls_key;
  files.token = remote.token_file;
  files.inference_token = remote.inference_token_file;
  return tier::load_client_security(files);
}

Result<tier::TestbedEndpoints> load_endpoints(const std::string& path) {
  ASSIGN_OR_RETURN(TestbedState state, read_state_file(path, /*require_run=*/false));
  return endpoints_from_state(state, path);
}

Result<tier::TestbedEndpoints> resolve_endpoints(const std::string& state_path,
                                                 const std::vector<std::string>& tier_args,
                                                 const std::vector<std::string>& link_args,
                                                 const tier::ClientSecurityFiles& security) {
  if (state_path.empty() == tier_args.empty()) {
    return invalid_argument(
        "give either --testbed STATE.json or --tier NAME=ADDR (repeatable, in "
        "chain order: mobile, edge, cloud)");
  }
  Result<tier::TestbedEndpoints> endpoints =
      state_path.empty() ? tier::endpoints_from_args(tier_args) : load_endpoints(state_path);
  if (!endpoints.ok()) return endpoints;
  for (const auto& link : link_args) RETURN_IF_ERROR(tier::add_link_arg(link, &*endpoints));
  ASSIGN_OR_RETURN(tier::ClientSecurity given, tier::load_client_security(security));
  tier::ClientSecurity& merged = endpoints->security;
  if (given.tls()) {
    merged.tls_ca_pem = given.tls_ca_pem;
    merged.tls_cert_pem = given.tls_cert_pem;
    merged.tls_key_pem = given.tls_key_pem;
  }
  if (!given.token.empty()) merged.token = given.token;
  if (!given.inference_token.empty()) merged.inference_token = given.inference_token;
  return endpoints;
}

}  // namespace edgetier::testbed
