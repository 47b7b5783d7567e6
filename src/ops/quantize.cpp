/// quantize(): plan the rewrite, then write it in the requested format.
#include "ops/quantize.h"

#include "core/procfs.h"
#include "core/strings.h"
#include "ops/quantize_plan.h"

namespace edgetier {

std::string_view quant_format_name(QuantFormat format) {
  return format == QuantFormat::kQOperator ? "qoperator" : "qdq";
}

Result<QuantFormat> parse_quant_format(std::string_view name) {
  if (name == "qdq") return QuantFormat::kQdq;
  if (name == "qoperator") return QuantFormat::kQOperator;
  return invalid_argument(
      "unknown quantization format '" + std::string(name) + "'; did you mean '" +
      nearest_name(std::string(name), {"qdq", "qoperator"}) + "'? (qdq|qoperator)");
}

Result<ReduceRange> parse_reduce_range(std::string_view name) {
  if (name == "auto") return ReduceRange::kAuto;
  if (name == "true") return ReduceRange::kOn;
  if (name == "false") return ReduceRange::kOff;
  return invalid_argument("unknown reduce_range '" + std::string(name) + "'; did you mean '" +
                          nearest_name(std::string(name), {"auto", "true", "false"}) +
                          "'? (auto|true|false)");
}

bool resolve_reduce_range(ReduceRange choice) {
  return choice == ReduceRange::kOn ||
         (choice == ReduceRange::kAuto && this_cpu_int8_dot_saturates());
}

const std::vector<std::string>& quantizable_op_types() {
  static const std::vector<std::string> kTypes = {
      "Conv",    "Gemm",      "MatMul",  "Add",       "Mul",     "Concat",
      "MaxPool", "AveragePool", "GlobalAveragePool", "Sigmoid", "LeakyRelu", "Resize",
      "Flatten", "Reshape",   "Transpose", "Squeeze", "Unsqueeze", "Slice",  "Relu"};
  return kTypes;
}

Status quantize(const onnx::ModelProto& in, const QuantizeOptions& options, onnx::ModelProto* out) {
  if (out == nullptr) return invalid_argument("quantize: no output model given");
  ASSIGN_OR_RETURN(quant::QuantPlan plan, quant::make_plan(in, options));
  onnx::ModelProto result;
  if (options.format == QuantFormat::kQOperator) {
    RETURN_IF_ERROR(quant::write_qoperator(plan, &result));
  } else {
    RETURN_IF_ERROR(quant::write_qdq(plan, &result));
  }
  if (options.report) *options.report = plan.report;
  *out = std::move(result);
  return ok_status();
}

}  // namespace edgetier
