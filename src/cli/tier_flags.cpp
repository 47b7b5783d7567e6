/// Client TLS and token flags.
#include "cli/tier_flags.h"

namespace edgetier::cli {

void add_client_security_flags(CLI::App* app, tier::ClientSecurityFiles* files) {
  app->add_option("--tls-ca", files->tls_ca,
                  "PEM CA the tiers' certificates chain to: TCP addresses are reached over TLS");
  app->add_option("--tls-cert", files->tls_cert,
                  "Client certificate, for tiers that require one (serve --tls-client-ca)");
  app->add_option("--tls-key", files->tls_key, "Private key of --tls-cert");
  app->add_option("--token-file", files->token,
                  "Control token (file of mode 0600) of tiers reached over TCP (default with "
                  "--testbed: the run's own)");
  app->add_option("--inference-token-file", files->inference_token,
                  "Inference token (file of mode 0600) of tiers started with one");
}

}  // namespace edgetier::cli
