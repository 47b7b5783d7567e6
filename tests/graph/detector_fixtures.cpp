/// Builder-made single-head detectors for the experiment and tier detection tests.
#include "graph/detector_fixtures.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "graph/builder.h"

namespace edgetier::fixtures {
namespace {

onnx::ModelProto finish(GraphBuilder& b) {
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());  // fixture bug
  return *model;
}

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

}  // namespace edgetier::fixtures
