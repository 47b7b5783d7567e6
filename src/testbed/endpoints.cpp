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
    if (e.control.empty()) {
      return invalid_argument(label + ": tier '" + e.name + "' has neither control nor listen");
    }
    endpoints.tiers.push_back(e);
  }
  if (endpoints.tiers.empty()) return invalid_argument(label + ": no tiers listed");
  for (const auto& l : state.links) {
    if (!l.userspace()) continue;  // shaped by the kernel
    endpoints.userspace_links[l.from] = tier::LinkEmulationSpec{l.rate_mbit, l.delay_ms};
  }
  return endpoints;
}

Result<tier::TestbedEndpoints> load_endpoints(const std::string& path) {
  ASSIGN_OR_RETURN(TestbedState state, read_state_file(path, /*require_run=*/false));
  return endpoints_from_state(state, path);
}

Result<tier::TestbedEndpoints> resolve_endpoints(const std::string& state_path,
                                                 const std::vector<std::string>& tier_args,
                                                 const std::vector<std::string>& link_args) {
  if (state_path.empty() == tier_args.empty()) {
    return invalid_argument(
        "give either --testbed STATE.json or --tier NAME=ADDR (repeatable, in "
        "chain order: mobile, edge, cloud)");
  }
  Result<tier::TestbedEndpoints> endpoints =
      state_path.empty() ? tier::endpoints_from_args(tier_args) : load_endpoints(state_path);
  if (!endpoints.ok()) return endpoints;
  for (const auto& link : link_args) RETURN_IF_ERROR(tier::add_link_arg(link, &*endpoints));
  return endpoints;
}

}  // namespace edgetier::testbed
