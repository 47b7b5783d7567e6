/// The one tier/link model, from experiment.yaml and tiers.yaml to the state file: what a tier
/// may use and what a link between two neighbouring tiers does. The state file's records
/// (testbed/state.h) are these plus what exists at run time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

/// How to reach a tier that runs elsewhere (the `remote` backend): its address and the files
/// that prove who we are to it. Paths are absolute (resolved against the YAML file's folder).
struct RemoteTier {
  std::string address;  // "10.0.0.2:8001": its control and inference services
  std::string tls_ca;   // CA its certificate chains to; empty: plaintext (then only loopback)
  std::string tls_cert;  // our client certificate, for tiers started with --tls-client-ca
  std::string tls_key;
  std::string token_file;            // its control token (file of mode 0600)
  std::string inference_token_file;  // its inference token, when it was started with one
  /// kind: kserve - not an edgetier tier but a foreign KServe v2 server (Triton, KServe, ...)
  /// that already hosts the variant's last part as `model`/`version`: it is sent ModelInfer
  /// (and readiness and metadata checks) only, never deployed to. Its `token_file` is the
  /// bearer token it expects, if any.
  bool kserve = false;
  std::string model;    // kind: kserve: the model name the server hosts the part under
  std::string version;  // and its version; empty: the server's choice
  bool empty() const { return address.empty(); }
};

/// The values `kind` takes on a tier entry (tiers.yaml, experiment.yaml).
inline constexpr const char* kTierKindEdgetier = "edgetier";
inline constexpr const char* kTierKindKserve = "kserve";

/// A tier entry's address, kind and model agree: kind kserve needs an address and a model;
/// model and version belong to kind kserve only. The message names the key at fault.
Status check_remote_tier(const RemoteTier& remote);

struct TierSpec {
  std::string name;          // mobile | edge | cloud (tiers.yaml: any 1-16 [a-z0-9] name)
  double cpus = 0;           // CPU quota in cores; <= 0: unlimited
  int64_t memory_bytes = 0;  // <= 0: unlimited
  int threads = 0;           // ONNX Runtime intra-op threads; 0: ceil(cpus) (see tier_threads)
  bool enabled = true;       // experiment specs: false drops the tier (and placements using it)
  RemoteTier remote;         // set: the tier already runs at remote.address (backend `remote`)
};

struct LinkSpec {
  std::string from;      // upstream tier (nearer the client)
  std::string to;        // downstream tier
  double rate_mbit = 0;  // 0 in an experiment spec: unshaped
  double delay_ms = 0;   // one way (experiment.yaml gives rtt_ms = 2 x delay_ms)
  double jitter_ms = 0;
  double loss_pct = 0;
  std::string name() const { return from + "-" + to; }  // "mobile-edge"
  double rtt_ms() const { return delay_ms * 2; }
  void set_rtt_ms(double rtt_ms) { delay_ms = rtt_ms / 2; }
  /// Delay, jitter or loss to emulate (beyond the rate): netem's job, or the tiers' transport's.
  bool emulates_delay_or_loss() const { return delay_ms > 0 || jitter_ms > 0 || loss_pct > 0; }
};

/// "mobile-edge" -> {"mobile", "edge"}; false when the name has no '-'.
bool split_link_name(std::string_view name, std::string* from, std::string* to);

/// ONNX Runtime intra-op threads for a CPU quota: ceil(cpus), at least 1.
int threads_for_cpus(double cpus);
/// The tier's threads: its own setting when > 0, else threads_for_cpus(cpus).
int tier_threads(const TierSpec& tier);

}  // namespace edgetier::testbed
