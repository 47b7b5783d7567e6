/// Per-operator quantization tests: every quantizable op, both formats, equivalence and structure.
#include <gtest/gtest.h>

#include <functional>

#include "graph/builder.h"
#include "ops/initializers.h"
#include "ops/quant_test_util.h"
#include "ops/quantize.h"

namespace edgetier {
namespace {

using testing::count_ops;
using testing::random_tensor;
using testing::relative_error;
using testing::run_first_output;

onnx::ModelProto finish(GraphBuilder& b, const std::string& out) {
  b.output(out);
  auto m = b.build();
  if (!m.ok()) throw std::runtime_error(m.status().to_string());
  return *m;
}

std::string stem(GraphBuilder& b, int64_t size = 16) {
  return b.relu(b.conv(b.input("input", {1, 3, size, size}), {.out_channels = 8}));
}

struct OpCase {
  std::string name;
  std::function<onnx::ModelProto()> build;
  std::string op;         // the op under test (counted in the report)
  std::string qoperator;  // what it becomes in QOperator format
  bool in_qdq = true;     // also quantized in QDQ format
};

std::vector<OpCase> op_cases() {
  return {
      {"Conv",
       [] {
         GraphBuilder b;
         return finish(b, b.conv(stem(b), {.out_channels = 8, .stride = 2, .bias = false}));
       },
       "Conv", "QLinearConv"},
      {"GroupedConv",
       [] {
         GraphBuilder b;
         return finish(b, b.conv(stem(b), {.out_channels = 8, .group = 4}));
       },
       "Conv", "QLinearConv"},
      {"DilatedConv",
       [] {
         GraphBuilder b;
         return finish(b, b.conv(stem(b), {.out_channels = 8, .dilation = 2}));
       },
       "Conv", "QLinearConv"},
      {"Gemm",
       [] {
         GraphBuilder b;
         return finish(b, b.gemm(b.flatten(b.global_avg_pool(stem(b))), 10));
       },
       "Gemm", "QGemm"},
      {"GemmTransB0",
       [] {
         GraphBuilder b;
         const std::string x = b.flatten(b.global_avg_pool(stem(b)));
         const std::string w = b.initializer("w", {8, 6}, {}, 0.3f);
         const std::string bias = b.initializer("bias", {6}, {}, 0.1f);
         const std::string y = b.node("Gemm", {x, w, bias})[0];
         b.set_shape(y, {1, 6});
         return finish(b, b.relu(y));
       },
       "Gemm", "QGemm"},
      {"MatMul",
       [] {
         GraphBuilder b;
         std::string x = b.input("input", {1, 8, 32});
         return finish(b, b.matmul(b.relu(b.matmul(x, 24)), 8));
       },
       "MatMul", "QLinearMatMul"},
      {"MatMulOfActivations",
       [] {
         GraphBuilder b;
         const std::string a = b.matmul(b.input("input", {1, 8, 16}), 16);
         const std::string t =
             b.node("Transpose", {a}, 1, {GraphBuilder::attr_ints("perm", {0, 2, 1})})[0];
         b.set_shape(t, {1, 16, 8});
         const std::string y = b.node("MatMul", {a, t})[0];
         b.set_shape(y, {1, 8, 8});
         return finish(b, y);
       },
       "MatMul", "QLinearMatMul"},
      {"Add",
       [] {
         GraphBuilder b;
         const std::string x = stem(b);
         return finish(b, b.add(b.conv(x, {.out_channels = 8}), x));
       },
       "Add", "QLinearAdd"},
      {"AddConstant",
       [] {
         GraphBuilder b;
         const std::string c = b.initializer("shift", {1, 8, 1, 1}, {}, 0.5f);
         return finish(b, b.add(b.conv(stem(b), {.out_channels = 8}), c));
       },
       "Add", "QLinearAdd"},
      {"Mul",
       [] {
         GraphBuilder b;
         const std::string x = stem(b);
         const std::string y = b.node("Mul", {b.conv(x, {.out_channels = 8}), x})[0];
         b.set_shape(y, {1, 8, 16, 16});
         return finish(b, b.conv(y, {.out_channels = 4}));
       },
       "Mul", "QLinearMul"},
      {"Concat",
       [] {
         GraphBuilder b;
         const std::string x = stem(b);
         return finish(b,
                       b.conv(b.concat({b.conv(x, {.out_channels = 4}), x}), {.out_channels = 4}));
       },
       "Concat", "QLinearConcat"},
      {"MaxPool",
       [] {
         GraphBuilder b;
         return finish(b, b.conv(b.max_pool(stem(b)), {.out_channels = 4}));
       },
       "MaxPool", "MaxPool"},
      {"AveragePool",
       [] {
         GraphBuilder b;
         const std::string p = b.node("AveragePool", {stem(b)}, 1,
                                      {GraphBuilder::attr_ints("kernel_shape", {2, 2}),
                                       GraphBuilder::attr_ints("strides", {2, 2})})[0];
         b.set_shape(p, {1, 8, 8, 8});
         return finish(b, b.conv(p, {.out_channels = 4}));
       },
       "AveragePool", "QLinearAveragePool"},
      {"GlobalAveragePool",
       [] {
         GraphBuilder b;
         return finish(b, b.conv(b.global_avg_pool(stem(b)), {.out_channels = 4, .kernel = 1}));
       },
       "GlobalAveragePool", "QLinearGlobalAveragePool"},
      {"ResizeNearest",
       [] {
         GraphBuilder b;
         return finish(b, b.conv(b.resize(stem(b, 8), 2.0f), {.out_channels = 4}));
       },
       "Resize", "Resize"},
      {"ResizeLinear",
       [] {
         GraphBuilder b;
         const std::string x = stem(b, 8);
         const std::string scales = b.initializer("scales", {4}, {1.0f, 1.0f, 2.0f, 2.0f});
         const std::string y =
             b.node("Resize", {x, "", scales}, 1, {GraphBuilder::attr_string("mode", "linear")})[0];
         b.set_shape(y, {1, 8, 16, 16});
         return finish(b, b.conv(y, {.out_channels = 4}));
       },
       "Resize", "Resize", /*in_qdq=*/false},
      {"DepthToSpaceHead",  // DUC: Conv -> Reshape -> Transpose -> Reshape (pixel shuffle)
       [] {
         GraphBuilder b;
         const std::string x = b.conv(stem(b, 8), {.out_channels = 16});
         const std::string s6 = b.int64_initializer("s6", {6}, {1, 4, 2, 2, 8, 8});
         const std::string s4 = b.int64_initializer("s4", {4}, {1, 4, 16, 16});
         const std::string r = b.node("Reshape", {x, s6})[0];
         b.set_shape(r, {1, 4, 2, 2, 8, 8});
         const std::string t =
             b.node("Transpose", {r}, 1, {GraphBuilder::attr_ints("perm", {0, 1, 4, 2, 5, 3})})[0];
         b.set_shape(t, {1, 4, 8, 2, 8, 2});
         const std::string y = b.node("Reshape", {t, s4})[0];
         b.set_shape(y, {1, 4, 16, 16});
         return finish(b, y);
       },
       "Transpose", "Transpose"},
      {"Reshape",
       [] {
         GraphBuilder b;
         const std::string shape = b.int64_initializer("shape", {2}, {1, -1});
         const std::string y = b.node("Reshape", {b.max_pool(stem(b, 8)), shape})[0];
         b.set_shape(y, {1, 128});
         return finish(b, b.gemm(y, 10));
       },
       "Reshape", "Reshape"},
      {"SigmoidSilu",  // EfficientNet's SiLU: x * Sigmoid(x), both in int8
       [] {
         GraphBuilder b;
         const std::string x = b.conv(stem(b), {.out_channels = 8});
         const std::string s = b.node("Sigmoid", {x})[0];
         b.set_shape(s, {1, 8, 16, 16});
         const std::string y = b.node("Mul", {x, s})[0];
         b.set_shape(y, {1, 8, 16, 16});
         return finish(b, b.conv(y, {.out_channels = 4}));
       },
       "Sigmoid", "QLinearSigmoid"},
      {"LeakyRelu",
       [] {
         GraphBuilder b;
         const std::string x = b.conv(stem(b), {.out_channels = 8});
         const std::string y =
             b.node("LeakyRelu", {x}, 1, {GraphBuilder::attr_float("alpha", 0.1f)})[0];
         b.set_shape(y, {1, 8, 16, 16});
         return finish(b, b.conv(y, {.out_channels = 4}));
       },
       "LeakyRelu", "QLinearLeakyRelu"},
      {"SliceChannelSplit",  // ShuffleNetV2's channel split
       [] {
         GraphBuilder b;
         const std::string x = b.conv(stem(b), {.out_channels = 8});
         const std::string y =
             b.node("Slice", {x, b.int64_initializer("starts", {1}, {4}),
                              b.int64_initializer("ends", {1}, {8}),
                              b.int64_initializer("axes", {1}, {1})})[0];
         b.set_shape(y, {1, 4, 16, 16});
         return finish(b, b.conv(y, {.out_channels = 4}));
       },
       "Slice", "Slice"},
  };
}

class QuantizeOp : public ::testing::TestWithParam<std::tuple<OpCase, QuantFormat>> {};

TEST_P(QuantizeOp, RunsInInt8AndMatchesFloat) {
  const auto& [c, format] = GetParam();
  const onnx::ModelProto model = c.build();
  QuantizeOptions options;
  options.table = testing::calibrate_random(model, 24);
  options.format = format;
  QuantizeReport report;
  options.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options, &q).ok());
  if (format == QuantFormat::kQdq && !c.in_qdq) {
    EXPECT_EQ(report.quantized_ops.count(c.op), 0u) << c.name;
    ASSERT_FALSE(report.unsupported_nodes.empty());
    EXPECT_NE(report.unsupported_nodes[0].find("no 8-bit kernel"), std::string::npos)
        << report.unsupported_nodes[0];
  } else {
    EXPECT_GE(report.quantized_ops[c.op], 1) << c.name;
  }
  if (format == QuantFormat::kQOperator) {
    EXPECT_GE(count_ops(q, c.qoperator), 1) << c.name;
    EXPECT_EQ(count_ops(q, "Conv") + count_ops(q, "Gemm") +
                  (c.qoperator == "QLinearMatMul" ? count_ops(q, "MatMul") : 0),
              0)
        << c.name << ": a float compute op is left";
  } else {
    // The op reads DequantizeLinear outputs on every float input.
    int checked = c.in_qdq ? 0 : 1;
    for (const auto& node : q.graph().node()) {
      if (!c.in_qdq) break;
      if (node.op_type() != c.op) continue;
      ++checked;
      std::unordered_map<std::string, std::string> producer;
      for (const auto& n : q.graph().node()) {
        for (const auto& o : n.output()) producer[o] = n.op_type();
      }
      EXPECT_EQ(producer[node.input(0)], "DequantizeLinear") << c.name;
    }
    EXPECT_GE(checked, 1);
  }
  const TensorInfo in = testing::model_input(model);
  for (uint32_t seed = 100; seed < 104; ++seed) {
    const Tensor x = random_tensor(in.name, in.shape, seed);
    const double err = relative_error(run_first_output(q, x), run_first_output(model, x));
    EXPECT_LT(err, 0.08) << c.name << " seed " << seed;
  }
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<OpCase, QuantFormat>>& info) {
  return std::get<0>(info.param).name +
         (std::get<1>(info.param) == QuantFormat::kQdq ? "_Qdq" : "_QOperator");
}

INSTANTIATE_TEST_SUITE_P(AllOps, QuantizeOp,
                         ::testing::Combine(::testing::ValuesIn(op_cases()),
                                            ::testing::Values(QuantFormat::kQdq,
                                                              QuantFormat::kQOperator)),
                         case_name);

// Configurations with no int8 kernel stay float, are reported with the reason, and the model
// still matches the float one.
struct FloatCase {
  std::string name;
  std::function<onnx::ModelProto()> build;
  std::string reason;  // expected in the report ("" = silently left float)
};

class QuantizeOpLeftFloat : public ::testing::TestWithParam<FloatCase> {};

TEST_P(QuantizeOpLeftFloat, IsReportedAndStillMatches) {
  const FloatCase& c = GetParam();
  const onnx::ModelProto model = c.build();
  QuantizeOptions options;
  options.table = testing::calibrate_random(model, 8);
  QuantizeReport report;
  options.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options, &q).ok());
  if (!c.reason.empty()) {
    ASSERT_EQ(report.unsupported_nodes.size(), 1u) << c.name;
    EXPECT_NE(report.unsupported_nodes[0].find(c.reason), std::string::npos)
        << report.unsupported_nodes[0];
  }
  const TensorInfo in = testing::model_input(model);
  const Tensor x = random_tensor(in.name, in.shape, 77);
  EXPECT_LT(relative_error(run_first_output(q, x), run_first_output(model, x)), 0.08) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Unsupported, QuantizeOpLeftFloat,
    ::testing::Values(FloatCase{"MaxPoolWithIndices",
                                [] {
                                  GraphBuilder b;
                                  const auto outs =
                                      b.node("MaxPool", {stem(b)}, 2,
                                             {GraphBuilder::attr_ints("kernel_shape", {2, 2}),
                                              GraphBuilder::attr_ints("strides", {2, 2})});
                                  b.set_shape(outs[0], {1, 8, 8, 8});
                                  b.set_shape(outs[1], {1, 8, 8, 8}, DType::kInt64);
                                  return finish(b, b.conv(outs[0], {.out_channels = 4}));
                                },
                                "more than one output"},
                      FloatCase{"PoolOf3DInput",
                                [] {
                                  GraphBuilder b;
                                  const std::string x = b.matmul(b.input("input", {1, 8, 16}), 16);
                                  const std::string p = b.node("GlobalAveragePool", {x})[0];
                                  b.set_shape(p, {1, 8, 1});
                                  return finish(b, p);
                                },
                                "not 4-D"},
                      FloatCase{"GemmWithAlpha",
                                [] {
                                  GraphBuilder b;
                                  const std::string x = b.flatten(b.global_avg_pool(stem(b)));
                                  const std::string w = b.initializer("w", {6, 8}, {}, 0.3f);
                                  const std::string y =
                                      b.node("Gemm", {x, w}, 1,
                                             {GraphBuilder::attr_int("transB", 1),
                                              GraphBuilder::attr_float("alpha", 0.5f)})[0];
                                  b.set_shape(y, {1, 6});
                                  return finish(b, y);
                                },
                                "alpha != 1"}),
    [](const ::testing::TestParamInfo<FloatCase>& info) { return info.param.name; });

TEST(QuantizeOpStructure, FloatOpsAreSummarisedByTypeAndReason) {
  // HardSwish has no int8 kernel; a Sigmoid reading the float HardSwish output is not worth
  // converting; the Convs around them run in int8.
  GraphBuilder b;
  const std::string x = b.conv(stem(b), {.out_channels = 8});
  const std::string h = b.node("HardSwish", {x})[0];
  b.set_shape(h, {1, 8, 16, 16});
  const std::string s = b.node("Sigmoid", {h})[0];
  b.set_shape(s, {1, 8, 16, 16});
  const onnx::ModelProto model = finish(b, b.conv(s, {.out_channels = 4}));
  QuantizeOptions options;
  options.table = testing::calibrate_random(model, 8);
  QuantizeReport report;
  options.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options, &q).ok());
  EXPECT_EQ(report.quantized_ops["Conv"], 3);
  EXPECT_EQ(report.float_ops["HardSwish"]["no int8 kernel in ONNX Runtime on x86"], 1);
  EXPECT_EQ(report.float_ops["Sigmoid"]["no int8 input (quantizing it would only add conversions)"],
            1);
  EXPECT_EQ(report.float_ops.count("Conv"), 0u);
}

TEST(QuantizeOpStructure, ConstantSubgraphsAreFoldedBeforeQuantizing) {
  // Add(constant, constant) becomes one initializer, so the Add reading it runs in int8.
  GraphBuilder b;
  const std::string x = stem(b);
  const std::string c = b.add(b.initializer("a", {1, 8, 1, 1}, {}, 0.5f),
                              b.initializer("b", {1, 8, 1, 1}, {}, 0.5f));
  const onnx::ModelProto model = finish(b, b.add(x, c));
  QuantizeOptions options;
  options.table = testing::calibrate_random(model, 8);
  QuantizeReport report;
  options.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options, &q).ok());
  EXPECT_EQ(report.quantized_ops["Add"], 1);
  EXPECT_TRUE(report.unsupported_nodes.empty());
  const Tensor in = random_tensor("input", {1, 3, 16, 16}, 9);
  EXPECT_LT(relative_error(run_first_output(q, in), run_first_output(model, in)), 0.08);
}

TEST(QuantizeOpStructure, UnsupportedConfigurationsStayFloatAndAreReported) {
  GraphBuilder b;
  const std::string x = b.flatten(b.global_avg_pool(stem(b)));
  const std::string xt = b.node("Transpose", {x}, 1, {GraphBuilder::attr_ints("perm", {1, 0})})[0];
  b.set_shape(xt, {8, 1});
  const std::string w = b.initializer("w", {8, 6}, {}, 0.3f);
  const std::string y = b.node("Gemm", {xt, w}, 1, {GraphBuilder::attr_int("transA", 1)})[0];
  b.set_shape(y, {1, 6});
  const onnx::ModelProto model = finish(b, y);
  QuantizeOptions options;
  options.table = testing::calibrate_random(model, 8);
  QuantizeReport report;
  options.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options, &q).ok());
  EXPECT_EQ(report.quantized_ops.count("Gemm"), 0u);
  ASSERT_FALSE(report.unsupported_nodes.empty());
  EXPECT_NE(report.unsupported_nodes[0].find("transA"), std::string::npos)
      << report.unsupported_nodes[0];
  const Tensor in = random_tensor("input", {1, 3, 16, 16}, 9);
  EXPECT_LT(relative_error(run_first_output(q, in), run_first_output(model, in)), 0.08);
}

TEST(QuantizeOpStructure, ConvWithComputedWeightStaysFloat) {
  GraphBuilder b;
  const std::string x = stem(b);
  const std::string w = b.initializer("w", {4, 8, 1, 1}, {}, 0.3f);
  const std::string w2 = b.node("Relu", {w})[0];  // a weight computed at run time
  b.set_shape(w2, {4, 8, 1, 1});
  const std::string y = b.node("Conv", {x, w2})[0];
  b.set_shape(y, {1, 4, 16, 16});
  const onnx::ModelProto model = finish(b, y);
  QuantizeOptions options;
  options.table = testing::calibrate_random(model, 8);
  QuantizeReport report;
  options.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options, &q).ok());
  EXPECT_EQ(report.quantized_ops["Conv"], 1);  // the stem only
  ASSERT_EQ(report.unsupported_nodes.size(), 1u);
  EXPECT_NE(report.unsupported_nodes[0].find("weight is not a float initializer"),
            std::string::npos);
}

}  // namespace
}  // namespace edgetier
