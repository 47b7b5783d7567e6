/// The models a tier holds: warm ONNX Runtime sessions (or relay entries) and their next hops.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "metrics/detection_outputs.h"
#include "proto/edgetier_control.pb.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"
#include "tier/forwarder.h"
#include "tier/security.h"
#include "tier/segment.h"

namespace edgetier::tier {

/// One loaded model part. Immutable after load except the counters, so requests share it
/// without locks; a reload swaps in a new entry and in-flight requests finish on the old one.
struct ModelEntry {
  std::string name;
  std::string version;
  std::string label;
  std::vector<std::string> part_sources;  // each part's path or "<bytes>"; empty for a relay
  int part_index = 0;
  std::unique_ptr<Segment> segment;          // null: relay entry
  std::optional<PreprocessSpec> preprocess;  // set: the first part takes the encoded image
  std::unique_ptr<Forwarder> forwarder;      // null: this tier answers
  /// Where a detector's detections are (LoadModelRequest.detection_json); none: recognised from
  /// the outputs when a request asks for detections.
  std::optional<DetectionOutputs> detection;
  double load_ms = 0;
  double warmup_ms = 0;
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> errors{0};

  bool is_relay() const { return segment == nullptr; }
  std::string role() const { return is_relay() ? "relay" : "compute"; }
};

/// The ONNX Runtime options a tier loads its parts with. One place, because the runner's
/// builder loads parts with them too, to fill the tiers' optimized-graph cache
/// (session_cache.h keys on these options).
SessionOptions tier_session_options(int intra_op_threads, const std::string& session_cache_dir);

struct RegistryOptions {
  std::string tier_name;
  int intra_op_threads = 1;
  int64_t max_message_bytes = int64_t{64} << 20;
  /// Canonical folder parts may be loaded from by path; empty: paths are refused.
  std::string model_root;
  std::string session_cache_dir;  // optimized graphs of loaded part files; empty: none
  ClientSecurity next_hop_security;  // credentials of the forwarders' channels
};

class ModelRegistry {
 public:
  explicit ModelRegistry(RegistryOptions options) : options_(std::move(options)) {}

  /// Creates and runs one session of a small built-in convolutional model, so that the
  /// runtime's one-time setup in this process (kernel registries, graph transformers, thread
  /// pools) is paid at startup and not by the first LoadModel and its request. Best effort.
  void warm_runtime() const;
  const RegistryOptions& options() const { return options_; }

  /// Creates and warms the session outside the lock (loading a large part must not stall
  /// requests for other models), then swaps the entry in. Errors name the model and the field.
  Result<control::LoadModelResponse> load(const control::LoadModelRequest& request);
  /// Removes `name` (or every model when `all`); returns how many entries went away.
  int unload(const std::string& name, bool all);
  std::shared_ptr<ModelEntry> find(const std::string& name) const;
  std::vector<std::string> names() const;
  std::vector<std::shared_ptr<ModelEntry>> entries() const;

 private:
  /// The channel to a next hop, one per address for all the models forwarding there.
  std::shared_ptr<grpc::Channel> next_hop_channel(const std::string& address);

  RegistryOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<ModelEntry>> models_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;  // by next-hop address
};

/// What a model entry accepts and returns, in KServe datatypes (the image input is BYTES [1]).
std::vector<control::TensorSpec> entry_inputs(const ModelEntry& entry);
std::vector<control::TensorSpec> entry_outputs(const ModelEntry& entry);

}  // namespace edgetier::tier
