/// KServe v2 wire helpers: datatypes, BYTES packing, request validation, response parsing.
#include "tier/protocol.h"

#include <gtest/gtest.h>

#include <limits>

namespace edgetier::tier {
namespace {

std::vector<TensorInfo> expected_inputs() {
  return {{"x", DType::kFloat32, {-1, 3, 2, 2}}, {"ids", DType::kInt64, {2}}};
}

inference::ModelInferRequest valid_request() {
  inference::ModelInferRequest request;
  request.set_model_name("m");
  add_raw_input(&request, Tensor::from_vector<float>("x", DType::kFloat32, {1, 3, 2, 2},
                                                     std::vector<float>(12, 1.5f)));
  add_raw_input(&request, Tensor::from_vector<int64_t>("ids", DType::kInt64, {2}, {7, 9}));
  return request;
}

TEST(TierProtocol, DatatypesRoundTrip) {
  for (DType d : {DType::kFloat32, DType::kUInt8, DType::kInt8, DType::kInt64, DType::kFloat16,
                  DType::kBool, DType::kFloat64, DType::kString}) {
    auto back = dtype_from_kserve(kserve_datatype(d));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, d);
  }
  EXPECT_EQ(kserve_datatype(DType::kFloat32), "FP32");
  EXPECT_EQ(kserve_datatype(DType::kString), "BYTES");
}

TEST(TierProtocol, RejectsUnknownDatatype) {
  auto r = dtype_from_kserve("FLOAT32");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("FLOAT32"), std::string::npos);
}

TEST(TierProtocol, BytesPackUnpack) {
  const std::string packed = pack_bytes({"ab", "", "xyz"});
  EXPECT_EQ(packed.size(), 3 * 4 + 5u);
  EXPECT_EQ(static_cast<uint8_t>(packed[0]), 2);
  auto elements = unpack_bytes(packed, 3, "t");
  ASSERT_TRUE(elements.ok()) << elements.status().to_string();
  EXPECT_EQ((*elements)[0], "ab");
  EXPECT_EQ((*elements)[1], "");
  EXPECT_EQ((*elements)[2], "xyz");
}

TEST(TierProtocol, BytesUnpackRejectsBadLayouts) {
  const std::string packed = pack_bytes({"abcd"});
  EXPECT_FALSE(unpack_bytes(packed.substr(0, 6), 1, "t").ok());  // element cut short
  EXPECT_FALSE(unpack_bytes(packed.substr(0, 2), 1, "t").ok());  // prefix cut short
  EXPECT_FALSE(unpack_bytes(packed, 2, "t").ok());               // fewer than the shape says
  EXPECT_FALSE(unpack_bytes(packed + packed, 1, "t").ok());      // more than the shape says
  std::string huge = packed;
  huge[3] = static_cast<char>(0x7f);  // claims ~2 GB
  auto r = unpack_bytes(huge, 1, "img");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'img'"), std::string::npos);
}

TEST(TierProtocol, CheckedElementsRejectsNegativeAndOverflow) {
  EXPECT_EQ(*checked_num_elements({2, 3, 4}, 1000, "t"), 24);
  EXPECT_EQ(*checked_num_elements({2, 0, 4}, 1000, "t"), 0);
  EXPECT_FALSE(checked_num_elements({2, -3}, 1000, "t").ok());
  EXPECT_FALSE(checked_num_elements({1 << 20, 1 << 20, 1 << 20, 1 << 20},
                                    std::numeric_limits<int64_t>::max() / 16, "t")
                   .ok());
  EXPECT_FALSE(checked_num_elements({100, 100}, 1000, "t").ok());
}

TEST(TierProtocol, TensorsFromValidRequest) {
  auto tensors = tensors_from_request(valid_request(), expected_inputs());
  ASSERT_TRUE(tensors.ok()) << tensors.status().to_string();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].name, "x");
  EXPECT_EQ((*tensors)[0].data_as<float>()[11], 1.5f);
  EXPECT_EQ((*tensors)[1].data_as<int64_t>()[1], 9);
}

TEST(TierProtocol, TensorsFromTypedContents) {
  inference::ModelInferRequest request;
  auto* x = request.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  for (int64_t d : {1, 3, 2, 2}) x->add_shape(d);
  for (int i = 0; i < 12; ++i) x->mutable_contents()->add_fp32_contents(static_cast<float>(i));
  auto* ids = request.add_inputs();
  ids->set_name("ids");
  ids->set_datatype("INT64");
  ids->add_shape(2);
  ids->mutable_contents()->add_int64_contents(4);
  ids->mutable_contents()->add_int64_contents(5);
  auto tensors = tensors_from_request(request, expected_inputs());
  ASSERT_TRUE(tensors.ok()) << tensors.status().to_string();
  EXPECT_EQ((*tensors)[0].data_as<float>()[7], 7.0f);
  EXPECT_EQ((*tensors)[1].data_as<int64_t>()[0], 4);

  ids->mutable_contents()->add_int64_contents(6);  // 3 values for a shape of 2
  auto bad = tensors_from_request(request, expected_inputs());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'ids'"), std::string::npos);
}

// Each rejection is INVALID_ARGUMENT and names the offending tensor.
void expect_rejected(const inference::ModelInferRequest& request, const std::string& needle) {
  auto r = tensors_from_request(request, expected_inputs());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST(TierProtocol, RejectsWrongName) {
  auto request = valid_request();
  request.mutable_inputs(0)->set_name("xx");
  expect_rejected(request, "'xx'; did you mean 'x'");
}

TEST(TierProtocol, RejectsWrongDatatype) {
  auto request = valid_request();
  request.mutable_inputs(0)->set_datatype("FP64");
  expect_rejected(request, "input 'x': datatype FP64");
  request.mutable_inputs(0)->set_datatype("float");
  expect_rejected(request, "'float'");
}

TEST(TierProtocol, RejectsWrongShape) {
  auto request = valid_request();
  request.mutable_inputs(0)->set_shape(1, 4);  // fixed dim 3 in the model
  expect_rejected(request, "input 'x': shape 1x4x2x2");
  request = valid_request();
  request.mutable_inputs(0)->add_shape(1);  // rank 5
  expect_rejected(request, "input 'x'");
  request = valid_request();
  request.mutable_inputs(0)->set_shape(0, -1);
  expect_rejected(request, "negative dimension");
  request = valid_request();
  request.mutable_inputs(0)->set_shape(0, int64_t{1} << 62);
  expect_rejected(request, "'x'");
}

TEST(TierProtocol, RejectsWrongByteLength) {
  auto request = valid_request();
  request.mutable_raw_input_contents(0)->pop_back();
  expect_rejected(request,
                  "input 'x': shape 1x3x2x2 of FP32 needs 48 bytes, raw_input_contents holds 47");
}

TEST(TierProtocol, RejectsMissingDuplicateAndMiscountedInputs) {
  auto request = valid_request();
  request.mutable_inputs()->RemoveLast();
  request.mutable_raw_input_contents()->RemoveLast();
  expect_rejected(request, "missing input 'ids'");

  request = valid_request();
  *request.add_inputs() = request.inputs(0);
  *request.add_raw_input_contents() = request.raw_input_contents(0);
  expect_rejected(request, "'x' appears twice");

  request = valid_request();
  request.add_raw_input_contents("extra");
  expect_rejected(request, "raw_input_contents");
}

TEST(TierProtocol, ImageFromRequest) {
  inference::ModelInferRequest request;
  add_image_input(&request, kImageInputName, "JPEGBYTES");
  auto image = image_from_request(request, "input");
  ASSERT_TRUE(image.ok()) << image.status().to_string();
  EXPECT_EQ(*image, "JPEGBYTES");

  request.mutable_inputs(0)->set_datatype("UINT8");
  EXPECT_FALSE(image_from_request(request, "input").ok());
  request.mutable_inputs(0)->set_datatype("BYTES");
  request.mutable_inputs(0)->set_shape(0, 2);
  EXPECT_FALSE(image_from_request(request, "input").ok());
  request.mutable_inputs(0)->set_shape(0, 1);
  request.mutable_inputs(0)->set_name("picture");
  auto named = image_from_request(request, "input");
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.status().message().find("did you mean 'input'"), std::string::npos);
}

TEST(TierProtocol, ResponseRoundTrip) {
  inference::ModelInferResponse response;
  const Tensor logits = Tensor::from_vector<float>("logits", DType::kFloat32, {1, 3}, {1, 2, 3});
  add_raw_output(&response, logits);
  auto tensors = tensors_from_response(response);
  ASSERT_TRUE(tensors.ok());
  ASSERT_EQ(tensors->size(), 1u);
  EXPECT_EQ((*tensors)[0].data, logits.data);
  EXPECT_EQ((*tensors)[0].shape, logits.shape);

  response.mutable_raw_output_contents(0)->push_back('x');
  EXPECT_EQ(tensors_from_response(response).status().code(), StatusCode::kDataLoss);
}

TEST(TierProtocol, Parameters) {
  inference::ModelInferResponse response;
  set_int_param(response.mutable_parameters(), timing_key("edge", kComputeNs), 42);
  set_string_param(response.mutable_parameters(), std::string(kHopsParam), "mobile,edge");
  EXPECT_EQ(get_int_param(response.parameters(), "edge.compute_ns"), 42);
  EXPECT_EQ(get_int_param(response.parameters(), "edge.queue_ns", -1), -1);
  EXPECT_EQ(get_string_param(response.parameters(), "hops"), "mobile,edge");
  EXPECT_EQ(get_int_param(response.parameters(), "hops", 5), 5);  // wrong type -> fallback
}

TEST(TierProtocol, RefusesAnotherControlProtocolMajorNamingBothVersions) {
  EXPECT_EQ(protocol_version(), std::to_string(kProtocolMajor) + "." + std::to_string(kProtocolMinor));
  EXPECT_TRUE(check_protocol_version(protocol_version(), "edge").ok());
  EXPECT_TRUE(check_protocol_version(std::to_string(kProtocolMajor) + ".99", "edge").ok());
  EXPECT_TRUE(check_protocol_version("", "edge").ok()) << "tiers before the field are major 1";
  const Status refused = check_protocol_version("2.0", "edge");
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("'edge'"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("2.0"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find(protocol_version()), std::string::npos) << refused.message();
}

}  // namespace
}  // namespace edgetier::tier
