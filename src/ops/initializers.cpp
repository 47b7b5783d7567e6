/// Initializer helpers: typed reads of TensorProto data and graph clean-up.
#include "ops/initializers.h"

#include <cstring>
#include <unordered_set>

namespace edgetier {

std::unordered_map<std::string, const onnx::TensorProto*> initializer_map(
    const onnx::GraphProto& graph) {
  std::unordered_map<std::string, const onnx::TensorProto*> map;
  for (const auto& t : graph.initializer()) map[t.name()] = &t;
  return map;
}

namespace {

int64_t num_elements(const onnx::TensorProto& tensor) {
  int64_t n = 1;
  for (int64_t d : tensor.dims()) n *= d;
  return n;
}

template <typename T, typename Field>
Result<std::vector<T>> typed_values(const onnx::TensorProto& tensor, int32_t want_type,
                                    const char* type_name, const Field& field) {
  if (tensor.data_type() != want_type) {
    return invalid_argument("initializer '" + tensor.name() + "' has data type " +
                            std::to_string(tensor.data_type()) + ", expected " + type_name);
  }
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    return failed_precondition("initializer '" + tensor.name() +
                               "' is still in external data; load the model with external data");
  }
  const int64_t n = num_elements(tensor);
  std::vector<T> values;
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != static_cast<size_t>(n) * sizeof(T)) {
      return data_loss("initializer '" + tensor.name() + "' holds " +
                       std::to_string(tensor.raw_data().size()) + " bytes for " +
                       std::to_string(n) + " " + type_name + " values");
    }
    values.resize(static_cast<size_t>(n));
    if (n > 0) std::memcpy(values.data(), tensor.raw_data().data(), tensor.raw_data().size());
    return values;
  }
  if (field.size() != n) {
    return data_loss("initializer '" + tensor.name() + "' holds " + std::to_string(field.size()) +
                     " values for " + std::to_string(n) + " elements");
  }
  values.assign(field.begin(), field.end());
  return values;
}

}  // namespace

Result<std::vector<float>> float_values(const onnx::TensorProto& tensor) {
  return typed_values<float>(tensor, onnx::TensorProto::FLOAT, "float32", tensor.float_data());
}

Result<std::vector<int64_t>> int64_values(const onnx::TensorProto& tensor) {
  return typed_values<int64_t>(tensor, onnx::TensorProto::INT64, "int64", tensor.int64_data());
}

int64_t node_attr_int(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return a.i();
  }
  return fallback;
}

float node_attr_float(const onnx::NodeProto& node, const std::string& name, float fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return a.f();
  }
  return fallback;
}

std::vector<int64_t> node_attr_ints(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  }
  return {};
}

void set_node_attr_int(onnx::NodeProto* node, const std::string& name, int64_t value) {
  for (auto& a : *node->mutable_attribute()) {
    if (a.name() == name) {
      a.set_type(onnx::AttributeProto::INT);
      a.set_i(value);
      return;
    }
  }
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void remove_unused_initializers(onnx::GraphProto* graph) {
  std::unordered_set<std::string> used;
  for (const auto& node : graph->node()) {
    for (const auto& in : node.input()) used.insert(in);
    // Subgraphs may capture outer initializers by name.
    for (const auto& attr : node.attribute()) {
      auto scan = [&](const onnx::GraphProto& g) {
        for (const auto& n : g.node()) {
          for (const auto& in : n.input()) used.insert(in);
        }
      };
      if (attr.has_g()) scan(attr.g());
      for (const auto& g : attr.graphs()) scan(g);
    }
  }
  for (const auto& out : graph->output()) used.insert(out.name());
  auto* inits = graph->mutable_initializer();
  std::unordered_set<std::string> removed;
  for (int i = inits->size() - 1; i >= 0; --i) {
    if (!used.count(inits->Get(i).name())) {
      removed.insert(inits->Get(i).name());
      inits->DeleteSubrange(i, 1);
    }
  }
  auto* inputs = graph->mutable_input();
  for (int i = inputs->size() - 1; i >= 0; --i) {
    if (removed.count(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
  }
  auto* infos = graph->mutable_value_info();
  for (int i = infos->size() - 1; i >= 0; --i) {
    if (removed.count(infos->Get(i).name())) infos->DeleteSubrange(i, 1);
  }
}

std::string unique_name(const std::string& base, std::unordered_map<std::string, int>* taken) {
  auto it = taken->find(base);
  if (it == taken->end()) {
    (*taken)[base] = 1;
    return base;
  }
  for (int n = it->second;; ++n) {
    std::string candidate = base + "_" + std::to_string(n);
    if (!taken->count(candidate)) {
      it->second = n + 1;
      (*taken)[candidate] = 1;
      return candidate;
    }
  }
}

}  // namespace edgetier
