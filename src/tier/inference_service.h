/// The KServe v2 GRPCInferenceService of a tier: run the local part or relay, then forward.
#pragma once

#include "proto/grpc_predict_v2.grpc.pb.h"
#include "tier/server.h"

namespace edgetier::tier {

class InferenceService final : public inference::GRPCInferenceService::Service {
 public:
  explicit InferenceService(TierState& state) : state_(state) {}

  grpc::Status ServerLive(grpc::ServerContext* context, const inference::ServerLiveRequest* request,
                          inference::ServerLiveResponse* response) override;
  grpc::Status ServerReady(grpc::ServerContext* context,
                           const inference::ServerReadyRequest* request,
                           inference::ServerReadyResponse* response) override;
  grpc::Status ModelReady(grpc::ServerContext* context, const inference::ModelReadyRequest* request,
                          inference::ModelReadyResponse* response) override;
  grpc::Status ServerMetadata(grpc::ServerContext* context,
                              const inference::ServerMetadataRequest* request,
                              inference::ServerMetadataResponse* response) override;
  grpc::Status ModelMetadata(grpc::ServerContext* context,
                             const inference::ModelMetadataRequest* request,
                             inference::ModelMetadataResponse* response) override;
  grpc::Status ModelInfer(grpc::ServerContext* context, const inference::ModelInferRequest* request,
                          inference::ModelInferResponse* response) override;

 private:
  struct HopTimes;
  Status compute(const ModelEntry& entry, grpc::ServerContext* context,
                 const inference::ModelInferRequest& request,
                 inference::ModelInferResponse* response, HopTimes* times, std::string* origin);
  Result<std::shared_ptr<ModelEntry>> find(const std::string& name) const;
  /// Marks an error as this tier's own (or passes the downstream origin on) and converts it.
  grpc::Status fail(grpc::ServerContext* context, const Status& status, const std::string& origin);

  TierState& state_;
};

}  // namespace edgetier::tier
