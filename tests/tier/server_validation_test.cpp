/// A tier refuses malformed requests with INVALID_ARGUMENT naming the tensor (truncated and
/// corrupt JPEGs too), unknown model versions with NOT_FOUND, enforces its message cap, and
/// passes errors from further down the chain through unchanged.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "tier/client.h"
#include "tier/protocol.h"
#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

constexpr int64_t kDeadlineMs = 20000;

class TierValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string chain = dir_.file("chain.onnx");
    ASSERT_TRUE(save_model(fixtures::chain_model(), chain).ok());
    const auto image_parts = tier_test::save_parts(tier_test::split_chain(1), dir_.path());
    tier_ = tier_test::start_tier(dir_, "mobile", {"--max-image-mpixels", "1"});
    ASSERT_TRUE(tier_);
    client_ = std::move(TierClient::connect(tier_->address()).value());
    control::LoadModelRequest load;
    load.set_model_name("chain");
    load.clear_parts();
    load.add_parts()->set_path(chain);
    ASSERT_TRUE(client_->load_model(load).ok());
    load.set_model_name("img");
    load.clear_parts();
    load.add_parts()->set_path(image_parts[0]);
    load.set_preprocess_json(preprocess_to_json(tier_test::small_preprocess()).dump());
    ASSERT_TRUE(client_->load_model(load).ok());
  }

  inference::ModelInferRequest valid() const {
    inference::ModelInferRequest request;
    request.set_model_name("chain");
    add_raw_input(&request, tier_test::random_tensor("input", {1, 3, 16, 16}, 1));
    return request;
  }

  // Sends `request`, expects `code` and `needle` in the message, then checks the tier is fine.
  void expect_error(const inference::ModelInferRequest& request, StatusCode code,
                    const std::string& needle) {
    auto result = client_->infer_request(request, kDeadlineMs);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), code) << result.status().to_string();
    EXPECT_NE(result.status().message().find(needle), std::string::npos)
        << "'" << needle << "' not in: " << result.status().message();
    ASSERT_TRUE(client_->infer_request(valid(), kDeadlineMs).ok());
  }

  TempDir dir_;
  std::unique_ptr<LocalTier> tier_;
  std::unique_ptr<TierClient> client_;
};

TEST_F(TierValidation, WrongShape) {
  auto request = valid();
  request.mutable_inputs(0)->set_shape(2, 15);
  expect_error(request, StatusCode::kInvalidArgument, "mobile: input 'input': shape 1x3x15x16");
}

TEST_F(TierValidation, WrongDatatype) {
  auto request = valid();
  request.mutable_inputs(0)->set_datatype("FP16");
  expect_error(request, StatusCode::kInvalidArgument, "input 'input': datatype FP16");
  request.mutable_inputs(0)->set_datatype("fp32");
  expect_error(request, StatusCode::kInvalidArgument, "unknown datatype 'fp32'");
}

TEST_F(TierValidation, WrongName) {
  auto request = valid();
  request.mutable_inputs(0)->set_name("inptu");
  expect_error(request, StatusCode::kInvalidArgument,
               "unknown input 'inptu'; did you mean 'input'");
}

TEST_F(TierValidation, WrongByteLength) {
  auto request = valid();
  request.mutable_raw_input_contents(0)->append("abcd");
  expect_error(request, StatusCode::kInvalidArgument,
               "needs 3072 bytes, raw_input_contents holds 3076");
}

TEST_F(TierValidation, UnknownModelAndOutput) {
  auto request = valid();
  request.set_model_name("chian");
  expect_error(request, StatusCode::kNotFound, "did you mean 'chain'");
  request = valid();
  request.add_outputs()->set_name("nope");
  expect_error(request, StatusCode::kInvalidArgument, "requested output 'nope'");
}

TEST_F(TierValidation, BadImages) {
  inference::ModelInferRequest request;
  request.set_model_name("img");
  add_image_input(&request, kImageInputName, "definitely not an image");
  expect_error(request, StatusCode::kInvalidArgument, "neither JPEG nor PNG");

  // A PNG whose header claims 60000 x 60000 pixels is refused before decoding.
  std::string png = tier_test::encode_test_image(8, 8, ".png");
  for (int offset : {16, 20}) {
    png[offset] = 0;
    png[offset + 1] = 0;
    png[offset + 2] = static_cast<char>(0xea);
    png[offset + 3] = static_cast<char>(0x60);
  }
  request = inference::ModelInferRequest();
  request.set_model_name("img");
  add_image_input(&request, kImageInputName, png);
  expect_error(request, StatusCode::kInvalidArgument, "60000x60000 pixels");

  // A header declaring no pixels says so (not that it is over the limit).
  for (const std::string& ext : {".png", ".jpg"}) {
    std::string empty = tier_test::encode_test_image(8, 8, ext);
    if (ext == ".png") {
      for (int i = 16; i < 24; ++i) empty[static_cast<size_t>(i)] = 0;
    } else {
      const size_t sof = empty.find("\xff\xc0");
      ASSERT_NE(sof, std::string::npos);
      for (size_t i = sof + 5; i < sof + 9; ++i) empty[i] = 0;
    }
    request = inference::ModelInferRequest();
    request.set_model_name("img");
    add_image_input(&request, kImageInputName, empty);
    expect_error(request, StatusCode::kInvalidArgument, "0x0 pixels; an image needs a width");
    auto result = client_->infer_request(request, kDeadlineMs);
    EXPECT_EQ(result.status().message().find("limit"), std::string::npos)
        << result.status().message();
  }
}

// A photo-like JPEG (smooth gradients and detail) of `width` x `height`.
std::string photo_jpeg(int width, int height, bool progressive) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(5);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x * 255) / width),
                                            static_cast<uchar>((y * 255) / height),
                                            static_cast<uchar>(rng.uniform(0, 256)));
    }
  }
  cv::circle(image, {width / 2, height / 2}, height / 3, {20, 200, 90}, -1);
  std::vector<uchar> bytes;
  cv::imencode(".jpg", image, bytes,
               {cv::IMWRITE_JPEG_QUALITY, 90, cv::IMWRITE_JPEG_PROGRESSIVE, progressive ? 1 : 0});
  return std::string(bytes.begin(), bytes.end());
}

TEST_F(TierValidation, TruncatedAndCorruptJpegsAreRefused) {
  for (bool progressive : {false, true}) {
    SCOPED_TRACE(progressive ? "progressive" : "baseline");
    const std::string jpeg = photo_jpeg(320, 240, progressive);
    ASSERT_TRUE(client_->infer_image("img", jpeg, kDeadlineMs).ok());
    for (int percent = 15; percent <= 95; percent += 5) {
      const auto kept = jpeg.size() * static_cast<size_t>(percent) / 100;
      auto result = client_->infer_image("img", jpeg.substr(0, kept), kDeadlineMs);
      ASSERT_FALSE(result.ok()) << percent << "% of " << jpeg.size() << " bytes was classified";
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << percent << "%";
    }
    // An end-of-image marker in the middle of the entropy-coded data.
    std::string corrupt = jpeg;
    corrupt[corrupt.size() * 6 / 10] = static_cast<char>(0xff);
    corrupt[corrupt.size() * 6 / 10 + 1] = static_cast<char>(0xd9);
    auto result = client_->infer_image("img", corrupt, kDeadlineMs);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find("truncated or corrupt"), std::string::npos)
        << result.status().message();
  }
  EXPECT_TRUE(client_->infer_request(valid(), kDeadlineMs).ok());
}

TEST_F(TierValidation, UnknownVersionsAreNotFoundAndNotReady) {
  control::LoadModelRequest load;
  load.set_model_name("versioned");
  load.set_model_version("3");
  load.add_parts()->set_path(dir_.file("chain.onnx"));
  ASSERT_TRUE(client_->load_model(load).ok());
  auto stub = inference::GRPCInferenceService::NewStub(make_channel(tier_->address(), 1 << 20));
  auto ready = [&](const std::string& model, const std::string& version) {
    grpc::ClientContext context;
    inference::ModelReadyRequest request;
    request.set_name(model);
    request.set_version(version);
    inference::ModelReadyResponse response;
    EXPECT_TRUE(stub->ModelReady(&context, request, &response).ok());
    return response.ready();
  };
  EXPECT_TRUE(ready("versioned", "3"));
  EXPECT_TRUE(ready("versioned", ""));
  EXPECT_FALSE(ready("versioned", "4"));
  EXPECT_FALSE(ready("chain", "1"));  // loaded without a version

  for (const std::string& version : {"3", ""}) {
    auto request = valid();
    request.set_model_name("versioned");
    request.set_model_version(version);
    auto result = client_->infer_request(request, kDeadlineMs);
    EXPECT_TRUE(result.ok()) << "'" << version << "': " << result.status().to_string();
  }
  auto request = valid();
  request.set_model_name("versioned");
  request.set_model_version("4");
  expect_error(request, StatusCode::kNotFound, "has no version '4' (it has '3')");
  request.set_model_name("chain");
  request.set_model_version("1");
  expect_error(request, StatusCode::kNotFound, "it was loaded without one");

  grpc::ClientContext context;
  inference::ModelMetadataRequest metadata;
  metadata.set_name("versioned");
  metadata.set_version("4");
  inference::ModelMetadataResponse response;
  EXPECT_EQ(stub->ModelMetadata(&context, metadata, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(TierLimits, MessageCapIsEnforcedAndTheTierSurvives) {
  TempDir dir;
  const auto paths = tier_test::save_parts(tier_test::split_chain(1), dir.path());
  auto tier = tier_test::start_tier(dir, "edge", {"--max-message-size", "1MiB"});
  ASSERT_TRUE(tier);
  auto client = std::move(TierClient::connect(tier->address()).value());
  control::LoadModelRequest load;
  load.set_model_name("img");
  load.clear_parts();
  load.add_parts()->set_path(paths[0]);
  load.set_preprocess_json(preprocess_to_json(tier_test::small_preprocess()).dump());
  ASSERT_TRUE(client->load_model(load).ok());

  const std::string huge(2 << 20, 'x');
  auto refused = client->infer_image("img", huge, kDeadlineMs);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted)
      << refused.status().to_string();
  EXPECT_TRUE(tier->running());
  auto ok = client->infer_image("img", tier_test::encode_test_image(30, 30, ".png"), kDeadlineMs);
  EXPECT_TRUE(ok.ok()) << ok.status().to_string();
}

TEST(TierLimits, ErrorsFromFurtherDownPassThrough) {
  TempDir dir;
  const std::string chain = dir.file("chain.onnx");
  ASSERT_TRUE(save_model(fixtures::chain_model(), chain).ok());
  auto mobile = tier_test::start_tier(dir, "mobile");
  auto edge = tier_test::start_tier(dir, "edge");
  ASSERT_TRUE(mobile && edge);
  auto edge_client = std::move(TierClient::connect(edge->address()).value());
  auto mobile_client = std::move(TierClient::connect(mobile->address()).value());
  control::LoadModelRequest load;
  load.set_model_name("chain");
  load.clear_parts();
  load.add_parts()->set_path(chain);
  ASSERT_TRUE(edge_client->load_model(load).ok());
  control::LoadModelRequest relay;
  relay.set_model_name("chain");
  relay.set_next_hop(edge->address());
  relay.set_next_hop_name("edge");
  auto loaded = mobile_client->load_model(relay);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->role(), "relay");

  const Tensor bad = tier_test::random_tensor("input", {1, 3, 16, 17}, 2);
  auto result = mobile_client->infer("chain", {bad}, kDeadlineMs);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message().rfind("edge: input 'input'", 0), 0u)
      << result.status().message();

  // LoadModel itself validates: a relay without a hop, a missing file, a bad link.
  control::LoadModelRequest empty;
  empty.set_model_name("x");
  EXPECT_EQ(mobile_client->load_model(empty).status().code(), StatusCode::kInvalidArgument);
  control::LoadModelRequest missing;
  missing.set_model_name("x");
  missing.clear_parts();
  missing.add_parts()->set_path(dir.file("missing.onnx"));
  EXPECT_FALSE(mobile_client->load_model(missing).ok());
  relay.mutable_link()->set_rate_mbit(-1);
  EXPECT_EQ(mobile_client->load_model(relay).status().code(), StatusCode::kInvalidArgument);
  control::LoadModelRequest mismatch;  // preprocessing that does not fit the part's input
  mismatch.set_model_name("x");
  mismatch.clear_parts();
  mismatch.add_parts()->set_path(chain);
  PreprocessSpec spec = tier_test::small_preprocess();
  spec.height = 32;
  mismatch.set_preprocess_json(preprocess_to_json(spec).dump());
  auto refused = mobile_client->load_model(mismatch);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("1x3x32x16"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace edgetier::tier
