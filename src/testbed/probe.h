/// Link probe: achieved rate (both directions) and RTT between two endpoints that may live in
/// different network namespaces; also the timed transfer the link-fidelity benchmark uses.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

/// One side of a link: a namespace (empty: the caller's) and an IPv4 address in it.
struct ProbeEndpoint {
  std::string netns;
  std::string address;
};

struct ProbeOptions {
  /// Bulk size = rate x this, within the byte bounds. On the default testbed's tbf links the
  /// achieved rate at 0.15, 0.25 and 0.5 s agreed within 1.5% (198.5 of 200 Mbit/s, 9.84-9.91 of
  /// 10), and a run probes at its start and at every scenario change.
  double seconds_per_direction = 0.15;
  int64_t min_bytes = 128 * 1024;
  int64_t max_bytes = 64LL * 1024 * 1024;
  int rtt_rounds = 21;
  /// > 0: the sender is paced in user space at this rate, by the tiers' own link emulation
  /// (tier::LinkShaper), for links the kernel does not shape.
  double userspace_rate_mbit = 0;
};

struct LinkProbe {
  std::string link;
  double configured_rate_mbit = 0;
  double achieved_rate_mbit = 0;  // the slower direction
  double forward_rate_mbit = 0;   // upstream tier -> downstream tier (towards the cloud)
  double reverse_rate_mbit = 0;
  double rtt_ms = 0;  // median TCP ping-pong of 1 byte
  int64_t bytes = 0;  // per direction
  /// Who measured: "testbed" (this machine, between the link's two ends) or the name of the
  /// tier that sends on the link (the remote backend's ProbeLink).
  std::string probed_by = "testbed";
  /// |achieved / configured - 1|.
  double deviation() const;
  nlohmann::json to_json() const;
  static LinkProbe from_json(const nlohmann::json& j);
};

/// Connects `up` -> `down` over TCP, measures RTT, then sends a bulk transfer each way. The rate
/// is the steady rate: bytes after the first quarter over the time they took (the bucket's burst
/// and TCP's start are not the link's rate).
Result<LinkProbe> probe_link(const std::string& link, double configured_rate_mbit,
                             const ProbeEndpoint& up, const ProbeEndpoint& down,
                             const ProbeOptions& options = {});

struct TransferTiming {
  int64_t bytes = 0;
  double seconds = 0;           // first send() until the receiver has the last byte
  double steady_rate_mbit = 0;  // as in probe_link
};
/// One bulk transfer from `from` to `to` on a fresh, already-connected TCP connection
/// (handshake excluded), optionally paced in user space at `userspace_rate_mbit`.
Result<TransferTiming> timed_transfer(const ProbeEndpoint& from, const ProbeEndpoint& to,
                                      int64_t bytes, double userspace_rate_mbit = 0,
                                      int timeout_ms = 60000);

}  // namespace edgetier::testbed
