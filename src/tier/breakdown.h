/// Per-request latency breakdown rebuilt from the timings each tier adds to the response.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proto/grpc_predict_v2.pb.h"

namespace edgetier::tier {

/// What one tier spent on a request (all ns; bytes are serialized message sizes).
struct HopBreakdown {
  std::string tier;
  std::string role;  // "compute" or "relay"
  int64_t queue_ns = 0;
  int64_t preprocess_ns = 0;  // decode + preprocess (first part only)
  int64_t compute_ns = 0;
  int64_t serialize_ns = 0;  // tensors <-> messages
  int64_t forward_ns = 0;    // the call to the next hop, emulated link included
  int64_t postprocess_ns = 0;  // detections decoded, NMS included (the answering tier)
  int64_t total_ns = 0;      // handler entry to response ready
  int64_t other_ns = 0;      // total minus the parts above (lookups, bookkeeping)
  int64_t bytes_in = 0;      // request bytes received
  int64_t bytes_out = 0;     // request bytes sent to the next hop
  int64_t bytes_back = 0;    // response bytes received from the next hop
};

/// One link of the chain, "client" -> first tier, then tier -> tier.
struct LinkBreakdown {
  std::string from;
  std::string to;
  /// Time on the link and in the gRPC stacks of both ends: the sender's call time minus the
  /// receiver's total time (includes message (de)serialization by gRPC).
  int64_t transfer_ns = 0;
  int64_t bytes_up = 0;
  int64_t bytes_down = 0;
};

struct RequestBreakdown {
  int64_t end_to_end_ns =
      0;  // measured by the client, request building and output parsing included
  std::vector<HopBreakdown> hops;    // first to last tier
  std::vector<LinkBreakdown> links;  // links[i] ends at hops[i]
  /// Dynamic early exit: -1 no exit on the path, 0 the full model ran, 1 an early head answered.
  int exit_taken = -1;
  std::string exit_tier;          // the tier that answered early, when exit_taken == 1
  double exit_confidence = -1.0;  // the early head's measure (the first tier that has one)

  int64_t sum_ns(int64_t HopBreakdown::*field) const;
  /// Sum of every hop's queue+preprocess+compute+postprocess+serialize and every link's transfer; never
  /// more than end_to_end_ns (the rest is other_ns of the hops).
  int64_t accounted_ns() const;
};

/// Reads the "hops" list and "<tier>.<field>" parameters; missing fields stay 0.
RequestBreakdown breakdown_from_parameters(
    const google::protobuf::Map<std::string, inference::InferParameter>& parameters,
    int64_t end_to_end_ns, int64_t request_bytes, int64_t response_bytes);

nlohmann::json breakdown_to_json(const RequestBreakdown& breakdown);
/// One line: "e2e 52.31 ms | client>mobile 0.41 | mobile pre 20.10 cmp 30.22 ... ".
std::string breakdown_to_text(const RequestBreakdown& breakdown);

}  // namespace edgetier::tier
