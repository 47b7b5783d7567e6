/// Shape inference implementation: fixes inputs, runs onnx::shape_inference, reads value_info.
#include "graph/shapes.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <map>
#include <set>

#include "core/strings.h"
#include "graph/graph_view.h"

namespace edgetier {

TensorInfo tensor_info_from_type(const onnx::TypeProto& type) {
  TensorInfo info;
  if (!type.has_tensor_type()) return info;
  info.dtype = static_cast<DType>(type.tensor_type().elem_type());
  if (type.tensor_type().has_shape()) {
    for (const auto& dim : type.tensor_type().shape().dim()) {
      info.shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    }
  } else {
    info.shape = {-1};  // rank unknown
  }
  return info;
}

void set_value_info(const TensorInfo& info, onnx::ValueInfoProto* value_info) {
  value_info->set_name(info.name);
  auto* tensor_type = value_info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(static_cast<int32_t>(info.dtype));
  auto* shape = tensor_type->mutable_shape();
  shape->clear_dim();
  for (size_t i = 0; i < info.shape.size(); ++i) {
    auto* dim = shape->add_dim();
    if (info.shape[i] >= 0)
      dim->set_dim_value(info.shape[i]);
    else
      dim->set_dim_param(info.name + "_dim" + std::to_string(i));
  }
}

int64_t tensor_bytes(const TensorInfo& info) {
  const int64_t n = shape_num_elements(info.shape);
  return n < 0 ? -1 : n * static_cast<int64_t>(dtype_size_bytes(info.dtype));
}

Status parse_input_shape_arg(const std::string& arg, InputShapes* shapes) {
  const size_t eq = arg.rfind('=');
  if (eq == std::string::npos || eq == 0) {
    return invalid_argument("bad --input-shape '" + arg + "': expected NAME=1x3x224x224");
  }
  ASSIGN_OR_RETURN(auto dims, parse_shape(arg.substr(eq + 1)));
  (*shapes)[arg.substr(0, eq)] = std::move(dims);
  return ok_status();
}

Result<onnx::ModelProto> model_with_shapes(const onnx::ModelProto& model,
                                           const InputShapes& input_shapes) {
  onnx::ModelProto m = model;
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(m.graph()));
  for (const auto& [name, dims] : input_shapes) {
    if (!view.is_graph_input(name)) {
      return not_found("--input-shape names '" + name +
                       "', which is not an input of the model; nearest: '" +
                       nearest_name(name, view.inputs()) + "'");
    }
  }
  for (auto& in : *m.mutable_graph()->mutable_input()) {
    if (!view.is_graph_input(in.name())) continue;
    auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    auto it = input_shapes.find(in.name());
    if (it == input_shapes.end()) {
      // Unspecified dynamic leading dimension: assume one request (batch 1).
      if (shape->dim_size() > 0 && !shape->dim(0).has_dim_value())
        shape->mutable_dim(0)->set_dim_value(1);
      continue;
    }
    const auto& dims = it->second;
    if (shape->dim_size() != static_cast<int>(dims.size())) {
      return invalid_argument("--input-shape " + in.name() + "=" + shape_to_string(dims) +
                              " has rank " + std::to_string(dims.size()) +
                              " but the model's input has rank " +
                              std::to_string(shape->dim_size()) + " (" +
                              shape_to_string(tensor_info_from_type(in.type()).shape) + ")");
    }
    for (int d = 0; d < shape->dim_size(); ++d) {
      if (shape->dim(d).has_dim_value() && shape->dim(d).dim_value() != dims[d]) {
        return invalid_argument("--input-shape " + in.name() + "=" + shape_to_string(dims) +
                                ": dimension " + std::to_string(d) + " is fixed to " +
                                std::to_string(shape->dim(d).dim_value()) + " in the model");
      }
      shape->mutable_dim(d)->set_dim_value(dims[d]);
    }
  }
  RETURN_IF_ERROR(run_shape_inference(&m));
  return m;
}

namespace {

/// Opset version of each operator domain the model imports ("" and "ai.onnx" are one domain).
std::map<std::string, int> domain_opsets(const onnx::ModelProto& model) {
  std::map<std::string, int> opsets;
  for (const auto& o : model.opset_import()) {
    opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = static_cast<int>(o.version());
  }
  return opsets;
}

/// ONNX's shape inference looks up the type of every input a node names and several operators
/// dereference it unchecked, so an input that refers to nothing, or an empty name (an omitted
/// input) where the operator's schema requires one, crashes it (SEGV); so does a stride of 0
/// (SIGFPE). They are refused here, naming the node and the input or attribute. `outer` holds
/// the names a subgraph sees from its parents.
Status check_node_inputs(const onnx::GraphProto& graph, const std::set<std::string>& outer,
                         const std::map<std::string, int>& opsets, const std::string& where) {
  std::set<std::string> defined = outer;
  for (const auto& in : graph.input()) defined.insert(in.name());
  for (const auto& init : graph.initializer()) defined.insert(init.name());
  for (const auto& init : graph.sparse_initializer()) defined.insert(init.values().name());
  for (const auto& node : graph.node()) {
    for (const auto& out : node.output()) defined.insert(out);
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const std::string label = where + "node '" +
                              (node.name().empty() ? node.op_type() + "#" + std::to_string(i)
                                                   : node.name()) +
                              "' (" + node.op_type() + ")";
    const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    const auto opset = opsets.find(domain);
    const onnx::OpSchema* schema =
        opset == opsets.end()
            ? nullptr
            : onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second, domain);
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& name = node.input(k);
      if (!name.empty()) {
        if (!defined.count(name)) {
          return invalid_argument(label + ": input " + std::to_string(k) + " '" + name +
                                  "' is not a graph input, an initializer or any node's output");
        }
        continue;
      }
      // An empty name omits an optional input; anywhere else it refers to nothing.
      if (schema == nullptr) continue;
      const auto& formal = schema->inputs();
      const bool optional = static_cast<size_t>(k) < formal.size() &&
                            formal[k].GetOption() == onnx::OpSchema::Optional;
      if (!optional) {
        return invalid_argument(label + ": input " + std::to_string(k) +
                                " has an empty name, but the operator requires it");
      }
    }
    for (const auto& attr : node.attribute()) {
      // Conv's and the pools' shape inference divides by each stride (SIGFPE on 0); ONNX
      // requires strides and dilations of at least 1.
      if (attr.name() == "strides" || attr.name() == "dilations") {
        for (int64_t v : attr.ints()) {
          if (v < 1) {
            return invalid_argument(label + ": attribute '" + attr.name() + "' holds " +
                                    std::to_string(v) + "; each value must be at least 1");
          }
        }
      }
      const std::string inner = label + " attribute '" + attr.name() + "': ";
      if (attr.has_g()) RETURN_IF_ERROR(check_node_inputs(attr.g(), defined, opsets, inner));
      for (const auto& g : attr.graphs()) {
        RETURN_IF_ERROR(check_node_inputs(g, defined, opsets, inner));
      }
    }
  }
  return ok_status();
}

}  // namespace

Status run_shape_inference(onnx::ModelProto* model) {
  model->mutable_graph()->clear_value_info();
  RETURN_IF_ERROR(check_node_inputs(model->graph(), {}, domain_opsets(*model), "")
                      .with_context("shape inference refused the model"));
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/true);
    onnx::shape_inference::InferShapes(*model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("shape inference failed: ") + e.what());
  }
  return ok_status();
}

Result<ShapeMap> infer_shapes(const onnx::ModelProto& model, const InputShapes& input_shapes) {
  ASSIGN_OR_RETURN(onnx::ModelProto m, model_with_shapes(model, input_shapes));
  ShapeMap shapes;
  auto add = [&](const onnx::ValueInfoProto& vi) {
    TensorInfo info = tensor_info_from_type(vi.type());
    info.name = vi.name();
    shapes[vi.name()] = std::move(info);
  };
  for (const auto& vi : m.graph().input()) add(vi);
  for (const auto& vi : m.graph().value_info()) add(vi);
  for (const auto& vi : m.graph().output()) add(vi);
  for (const auto& init : m.graph().initializer()) {
    TensorInfo info{init.name(), static_cast<DType>(init.data_type()),
                    std::vector<int64_t>(init.dims().begin(), init.dims().end())};
    shapes[init.name()] = std::move(info);
  }
  return shapes;
}

}  // namespace edgetier
