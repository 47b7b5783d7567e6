/// Builder-made fixture models (seeded, deterministic).
#include "graph/fixtures.h"

#include <stdexcept>

#include "graph/graph_view.h"

namespace edgetier::fixtures {

onnx::ModelProto finish(GraphBuilder& b) {
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());  // fixture bug
  return *model;
}

onnx::ModelProto chain_model() {
  GraphBuilder b("chain");
  std::string x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.conv(x, {.out_channels = 8}));
  x = b.relu(b.conv(x, {.out_channels = 8, .stride = 2}));
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
  b.output(x);
  return finish(b);
}

onnx::ModelProto residual_model() {
  GraphBuilder b("residual");
  std::string x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = 8})));
  x = b.residual_block(x, 8);
  x = b.residual_block(x, 8);
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
  b.output(x);
  return finish(b);
}

onnx::ModelProto side_branch_model() {
  GraphBuilder b("side_branch");
  const std::string in = b.input("input", {1, 3, 16, 16});
  const std::string h = b.shape_gather_unsqueeze(in, 2);  // int64 [1]: the input height
  std::string x = b.relu(b.conv(in, {.out_channels = 8, .stride = 2}));
  x = b.relu(b.conv(x, {.out_channels = 8}));
  x = b.conv(x, {.out_channels = 4, .kernel = 1});
  x = b.resize(x, 2.0f);
  b.output(x);
  // The int64 size travels to the end as a second output, like FCN's shape tensor feeding Resize.
  const std::string size = b.concat({h, h}, 0);
  b.output(size);
  return finish(b);
}

onnx::ModelProto tiny_resnet(int64_t image_size, int64_t width) {
  GraphBuilder b("tiny_resnet");
  std::string x = b.input("input", {1, 3, image_size, image_size});
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = width})));
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t channels = width << stage;
    if (stage > 0) {
      x = b.relu(b.batch_norm(b.conv(x, {.out_channels = channels, .stride = 2})));
    }
    x = b.residual_block(x, channels);
    x = b.residual_block(x, channels);
  }
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
  b.output(x);
  return finish(b);
}

std::string tiny_resnet_early_cut(const onnx::ModelProto& model) {
  auto view = GraphView::build(model.graph());
  if (!view.ok()) throw std::runtime_error(view.status().to_string());  // fixture bug
  int adds = 0;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() == "Add" && ++adds == 3)
      return view->node(view->consumers(view->node(i).output(0))[0]).output(0);
  }
  return "";
}

onnx::ModelProto tiny_segmenter() {
  GraphBuilder b("tiny_seg");
  std::string x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.conv(x, {.out_channels = 8, .stride = 2}));
  x = b.residual_block(x, 8);
  x = b.residual_block(x, 8);
  x = b.conv(x, {.out_channels = 5, .kernel = 1});
  b.output(b.resize(x, 2.0f));
  return finish(b);
}

onnx::ModelProto unknown_op_model() {
  GraphBuilder b("unknown_op");
  std::string x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.conv(x, {.out_channels = 8}));
  const std::string y = b.node("FooBar", {x}, 1, {}, "foo")[0];
  b.set_shape(y, b.shape(x));
  x = b.relu(b.conv(y, {.out_channels = 8, .stride = 2}));
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
  b.output(x);
  return finish(b);
}

onnx::ModelProto future_opset_model() {
  onnx::ModelProto m = chain_model();
  m.mutable_opset_import(0)->set_version(99);
  return m;
}

onnx::ModelProto failing_at_run_model(int64_t image_size) {
  GraphBuilder b("failing_at_run");
  std::string x = b.input("input", {1, 3, image_size, image_size});
  const std::string channel = b.int64_initializer("channel", {1}, {7});
  x = b.node("Gather", {x, channel}, 1, {GraphBuilder::attr_int("axis", 1)}, "pick")[0];
  b.set_shape(x, {1, 1, image_size, image_size});
  x = b.relu(b.conv(x, {.out_channels = 8, .stride = 2}));
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 10);
  b.output(x);
  return finish(b);
}

}  // namespace edgetier::fixtures
