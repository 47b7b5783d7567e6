/// `edgetier serve --tier NAME --listen ADDR...`: run one tier server until stopped.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "tier/server.h"

namespace edgetier::cli {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int signal) { g_stop_signal = signal; }

}  // namespace

std::function<int()> setup_serve(CLI::App* app) {
  struct Args {
    tier::ServeOptions options;
    double max_message_mb = 64;
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
  app->add_option("--max-message-mb", args->max_message_mb,
                  "Largest request or response message, in MiB")
      ->capture_default_str();
  app->add_option("--max-image-mpixels", args->max_image_mpixels,
                  "Largest image (width x height, in 2^20 pixels) a tier agrees to decode")
      ->capture_default_str();
  app->add_option("--max-rpc-threads", args->options.max_rpc_threads, "gRPC handler threads")
      ->capture_default_str();
  return [args]() {
    tier::ServeOptions options = args->options;
    options.max_message_bytes = static_cast<int64_t>(args->max_message_mb * 1024 * 1024);
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
    std::printf("READY tier=%s listen=%s pid=%d threads=%d\n", options.tier_name.c_str(),
                listen.c_str(), static_cast<int>(getpid()), (*server)->threads());
    std::fflush(stdout);
    (*server)->wait([] { return g_stop_signal != 0; });
    return 0;
  };
}

}  // namespace edgetier::cli
