/// ProbeLink from the sending tier: Echo round trips and bulk transfers to the next hop.
#include "tier/link_probe.h"

#include <algorithm>
#include <vector>

#include "core/clock.h"
#include "core/percentile.h"
#include "tier/channel.h"

namespace edgetier::tier {
namespace {

constexpr int64_t kStartBytes = 256 * 1024;
constexpr double kTargetSeconds = 0.2;
constexpr int kDefaultRttRounds = 11;
constexpr int kDefaultRateRounds = 3;
constexpr int64_t kDefaultDeadlineMs = 30000;

struct Prober {
  control::TierControl::Stub* stub;
  const ClientSecurity& security;
  std::string target;
  int64_t end_ns;  // the probe's deadline on this host's clock

  /// One Echo; returns its duration in seconds.
  Result<double> echo(int64_t send_bytes, int64_t reply_bytes) const {
    control::EchoRequest request;
    request.mutable_payload()->assign(static_cast<size_t>(send_bytes), '\0');
    request.set_reply_bytes(reply_bytes);
    control::EchoResponse response;
    grpc::ClientContext context;
    const int64_t left_ms = std::max<int64_t>(1, (end_ns - monotonic_ns()) / 1000000);
    context.set_deadline(deadline_after_ms(left_ms));
    add_bearer_token(&context, security.inference_token);
    const int64_t start = monotonic_ns();
    const grpc::Status status = stub->Echo(&context, request, &response);
    const int64_t took = monotonic_ns() - start;
    if (!status.ok()) return from_grpc_status(status, "probing next hop " + target);
    if (static_cast<int64_t>(response.payload().size()) != reply_bytes) {
      return data_loss("next hop " + target + " echoed " +
                       std::to_string(response.payload().size()) + " bytes, asked for " +
                       std::to_string(reply_bytes));
    }
    return static_cast<double>(took) * 1e-9;
  }
};

double rate_mbit(int64_t bytes, double seconds, double rtt_s) {
  // The round trip carries the bulk one way; what exceeds an empty round trip is its transfer.
  const double transfer = seconds - rtt_s > seconds * 0.05 ? seconds - rtt_s : seconds;
  return static_cast<double>(bytes) * 8.0 / transfer / 1e6;
}

}  // namespace

Result<control::ProbeLinkResponse> probe_next_hop(const control::ProbeLinkRequest& request,
                                                  const ClientSecurity& security,
                                                  int64_t max_message_bytes) {
  if (request.target().empty()) return invalid_argument("ProbeLink: no target given");
  if (is_unix_address(request.target())) {
    return invalid_argument("ProbeLink: target " + request.target() +
                            " is a unix socket; links join tiers over TCP");
  }
  const int64_t limit = max_message_bytes / 2;
  if (request.bytes() < 0 || request.bytes() > limit) {
    return invalid_argument("ProbeLink: bytes " + std::to_string(request.bytes()) +
                            " is outside 0.." + std::to_string(limit) +
                            " (half the message limit)");
  }
  const int rtt_rounds = request.rtt_rounds() > 0 ? request.rtt_rounds() : kDefaultRttRounds;
  const int rate_rounds = request.rate_rounds() > 0 ? request.rate_rounds() : kDefaultRateRounds;
  const int64_t deadline_ms =
      request.deadline_ms() > 0 ? request.deadline_ms() : kDefaultDeadlineMs;

  auto channel = make_channel(request.target(), max_message_bytes, security);
  auto stub = control::TierControl::NewStub(channel);
  const std::string name = request.target_name().empty() ? request.target() : request.target_name();
  Prober prober{stub.get(), security, name + " (" + request.target() + ")",
                monotonic_ns() + deadline_ms * 1000000};

  // The first call opens the connection (and TLS); it is not a round trip of the link.
  RETURN_IF_ERROR(prober.echo(1, 1).status());
  std::vector<double> rtts;
  for (int i = 0; i < rtt_rounds; ++i) {
    ASSIGN_OR_RETURN(double s, prober.echo(1, 1));
    rtts.push_back(s);
  }
  const double rtt_s = median(rtts);

  int64_t bytes = request.bytes();
  if (bytes == 0) {
    bytes = std::min(kStartBytes, limit);
    while (true) {
      ASSIGN_OR_RETURN(double s, prober.echo(bytes, 0));
      if (s >= kTargetSeconds || bytes * 4 > limit) break;
      bytes *= 4;
    }
  }
  std::vector<double> forward, reverse;
  for (int i = 0; i < rate_rounds; ++i) {
    ASSIGN_OR_RETURN(double up, prober.echo(bytes, 0));
    forward.push_back(rate_mbit(bytes, up, rtt_s));
    ASSIGN_OR_RETURN(double down, prober.echo(0, bytes));
    reverse.push_back(rate_mbit(bytes, down, rtt_s));
  }
  control::ProbeLinkResponse response;
  response.set_to_tier(request.target_name());
  response.set_rtt_ms(rtt_s * 1e3);
  response.set_forward_rate_mbit(median(forward));
  response.set_reverse_rate_mbit(median(reverse));
  response.set_bytes(bytes);
  return response;
}

}  // namespace edgetier::tier
