/// KServe v2 wire helpers: datatype names, tensors <-> raw contents, BYTES packing, timing keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "proto/grpc_predict_v2.pb.h"

namespace edgetier::tier {

/// The version of the control protocol (proto/edgetier_control.proto) this build speaks,
/// "MAJOR.MINOR". A new minor only adds fields and calls, which older peers ignore; a new
/// major changes meanings, so a caller refuses a tier of another major (check_protocol_version).
inline constexpr int kProtocolMajor = 1;
inline constexpr int kProtocolMinor = 1;
std::string protocol_version();
/// OK when `reported` (a tier's HealthResponse.protocol_version) has our major. A tier that
/// reports none predates the field and is major 1. Otherwise FAILED_PRECONDITION naming the
/// tier and both versions.
Status check_protocol_version(const std::string& reported, const std::string& tier);

/// Name of the input that carries the encoded image (one BYTES element) when a client does not
/// use the model's own input name.
inline constexpr std::string_view kImageInputName = "image";

/// KServe v2 datatype ("FP32", "INT64", "BYTES", ...) of a dtype; kString maps to "BYTES".
std::string_view kserve_datatype(DType dtype);
/// Inverse of kserve_datatype; errors name the string and list the valid ones.
Result<DType> dtype_from_kserve(std::string_view datatype);

/// KServe's raw BYTES layout: each element is a 4-byte little-endian length then the bytes.
std::string pack_bytes(const std::vector<std::string_view>& elements);
/// Splits raw BYTES contents into exactly `expected_count` elements (views into `raw`).
Result<std::vector<std::string_view>> unpack_bytes(std::string_view raw, int64_t expected_count,
                                                   std::string_view tensor_name);

/// Elements of a shape received from a peer: every dim must be >= 0 and the product must not
/// overflow or exceed `max_elements`. Errors name the tensor.
Result<int64_t> checked_num_elements(const std::vector<int64_t>& shape, int64_t max_elements,
                                     std::string_view tensor_name);

/// Inputs of a request as tensors, checked against what the model expects: every expected input
/// present once, no unknown names (with a nearest-name hint), datatype and shape (fixed dims)
/// equal, byte length equal to shape x datatype. Accepts raw_input_contents or typed contents.
/// Errors are INVALID_ARGUMENT and name the tensor.
Result<std::vector<Tensor>> tensors_from_request(const inference::ModelInferRequest& request,
                                                 const std::vector<TensorInfo>& expected);

/// The encoded image of a request for a part that decodes images: exactly one BYTES input with
/// one element, named `expected_name` or kImageInputName.
Result<std::string_view> image_from_request(const inference::ModelInferRequest& request,
                                            std::string_view expected_name);

/// Appends a tensor as an input with raw contents.
void add_raw_input(inference::ModelInferRequest* request, const Tensor& tensor);
/// Appends the encoded image as a one-element BYTES input.
void add_image_input(inference::ModelInferRequest* request, std::string_view name,
                     std::string_view encoded);
/// Appends a tensor as an output with raw contents.
void add_raw_output(inference::ModelInferResponse* response, const Tensor& tensor);
/// Outputs of a response as tensors (raw or typed contents), sizes checked.
Result<std::vector<Tensor>> tensors_from_response(const inference::ModelInferResponse& response);

/// Timing and byte counters each tier adds to the response parameters, keyed "<tier>.<field>".
/// The "hops" string parameter lists the tiers the request went through, first to last.
inline constexpr std::string_view kHopsParam = "hops";
inline constexpr std::string_view kQueueNs = "queue_ns";
inline constexpr std::string_view kPreprocessNs = "preprocess_ns";
inline constexpr std::string_view kComputeNs = "compute_ns";
inline constexpr std::string_view kSerializeNs = "serialize_ns";
inline constexpr std::string_view kForwardNs = "forward_ns";
/// Decoding a detector's outputs into boxes (NMS included) on the tier that answers.
inline constexpr std::string_view kPostprocessNs = "postprocess_ns";
inline constexpr std::string_view kTotalNs = "total_ns";
inline constexpr std::string_view kBytesIn = "bytes_in";      // request bytes received
inline constexpr std::string_view kBytesOut = "bytes_out";    // request bytes forwarded
inline constexpr std::string_view kBytesBack = "bytes_back";  // response bytes from next hop
inline constexpr std::string_view kRole = "role";             // "compute" or "relay"
/// Dynamic early exit: "exit" names the tier whose early head answered (absent: the full model
/// ran); "<tier>.exit_confidence" is the early head's measure on each tier that has one.
inline constexpr std::string_view kExitParam = "exit";
inline constexpr std::string_view kExitConfidence = "exit_confidence";
/// Request parameter: a task name ("classify", "segment") asks the tier that answers for a
/// task-shaped response (tier/response.h); absent or "raw": the last part's outputs unchanged.
/// Tiers forward it with the other parameters, so whichever tier answers shapes the response.
inline constexpr std::string_view kResponseParam = "response";
inline constexpr std::string_view kRawResponse = "raw";
/// Request parameter the first tier adds for response=detect: where the image's pixels landed in
/// the input (core/image_geometry.h, "width,height,scale_x,scale_y,offset_x,offset_y"), so the
/// tier that answers maps boxes to the original image. Tiers forward it like the others.
inline constexpr std::string_view kImageGeometryParam = "image_geometry";

std::string timing_key(std::string_view tier, std::string_view field);
void set_int_param(google::protobuf::Map<std::string, inference::InferParameter>* params,
                   const std::string& key, int64_t value);
void set_string_param(google::protobuf::Map<std::string, inference::InferParameter>* params,
                      const std::string& key, const std::string& value);
/// An int64 parameter, or `fallback` when absent or of another type.
int64_t get_int_param(const google::protobuf::Map<std::string, inference::InferParameter>& params,
                      const std::string& key, int64_t fallback = 0);
std::string get_string_param(
    const google::protobuf::Map<std::string, inference::InferParameter>& params,
    const std::string& key);

}  // namespace edgetier::tier
