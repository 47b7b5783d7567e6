/// Tests for normalize_model(): ONNX Runtime equivalence, structure (Identities, folding, duplicates), aliases, rejections.
#include "ops/normalize.h"

#include <gtest/gtest.h>

#include <cstring>

#include "graph/builder.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"
#include "ops/initializers.h"
#include "ops/normalize_fold.h"
#include "ops/ops_test_util.h"
#include "ops/quant_test_util.h"

namespace edgetier {
namespace {

using testing::bit_identical;
using testing::count_ops;
using testing::random_inputs;
using testing::run_model;

std::vector<onnx::AttributeProto> conv3x3() {
  return {GraphBuilder::attr_ints("kernel_shape", {3, 3}),
          GraphBuilder::attr_ints("pads", {1, 1, 1, 1})};
}

// What torch.onnx.export writes for a plainly initialised network: one zero bias shared by
// every Conv through Identity nodes, an Identity on an activation, equal constants stored
// twice, a constant shape subgraph feeding a Reshape, and an Identity on the graph output.
onnx::ModelProto exporter_like_model() {
  GraphBuilder b("exporter_like");
  const auto x = b.input("input", {1, 3, 16, 16});
  const auto bias = b.initializer("shared_bias", {8}, std::vector<float>(8, 0.0f));
  const auto bias_a = b.node("Identity", {bias}, 1, {}, "bias_copy_a")[0];
  const auto bias_b = b.node("Identity", {bias}, 1, {}, "bias_copy_b")[0];
  const auto c1 = b.node("Conv", {x, b.initializer("w1", {8, 3, 3, 3}), bias_a}, 1, conv3x3())[0];
  b.set_shape(c1, {1, 8, 16, 16});
  const auto r1 = b.relu(c1);
  const auto alias = b.node("Identity", {r1}, 1, {}, "activation_copy")[0];
  b.set_shape(alias, {1, 8, 16, 16});
  const auto c2 =
      b.node("Conv", {alias, b.initializer("w2", {8, 8, 3, 3}), bias_b}, 1, conv3x3())[0];
  b.set_shape(c2, {1, 8, 16, 16});
  const auto r2 = b.relu(c2);
  std::vector<float> k(8);
  for (size_t i = 0; i < k.size(); ++i) k[i] = 0.25f * static_cast<float>(i) - 1.0f;
  const auto a1 = b.add(r2, b.initializer("offset_a", {1, 8, 1, 1}, k));
  const auto a2 = b.add(a1, b.initializer("offset_b", {1, 8, 1, 1}, k));
  const auto gap = b.global_avg_pool(a2);
  // Reshape to [batch, -1] with the batch read from the activation's shape.
  const auto batch = b.shape_gather_unsqueeze(gap, 0);
  const auto minus_one = b.int64_initializer("minus_one", {1}, {-1});
  const auto target = b.node("Concat", {batch, minus_one}, 1, {GraphBuilder::attr_int("axis", 0)})[0];
  b.set_shape(target, {2}, DType::kInt64);
  const auto flat = b.node("Reshape", {gap, target})[0];
  b.set_shape(flat, {1, 8});
  const auto logits = b.gemm(flat, 10);
  const auto out = b.node("Identity", {logits}, 1, {}, "output_copy")[0];
  b.set_shape(out, {1, 10});
  b.output(out);
  auto m = b.build();
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

onnx::ModelProto normalized(const onnx::ModelProto& in, NormalizeReport* report = nullptr,
                            const NormalizeOptions& options = {}) {
  onnx::ModelProto out;
  Status st = normalize_model(in, options, &out, report);
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

TEST(Normalize, OnnxRuntimeOutputsAreBitIdentical) {
  for (const auto& model : {exporter_like_model(), fixtures::tiny_resnet(), fixtures::tiny_segmenter(),
                            fixtures::side_branch_model()}) {
    const auto out = normalized(model);
    const auto inputs = random_inputs(model, 7);
    std::string why;
    EXPECT_TRUE(bit_identical(run_model(model, inputs), run_model(out, inputs), &why))
        << model.graph().name() << ": " << why;
  }
}

TEST(Normalize, RemovesIdentitiesButKeepsTheGraphOutputs) {
  const auto model = exporter_like_model();
  ASSERT_EQ(count_ops(model, "Identity"), 4);
  NormalizeReport report;
  const auto out = normalized(model, &report);
  EXPECT_EQ(report.identities_removed, 3);
  // Only the Identity writing the graph output is left, and the output keeps its name.
  ASSERT_EQ(count_ops(out, "Identity"), 1);
  for (const auto& n : out.graph().node()) {
    if (n.op_type() == "Identity") EXPECT_EQ(n.output(0), model.graph().output(0).name());
  }
  ASSERT_EQ(out.graph().output_size(), 1);
  EXPECT_EQ(out.graph().output(0).name(), model.graph().output(0).name());
  // Both Convs read the shared bias initializer directly.
  const auto inits = initializer_map(out.graph());
  int convs = 0;
  for (const auto& n : out.graph().node()) {
    if (n.op_type() != "Conv") continue;
    ++convs;
    EXPECT_EQ(n.input(2), "shared_bias");
    EXPECT_TRUE(inits.count(n.input(2)));
  }
  EXPECT_EQ(convs, 2);
}

TEST(Normalize, EliminatedActivationNamesMapToTheSurvivingTensor) {
  const auto model = exporter_like_model();
  NormalizeReport report;
  const auto out = normalized(model, &report);
  auto view = GraphView::build(out.graph());
  ASSERT_TRUE(view.ok());
  // The Identity on the ReLU output is gone; its name maps to the ReLU output, which survived
  // under its own name. Constants behind Identities are not aliased (they are no cut points).
  std::string identity_out, relu_out;
  for (const auto& n : model.graph().node()) {
    if (n.name().rfind("/activation_copy", 0) == 0) {
      identity_out = n.output(0);
      relu_out = n.input(0);
    }
  }
  ASSERT_FALSE(identity_out.empty());
  EXPECT_FALSE(view->has_tensor(identity_out));
  EXPECT_TRUE(view->is_activation(relu_out));
  EXPECT_EQ(normalized_name(report, identity_out), relu_out);
  EXPECT_EQ(normalized_name(report, relu_out), relu_out);
  EXPECT_EQ(report.aliases.size(), 1u);
  // Every activation of the original that survived keeps its name.
  for (const auto& n : model.graph().node()) {
    for (const auto& o : n.output()) {
      if (o != identity_out && n.op_type() != "Identity" && n.op_type() != "Shape" &&
          n.op_type() != "Gather" && n.op_type() != "Unsqueeze" && n.op_type() != "Concat")
        EXPECT_TRUE(view->is_activation(o)) << o;
    }
  }
}

TEST(Normalize, FoldsTheConstantShapeSubgraphAndMergesEqualInitializers) {
  const auto model = exporter_like_model();
  NormalizeReport report;
  const auto out = normalized(model, &report);
  // Shape -> Gather -> Unsqueeze -> Concat became one int64 initializer feeding the Reshape.
  EXPECT_EQ(count_ops(out, "Shape"), 0);
  EXPECT_EQ(count_ops(out, "Gather"), 0);
  EXPECT_EQ(count_ops(out, "Unsqueeze"), 0);
  EXPECT_EQ(count_ops(out, "Concat"), 0);
  EXPECT_EQ(report.folded_ops["Shape"], 1);
  EXPECT_EQ(report.folded_ops["Concat"], 1);
  const auto inits = initializer_map(out.graph());
  for (const auto& n : out.graph().node()) {
    if (n.op_type() != "Reshape") continue;
    ASSERT_TRUE(inits.count(n.input(1)));
    auto v = int64_values(*inits.at(n.input(1)));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, (std::vector<int64_t>{1, -1}));
  }
  // offset_a and offset_b hold the same bytes: one is left, both Adds read it.
  EXPECT_EQ(report.duplicate_initializers, 1);
  EXPECT_EQ(inits.count("offset_a") + inits.count("offset_b"), 1u);
  // Every intermediate tensor has a shape.
  EXPECT_GT(report.value_infos, 0);
  for (const auto& vi : out.graph().value_info()) EXPECT_TRUE(vi.type().tensor_type().has_shape()) << vi.name();
}

// Swin's window padding: pads computed from the activation's shape with Mod, so the padded
// tensor's shape is only known after the pad arithmetic is folded and shapes inferred again.
onnx::ModelProto computed_padding_model() {
  GraphBuilder b("computed_padding");
  const auto x = b.relu(b.conv(b.input("input", {1, 3, 7, 7}), {.out_channels = 4}));
  const auto w = b.shape_gather_unsqueeze(x, 3);  // [7]
  const auto window = b.int64_initializer("window", {1}, {4});
  const auto rem = b.node("Mod", {w, window})[0];
  b.set_shape(rem, {1}, DType::kInt64);
  const auto pad = b.node("Mod", {b.node("Sub", {window, rem})[0], window})[0];  // [1]
  b.set_shape(pad, {1}, DType::kInt64);
  const auto zeros = b.int64_initializer("zeros6", {6}, {0, 0, 0, 0, 0, 0});
  const auto pads = b.node("Concat", {zeros, pad, pad}, 1, {GraphBuilder::attr_int("axis", 0)})[0];
  b.set_shape(pads, {8}, DType::kInt64);
  const auto padded = b.node("Pad", {x, pads})[0];
  b.set_shape(padded, {1, 4, 8, 8});
  b.output(b.conv(padded, {.out_channels = 4}));
  auto m = b.build();
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

TEST(Normalize, FoldsUntilShapesBehindComputedPaddingAreKnown) {
  const auto model = computed_padding_model();
  std::string padded;
  for (const auto& n : model.graph().node())
    if (n.op_type() == "Pad") padded = n.output(0);
  NormalizeReport report;
  const auto out = normalized(model, &report);
  EXPECT_EQ(report.folded_ops["Mod"], 2);
  auto shapes = infer_shapes(out);
  ASSERT_TRUE(shapes.ok());
  ASSERT_TRUE(shapes->count(padded));
  EXPECT_EQ(shapes->at(padded).shape, (std::vector<int64_t>{1, 4, 8, 8}));
  const auto inputs = random_inputs(model, 4);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(model, inputs), run_model(out, inputs), &why)) << why;
}

TEST(Normalize, FoldsStackedComputedPaddingToTheEnd) {
  // Swin-T's blocks each compute their padding from the shape the block before makes; on the
  // real export a cap of 8 folding rounds left the last stage's shapes unknown (no exit there,
  // no FLOPs for its MatMuls; bench_zoo shows it). Here: every block of a stack folds.
  GraphBuilder b("stacked_padding");
  std::string x = b.relu(b.conv(b.input("input", {1, 3, 7, 7}), {.out_channels = 4}));
  const auto window = b.int64_initializer("window", {1}, {4});
  const auto zeros = b.int64_initializer("zeros6", {6}, {0, 0, 0, 0, 0, 0});
  std::string last_padded;
  for (int block = 0; block < 12; ++block) {
    const auto w = b.shape_gather_unsqueeze(x, 3);
    const auto rem = b.node("Mod", {w, window})[0];
    b.set_shape(rem, {1}, DType::kInt64);
    const auto pad = b.node("Mod", {b.node("Sub", {window, rem})[0], window})[0];
    b.set_shape(pad, {1}, DType::kInt64);
    const auto pads =
        b.node("Concat", {zeros, pad, pad}, 1, {GraphBuilder::attr_int("axis", 0)})[0];
    b.set_shape(pads, {8}, DType::kInt64);
    last_padded = b.node("Pad", {x, pads})[0];
    b.set_shape(last_padded, {1, 4, 8, 8});
    x = b.conv(last_padded, {.out_channels = 4, .kernel = 1});
  }
  b.output(x);
  auto model = b.build();
  ASSERT_TRUE(model.ok()) << model.status().message();
  NormalizeReport report;
  const auto out = normalized(*model, &report);
  EXPECT_EQ(report.folded_ops["Mod"], 24);
  auto shapes = infer_shapes(out);
  ASSERT_TRUE(shapes.ok());
  EXPECT_EQ(shapes->at(last_padded).shape, (std::vector<int64_t>{1, 4, 8, 8}));
}

TEST(Normalize, IsIdempotent) {
  const auto once = normalized(exporter_like_model());
  NormalizeReport report;
  const auto twice = normalized(once, &report);
  EXPECT_EQ(report.identities_removed, 0);
  EXPECT_EQ(report.constants_folded, 0);
  EXPECT_EQ(report.duplicate_initializers, 0);
  EXPECT_EQ(testing::bytes_of(once), testing::bytes_of(twice));
}

TEST(Normalize, FixesSymbolicInputDimensionsFromTheGivenShape) {
  auto model = fixtures::chain_model();
  auto* dim = model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
                  ->mutable_shape()->mutable_dim(0);
  dim->clear_dim_value();
  dim->set_dim_param("batch");
  auto* out_dim = model.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()
                      ->mutable_shape()->mutable_dim(0);
  out_dim->clear_dim_value();
  out_dim->set_dim_param("batch");
  // Without a shape the input stays dynamic.
  const auto dynamic = normalized(model);
  EXPECT_FALSE(dynamic.graph().input(0).type().tensor_type().shape().dim(0).has_dim_value());
  NormalizeOptions o;
  o.input_shapes = {{model.graph().input(0).name(), {2, 3, 16, 16}}};
  const auto fixed = normalized(model, nullptr, o);
  EXPECT_EQ(fixed.graph().input(0).type().tensor_type().shape().dim(0).dim_value(), 2);
  bool found = false;
  for (const auto& vi : fixed.graph().value_info()) {
    const auto& s = vi.type().tensor_type().shape();
    if (s.dim_size() == 4) {
      found = true;
      EXPECT_EQ(s.dim(0).dim_value(), 2) << vi.name();
    }
  }
  EXPECT_TRUE(found);
}

TEST(Normalize, FoldsOnlyWhatItCanComputeExactly) {
  // Float Div and a Cast of an out-of-range float stay nodes; integer arithmetic folds.
  GraphBuilder b("fold_limits");
  const auto x = b.input("input", {1, 4});
  const auto num = b.initializer("num", {4}, {1.0f, 2.0f, 3.0f, 7.0f});
  const auto den = b.initializer("den", {4}, {3.0f, 3.0f, 3.0f, 3.0f});
  const auto q = b.node("Div", {num, den})[0];
  b.set_shape(q, {4});
  const auto big = b.initializer("big", {1}, {3.0e10f});
  const auto cast = b.node("Cast", {big}, 1, {GraphBuilder::attr_int("to", 6)})[0];  // int32
  b.set_shape(cast, {1}, DType::kInt32);
  const auto ia = b.int64_initializer("ia", {2}, {7, 8});
  const auto ib = b.int64_initializer("ib", {2}, {7, 2});
  const auto idiv = b.node("Div", {ia, ib})[0];
  b.set_shape(idiv, {2}, DType::kInt64);
  const auto target = b.node("Mul", {idiv, b.int64_initializer("ones", {2}, {1, 1})})[0];
  b.set_shape(target, {2}, DType::kInt64);
  const auto y = b.add(x, q);
  const auto shaped = b.node("Reshape", {y, target})[0];
  b.set_shape(shaped, {1, 4});
  b.output(shaped);
  b.output(cast);
  auto model = b.build();
  ASSERT_TRUE(model.ok()) << model.status().message();
  NormalizeReport report;
  const auto out = normalized(*model, &report);
  EXPECT_EQ(report.folded_ops["Div"], 1);  // the int64 one
  EXPECT_EQ(report.folded_ops["Mul"], 1);
  EXPECT_EQ(count_ops(out, "Div"), 1);     // the float one
  EXPECT_EQ(count_ops(out, "Cast"), 1);    // a graph output is never folded away
  const auto inputs = random_inputs(*model, 3);
  std::string why;
  EXPECT_TRUE(bit_identical(run_model(*model, inputs), run_model(out, inputs), &why)) << why;
}

fold::ConstTensor ints(std::vector<int64_t> dims, const std::vector<int64_t>& v) {
  fold::ConstTensor t{DType::kInt64, std::move(dims), {}};
  t.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t));
  return t;
}

std::vector<int64_t> values(const fold::ConstTensor& t) {
  std::vector<int64_t> v(t.bytes.size() / sizeof(int64_t));
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

onnx::NodeProto op(const std::string& type, std::vector<onnx::AttributeProto> attrs = {}) {
  onnx::NodeProto n;
  n.set_op_type(type);
  n.add_output("y");
  for (auto& a : attrs) *n.add_attribute() = std::move(a);
  return n;
}

TEST(NormalizeFold, KernelsMatchOnnxSemantics) {
  const auto a = ints({2, 3}, {0, 1, 2, 3, 4, 5});
  auto t = fold::evaluate(op("Transpose"), {&a}, 17);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dims, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values(*t), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  const auto idx = ints({2}, {-1, 0});
  auto g = fold::evaluate(op("Gather", {GraphBuilder::attr_int("axis", 1)}), {&a, &idx}, 17);
  ASSERT_TRUE(g);
  EXPECT_EQ(values(*g), (std::vector<int64_t>{2, 0, 5, 3}));
  auto c = fold::evaluate(op("Concat", {GraphBuilder::attr_int("axis", 1)}), {&a, &a}, 17);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->dims, (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(values(*c), (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
  // Integer division truncates toward zero; a zero divisor is not folded.
  const auto n = ints({2}, {-7, 7}), d = ints({1}, {2}), z = ints({1}, {0});
  auto q = fold::evaluate(op("Div"), {&n, &d}, 17);
  ASSERT_TRUE(q);
  EXPECT_EQ(values(*q), (std::vector<int64_t>{-3, 3}));
  EXPECT_FALSE(fold::evaluate(op("Div"), {&n, &z}, 17));
  // Reshape with 0 (copy) and -1 (infer); a size mismatch is not folded.
  const auto shape = ints({2}, {0, -1}), bad = ints({1}, {5});
  auto r = fold::evaluate(op("Reshape"), {&a, &shape}, 17);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dims, (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(fold::evaluate(op("Reshape"), {&a, &bad}, 17));
  // Mod follows the divisor's sign (fmod=0) or the dividend's (fmod=1); float Mod stays.
  const auto dv = ints({1}, {3});
  auto md = fold::evaluate(op("Mod"), {&n, &dv}, 17);
  ASSERT_TRUE(md);
  EXPECT_EQ(values(*md), (std::vector<int64_t>{2, 1}));
  auto fm = fold::evaluate(op("Mod", {GraphBuilder::attr_int("fmod", 1)}), {&n, &dv}, 17);
  ASSERT_TRUE(fm);
  EXPECT_EQ(values(*fm), (std::vector<int64_t>{-1, 1}));
  // Slice with a negative start and step, and one clamped end.
  const auto row = ints({6}, {0, 1, 2, 3, 4, 5});
  const auto st = ints({1}, {-1}), en = ints({1}, {-100}), ax = ints({1}, {0}), sp = ints({1}, {-2});
  auto sl = fold::evaluate(op("Slice"), {&row, &st, &en, &ax, &sp}, 17);
  ASSERT_TRUE(sl);
  EXPECT_EQ(values(*sl), (std::vector<int64_t>{5, 3, 1}));
  const auto s1 = ints({1}, {1}), e1 = ints({1}, {3});
  auto sl2 = fold::evaluate(op("Slice"), {&a, &s1, &e1, &s1}, 17);  // columns 1..2 of [2, 3]
  ASSERT_TRUE(sl2);
  EXPECT_EQ(sl2->dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values(*sl2), (std::vector<int64_t>{1, 2, 4, 5}));
  // ConstantOfShape: float zeros by default.
  const auto shp = ints({2}, {2, 2});
  auto cs = fold::evaluate(op("ConstantOfShape"), {&shp}, 17);
  ASSERT_TRUE(cs);
  EXPECT_EQ(cs->dtype, DType::kFloat32);
  EXPECT_EQ(cs->bytes, std::string(4 * sizeof(float), '\0'));
  // Ops outside the list stay nodes.
  EXPECT_FALSE(fold::evaluate(op("Max"), {&a, &a}, 17));
}

TEST(Normalize, RejectsMalformedGraphsNamingTheTensor) {
  onnx::ModelProto out;
  // An input nobody produces.
  auto model = fixtures::chain_model();
  model.mutable_graph()->mutable_node(1)->set_input(0, "no_such_tensor");
  Status st = normalize_model(model, {}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no_such_tensor"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("nearest"), std::string::npos) << st.message();
  // A graph output nobody produces.
  model = fixtures::chain_model();
  model.mutable_graph()->mutable_output(0)->set_name("ghost");
  st = normalize_model(model, {}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("ghost"), std::string::npos) << st.message();
  // A cycle.
  model = fixtures::chain_model();
  auto* g = model.mutable_graph();
  g->mutable_node(0)->set_input(0, g->node(1).output(0));
  st = normalize_model(model, {}, &out);
  EXPECT_FALSE(st.ok());
  // No graph, no output model, an input shape for an unknown input.
  EXPECT_FALSE(normalize_model(onnx::ModelProto{}, {}, &out).ok());
  EXPECT_FALSE(normalize_model(fixtures::chain_model(), {}, nullptr).ok());
  NormalizeOptions o;
  o.input_shapes = {{"not_an_input", {1, 3, 16, 16}}};
  st = normalize_model(fixtures::chain_model(), o, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not_an_input"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace edgetier
