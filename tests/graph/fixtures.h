/// Builder-made fixture models shared by the graph, runtime and ops tests.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "graph/builder.h"

namespace edgetier::fixtures {

/// The builder's model; a build error is a bug in the fixture, thrown.
onnx::ModelProto finish(GraphBuilder& b);

/// input 1x3x16x16 -> conv -> relu -> conv -> relu -> gap -> flatten -> gemm(10).
onnx::ModelProto chain_model();
/// input -> stem conv -> 2 residual blocks -> gap -> flatten -> gemm(10): multi-tensor cuts inside
/// blocks.
onnx::ModelProto residual_model();
/// A segmentation-style model whose Shape(input) int64 branch rides to a final Resize-like
/// Concat: every middle cut carries the int64 tensor too.
onnx::ModelProto side_branch_model();
/// A ResNet-style classifier with 4 stages x 2 blocks (like a tiny torchvision ResNet).
onnx::ModelProto tiny_resnet(int64_t image_size = 32, int64_t width = 8);
/// A cut below tiny_resnet's last stage (the output of the block after its third Add), so it
/// survives an early exit that skips the last blocks.
std::string tiny_resnet_early_cut(const onnx::ModelProto& tiny_resnet);
/// A segmenter: input 1x3x16x16 -> strided conv -> 2 residual blocks -> 5-class 1x1 conv ->
/// 2x resize (logits [1, 5, 16, 16]).
onnx::ModelProto tiny_segmenter();

/// chain_model with an op no runtime implements between its convolutions: node "foo" of type
/// 'FooBar' (domain ai.onnx, opset 17). ONNX shape inference passes it through.
onnx::ModelProto unknown_op_model();
/// chain_model stamped with ai.onnx opset 99, beyond any released ONNX.
onnx::ModelProto future_opset_model();
/// A classifier ONNX Runtime loads but cannot run: a Gather picks channel 7 of a 3-channel
/// input, which fails on every request ("indices element out of data bounds").
onnx::ModelProto failing_at_run_model(int64_t image_size = 32);

}  // namespace edgetier::fixtures
