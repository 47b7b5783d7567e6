/// How to reach the tiers of a testbed state file: the TestbedEndpoints deploy and request use
/// (tier/deploy.h), read through the one state reader (state.h).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "testbed/state.h"
#include "tier/deploy.h"

namespace edgetier::testbed {

/// Each tier's control (else listen) and listen (else control) address in chain order, and the
/// links the tiers' forwarders emulate in user space (LinkRecord::userspace), keyed by the
/// sending tier, and the run's control token (read from the state's token_file); a remote
/// tier's own TLS and tokens (remote_tier_security), and send_bytes for the remote network.
/// `label` (the file) names the source in errors.
Result<tier::TestbedEndpoints> endpoints_from_state(const TestbedState& state,
                                                    const std::string& label);
/// A remote tier's TLS files and tokens, read and checked (token files owner-only).
Result<tier::ClientSecurity> remote_tier_security(const RemoteTier& remote);
/// The state file at `path`, which may be hand-written: {"tiers": [{"name", "control",
/// "listen", "client"}], "links": [{"from", "to", "rate_mbit", "delay_ms", "userspace"}]}.
/// NOT_FOUND when there is no such file.
Result<tier::TestbedEndpoints> load_endpoints(const std::string& path);
/// The command-line way: a state file path or `--tier` arguments (exactly one of them), then
/// `--link` arguments on top (tier/deploy.h endpoints_from_args, add_link_arg), and the TLS
/// and token files given over what the state names (its run's token).
Result<tier::TestbedEndpoints> resolve_endpoints(const std::string& state_path,
                                                 const std::vector<std::string>& tier_args,
                                                 const std::vector<std::string>& link_args,
                                                 const tier::ClientSecurityFiles& security = {});

}  // namespace edgetier::testbed
