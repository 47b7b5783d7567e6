/// Quantization planning: which nodes run in int8 (node selection, ReLU absorption) and the
/// parameters of every activation (the numeric quantizers are in quantize_tensors.cpp).
#include "ops/quantize_plan.h"

#include <onnx/version_converter/convert.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "core/strings.h"
#include "graph/model_io.h"
#include "ops/fold_batchnorm.h"
#include "ops/initializers.h"
#include "ops/normalize.h"

namespace edgetier::quant {
namespace {

// Per-channel DequantizeLinear needs opset 13.
constexpr int64_t kMinOpset = 13;

// The name --exclude and reports use: the node's name, or "<op>#<index>" for unnamed nodes.
std::string plain_label(const GraphView& view, int index) {
  const onnx::NodeProto& node = view.node(index);
  return node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name();
}

std::optional<OpKind> kind_of(const onnx::NodeProto& node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") return std::nullopt;
  const std::string& op = node.op_type();
  if (op == "Conv") return OpKind::kConv;
  if (op == "Gemm") return OpKind::kGemm;
  if (op == "MatMul") return OpKind::kMatMul;
  if (op == "Add" || op == "Mul") return OpKind::kBinary;
  if (op == "Concat") return OpKind::kConcat;
  if (op == "AveragePool" || op == "GlobalAveragePool") return OpKind::kPool;
  if (op == "Sigmoid" || op == "LeakyRelu") return OpKind::kUnary;
  if (op == "MaxPool" || op == "Resize" || op == "Flatten" || op == "Reshape" ||
      op == "Transpose" || op == "Squeeze" || op == "Unsqueeze" || op == "Slice") {
    return OpKind::kPassThrough;
  }
  return std::nullopt;
}

// Conv, Gemm and MatMul carry the arithmetic; the other kinds are only worth quantizing when an
// int8 tensor already flows into them (otherwise they would add conversions and save nothing).
bool is_anchor(OpKind kind) {
  return kind == OpKind::kConv || kind == OpKind::kGemm || kind == OpKind::kMatMul;
}

DType dtype_of(const ShapeMap& shapes, const std::string& tensor) {
  auto it = shapes.find(tensor);
  return it == shapes.end() ? DType::kUndefined : it->second.dtype;
}

int64_t rank_of(const ShapeMap& shapes, const std::string& tensor) {
  auto it = shapes.find(tensor);
  return it == shapes.end() ? -1 : static_cast<int64_t>(it->second.shape.size());
}

struct Context {
  const onnx::GraphProto* graph = nullptr;
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  std::unordered_set<std::string> init_names;
  const ShapeMap* shapes = nullptr;
  QuantFormat format = QuantFormat::kQdq;
  const CalibrationTable* table = nullptr;
};

/// A Concat's output has one scale: inputs whose calibrated ranges are this many times apart
/// leave the narrowest fewer than 4 of the 8 bits (16 levels). A detector's head is the case
/// that matters: box coordinates in pixels (0..640) joined with class scores (0..1), where one
/// scale rounds every score to a few values and the int8 model ranks its boxes by noise.
constexpr double kConcatRangeRatio = 16.0;

/// Why a Concat's inputs cannot share one scale ("" when they can or a range is unknown).
std::string concat_range_reason(const onnx::NodeProto& node, const Context& c) {
  if (!c.table) return "";
  double widest = 0.0, narrowest = 0.0;
  std::string wide_name, narrow_name;
  for (const std::string& in : node.input()) {
    const TensorCalibration* cal = c.table->find(in);
    if (!cal) continue;
    const double width = std::max(0.0, static_cast<double>(cal->range.max)) -
                         std::min(0.0, static_cast<double>(cal->range.min));
    if (!(width > 0.0)) continue;
    if (width > widest) widest = width, wide_name = in;
    if (narrow_name.empty() || width < narrowest) narrowest = width, narrow_name = in;
  }
  if (narrow_name.empty() || widest <= kConcatRangeRatio * narrowest) return "";
  char buf[160];
  std::snprintf(buf, sizeof(buf), "input ranges %.3g and %.3g wide", widest, narrowest);
  return std::string(buf) + " ('" + wide_name + "', '" + narrow_name +
         "') cannot share one int8 scale";
}

bool is_float_init(const Context& c, const std::string& name) {
  auto it = c.inits.find(name);
  return it != c.inits.end() && it->second->data_type() == onnx::TensorProto::FLOAT;
}

// Why `node` cannot run in int8 ("" when it can).
std::string unsupported_reason(const onnx::NodeProto& node, OpKind kind, const Context& c) {
  const ShapeMap& shapes = *c.shapes;
  for (int i = 1; i < node.output_size(); ++i) {
    if (!node.output(i).empty()) return "it has more than one output";
  }
  if (dtype_of(shapes, node.output(0)) != DType::kFloat32) return "its output is not float32";
  for (int slot : activation_slots(node, kind, c.init_names)) {
    if (slot >= node.input_size() || node.input(slot).empty())
      return "input " + std::to_string(slot) + " is missing";
    if (dtype_of(shapes, node.input(slot)) != DType::kFloat32) {
      return "input '" + node.input(slot) + "' is not float32";
    }
  }
  switch (kind) {
    case OpKind::kConv: {
      if (node.input_size() < 2 || !is_float_init(c, node.input(1)))
        return "its weight is not a float initializer";
      const auto* w = c.inits.at(node.input(1));
      if (w->dims_size() < 3) return "its weight has rank " + std::to_string(w->dims_size());
      if (node.input_size() > 2 && !node.input(2).empty()) {
        if (!is_float_init(c, node.input(2))) return "its bias is not a float initializer";
        const auto* b = c.inits.at(node.input(2));
        if (b->dims_size() != 1 || b->dims(0) != w->dims(0))
          return "its bias does not have one value per channel";
      }
      return "";
    }
    case OpKind::kGemm: {
      if (node_attr_int(node, "transA", 0) != 0) return "transA=1 has no int8 kernel";
      if (node_attr_float(node, "alpha", 1.0f) != 1.0f) return "alpha != 1";
      if (node.input_size() < 2 || !is_float_init(c, node.input(1)))
        return "B is not a float initializer";
      const auto* b = c.inits.at(node.input(1));
      if (b->dims_size() != 2) return "B is not 2-D";
      if (rank_of(shapes, node.input(0)) != 2) return "A is not 2-D";
      const int64_t n = node_attr_int(node, "transB", 0) ? b->dims(0) : b->dims(1);
      if (node.input_size() > 2 && !node.input(2).empty()) {
        if (node_attr_float(node, "beta", 1.0f) != 1.0f) return "beta != 1";
        if (!is_float_init(c, node.input(2))) return "C is not a float initializer";
        const auto* bias = c.inits.at(node.input(2));
        int64_t elements = 1;
        for (int64_t d : bias->dims()) elements *= d;
        const bool row = bias->dims_size() == 1 || (bias->dims_size() == 2 && bias->dims(0) == 1);
        if (!row || elements != n)
          return "C is not a per-column bias of " + std::to_string(n) + " values";
      }
      return "";
    }
    case OpKind::kMatMul: {
      if (is_float_init(c, node.input(1))) {
        if (c.inits.at(node.input(1))->dims_size() != 2) return "its constant B is not 2-D";
        if (rank_of(shapes, node.input(0)) < 2) return "A has rank < 2";
      } else if (c.init_names.count(node.input(1))) {
        return "B is not float32";
      }
      return "";
    }
    case OpKind::kBinary:
      if (node.input_size() != 2) return "it does not have two inputs";
      if (c.init_names.count(node.input(0)) && c.init_names.count(node.input(1)))
        return "both inputs are constants";
      return "";
    case OpKind::kConcat:
      return node.input_size() == 0 ? "it has no inputs" : concat_range_reason(node, c);
    case OpKind::kPool:
      if (rank_of(shapes, node.input(0)) != 4) return "its input is not 4-D (NCHW)";
      return "";
    case OpKind::kUnary: return "";
    case OpKind::kPassThrough:
      if (node.op_type() == "MaxPool" && node_attr_int(node, "storage_order", 0) != 0)
        return "storage_order=1";
      if (node.op_type() == "Resize") {
        std::string mode = "nearest";
        for (const auto& a : node.attribute()) {
          if (a.name() == "mode") mode = a.s();
        }
        // ONNX Runtime drops the Q/DQ pair around nearest Resize only; a linear one would run in
        // float between an extra DQ and Q, costing accuracy for nothing.
        if (mode != "nearest" && (c.format == QuantFormat::kQdq || mode != "linear")) {
          return "mode '" + mode + "' has no 8-bit kernel in this format";
        }
      }
      return "";
  }
  return "";
}

Status upgrade_opset(onnx::ModelProto* model) {
  const int64_t opset = model_opset(*model);
  if (opset >= kMinOpset) return ok_status();
  try {
    *model = onnx::version_conversion::ConvertVersion(*model, static_cast<int>(kMinOpset));
  } catch (const std::exception& e) {
    return unimplemented("quantize: the model uses opset " + std::to_string(opset) +
                         " and could not be upgraded to " + std::to_string(kMinOpset) +
                         " (needed for per-channel quantization): " + e.what() +
                         "; re-export it with opset >= 13");
  }
  return ok_status();
}

}  // namespace

std::vector<int> activation_slots(const onnx::NodeProto& node, OpKind kind,
                                  const std::unordered_set<std::string>& initializers) {
  switch (kind) {
    case OpKind::kConv:
    case OpKind::kGemm:
    case OpKind::kPool:
    case OpKind::kUnary:
    case OpKind::kPassThrough: return {0};
    case OpKind::kMatMul:
      if (node.input_size() > 1 && !initializers.count(node.input(1))) return {0, 1};
      return {0};
    case OpKind::kBinary:
    case OpKind::kConcat: {
      std::vector<int> slots(static_cast<size_t>(node.input_size()));
      for (int i = 0; i < node.input_size(); ++i) slots[static_cast<size_t>(i)] = i;
      return slots;
    }
  }
  return {};
}

Result<QuantPlan> make_plan(const onnx::ModelProto& in, const QuantizeOptions& options) {
  if (options.activation_dtype != DType::kUInt8 && options.activation_dtype != DType::kInt8) {
    return invalid_argument("quantize: activations must be uint8 or int8, got " +
                            std::string(dtype_name(options.activation_dtype)));
  }
  const auto& supported = quantizable_op_types();
  for (const auto& op : options.op_types) {
    if (std::find(supported.begin(), supported.end(), op) == supported.end()) {
      return invalid_argument("quantize: op type '" + op + "' cannot be quantized; nearest: '" +
                              nearest_name(op, supported) + "'");
    }
  }
  QuantPlan plan;
  plan.options = options;
  plan.options.report = nullptr;
  plan.options.table = {};  // ranges are read once below; the plan keeps only parameters
  // Weights behind Identity nodes, Constant nodes or constant subgraphs become plain
  // initializers first.
  onnx::ModelProto m;
  RETURN_IF_ERROR(normalize_model(in, {}, &m).with_context("quantize"));
  if (options.fold_batchnorm) {
    onnx::ModelProto folded;
    FoldBatchNormOptions fold_options;
    fold_options.folded_count = &plan.report.folded_batchnorms;
    RETURN_IF_ERROR(fold_batchnorm(m, fold_options, &folded));
    m = std::move(folded);
  }
  RETURN_IF_ERROR(upgrade_opset(&m));
  ASSIGN_OR_RETURN(ShapeMap shapes, infer_shapes(m));
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(m.graph()));

  // Excluded names must exist: a typo would silently quantize the node the user meant to protect.
  std::unordered_map<std::string, int> by_name;
  std::vector<std::string> names;
  for (int i = 0; i < view.num_nodes(); ++i) {
    by_name[plain_label(view, i)] = i;
    if (!view.node(i).name().empty()) by_name[view.node(i).name()] = i;
    names.push_back(plain_label(view, i));
  }
  std::unordered_set<int> excluded;
  for (const auto& name : options.exclude) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return not_found("quantize: --exclude names node '" + name +
                       "', which is not in the model; nearest: '" + nearest_name(name, names) +
                       "'");
    }
    excluded.insert(it->second);
  }

  Context ctx;
  ctx.graph = &m.graph();
  ctx.inits = initializer_map(m.graph());
  for (const auto& [name, t] : ctx.inits) ctx.init_names.insert(name);
  ctx.shapes = &shapes;
  ctx.format = options.format;
  ctx.table = &options.table;
  auto allowed_type = [&](const std::string& op) {
    return options.op_types.empty() || std::find(options.op_types.begin(), options.op_types.end(),
                                                 op) != options.op_types.end();
  };

  // Pass 1, in topological order: which nodes run in int8 and which ReLUs their output clamp
  // absorbs.
  const int n = view.num_nodes();
  std::vector<bool> quantized(static_cast<size_t>(n), false),
      absorbed(static_cast<size_t>(n), false);
  std::vector<OpKind> kinds(static_cast<size_t>(n), OpKind::kPassThrough);
  std::unordered_set<std::string> int8_tensors;  // produced by a quantized node
  std::unordered_set<std::string> relu_outputs;
  for (int i : view.topo_order()) {
    const onnx::NodeProto& node = view.node(i);
    const bool is_relu =
        node.op_type() == "Relu" && (node.domain().empty() || node.domain() == "ai.onnx");
    auto kind = kind_of(node);
    const bool float_output =
        node.output_size() > 0 && dtype_of(shapes, node.output(0)) == DType::kFloat32;
    auto stays_float = [&](const std::string& why) {
      if (float_output) ++plan.report.float_ops[node.op_type()][why];
    };
    if (excluded.count(i)) {
      if (kind || is_relu) plan.report.excluded_nodes.push_back(plain_label(view, i));
      stays_float("excluded");
      continue;
    }
    if (is_relu && allowed_type("Relu")) {
      // Q(x) with zero point at the bottom of the range clamps negatives: exactly ReLU.
      const int p = view.producer(node.input(0));
      // Not after pass-through ops: their output inherits the input's (possibly signed) range.
      if (p >= 0 && quantized[static_cast<size_t>(p)] &&
          kinds[static_cast<size_t>(p)] != OpKind::kPassThrough &&
          view.consumers(node.input(0)).size() == 1 && !view.is_graph_output(node.input(0))) {
        absorbed[static_cast<size_t>(i)] = true;
        int8_tensors.insert(node.output(0));
        relu_outputs.insert(node.output(0));
      } else {
        stays_float("its input is not produced by an int8 Conv/Gemm/MatMul/Add/Mul");
      }
      continue;
    }
    if (!kind) {
      stays_float("no int8 kernel in ONNX Runtime on x86");
      continue;
    }
    if (!allowed_type(node.op_type())) {
      stays_float("not among the requested op types");
      continue;
    }
    // Integer shape arithmetic (Shape -> Concat -> Resize sizes) is not a candidate at all.
    if (!float_output) continue;
    const std::string why = unsupported_reason(node, *kind, ctx);
    if (!why.empty()) {
      plan.report.unsupported_nodes.push_back(plain_label(view, i) + " (" + node.op_type() +
                                              "): " + why);
      stays_float(why);
      continue;
    }
    if (!is_anchor(*kind)) {
      bool fed = false;
      for (int slot : activation_slots(node, *kind, ctx.init_names))
        fed = fed || int8_tensors.count(node.input(slot));
      if (!fed) {
        stays_float("no int8 input (quantizing it would only add conversions)");
        continue;
      }
    }
    quantized[static_cast<size_t>(i)] = true;
    kinds[static_cast<size_t>(i)] = *kind;
    int8_tensors.insert(node.output(0));
  }
  int num_quantized = 0;
  for (int i = 0; i < n; ++i) num_quantized += quantized[static_cast<size_t>(i)] ? 1 : 0;
  if (num_quantized == 0) {
    std::string msg =
        "quantize: the model has no quantizable op (quantizable: Conv, Gemm, MatMul and, after "
        "them, ";
    msg += "Add, Mul, Concat, pooling, Resize, reshapes)";
    if (!options.exclude.empty())
      msg += " once the " + std::to_string(options.exclude.size()) + " excluded nodes are left out";
    if (!plan.report.unsupported_nodes.empty())
      msg += "; not quantizable: " + plan.report.unsupported_nodes.front();
    return invalid_argument(msg);
  }

  // Rewrite: drop absorbed ReLUs (their producer writes the ReLU's output instead).
  onnx::GraphProto* graph = m.mutable_graph();
  std::unordered_set<std::string> dropped_tensors;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < n; ++i) {
    if (!absorbed[static_cast<size_t>(i)]) continue;
    const int p = view.producer(view.node(i).input(0));
    dropped_tensors.insert(view.node(i).input(0));
    graph->mutable_node(p)->set_output(0, view.node(i).output(0));
    ++plan.report.absorbed_relus;
  }
  for (int i = 0; i < n; ++i) {
    if (absorbed[static_cast<size_t>(i)]) continue;
    plan.quantized.push_back(quantized[static_cast<size_t>(i)]);
    plan.kind.push_back(kinds[static_cast<size_t>(i)]);
    plan.labels.push_back(plain_label(view, i));
    *kept.Add() = std::move(*graph->mutable_node(i));
  }
  graph->mutable_node()->Swap(&kept);
  auto* infos = graph->mutable_value_info();
  for (int i = infos->size() - 1; i >= 0; --i) {
    if (dropped_tensors.count(infos->Get(i).name())) infos->DeleteSubrange(i, 1);
  }
  plan.model = std::move(m);
  plan.shapes = std::move(shapes);

  // Pass 2: which activations get a quantization step, and with which parameters.
  ASSIGN_OR_RETURN(GraphView qview, GraphView::build(plan.model.graph()));
  std::unordered_set<std::string> needed;
  for (int i = 0; i < qview.num_nodes(); ++i) {
    if (!plan.quantized[static_cast<size_t>(i)]) continue;
    const onnx::NodeProto& node = qview.node(i);
    ++plan.report.quantized_ops[node.op_type()];
    plan.report.quantized_nodes.push_back(plan.labels[static_cast<size_t>(i)]);
    for (int slot : activation_slots(node, plan.kind[static_cast<size_t>(i)], ctx.init_names)) {
      if (!ctx.init_names.count(node.input(slot))) needed.insert(node.input(slot));
    }
    bool int8_reader = false;
    for (int c : qview.consumers(node.output(0))) {
      if (!plan.quantized[static_cast<size_t>(c)]) continue;
      for (int slot :
           activation_slots(qview.node(c), plan.kind[static_cast<size_t>(c)], ctx.init_names)) {
        int8_reader = int8_reader || qview.node(c).input(slot) == node.output(0);
      }
    }
    // A Gemm whose result only float ops read (typically the logits) keeps a float output.
    // (Unless it absorbed a ReLU, which only the quantization step implements.)
    if (plan.kind[static_cast<size_t>(i)] == OpKind::kGemm && !int8_reader &&
        !relu_outputs.count(node.output(0))) {
      plan.float_outputs.insert(node.output(0));
    } else {
      needed.insert(node.output(0));
    }
  }
  auto assign = [&](const std::string& t) -> Status {
    const int p = qview.producer(t);
    if (p >= 0 && plan.quantized[static_cast<size_t>(p)] &&
        plan.kind[static_cast<size_t>(p)] == OpKind::kPassThrough) {
      // MaxPool/Resize/reshapes move values without arithmetic: output scale = input scale.
      plan.activations[t] = plan.activations.at(qview.node(p).input(0));
      return ok_status();
    }
    const TensorCalibration* cal = options.table.find(t);
    if (!cal) {
      return not_found("quantize: the calibration table has no range for tensor '" + t + "' (" +
                       std::to_string(options.table.tensors.size()) + " tensors from graph '" +
                       options.table.model_graph + "'); calibrate this model again");
    }
    TensorRange r = cal->range;
    if (relu_outputs.count(t)) r.min = std::max(r.min, 0.0f);
    plan.activations[t] = params_for_range(r.min, r.max, options.activation_dtype);
    return ok_status();
  };
  for (const auto& in_name : qview.inputs()) {
    if (needed.count(in_name)) RETURN_IF_ERROR(assign(in_name));
  }
  for (int i : qview.topo_order()) {
    for (const auto& out : qview.node(i).output()) {
      if (needed.count(out)) RETURN_IF_ERROR(assign(out));
    }
  }
  plan.report.quantized_tensors = static_cast<int>(plan.activations.size());
  return plan;
}

}  // namespace edgetier::quant
