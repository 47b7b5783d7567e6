/// The planner's token-bucket link model: tc's tbf (or none) per link direction, and the replay of
/// a measured request sequence through such buckets, as the runner's closed-loop client meets them.
///
/// A tbf bucket holds up to `burst` bytes of tokens and refills at the rate. A message that fits
/// in the tokens it finds leaves at line rate; a larger one waits (bytes - tokens) / rate. The
/// runner sends the next request as soon as the reply is in, so a bucket refills only while the
/// rest of a request runs: when a link carries more per request than it refills in one request,
/// the request takes (bytes / rate) whatever the burst (the link is saturated), which no
/// per-message formula captures. Replaying the measured sequence captures both.
#pragma once

#include <array>
#include <vector>

namespace edgetier {

/// One direction of a shaped link. rate_mbit <= 0: unshaped (no bucket, no hold).
struct BucketSpec {
  double rate_mbit = 0;
  double burst_bytes = 0;
};

/// Bytes on the wire for a message of `payload_bytes` (as the store counts them, the protobuf
/// message): TCP/IP/Ethernet headers per jumbo frame (~0.75%) and HTTP/2 + gRPC framing.
double wire_bytes(double payload_bytes);

/// Time a message of `wire` bytes waits in a bucket holding `tokens_bytes`: 0 when it fits,
/// (wire - tokens) / rate when it does not. Never negative; 0 on an unshaped link.
double tbf_hold_ms(double wire, double tokens_bytes, double rate_mbit);

/// A bucket over time: tokens refill at the rate while no message is held, up to the burst.
class TokenBucket {
 public:
  explicit TokenBucket(BucketSpec spec, bool full = true);
  /// A message of `wire` bytes arriving `idle_ms` after the previous one left: its hold (ms).
  double send(double wire, double idle_ms);
  double tokens_bytes() const { return tokens_bytes_; }

 private:
  BucketSpec spec_;
  double tokens_bytes_ = 0;
};

/// One measured request of a strategy, as the replay needs it.
struct RequestSample {
  double base_ms = 0;  // end-to-end minus the time its messages were held in the shaped links
  double gap_ms = 0;   // the client's pause before the next request
  std::vector<std::array<double, 2>> bytes;  // per crossed link: up, down (payload bytes)
};

/// Replays `samples` (in request order, `warmup` of them first as the runner's warm-up) through
/// fresh full buckets, `buckets[i]` for link i both ways; `extra_ms[i]` (the links' RTT) is added
/// per request. Returns each request's predicted end-to-end time (and, with `holds`, its holds
/// per link, up + down).
std::vector<double> replay_requests(const std::vector<RequestSample>& samples,
                                    const std::vector<BucketSpec>& buckets,
                                    const std::vector<double>& extra_ms, int warmup = 2,
                                    std::vector<std::vector<double>>* holds = nullptr);

/// The holds (ms, per request and link, up + down) of a measured sequence whose cycle times
/// (send to next send) are known. Buckets start drained: a busy link stays drained, an idle one
/// refills within the first cycle, so the replay settles on what the measured times show.
std::vector<std::vector<double>> measured_holds(const std::vector<RequestSample>& samples,
                                                const std::vector<double>& cycle_ms,
                                                const std::vector<BucketSpec>& buckets);

}  // namespace edgetier
