/// The tier's side of ProbeLink: RTT and rate both ways to its next hop, measured with Echo
/// calls sent from this tier over the same TLS and token its forwarder uses.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "proto/edgetier_control.grpc.pb.h"
#include "tier/security.h"

namespace edgetier::tier {

/// RTT: median of `rtt_rounds` 1-byte Echo calls. Rate: a bulk Echo each way (request of
/// `bytes` with an empty reply, then an empty request with a reply of `bytes`); its time minus
/// the RTT is the transfer, and the median over `rate_rounds` is the rate. Without `bytes`
/// the size grows from 256 KiB (x4) until a transfer takes 0.2 s or reaches half the message
/// limit. Every time is a duration on this host's clock.
Result<control::ProbeLinkResponse> probe_next_hop(const control::ProbeLinkRequest& request,
                                                  const ClientSecurity& security,
                                                  int64_t max_message_bytes);

}  // namespace edgetier::tier
