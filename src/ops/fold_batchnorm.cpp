/// Conv+BatchNormalization folding: exact up to float rounding, run before
/// calibration/quantization.
#include "ops/fold_batchnorm.h"

#include <cmath>
#include <unordered_set>

#include "graph/graph_view.h"
#include "ops/initializers.h"

namespace edgetier {
namespace {

struct FoldCandidate {
  int conv = -1;
  int bn = -1;
};

// Why a BN cannot be folded ("" when it can); `conv` receives the producing Conv.
std::string fold_blocker(const GraphView& view, int bn_index,
                         const std::unordered_map<std::string, const onnx::TensorProto*>& inits,
                         int* conv) {
  const onnx::NodeProto& bn = view.node(bn_index);
  if (bn.input_size() < 5) return "it has fewer than 5 inputs";
  for (int i = 1; i < bn.output_size(); ++i) {
    if (!bn.output(i).empty()) return "it is in training mode (has running-statistics outputs)";
  }
  if (node_attr_int(bn, "training_mode", 0) != 0) return "training_mode is set";
  for (int i = 1; i < 5; ++i) {
    if (!inits.count(bn.input(i))) return "its input '" + bn.input(i) + "' is not an initializer";
  }
  const int producer = view.producer(bn.input(0));
  if (producer < 0 || view.node(producer).op_type() != "Conv") return "it does not follow a Conv";
  const onnx::NodeProto& c = view.node(producer);
  if (view.consumers(bn.input(0)).size() != 1 || view.is_graph_output(bn.input(0))) {
    return "the Conv output '" + bn.input(0) + "' has other readers";
  }
  if (c.input_size() < 2 || !inits.count(c.input(1)))
    return "the Conv weight is not an initializer";
  if (c.input_size() > 2 && !c.input(2).empty() && !inits.count(c.input(2))) {
    return "the Conv bias is not an initializer";
  }
  *conv = producer;
  return "";
}

}  // namespace

Status fold_batchnorm(const onnx::ModelProto& in, const FoldBatchNormOptions& options,
                      onnx::ModelProto* out) {
  onnx::ModelProto model = in;
  onnx::GraphProto* graph = model.mutable_graph();
  auto inits = initializer_map(in.graph());
  ASSIGN_OR_RETURN(GraphView view, GraphView::build(in.graph()));

  // How many nodes read each initializer: shared weights must be copied, not edited in place.
  std::unordered_map<std::string, int> readers;
  for (const auto& node : in.graph().node()) {
    for (const auto& name : node.input()) ++readers[name];
  }

  std::unordered_set<int> removed;
  std::unordered_map<std::string, int> taken;
  for (const auto& name : view.all_tensor_names()) taken[name] = 1;
  std::vector<onnx::TensorProto> new_inits;
  std::unordered_set<std::string> replaced_inits;
  int folded = 0;

  for (int i = 0; i < view.num_nodes(); ++i) {
    const onnx::NodeProto& bn = view.node(i);
    if (bn.op_type() != "BatchNormalization" || !(bn.domain().empty() || bn.domain() == "ai.onnx"))
      continue;
    int conv_index = -1;
    const std::string why = fold_blocker(view, i, inits, &conv_index);
    if (!why.empty()) {
      if (options.require_all) {
        return failed_precondition("fold_batchnorm: cannot fold " + view.node_label(i) + ": " +
                                   why);
      }
      continue;
    }
    const onnx::NodeProto& conv = view.node(conv_index);
    ASSIGN_OR_RETURN(std::vector<float> weight, float_values(*inits.at(conv.input(1))));
    ASSIGN_OR_RETURN(std::vector<float> gamma, float_values(*inits.at(bn.input(1))));
    ASSIGN_OR_RETURN(std::vector<float> beta, float_values(*inits.at(bn.input(2))));
    ASSIGN_OR_RETURN(std::vector<float> mean, float_values(*inits.at(bn.input(3))));
    ASSIGN_OR_RETURN(std::vector<float> var, float_values(*inits.at(bn.input(4))));
    const auto& wt = *inits.at(conv.input(1));
    const int64_t out_channels = wt.dims_size() > 0 ? wt.dims(0) : 0;
    if (out_channels <= 0 || static_cast<int64_t>(gamma.size()) != out_channels ||
        beta.size() != gamma.size() || mean.size() != gamma.size() || var.size() != gamma.size()) {
      if (options.require_all) {
        return invalid_argument("fold_batchnorm: " + view.node_label(i) + " has " +
                                std::to_string(gamma.size()) + " channels but its Conv has " +
                                std::to_string(out_channels));
      }
      continue;
    }
    std::vector<float> bias(static_cast<size_t>(out_channels), 0.0f);
    const bool has_bias = conv.input_size() > 2 && !conv.input(2).empty();
    if (has_bias) {
      ASSIGN_OR_RETURN(bias, float_values(*inits.at(conv.input(2))));
      if (static_cast<int64_t>(bias.size()) != out_channels) {
        return invalid_argument("fold_batchnorm: Conv '" + conv.name() + "' bias has " +
                                std::to_string(bias.size()) + " values for " +
                                std::to_string(out_channels) + " channels");
      }
    }
    // Compute in double so the folded model matches Conv->BN to float rounding.
    const double eps = node_attr_float(bn, "epsilon", 1e-5f);
    const size_t per_channel = weight.size() / static_cast<size_t>(out_channels);
    for (int64_t c = 0; c < out_channels; ++c) {
      const double k = gamma[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      for (size_t j = 0; j < per_channel; ++j) {
        float& w = weight[static_cast<size_t>(c) * per_channel + j];
        w = static_cast<float>(w * k);
      }
      bias[c] = static_cast<float>((bias[c] - static_cast<double>(mean[c])) * k + beta[c]);
    }
    std::vector<int64_t> wdims(wt.dims().begin(), wt.dims().end());
    // A weight read by one Conv is replaced under its own name; a shared one gets a new name.
    std::string wname = conv.input(1);
    if (readers[wname] > 1) wname = unique_name(wname + "_bnfold", &taken);
    std::string bname = has_bias ? conv.input(2) : conv.name() + ".bias";
    if (!has_bias || readers[bname] > 1) bname = unique_name(bname + "_bnfold", &taken);
    new_inits.push_back(make_initializer(wname, DType::kFloat32, wdims, weight));
    new_inits.push_back(make_initializer(bname, DType::kFloat32, {out_channels}, bias));
    replaced_inits.insert(wname);
    replaced_inits.insert(bname);

    onnx::NodeProto* new_conv = graph->mutable_node(conv_index);
    new_conv->set_input(1, wname);
    if (new_conv->input_size() < 3)
      new_conv->add_input(bname);
    else
      new_conv->set_input(2, bname);
    new_conv->set_output(0, bn.output(0));
    removed.insert(i);
    ++folded;
  }

  if (folded > 0) {
    // Replace edited initializers, drop the BN nodes, then the BN statistics nobody reads.
    auto* init_list = graph->mutable_initializer();
    for (int i = init_list->size() - 1; i >= 0; --i) {
      if (replaced_inits.count(init_list->Get(i).name())) init_list->DeleteSubrange(i, 1);
    }
    for (auto& t : new_inits) *graph->add_initializer() = std::move(t);
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    for (int i = 0; i < graph->node_size(); ++i) {
      if (!removed.count(i)) *kept.Add() = std::move(*graph->mutable_node(i));
    }
    graph->mutable_node()->Swap(&kept);
    // The Conv outputs that fed a BN no longer exist; drop their stale shape annotations.
    std::unordered_set<std::string> gone;
    for (int i : removed) gone.insert(view.node(i).input(0));
    auto* infos = graph->mutable_value_info();
    for (int i = infos->size() - 1; i >= 0; --i) {
      if (gone.count(infos->Get(i).name())) infos->DeleteSubrange(i, 1);
    }
    remove_unused_initializers(graph);
  }
  if (options.folded_count) *options.folded_count = folded;
  *out = std::move(model);
  return ok_status();
}

}  // namespace edgetier
