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
  /// authorize_call for inference: a no-op unless the tier has an inference token.
  grpc::Status authorize(grpc::ServerContext* context);
  Result<std::shared_ptr<ModelEntry>> find(const std::string& name) const;
  /// find, and NOT_FOUND when `version` is given and is not the entry's.
  Result<std::shared_ptr<ModelEntry>> find(const std::string& name,
                                           const std::string& version) const;
  /// An empty version asks for whichever is loaded (KServe v2).
  static bool has_version(const ModelEntry& entry, const std::string& version);
  /// Marks an error as this tier's own (or passes the downstream origin on) and converts it.
  grpc::Status fail(grpc::ServerContext* context, const Status& status, const std::string& origin);

  TierState& state_;
};

}  // namespace edgetier::tier
