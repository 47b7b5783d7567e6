/// A lab of "real devices" for the remote backend's tests: three tiers (mobile, edge, cloud)
/// as `edgetier serve` processes in three network namespaces, plus a device namespace for the
/// runner, all on one private bridge (10.77.200.0/24) inside namespaces the lab creates. Every
/// tier serves TLS with its own certificate (SAN: its address), requires client certificates
/// and a control token (0600 file), and reaches its next hop with mutual TLS.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "test_util.h"
#include "tier/tls_fixtures.h"

namespace edgetier::testbed::testing {

class RemoteLab {
 public:
  static constexpr int kPort = 8001;
  static constexpr const char* kTiers[] = {"mobile", "edge", "cloud"};

  /// Creates the namespaces, the bridge, the certificates and the tokens; ok() says whether it
  /// worked (error() says why). Tiers are started with start_tier.
  RemoteLab();
  ~RemoteLab();
  RemoteLab(const RemoteLab&) = delete;
  RemoteLab& operator=(const RemoteLab&) = delete;
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  const TempDir& dir() const { return dir_; }
  const tier_test::TestCerts& certs() const { return certs_; }
  /// "10.77.200.2" for edge (mobile .1, edge .2, cloud .3; the device .10).
  static std::string ip(const std::string& tier);
  static std::string address(const std::string& tier, int port = kPort) {
    return ip(tier) + ":" + std::to_string(port);
  }
  std::string netns(const std::string& tier) const { return prefix_ + "-" + tier; }
  std::string token_file(const std::string& tier) const { return dir_.file(tier + ".token"); }
  /// The folder every tier may load part files from by path (--model-root).
  std::string model_root() const { return dir_.file("model-root"); }

  /// Starts `edgetier serve` for `tier` in its namespace (TLS, token, model root, next-hop
  /// mTLS, plus `extra`) on `port`, and waits for its READY line. Returns the pid, or -1.
  pid_t start_tier(const std::string& tier, const std::vector<std::string>& extra = {},
                   int port = kPort, const std::string& name = "");
  void start_all();
  /// SIGKILL, as a device that loses power.
  void kill_tier(const std::string& tier);

  /// The `tiers:` entries of a tiers.yaml (or an experiment spec's tiers map) reaching the
  /// tiers with the lab's CA, client certificate and tokens.
  std::string tiers_yaml_list() const;
  std::string spec_tiers_map(const std::string& indent) const;

  /// Starts the edgetier binary with `args` inside the device namespace; output to files
  /// <dir>/<label>.out and .err.
  pid_t spawn_on_device(const std::vector<std::string>& args, const std::string& label) const;
  /// Runs it to the end (killed after `timeout_s`): exit code and output.
  CommandResult run_on_device(const std::vector<std::string>& args, int timeout_s = 60) const;

 private:
  TempDir dir_;
  tier_test::TestCerts certs_;
  std::string prefix_;
  std::vector<std::string> namespaces_;
  std::map<std::string, std::vector<pid_t>> pids_;
  std::string error_;
};

/// Waits for `pid` up to `timeout_s` (then SIGKILLs it): its exit code, or -signal.
int wait_exit(pid_t pid, int timeout_s);

}  // namespace edgetier::testbed::testing
