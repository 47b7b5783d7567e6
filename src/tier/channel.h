/// gRPC glue shared by tier servers and clients: channels, deadlines, status conversion.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "tier/security.h"

namespace edgetier::tier {

inline constexpr int64_t kDefaultMaxMessageBytes = int64_t{64} << 20;
/// Trailing metadata key a tier sets on every error it produces itself, so the tier upstream can
/// tell "the next hop answered with an error" (passed through) from "the next hop could not be
/// reached" (reported as that hop's failure).
inline constexpr const char* kErrorOriginKey = "edgetier-origin";

/// Channel to "host:port" or "unix:/path", with message caps and fast reconnects (a tier that
/// restarts is usable again within a second) and no HTTP proxy; TLS over TCP when `security`
/// has a CA (tokens are added per call: add_bearer_token).
std::shared_ptr<grpc::Channel> make_channel(const std::string& address, int64_t max_message_bytes,
                                            const ClientSecurity& security = {});

/// HTTP/2 flow-control window a receiver offers per stream. A whole message fits in it, so a
/// large image or tensor crosses in one flight instead of waiting for window updates, which
/// cost a context switch each on a busy host.
int http2_window_bytes(int64_t max_message_bytes);

/// A deadline `timeout_ms` from now, capped by `cap` (e.g. the incoming call's deadline).
std::chrono::system_clock::time_point deadline_after_ms(
    int64_t timeout_ms,
    std::chrono::system_clock::time_point cap = std::chrono::system_clock::time_point::max());

grpc::StatusCode to_grpc_code(StatusCode code);
StatusCode from_grpc_code(grpc::StatusCode code);
grpc::Status to_grpc_status(const Status& status);
/// `context` is prefixed to the message, e.g. "tier at unix:/run/m.sock".
Status from_grpc_status(const grpc::Status& status, const std::string& context = "");
/// The tier name in the error-origin trailing metadata, or "" when the peer did not answer.
std::string error_origin(const grpc::ClientContext& context);

}  // namespace edgetier::tier
