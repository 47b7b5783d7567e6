/// Helpers for the calibration/quantization tests.
#include "ops/quant_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "graph/model_io.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"
#include "test_util.h"

namespace edgetier::testing {
namespace fs = std::filesystem;

Tensor random_tensor(const std::string& name, const std::vector<int64_t>& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Tensor t = Tensor::zeros(name, DType::kFloat32, shape);
  for (size_t i = 0; i < t.num_elements(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

TensorInfo model_input(const onnx::ModelProto& model) {
  const auto& in = model.graph().input(0);
  TensorInfo info;
  info.name = in.name();
  info.dtype = DType::kFloat32;
  for (const auto& d : in.type().tensor_type().shape().dim())
    info.shape.push_back(d.has_dim_value() ? d.dim_value() : 1);
  return info;
}

void write_npy_samples(const onnx::ModelProto& model, const std::string& dir, int count,
                       uint32_t seed) {
  const TensorInfo in = model_input(model);
  fs::create_directories(dir);
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "/%03d.npy", i);
    Status st = save_npy(random_tensor(in.name, in.shape, seed * 1000 + static_cast<uint32_t>(i)),
                         dir + name);
    if (!st.ok()) throw std::runtime_error(st.to_string());
  }
}

CalibrationTable calibrate_random(const onnx::ModelProto& model, int count,
                                  CalibrationMethod method) {
  TempDir dir;
  write_npy_samples(model, dir.path(), count);
  CalibrationOptions options;
  options.data_dir = dir.path();
  options.method = method;
  auto table = calibrate(model, options);
  if (!table.ok()) throw std::runtime_error(table.status().to_string());
  return *table;
}

Tensor run_first_output(const onnx::ModelProto& model, const Tensor& input) {
  auto bytes = serialize_model(model);
  if (!bytes.ok()) throw std::runtime_error(bytes.status().to_string());
  auto session = OrtSession::from_bytes(*bytes);
  if (!session.ok()) throw std::runtime_error(session.status().to_string());
  auto out = (*session)->run({input});
  if (!out.ok()) throw std::runtime_error(out.status().to_string());
  return (*out)[0];
}

double relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.num_elements(), b.num_elements());
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < std::min(a.num_elements(), b.num_elements()); ++i) {
    const double d = static_cast<double>(a.data_as<float>()[i]) - b.data_as<float>()[i];
    num += d * d;
    den += static_cast<double>(b.data_as<float>()[i]) * b.data_as<float>()[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

std::vector<int> argmax_rows(const Tensor& t) {
  std::vector<int> out;
  const int64_t rows = t.shape[0], cols = t.shape[1];
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = t.data_as<float>() + r * cols;
    out.push_back(static_cast<int>(std::max_element(row, row + cols) - row));
  }
  return out;
}

int count_ops(const onnx::ModelProto& model, const std::string& op_type) {
  int n = 0;
  for (const auto& node : model.graph().node()) n += node.op_type() == op_type ? 1 : 0;
  return n;
}

}  // namespace edgetier::testing
