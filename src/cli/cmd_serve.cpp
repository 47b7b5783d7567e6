/// `edgetier serve --tier NAME --listen ADDR...`: run one tier server until stopped (TLS,
/// tokens and the model root: tier/security.h, tier/server.h).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>

#include "cli/commands.h"
#include "core/strings.h"
#include "tier/server.h"

namespace edgetier::cli {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int signal) { g_stop_signal = signal; }

}  // namespace

std::function<int()> setup_serve(CLI::App* app) {
  struct Args {
    tier::ServeOptions options;
    std::string max_message_size = "64MiB";
    double max_image_mpixels = 64;
  };
  auto args = std::make_shared<Args>();
  app->add_option("--tier", args->options.tier_name, "Tier name (mobile, edge, cloud, ...)")
      ->required();
  app->add_option(
         "--listen", args->options.listen,
         "Address to serve on, repeatable: HOST:PORT (port 0 picks one) or unix:/path.sock")
      ->capture_default_str();
  app->add_option("--threads", args->options.intra_op_threads,
                  "ONNX Runtime intra-op threads (0: ceil of the cgroup CPU quota, else all CPUs)")
      ->capture_default_str();
  app->add_option("--max-message-size", args->max_message_size,
                  "Largest request or response message: bytes, or with a unit (64MiB = 64 x 2^20, "
                  "64MB = 64 x 10^6)")
      ->capture_default_str();
  app->add_option("--max-image-mpixels", args->max_image_mpixels,
                  "Largest image (width x height, in 2^20 pixels) a tier agrees to decode")
      ->capture_default_str();
  app->add_option("--max-rpc-threads", args->options.max_rpc_threads, "gRPC handler threads")
      ->capture_default_str();
  tier::ServerSecurityFiles& security = args->options.security;
  app->add_option("--tls-cert", security.tls_cert,
                  "PEM certificate (chain) of the TCP listeners: they serve TLS only");
  app->add_option("--tls-key", security.tls_key, "PEM private key of --tls-cert");
  app->add_option("--tls-client-ca", security.tls_client_ca,
                  "Require client certificates signed by this PEM CA (mutual TLS)");
  app->add_flag("--insecure", security.insecure,
                "Allow plaintext TCP listeners outside loopback (a trusted, private network only)");
  app->add_option("--token-file", security.token,
                  "Bearer token (file of mode 0600) the control service requires over TCP; "
                  "without it the control service answers only on unix sockets");
  app->add_option("--inference-token-file", security.inference_token,
                  "Bearer token (file of mode 0600) the inference service requires over TCP");
  app->add_option("--model-root", args->options.model_root,
                  "Folder LoadModel may read part files from by path (symlinks resolved); "
                  "without it parts must be sent as bytes");
  app->add_option("--session-cache", args->options.session_cache_dir,
                  "Folder where the optimized graph of each part file loaded by path is kept and "
                  "reused when the same file is loaded again (skips graph optimization); keyed by "
                  "the file, the ONNX Runtime version and the CPU");
  tier::ClientSecurityFiles& next_hop = args->options.next_hop_security;
  app->add_option("--next-hop-tls-ca", next_hop.tls_ca,
                  "PEM CA the next hops' certificates chain to (TLS to TCP next hops)");
  app->add_option("--next-hop-tls-cert", next_hop.tls_cert,
                  "Client certificate presented to next hops that require one");
  app->add_option("--next-hop-tls-key", next_hop.tls_key, "Private key of --next-hop-tls-cert");
  app->add_option("--next-hop-token-file", next_hop.inference_token,
                  "Inference bearer token (file of mode 0600) sent to the next hops");
  // Hidden: a tier that claims another control protocol, so that the refusal of a major
  // mismatch can be tested against a real server. It changes nothing but what Health reports.
  app->add_option("--report-protocol-version", args->options.reported_protocol_version,
                  "Protocol version Health reports (testing the version check only)")
      ->group("");
  return [args]() {
    tier::ServeOptions options = args->options;
    auto max_message_bytes = parse_bytes(args->max_message_size);
    if (!max_message_bytes.ok())
      return report_error(max_message_bytes.status().with_context("--max-message-size"));
    if (*max_message_bytes <= 0 || *max_message_bytes > INT32_MAX) {
      return report_error(invalid_argument("--max-message-size " + args->max_message_size +
                                           " must be between 1 B and 2 GiB (gRPC's limit)"));
    }
    options.max_message_bytes = *max_message_bytes;
    options.max_image_pixels = static_cast<int64_t>(args->max_image_mpixels * 1024 * 1024);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGPIPE, SIG_IGN);
    auto server = tier::TierServer::start(options);
    if (!server.ok()) return report_error(server.status());
    std::string listen;
    for (const auto& address : (*server)->addresses()) {
      listen += (listen.empty() ? "" : ",") + address;
    }
    // One machine-readable line for launchers; logs go to stderr.
    std::printf("READY tier=%s listen=%s pid=%d threads=%d max_message_bytes=%lld\n",
                options.tier_name.c_str(), listen.c_str(), static_cast<int>(getpid()),
                (*server)->threads(), static_cast<long long>(options.max_message_bytes));
    std::fflush(stdout);
    (*server)->wait([] { return g_stop_signal != 0; });
    return 0;
  };
}

}  // namespace edgetier::cli
