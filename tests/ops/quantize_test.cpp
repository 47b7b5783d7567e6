/// Tests for quantize(): whole-model equivalence, QDQ structure, options, and rejections.
#include "ops/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <unordered_map>

#include "core/procfs.h"
#include "graph/builder.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/initializers.h"
#include "ops/quant_test_util.h"

namespace edgetier {
namespace {

using testing::count_ops;
using testing::random_tensor;
using testing::relative_error;
using testing::run_first_output;

struct Index {
  std::unordered_map<std::string, const onnx::NodeProto*> producer;
  std::unordered_map<std::string, std::vector<const onnx::NodeProto*>> consumers;
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
};

Index index_of(const onnx::ModelProto& m) {
  Index ix;
  for (const auto& n : m.graph().node()) {
    for (const auto& o : n.output()) ix.producer[o] = &n;
    for (const auto& i : n.input()) ix.consumers[i].push_back(&n);
  }
  ix.inits = initializer_map(m.graph());
  return ix;
}

const onnx::NodeProto* producer_of(const Index& ix, const std::string& t) {
  auto it = ix.producer.find(t);
  return it == ix.producer.end() ? nullptr : it->second;
}

// Every Conv reads DQ(Q(x)), DQ(int8 weight), DQ(int32 bias) and writes only into a Q.
void expect_qdq_convs(const onnx::ModelProto& q, DType activation = DType::kUInt8) {
  const Index ix = index_of(q);
  int convs = 0;
  for (const auto& n : q.graph().node()) {
    if (n.op_type() != "Conv") continue;
    ++convs;
    const auto* dq_x = producer_of(ix, n.input(0));
    ASSERT_TRUE(dq_x && dq_x->op_type() == "DequantizeLinear") << n.name();
    const auto* q_x = producer_of(ix, dq_x->input(0));
    ASSERT_TRUE(q_x && q_x->op_type() == "QuantizeLinear") << n.name();
    EXPECT_EQ(ix.inits.at(dq_x->input(2))->data_type(), static_cast<int>(activation)) << n.name();
    const auto* dq_w = producer_of(ix, n.input(1));
    ASSERT_TRUE(dq_w && dq_w->op_type() == "DequantizeLinear") << n.name();
    EXPECT_EQ(ix.inits.at(dq_w->input(0))->data_type(), onnx::TensorProto::INT8) << n.name();
    if (n.input_size() > 2) {
      const auto* dq_b = producer_of(ix, n.input(2));
      ASSERT_TRUE(dq_b && dq_b->op_type() == "DequantizeLinear") << n.name();
      EXPECT_EQ(ix.inits.at(dq_b->input(0))->data_type(), onnx::TensorProto::INT32) << n.name();
    }
    const auto& readers = ix.consumers.at(n.output(0));
    ASSERT_EQ(readers.size(), 1u) << n.name();
    EXPECT_EQ(readers[0]->op_type(), "QuantizeLinear") << n.name();
    for (const auto& o : q.graph().output())
      EXPECT_NE(o.name(), n.output(0)) << "a Conv writes a graph output";
  }
  EXPECT_GT(convs, 0);
}

QuantizeOptions options_for(const onnx::ModelProto& model, int samples = 24) {
  QuantizeOptions o;
  o.table = testing::calibrate_random(model, samples);
  return o;
}

void expect_close(const onnx::ModelProto& q, const onnx::ModelProto& model, double tolerance) {
  const TensorInfo in = testing::model_input(model);
  for (uint32_t seed = 50; seed < 54; ++seed) {
    const Tensor x = random_tensor(in.name, in.shape, seed);
    EXPECT_LT(relative_error(run_first_output(q, x), run_first_output(model, x)), tolerance)
        << "seed " << seed;
  }
}

TEST(Quantize, TinyResnetQdqStructure) {
  const onnx::ModelProto model = fixtures::tiny_resnet();
  QuantizeOptions o = options_for(model);
  QuantizeReport report;
  o.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, o, &q).ok());
  expect_qdq_convs(q);
  EXPECT_EQ(count_ops(q, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(q, "Relu"), 0);  // all absorbed by the uint8 clamp
  EXPECT_EQ(report.absorbed_relus, count_ops(model, "Relu"));
  EXPECT_EQ(report.folded_batchnorms, count_ops(model, "BatchNormalization"));
  EXPECT_EQ(report.quantized_ops["Conv"], count_ops(model, "Conv"));
  EXPECT_EQ(report.quantized_ops["Add"], count_ops(model, "Add"));
  EXPECT_EQ(report.quantized_ops["Gemm"], 1);
  EXPECT_EQ(report.quantized_ops["GlobalAveragePool"], 1);
  // No float weights remain.
  for (const auto& t : q.graph().initializer()) {
    if (t.data_type() == onnx::TensorProto::FLOAT)
      EXPECT_LE(t.dims_size(), 1) << t.name() << " looks like a float weight";
  }
  // The logits stay float: the final Gemm writes the graph output directly.
  const Index ix = index_of(q);
  EXPECT_EQ(producer_of(ix, q.graph().output(0).name())->op_type(), "Gemm");
}

TEST(Quantize, TinyResnetMatchesFloatInBothFormats) {
  const onnx::ModelProto model = fixtures::tiny_resnet();
  for (QuantFormat format : {QuantFormat::kQdq, QuantFormat::kQOperator}) {
    QuantizeOptions o = options_for(model, 32);
    o.format = format;
    onnx::ModelProto q;
    ASSERT_TRUE(quantize(model, o, &q).ok());
    expect_close(q, model, 0.15);
    int agree = 0;
    for (uint32_t seed = 200; seed < 216; ++seed) {
      const Tensor x = random_tensor("input", {1, 3, 32, 32}, seed);
      agree += testing::argmax_rows(run_first_output(q, x)) ==
               testing::argmax_rows(run_first_output(model, x));
    }
    EXPECT_GE(agree, 13) << quant_format_name(format);
  }
}

TEST(Quantize, ResidualAndSideBranchModels) {
  for (const auto& model :
       {fixtures::residual_model(), fixtures::chain_model(), fixtures::side_branch_model()}) {
    for (QuantFormat format : {QuantFormat::kQdq, QuantFormat::kQOperator}) {
      QuantizeOptions o = options_for(model);
      o.format = format;
      onnx::ModelProto q;
      Status st = quantize(model, o, &q);
      ASSERT_TRUE(st.ok()) << model.graph().name() << ": " << st.to_string();
      expect_close(q, model, 0.1);
      ASSERT_EQ(q.graph().output_size(), model.graph().output_size());
      for (int i = 0; i < q.graph().output_size(); ++i)
        EXPECT_EQ(q.graph().output(i).name(), model.graph().output(i).name());
    }
  }
}

TEST(Quantize, QuantizedGraphOutputKeepsItsNameThroughDequantize) {
  const onnx::ModelProto model = fixtures::side_branch_model();  // ends Conv -> Resize -> output
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options_for(model), &q).ok());
  const Index ix = index_of(q);
  const auto* p = producer_of(ix, model.graph().output(0).name());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->op_type(), "DequantizeLinear");
  // The int64 shape branch is untouched.
  EXPECT_EQ(producer_of(ix, model.graph().output(1).name())->op_type(), "Concat");
}

TEST(Quantize, PerTensorWeightsInt8ActivationsAndReducedRange) {
  const onnx::ModelProto model = fixtures::residual_model();
  QuantizeOptions o = options_for(model);
  o.per_channel = false;
  o.activation_dtype = DType::kInt8;
  o.reduce_range = true;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, o, &q).ok());
  expect_qdq_convs(q, DType::kInt8);
  const Index ix = index_of(q);
  for (const auto& n : q.graph().node()) {
    if (n.op_type() != "Conv") continue;
    const auto* dq_w = producer_of(ix, n.input(1));
    EXPECT_EQ(ix.inits.at(dq_w->input(1))->dims_size(), 0) << "per-tensor weight scale is a scalar";
    auto values = ix.inits.at(dq_w->input(0))->raw_data();
    for (char v : values) {
      EXPECT_GE(static_cast<int8_t>(v), -63);
      EXPECT_LE(static_cast<int8_t>(v), 63);
    }
  }
  expect_close(q, model, 0.15);
}

TEST(Quantize, PerChannelWeightScalesFollowOutputChannels) {
  const onnx::ModelProto model = fixtures::chain_model();
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, options_for(model), &q).ok());
  const Index ix = index_of(q);
  for (const auto& n : q.graph().node()) {
    if (n.op_type() != "Conv") continue;
    const auto* dq_w = producer_of(ix, n.input(1));
    const auto* w = ix.inits.at(dq_w->input(0));
    const auto* scale = ix.inits.at(dq_w->input(1));
    ASSERT_EQ(scale->dims_size(), 1);
    EXPECT_EQ(scale->dims(0), w->dims(0));
    EXPECT_EQ(node_attr_int(*dq_w, "axis", 1), 0);
    // Bias scale = input scale x weight scale.
    const auto* dq_b = producer_of(ix, n.input(2));
    const auto* dq_x = producer_of(ix, n.input(0));
    auto ws = float_values(*scale);
    auto bs = float_values(*ix.inits.at(dq_b->input(1)));
    auto xs = float_values(*ix.inits.at(dq_x->input(1)));
    ASSERT_TRUE(ws.ok() && bs.ok() && xs.ok());
    for (size_t c = 0; c < ws->size(); ++c) EXPECT_FLOAT_EQ((*bs)[c], (*xs)[0] * (*ws)[c]);
  }
}

TEST(Quantize, ExcludedAndFilteredNodesStayFloat) {
  const onnx::ModelProto model = fixtures::chain_model();
  std::string first_conv;
  for (const auto& n : model.graph().node()) {
    if (n.op_type() == "Conv") {
      first_conv = n.name();
      break;
    }
  }
  QuantizeOptions o = options_for(model);
  o.exclude = {first_conv};
  QuantizeReport report;
  o.report = &report;
  onnx::ModelProto q;
  ASSERT_TRUE(quantize(model, o, &q).ok());
  EXPECT_EQ(report.excluded_nodes, std::vector<std::string>{first_conv});
  EXPECT_EQ(report.quantized_ops["Conv"], 1);
  const Index ix = index_of(q);
  for (const auto& n : q.graph().node()) {
    if (n.name() == first_conv)
      EXPECT_TRUE(ix.inits.count(n.input(1))) << "excluded Conv keeps its float weight";
  }
  expect_close(q, model, 0.1);

  QuantizeOptions only_conv = options_for(model);
  only_conv.op_types = {"Conv"};
  QuantizeReport r2;
  only_conv.report = &r2;
  ASSERT_TRUE(quantize(model, only_conv, &q).ok());
  EXPECT_EQ(r2.quantized_ops.size(), 1u);
  EXPECT_EQ(r2.quantized_ops["Conv"], 2);
}

TEST(Quantize, UpgradesOldOpsets) {
  GraphBuilder b("old", 11);
  std::string x = b.input("input", {1, 3, 8, 8});
  x = b.relu(b.conv(x, {.out_channels = 4}));
  b.output(b.conv(x, {.out_channels = 4}));
  const onnx::ModelProto model = *b.build();
  onnx::ModelProto q;
  Status st = quantize(model, options_for(model), &q);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_GE(model_opset(q), 13);
  expect_close(q, model, 0.1);
}

// torch.onnx.export's plain initialisation: every Conv bias (all zeros) is one initializer read
// through its own Identity node.
onnx::ModelProto with_identity_fed_biases(onnx::ModelProto model) {
  auto* g = model.mutable_graph();
  const int nodes = g->node_size();
  int k = 0;
  for (int i = 0; i < nodes; ++i) {
    auto* conv = g->mutable_node(i);
    if (conv->op_type() != "Conv" || conv->input_size() < 3) continue;
    const std::string bias = conv->input(2);
    const std::string copy = bias + "/identity_" + std::to_string(k++);
    auto* id = g->add_node();
    id->set_op_type("Identity");
    id->set_name(copy);
    id->add_input(bias);
    id->add_output(copy);
    conv->set_input(2, copy);
  }
  // Identity nodes were appended: restore a topological order (they read only initializers).
  std::rotate(g->mutable_node()->begin(), g->mutable_node()->begin() + nodes,
              g->mutable_node()->end());
  return model;
}

TEST(Quantize, ConvBiasesBehindIdentityNodesAreQuantized) {
  const onnx::ModelProto model = with_identity_fed_biases(fixtures::residual_model());
  ASSERT_GT(count_ops(model, "Identity"), 0);
  QuantizeOptions o;
  o.table = testing::calibrate_random(model, 8);
  QuantizeReport report;
  o.report = &report;
  onnx::ModelProto q;
  Status st = quantize(model, o, &q);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(report.quantized_ops["Conv"], count_ops(model, "Conv"));
  for (const auto& u : report.unsupported_nodes) ADD_FAILURE() << u;
  EXPECT_EQ(count_ops(q, "Identity"), 0);
  expect_qdq_convs(q);
  const Tensor x = random_tensor("input", testing::model_input(model).shape, 5);
  EXPECT_LT(relative_error(run_first_output(q, x), run_first_output(model, x)), 0.1);
}

TEST(Quantize, RejectsModelWithoutQuantizableOp) {
  GraphBuilder b("plain");
  b.output(b.softmax(b.relu(b.input("input", {1, 10}))));
  const onnx::ModelProto model = *b.build();
  onnx::ModelProto q;
  q.set_producer_name("untouched");
  QuantizeOptions o;
  o.table = testing::calibrate_random(model, 2);
  Status st = quantize(model, o, &q);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no quantizable op"), std::string::npos) << st.message();
  EXPECT_EQ(q.producer_name(), "untouched");
}

TEST(Quantize, RejectsTableWithoutNeededTensor) {
  const onnx::ModelProto model = fixtures::chain_model();
  QuantizeOptions o = options_for(model);
  const std::string missing = o.table.tensors.rbegin()->first;
  std::string victim;
  for (const auto& [name, c] : o.table.tensors) {
    if (name != "input" && name.find("Relu") != std::string::npos) victim = name;
  }
  ASSERT_FALSE(victim.empty());
  o.table.tensors.erase(victim);
  onnx::ModelProto q;
  Status st = quantize(model, o, &q);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find(victim), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("calibrate"), std::string::npos) << st.message();
}

TEST(Quantize, RejectsUnknownExcludeWithSuggestion) {
  const onnx::ModelProto model = fixtures::chain_model();
  std::string conv;
  for (const auto& n : model.graph().node()) {
    if (n.op_type() == "Conv") conv = n.name();
  }
  QuantizeOptions o = options_for(model);
  o.exclude = {conv + "x"};
  onnx::ModelProto q;
  Status st = quantize(model, o, &q);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("nearest: '" + conv + "'"), std::string::npos) << st.message();
}

TEST(Quantize, RejectsBadOptions) {
  const onnx::ModelProto model = fixtures::chain_model();
  QuantizeOptions o = options_for(model);
  o.activation_dtype = DType::kFloat32;
  onnx::ModelProto q;
  EXPECT_EQ(quantize(model, o, &q).code(), StatusCode::kInvalidArgument);
  o.activation_dtype = DType::kUInt8;
  o.op_types = {"Cnov"};
  Status st = quantize(model, o, &q);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'Conv'"), std::string::npos) << st.message();
  EXPECT_FALSE(parse_quant_format("qdqq").ok());
  EXPECT_EQ(*parse_quant_format("qoperator"), QuantFormat::kQOperator);
}

TEST(Quantize, ReduceRangeIsAutoTrueOrFalseAndAutoFollowsTheCpu) {
  EXPECT_EQ(*parse_reduce_range("auto"), ReduceRange::kAuto);
  EXPECT_EQ(*parse_reduce_range("true"), ReduceRange::kOn);
  EXPECT_EQ(*parse_reduce_range("false"), ReduceRange::kOff);
  auto bad = parse_reduce_range("ture");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("did you mean 'true'"), std::string::npos)
      << bad.status().message();
  EXPECT_TRUE(resolve_reduce_range(ReduceRange::kOn));
  EXPECT_FALSE(resolve_reduce_range(ReduceRange::kOff));
  EXPECT_EQ(resolve_reduce_range(ReduceRange::kAuto), this_cpu_int8_dot_saturates());
  // The options' default is auto's answer: 7-bit weights exactly where 8 bits saturate.
  EXPECT_EQ(QuantizeOptions{}.reduce_range, this_cpu_int8_dot_saturates());
}

}  // namespace
}  // namespace edgetier
