/// The flags of every command that calls tiers (deploy, request): TLS and bearer tokens.
#pragma once

#include "cli/command.h"
#include "tier/security.h"

namespace edgetier::cli {

/// --tls-ca, --tls-cert, --tls-key, --token-file, --inference-token-file into `files`.
void add_client_security_flags(CLI::App* app, tier::ClientSecurityFiles* files);

}  // namespace edgetier::cli
