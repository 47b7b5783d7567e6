/// Deploying a variant onto running tiers: each part on its tier, relay entries in between,
/// so a request sent to the first tier walks the chain client -> mobile -> edge -> cloud.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "metrics/detection_outputs.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "tier/kserve_hop.h"
#include "tier/security.h"
#include "tier/shaper.h"

namespace edgetier::tier {

struct TierEndpoint {
  std::string name;     // "mobile", "edge", "cloud"
  std::string control;  // where the control service is reached (often a unix socket)
  std::string listen;   // where the upstream neighbour reaches this tier's inference service
  std::string client;   // where the device app reaches it (first tier only); empty: control
  /// Its own TLS and tokens (a remote tier); none: TestbedEndpoints::security.
  std::optional<ClientSecurity> security;
  /// Set: a foreign KServe v2 server (kind: kserve) hosting the variant's last part under this
  /// model at `listen`. It gets no control calls: deploy checks its readiness and metadata and
  /// points the tier before it there (that tier's own next-hop TLS and token reach it).
  std::optional<KserveModelRef> kserve;
};

/// The running tiers in chain order (requests enter at tiers[0]) and the user-space link
/// emulation to apply where the kernel does not shape, keyed by the sending side
/// ("client" for the device's link to the first tier). From a testbed state file:
/// testbed/endpoints.h (the testbed layer reads its own file); from arguments: below.
struct TestbedEndpoints {
  std::vector<TierEndpoint> tiers;
  std::map<std::string, LinkEmulationSpec> userspace_links;
  /// TLS and tokens for every tier (a testbed run's token, or the command's flags).
  ClientSecurity security;
  /// The tiers cannot read this machine's files (remote hosts): deploy sends part bytes.
  bool send_bytes = false;

  const TierEndpoint* find(const std::string& name) const;
  /// The tier's own security, else the shared one.
  const ClientSecurity& security_of(const TierEndpoint& tier) const {
    return tier.security ? *tier.security : security;
  }
  /// How to call a kserve tier (its `kserve` set): address, model and security.
  KserveHop kserve_hop(const TierEndpoint& tier) const {
    return {tier.name, tier.listen, tier.kserve.value_or(KserveModelRef{}), security_of(tier)};
  }
  /// Where the device app sends requests: the first tier's client (else control) address.
  std::string client_address() const;
};

/// "--tier NAME=ADDR" (control and listen alike) or "NAME=CONTROL,LISTEN", in chain order.
Result<TestbedEndpoints> endpoints_from_args(const std::vector<std::string>& args);
/// "FROM=RATE_MBIT:DELAY_MS" (e.g. "mobile=10:5", "client=50:2") into `endpoints`.
Status add_link_arg(const std::string& arg, TestbedEndpoints* endpoints);

/// Indices into `tiers` of the placement's letters (the first letter of each tier name), one
/// per part, e.g. "MC" -> {0, 2}. Letters follow the chain order; a repeated letter puts
/// consecutive parts on the same tier ("MME": parts 0 and 1 on mobile, part 2 on edge).
Result<std::vector<size_t>> parse_placement(const std::string& placement,
                                            const std::vector<TierEndpoint>& tiers);

struct VariantParts {
  std::string name;                          // the directory's name
  std::vector<std::string> part_paths;       // absolute, in execution order
  std::optional<PreprocessSpec> preprocess;  // of the first part; none: it takes tensors
  /// The manifest's dynamic exit (exit_part indexes part_paths): its parts up to the early head
  /// go on the placement's first tier, the rest on the second (or all on one tier).
  std::optional<ExitPolicy> exit_policy;
  std::vector<std::vector<std::string>> part_inputs;  // input names per part, from the manifest
  /// A detector's detection outputs (the manifest's "detection" block, or a single .onnx file's
  /// sidecar's): sent to the tier running the last part, which answers response=detect with
  /// boxes. None: that tier recognises them from the outputs.
  std::optional<DetectionOutputs> detection;
};

/// Reads a variant directory (part0.onnx, part1.onnx, ... and optional manifest.json with
/// "parts", "preprocess" and "detection") or a single .onnx file. Without a manifest preprocess, a part0
/// image input gets derive_preprocess's recipe.
Result<VariantParts> read_variant_dir(const std::string& path);
/// The image preprocessing of a model's only input, if it looks like an image: its sidecar
/// "<model>.json" over the study's recipe for its size (ops/model_preprocess.h).
Result<std::optional<PreprocessSpec>> derive_preprocess(const std::string& model_path);

struct DeployOptions {
  std::string model_name;  // empty: the variant's name
  std::string model_version;
  std::string placement;  // ME, EC, MC, MEC, M, E, C
  std::string label;      // e.g. the strategy name, shown by health
  int64_t forward_deadline_ms = 30000;
  bool send_bytes = false;  // send part bytes instead of paths (tiers without the files)
  bool skip_warmup = false;
  int64_t control_deadline_ms = 120000;
};

struct TierDeployment {
  std::string tier;
  std::string role;     // compute, relay, kserve (checked, not loaded), or "unused" (after the
                        // last part; entry removed)
  int part_index = -1;  // the first part this tier runs
  std::vector<std::string> parts;
  std::string next_hop;
  double load_ms = 0;
  double warmup_ms = 0;
};

struct DeployResult {
  std::string model_name;
  std::string placement;
  std::string entry_address;  // where the device app sends requests
  std::vector<TierDeployment> tiers;
};

class TierClient;

/// One control client per tier, connected on first use and kept, so that a runner deploying
/// and removing strategy after strategy does not open a new connection to every tier each time.
/// Thread-safe. Belongs to one set of endpoints (clients are keyed by control address).
class ControlClients {
 public:
  ControlClients();
  ~ControlClients();
  Result<TierClient*> of(const TestbedEndpoints& endpoints, const TierEndpoint& tier);

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<TierClient>> clients_;
};

/// Loads the parts back to front (a tier's next hop is ready before it forwards), relays on
/// the tiers in between, and removes the model from tiers after the last part. A kserve tier
/// must run exactly the last part, after at least one part on an edgetier tier; it is checked
/// (ServerReady, ModelReady, ModelMetadata against the part's inputs and outputs), not loaded.
/// `clients`: kept connections to reuse (null: connect for this call).
Result<DeployResult> deploy_variant(const TestbedEndpoints& endpoints, const VariantParts& parts,
                                    const DeployOptions& options,
                                    ControlClients* clients = nullptr);
/// Removes the model from every edgetier tier (missing entries are fine; kserve tiers are not
/// ours to change).
Status undeploy(const TestbedEndpoints& endpoints, const std::string& model_name,
                ControlClients* clients = nullptr);

nlohmann::json deploy_result_to_json(const DeployResult& result);

}  // namespace edgetier::tier
