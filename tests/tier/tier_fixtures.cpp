/// Tier test fixtures.
#include "tier/tier_fixtures.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <stdexcept>

#include "graph/builder.h"
#include "graph/model_io.h"
#include "runtime/ort_session.h"

namespace edgetier::tier_test {
namespace {

onnx::ModelProto finish(GraphBuilder& b) {
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());  // fixture bug
  return *model;
}

}  // namespace

std::vector<onnx::ModelProto> split_chain(int parts, uint32_t seed) {
  std::vector<onnx::ModelProto> models;
  std::string in_name = "input";
  std::vector<int64_t> in_shape = {1, 3, kImageSize, kImageSize};
  for (int k = 0; k < parts; ++k) {
    GraphBuilder b("part" + std::to_string(k), 17, seed + static_cast<uint32_t>(k));
    std::string x = b.input(in_name, in_shape);
    x = b.relu(b.conv(x, {.out_channels = 8}));
    if (k + 1 < parts) {
      // A named hand-off tensor: the next part's input.
      x = b.node("Identity", {x}, 1, {}, "cut" + std::to_string(k))[0];
      b.set_shape(x, {1, 8, kImageSize, kImageSize});
      in_name = x;
      in_shape = {1, 8, kImageSize, kImageSize};
    } else {
      x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
    }
    b.output(x);
    models.push_back(finish(b));
  }
  return models;
}

onnx::ModelProto heavy_part(const std::string& input_name, int convs) {
  GraphBuilder b("heavy", 17, 99);
  std::string x = b.input(input_name, {1, 8, kImageSize, kImageSize});
  x = b.resize(x, 8.0f);
  for (int i = 0; i < convs; ++i) x = b.relu(b.conv(x, {.out_channels = 64}));
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
  b.output(x);
  return finish(b);
}

std::string input_name(const onnx::ModelProto& model) { return model.graph().input(0).name(); }

std::vector<std::string> save_parts(const std::vector<onnx::ModelProto>& parts,
                                    const std::string& dir) {
  std::vector<std::string> paths;
  for (size_t k = 0; k < parts.size(); ++k) {
    paths.push_back(dir + "/part" + std::to_string(k) + ".onnx");
    Status st = save_model(parts[k], paths.back());
    if (!st.ok()) throw std::runtime_error(st.to_string());
  }
  return paths;
}

std::string encode_test_image(int width, int height, const std::string& ext, uint32_t seed) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0, 256);
  std::vector<uchar> bytes;
  cv::imencode(ext, image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

PreprocessSpec small_preprocess() {
  PreprocessSpec spec = PreprocessSpec::for_input("input", kImageSize, kImageSize);
  return spec;
}

Tensor random_tensor(const std::string& name, std::vector<int64_t> shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  Tensor t = Tensor::zeros(name, DType::kFloat32, std::move(shape));
  for (size_t i = 0; i < t.num_elements(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

std::vector<Tensor> run_in_process(const std::vector<std::string>& part_paths,
                                   std::vector<Tensor> inputs) {
  for (const auto& path : part_paths) {
    auto session = OrtSession::from_file(path, SessionOptions{});
    if (!session.ok()) throw std::runtime_error(session.status().to_string());
    auto outputs = (*session)->run(inputs);
    if (!outputs.ok()) throw std::runtime_error(outputs.status().to_string());
    inputs = std::move(outputs).value();
  }
  return inputs;
}

std::unique_ptr<tier::LocalTier> start_tier(const TempDir& dir, const std::string& name,
                                            std::vector<std::string> extra_args, int threads) {
  tier::LocalTierOptions options;
  options.binary = EDGETIER_BINARY;
  options.tier = name;
  options.listen = {"unix:" + dir.file(name + ".sock")};
  options.threads = threads;
  // The tests' part files live in `dir`; the tiers load them by path from there.
  options.extra_args = {"--model-root", dir.path()};
  options.extra_args.insert(options.extra_args.end(), extra_args.begin(), extra_args.end());
  options.log_path = dir.file(name + ".log");
  auto tier = tier::LocalTier::start(options);
  EXPECT_TRUE(tier.ok()) << tier.status().to_string() << "\n" << read_file(options.log_path);
  return tier.ok() ? std::move(tier).value() : nullptr;
}

}  // namespace edgetier::tier_test
