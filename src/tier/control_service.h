/// The TierControl service: load/unload model parts, health (limits, usage), shutdown; over
/// TCP only with the tier's bearer token (security.h).
#pragma once

#include "proto/edgetier_control.grpc.pb.h"
#include "tier/server.h"

namespace edgetier::tier {

class ControlService final : public control::TierControl::Service {
 public:
  explicit ControlService(TierState& state) : state_(state) {}

  grpc::Status LoadModel(grpc::ServerContext* context, const control::LoadModelRequest* request,
                         control::LoadModelResponse* response) override;
  grpc::Status Unload(grpc::ServerContext* context, const control::UnloadRequest* request,
                      control::UnloadResponse* response) override;
  grpc::Status Health(grpc::ServerContext* context, const control::HealthRequest* request,
                      control::HealthResponse* response) override;
  grpc::Status Shutdown(grpc::ServerContext* context, const control::ShutdownRequest* request,
                        control::ShutdownResponse* response) override;
  grpc::Status ProbeLink(grpc::ServerContext* context, const control::ProbeLinkRequest* request,
                         control::ProbeLinkResponse* response) override;
  grpc::Status Echo(grpc::ServerContext* context, const control::EchoRequest* request,
                    control::EchoResponse* response) override;

 private:
  /// authorize_call for the control service (Echo: as an inference call); a refusal is logged
  /// with the peer.
  grpc::Status authorize(grpc::ServerContext* context, const char* method,
                         CallKind kind = CallKind::kControl) const;

  TierState& state_;
};

}  // namespace edgetier::tier
