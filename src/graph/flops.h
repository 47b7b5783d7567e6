/// Per-node cost estimates: multiply-accumulates for Conv/Gemm/MatMul, element counts otherwise.
#pragma once

#include <cstdint>

#include <onnx/onnx_pb.h>

#include "graph/shapes.h"

namespace edgetier {

struct NodeCost {
  int64_t macs = 0;   // multiply-accumulates (Conv, ConvTranspose, Gemm, MatMul and their int8 forms)
  int64_t flops = 0;  // 2 * macs for those, output elements for everything else
};

/// Cost of one node given inferred shapes; unknown shapes count as zero.
NodeCost node_cost(const onnx::NodeProto& node, const ShapeMap& shapes);

}  // namespace edgetier
