/// Operator test helpers (seeded inputs, runs through ONNX Runtime, comparisons).
#include "ops/ops_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "graph/model_io.h"
#include "graph/shapes.h"

namespace edgetier::testing {

std::vector<Tensor> random_inputs(const onnx::ModelProto& model, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Tensor> inputs;
  std::vector<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.push_back(init.name());
  for (const auto& in : model.graph().input()) {
    if (std::find(initializers.begin(), initializers.end(), in.name()) != initializers.end())
      continue;
    TensorInfo info = tensor_info_from_type(in.type());
    for (auto& d : info.shape) d = d < 0 ? 1 : d;
    Tensor t = Tensor::zeros(in.name(), info.dtype, info.shape);
    if (t.dtype == DType::kFloat32) {
      float* x = t.data_as<float>();
      for (size_t i = 0; i < t.num_elements(); ++i) x[i] = normal(rng);
    } else if (t.dtype == DType::kInt64) {
      int64_t* x = t.data_as<int64_t>();
      for (size_t i = 0; i < t.num_elements(); ++i) x[i] = static_cast<int64_t>(rng() % 4);
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

SessionOptions one_thread() {
  SessionOptions options;
  options.intra_op_threads = 1;
  options.inter_op_threads = 1;
  return options;
}

std::string bytes_of(const onnx::ModelProto& model) {
  auto bytes = serialize_model(model);
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  return bytes.ok() ? *bytes : std::string();
}

std::vector<Tensor> run_model(const onnx::ModelProto& model, const std::vector<Tensor>& inputs,
                              const SessionOptions& options) {
  auto session = OrtSession::from_bytes(bytes_of(model), options, "whole");
  if (!session.ok()) {
    ADD_FAILURE() << session.status().to_string();
    return {};
  }
  auto out = (*session)->run(inputs);
  if (!out.ok()) {
    ADD_FAILURE() << out.status().to_string();
    return {};
  }
  return *out;
}

std::vector<Tensor> run_parts(const std::vector<onnx::ModelProto>& parts,
                              const std::vector<Tensor>& inputs, const SessionOptions& options) {
  std::vector<std::string> models, labels;
  for (size_t i = 0; i < parts.size(); ++i) {
    models.push_back(bytes_of(parts[i]));
    labels.push_back("part" + std::to_string(i));
  }
  auto runner = PartRunner::from_bytes(models, labels, options);
  if (!runner.ok()) {
    ADD_FAILURE() << runner.status().to_string();
    return {};
  }
  auto result = (*runner)->run(inputs);
  if (!result.ok()) {
    ADD_FAILURE() << result.status().to_string();
    return {};
  }
  return result->outputs;
}

bool bit_identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b, std::string* why) {
  if (a.size() != b.size()) {
    *why = "output counts differ: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].dtype != b[i].dtype || a[i].shape != b[i].shape) {
      *why = "output " + std::to_string(i) + ": '" + a[i].name + "' " +
             shape_to_string(a[i].shape) + " vs '" + b[i].name + "' " + shape_to_string(b[i].shape);
      return false;
    }
    if (a[i].data != b[i].data) {
      *why = "output '" + a[i].name + "' differs in value";
      return false;
    }
  }
  return true;
}

namespace {
template <typename Fn>
double fold_float_pairs(const std::vector<Tensor>& a, const std::vector<Tensor>& b, Fn&& fn) {
  double worst = 0.0;
  for (const auto& ta : a) {
    for (const auto& tb : b) {
      if (ta.name != tb.name || ta.dtype != DType::kFloat32 || tb.dtype != DType::kFloat32)
        continue;
      if (ta.data.size() != tb.data.size()) return INFINITY;
      worst = std::max(worst, fn(ta, tb));
    }
  }
  return worst;
}
}  // namespace

double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  return fold_float_pairs(a, b, [](const Tensor& x, const Tensor& y) {
    double d = 0.0;
    for (size_t i = 0; i < x.num_elements(); ++i) {
      d = std::max(d,
                   static_cast<double>(std::fabs(x.data_as<float>()[i] - y.data_as<float>()[i])));
    }
    return d;
  });
}

double max_relative_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  return fold_float_pairs(a, b, [](const Tensor& x, const Tensor& y) {
    double scale = 0.0, d = 0.0;
    for (size_t i = 0; i < x.num_elements(); ++i) {
      const double xa = x.data_as<float>()[i], ya = y.data_as<float>()[i];
      scale = std::max(scale, std::fabs(xa));
      d = std::max(d, std::fabs(xa - ya));
    }
    return scale > 0.0 ? d / scale : d;
  });
}

}  // namespace edgetier::testing
