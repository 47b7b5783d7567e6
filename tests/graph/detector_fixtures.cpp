/// Builder-made detector fixtures: a YOLO-style raw head over two FPN levels, a
/// boxes/scores/labels model, and single-head "output0" detectors whole or in two parts.
#include "graph/detector_fixtures.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/fixtures.h"
#include "graph/graph_view.h"

namespace edgetier::fixtures {
namespace {

/// Renames a graph output (and the node output producing it).
void rename_output(onnx::ModelProto& model, const std::string& from, const std::string& to) {
  auto* g = model.mutable_graph();
  for (auto& n : *g->mutable_node())
    for (auto& o : *n.mutable_output())
      if (o == from) o = to;
  for (auto& o : *g->mutable_output())
    if (o.name() == from) o.set_name(to);
  for (auto& v : *g->mutable_value_info())
    if (v.name() == from) v.set_name(to);
}

/// From a [1, 8, S/2, S/2] feature: the head [1, 4 + classes, A] with boxes in input pixels
/// and scores in [0, 1].
std::string head_from_feature(GraphBuilder& b, std::string x, int64_t size, int64_t classes) {
  x = b.relu(b.conv(x, {.out_channels = 8, .stride = 2}));
  x = b.conv(x, {.out_channels = 4 + classes, .kernel = 1});
  const int64_t anchors = (size / 4) * (size / 4);
  const std::string shape = b.int64_initializer("head_shape", {3}, {1, 4 + classes, anchors});
  x = b.node("Reshape", {x, shape}, 1, {}, "head")[0];
  b.set_shape(x, {1, 4 + classes, anchors});
  x = b.node("Sigmoid", {x}, 1, {}, "sigmoid")[0];
  b.set_shape(x, {1, 4 + classes, anchors});
  std::vector<float> scale(static_cast<size_t>(4 + classes), 1.0f);
  scale[0] = scale[1] = static_cast<float>(size);
  scale[2] = scale[3] = static_cast<float>(size) / 2;
  const std::string s = b.initializer("head_scale", {1, 4 + classes, 1}, scale);
  x = b.node("Mul", {x, s}, 1, {}, "scaled")[0];
  b.set_shape(x, {1, 4 + classes, anchors});
  return x;
}

std::string stem(GraphBuilder& b, int64_t size) {
  std::string x = b.input("input", {1, 3, size, size});
  return b.relu(b.conv(x, {.out_channels = 8, .stride = 2}));
}

std::string yolo_head(GraphBuilder& b, int64_t size, int64_t classes) {
  return head_from_feature(b, stem(b, size), size, classes);
}

}  // namespace

onnx::ModelProto output0_detector(int64_t image_size, int64_t classes) {
  GraphBuilder b("tiny_yolo");
  const std::string head = yolo_head(b, image_size, classes);
  b.output(head);
  onnx::ModelProto m = finish(b);
  rename_output(m, head, "output0");
  return m;
}

std::vector<onnx::ModelProto> output0_detector_parts(int64_t image_size, int64_t classes) {
  GraphBuilder lower("tiny_yolo_part0");
  const std::string feature = stem(lower, image_size);
  lower.output(feature);
  onnx::ModelProto part0 = finish(lower);
  rename_output(part0, feature, "feature");
  GraphBuilder upper("tiny_yolo_part1", 17, 43);
  const std::string in = upper.input("feature", {1, 8, image_size / 2, image_size / 2});
  const std::string head = head_from_feature(upper, in, image_size, classes);
  upper.output(head);
  onnx::ModelProto part1 = finish(upper);
  rename_output(part1, head, "output0");
  return {part0, part1};
}



namespace {

/// A per-level YOLO head: [1, 4 + classes, h * w].
std::string yolo_head(GraphBuilder& b, const std::string& features, int64_t image_size,
                      int64_t classes) {
  const std::string size =
      b.initializer(features + ".size", {1}, {static_cast<float>(image_size)});
  const std::string raw = b.conv(features, {.out_channels = 4, .kernel = 1});
  const std::string box = b.node("Mul", {b.node("Sigmoid", {raw})[0], size})[0];
  std::vector<int64_t> shape = b.shape(raw);
  b.set_shape(box, shape);
  const std::string logits = b.conv(features, {.out_channels = classes, .kernel = 1});
  const std::string cls = b.node("Sigmoid", {logits})[0];
  b.set_shape(cls, b.shape(logits));
  const std::string head = b.concat({box, cls}, 1);
  const std::string target = b.int64_initializer(head + ".shape", {3}, {1, 4 + classes, -1});
  const std::string flat = b.node("Reshape", {head, target})[0];
  b.set_shape(flat, {1, 4 + classes, shape[2] * shape[3]});
  return flat;
}

}  // namespace

onnx::ModelProto tiny_yolo_detector(int64_t image_size, int64_t classes) {
  GraphBuilder b("tiny_yolo");
  std::string x = b.input("input", {1, 3, image_size, image_size});
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = 8, .stride = 2})));
  x = b.residual_block(x, 8);
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = 16, .stride = 2})));
  const std::string p1 = b.residual_block(x, 16);
  x = b.relu(b.batch_norm(b.conv(p1, {.out_channels = 32, .stride = 2})));
  x = b.residual_block(x, 32);
  const std::string p2 = b.residual_block(x, 32);
  // Top-down: the coarse level upsampled and joined with the fine one.
  const std::string up = b.resize(b.conv(p2, {.out_channels = 16, .kernel = 1}), 2.0f);
  const std::string n1 = b.relu(b.conv(b.concat({p1, up}, 1), {.out_channels = 16}));
  const std::string h1 = yolo_head(b, n1, image_size, classes);
  const std::string h2 = yolo_head(b, p2, image_size, classes);
  b.output(b.concat({h1, h2}, 2));
  return finish(b);
}

std::vector<std::string> tiny_yolo_fpn_cut(const onnx::ModelProto& detector) {
  auto view = GraphView::build(detector.graph());
  if (!view.ok()) throw std::runtime_error(view.status().to_string());  // fixture bug
  // The outputs of the 2nd and 4th residual Add (+ Relu): level 1 and level 2.
  std::vector<std::string> levels;
  int adds = 0;
  for (int i : view->topo_order()) {
    if (view->node(i).op_type() != "Add" || (++adds != 2 && adds != 4)) continue;
    levels.push_back(view->node(view->consumers(view->node(i).output(0))[0]).output(0));
  }
  return levels;
}

onnx::ModelProto tiny_box_detector(int64_t image_size, int64_t classes) {
  GraphBuilder b("tiny_box");
  std::string x = b.input("input", {1, 3, image_size, image_size});
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = 8, .stride = 2})));
  x = b.residual_block(x, 8);
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = 16, .stride = 2})));
  x = b.residual_block(x, 16);
  const int64_t side = image_size / 4, anchors = side * side;
  const std::string half = b.initializer("half_size", {1}, {image_size / 2.0f});
  auto corner = [&](const std::string& name) {
    const std::string raw = b.conv(x, {.out_channels = 2, .kernel = 1});
    const std::string v = b.node("Mul", {b.node("Sigmoid", {raw})[0], half}, 1, {}, name)[0];
    b.set_shape(v, b.shape(raw));
    return v;
  };
  const std::string top_left = corner("top_left");
  const std::string size = corner("extent");
  const std::string bottom_right = b.add(top_left, size);
  const std::string corners = b.concat({top_left, bottom_right}, 1);  // [1, 4, s, s]
  const std::string to_rows = b.int64_initializer("rows_shape", {2}, {4, anchors});
  const std::string rows = b.node("Reshape", {corners, to_rows})[0];
  b.set_shape(rows, {4, anchors});
  const std::string boxes =
      b.node("Transpose", {rows}, 1, {GraphBuilder::attr_ints("perm", {1, 0})}, "boxes")[0];
  b.set_shape(boxes, {anchors, 4});
  const std::string logits = b.conv(x, {.out_channels = classes, .kernel = 1});
  const std::string probs = b.node("Sigmoid", {logits})[0];
  const std::string to_cls = b.int64_initializer("cls_shape", {2}, {classes, anchors});
  const std::string cls = b.node("Reshape", {probs, to_cls})[0];
  b.set_shape(cls, {classes, anchors});
  const std::string scores = b.node("ReduceMax", {cls}, 1,
                                    {GraphBuilder::attr_ints("axes", {0}),
                                     GraphBuilder::attr_int("keepdims", 0)},
                                    "scores")[0];
  b.set_shape(scores, {anchors});
  const std::string labels =
      b.node("ArgMax", {cls}, 1,
             {GraphBuilder::attr_int("axis", 0), GraphBuilder::attr_int("keepdims", 0)},
             "labels")[0];
  b.set_shape(labels, {anchors}, DType::kInt64);
  b.output(boxes);
  b.output(scores);
  b.output(labels);
  return finish(b);
}

}  // namespace edgetier::fixtures
