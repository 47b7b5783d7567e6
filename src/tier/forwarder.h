/// Outgoing calls from a tier to its next hop: deadlines, user-space link emulation, probes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "proto/grpc_predict_v2.grpc.pb.h"
#include "tier/kserve_hop.h"
#include "tier/security.h"
#include "tier/shaper.h"

namespace edgetier::tier {

inline constexpr int64_t kDefaultForwardDeadlineMs = 30000;

struct ForwardTarget {
  std::string address;   // host:port or unix:/path
  std::string hop_name;  // the next tier's name, for errors and health
  int64_t deadline_ms = kDefaultForwardDeadlineMs;
  LinkEmulationSpec link;
  ClientSecurity security;  // its inference token (the channel carries the TLS)
  /// Set: the next hop is a foreign KServe v2 server hosting the rest under this model. Calls
  /// name it and carry no edgetier parameters; its answers get the hop marked (kserve_hop.h).
  std::optional<KserveModelRef> kserve;
};

struct ForwardStats {
  int64_t forward_ns = 0;  // the whole outgoing call, emulated link included
  int64_t bytes_out = 0;   // serialized request bytes sent
  int64_t bytes_back = 0;  // serialized response bytes received
};

/// One next hop. Thread-safe: concurrent requests share the channel and the link emulation.
class Forwarder {
 public:
  /// `channel`: to target.address (make_channel); the tier shares one per next hop among its
  /// models, so a model loaded later finds the connection up and its flow-control windows grown.
  Forwarder(ForwardTarget target, std::shared_ptr<grpc::Channel> channel);
  const ForwardTarget& target() const { return target_; }

  /// Sends `request` and fills `response`. The call's deadline is the target's deadline_ms,
  /// capped by `caller_deadline`. An error the next hop produced itself is returned unchanged,
  /// with `*origin` set to the tier that produced it; a failure to reach the hop is UNAVAILABLE
  /// or DEADLINE_EXCEEDED naming the hop and its address, with `*origin` left empty.
  Status infer(const inference::ModelInferRequest& request,
               std::chrono::system_clock::time_point caller_deadline,
               inference::ModelInferResponse* response, ForwardStats* stats, std::string* origin);

  /// Addresses a request to the next hop's model when it is a kserve hop (else nothing).
  void address(inference::ModelInferRequest* request) const;

  /// Asks the next hop for a model's metadata (used to report a chain's outputs).
  Result<inference::ModelMetadataResponse> metadata(const inference::ModelMetadataRequest& request,
                                                    std::chrono::system_clock::time_point deadline);

  /// ServerLive within `timeout_ms`; the outcome becomes the hop's state.
  Status probe(int64_t timeout_ms);

  /// "live", "dead" or "unprobed", and the last failure's message.
  std::string state() const;
  std::string last_error() const;

 private:
  void record(bool reachable, const std::string& error);
  std::string describe() const;  // "next hop 'edge' (10.0.0.2:8001)"

  ForwardTarget target_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
  LinkShaper shaper_;
  mutable std::mutex mutex_;
  std::string state_ = "unprobed";
  std::string last_error_;
};

}  // namespace edgetier::tier
