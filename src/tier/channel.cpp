/// gRPC channel and status helpers.
#include "tier/channel.h"

#include <algorithm>
#include <limits>

namespace edgetier::tier {

int http2_window_bytes(int64_t max_message_bytes) {
  return static_cast<int>(std::clamp<int64_t>(max_message_bytes + (64 << 10), 1 << 20, 1 << 30));
}

std::shared_ptr<grpc::Channel> make_channel(const std::string& address, int64_t max_message_bytes,
                                            const ClientSecurity& security) {
  grpc::ChannelArguments args;
  const int cap =
      static_cast<int>(std::min<int64_t>(max_message_bytes, std::numeric_limits<int>::max()));
  args.SetMaxReceiveMessageSize(cap);
  args.SetMaxSendMessageSize(cap);
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
              http2_window_bytes(max_message_bytes));  // testbed traffic never leaves the host
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, channel_credentials(address, security), args);
}

std::chrono::system_clock::time_point deadline_after_ms(int64_t timeout_ms,
                                                        std::chrono::system_clock::time_point cap) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::max<int64_t>(timeout_ms, 0);
  auto deadline = now + std::chrono::milliseconds(ms);
  return std::min(deadline, cap);
}

grpc::StatusCode to_grpc_code(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case StatusCode::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kOutOfRange: return grpc::StatusCode::OUT_OF_RANGE;
    case StatusCode::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    case StatusCode::kInternal: return grpc::StatusCode::INTERNAL;
    case StatusCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kCancelled: return grpc::StatusCode::CANCELLED;
    case StatusCode::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case StatusCode::kDataLoss: return grpc::StatusCode::DATA_LOSS;
  }
  return grpc::StatusCode::UNKNOWN;
}

StatusCode from_grpc_code(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return StatusCode::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT: return StatusCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return StatusCode::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::OUT_OF_RANGE: return StatusCode::kOutOfRange;
    case grpc::StatusCode::UNIMPLEMENTED: return StatusCode::kUnimplemented;
    case grpc::StatusCode::UNAVAILABLE: return StatusCode::kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return StatusCode::kResourceExhausted;
    case grpc::StatusCode::CANCELLED: return StatusCode::kCancelled;
    case grpc::StatusCode::PERMISSION_DENIED: return StatusCode::kPermissionDenied;
    // Status has no code of its own for it; the message says which token is missing.
    case grpc::StatusCode::UNAUTHENTICATED: return StatusCode::kPermissionDenied;
    case grpc::StatusCode::DATA_LOSS: return StatusCode::kDataLoss;
    default: return StatusCode::kInternal;
  }
}

grpc::Status to_grpc_status(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(to_grpc_code(status.code()), status.message());
}

Status from_grpc_status(const grpc::Status& status, const std::string& context) {
  if (status.ok()) return ok_status();
  std::string message = status.error_message();
  if (!context.empty()) message = context + ": " + message;
  return Status(from_grpc_code(status.error_code()), message);
}

std::string error_origin(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kErrorOriginKey);
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace edgetier::tier
