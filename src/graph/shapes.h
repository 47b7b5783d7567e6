/// Static shape inference (onnx's, with data propagation) resolved against concrete input shapes.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgetier {

/// Tensor name -> dtype and shape (-1 where a dimension stays unknown).
using ShapeMap = std::unordered_map<std::string, TensorInfo>;
/// Input name -> concrete shape, e.g. {"input": {1, 3, 224, 224}}.
using InputShapes = std::map<std::string, std::vector<int64_t>>;

/// Parses "NAME=1x3x224x224" into `shapes`.
Status parse_input_shape_arg(const std::string& arg, InputShapes* shapes);

/// Infers dtype and shape of every tensor. Dynamic input dimensions are fixed from
/// `input_shapes` (checked: the name must exist, the rank and fixed dims must match);
/// inputs left dynamic get batch 1 for their first dimension when it is symbolic.
Result<ShapeMap> infer_shapes(const onnx::ModelProto& model, const InputShapes& input_shapes = {});

/// The model with its inputs fixed to `input_shapes` and value_info filled in.
Result<onnx::ModelProto> model_with_shapes(const onnx::ModelProto& model,
                                           const InputShapes& input_shapes);
/// ONNX shape inference (with data propagation) on `model` in place, after dropping its old
/// value_info; a failure is INVALID_ARGUMENT with ONNX's reason.
Status run_shape_inference(onnx::ModelProto* model);

/// Converts a TypeProto tensor type into TensorInfo (name left empty).
TensorInfo tensor_info_from_type(const onnx::TypeProto& type);
/// Fills a ValueInfoProto from TensorInfo (unknown dims become symbolic).
void set_value_info(const TensorInfo& info, onnx::ValueInfoProto* value_info);

/// Bytes of a fully known tensor, -1 when any dimension is unknown.
int64_t tensor_bytes(const TensorInfo& info);

}  // namespace edgetier
