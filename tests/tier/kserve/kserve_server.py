#!/usr/bin/python3
"""A minimal, independent KServe v2 gRPC server for the foreign-tier tests.

It is built only from KServe's published grpc_predict_v2.proto (stubs generated at test time
with grpc_tools.protoc into --stubs) and serves one model, a fully connected layer computed
with numpy: y = x.reshape(batch, -1) @ W.T + b (ONNX Gemm with transB=1), optionally followed
by ReLU. It listens on loopback only and prints "PORT <n>" once it serves.
"""
import argparse
import sys
from concurrent import futures

import numpy as np


def parse_shape(text):
    return [int(d) for d in text.split(",")]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stubs", required=True, help="folder with grpc_predict_v2_pb2*.py")
    ap.add_argument("--port", type=int, default=0, help="loopback port (0: any free one)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--version", default="1")
    ap.add_argument("--input", required=True, help="input tensor name")
    ap.add_argument("--input-shape", required=True, help="e.g. 1,8 (-1: any size)")
    ap.add_argument("--output", required=True, help="output tensor name")
    ap.add_argument("--weight", required=True, help=".npy of W, [out, in]")
    ap.add_argument("--bias", required=True, help=".npy of b, [out]")
    ap.add_argument("--relu", action="store_true")
    ap.add_argument("--token", default="", help="bearer token the calls must carry")
    args = ap.parse_args()

    sys.path.insert(0, args.stubs)
    import grpc
    import grpc_predict_v2_pb2 as pb
    import grpc_predict_v2_pb2_grpc as pb_grpc

    weight = np.load(args.weight).astype(np.float32)
    bias = np.load(args.bias).astype(np.float32)
    input_shape = parse_shape(args.input_shape)
    output_shape = [input_shape[0], weight.shape[0]]

    def authorized(context):
        if not args.token:
            return True
        metadata = dict(context.invocation_metadata())
        if metadata.get("authorization") == "Bearer " + args.token:
            return True
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token")
        return False

    def known(name, version):
        return name == args.model and version in ("", args.version)

    class Service(pb_grpc.GRPCInferenceServiceServicer):
        def ServerLive(self, request, context):
            authorized(context)
            return pb.ServerLiveResponse(live=True)

        def ServerReady(self, request, context):
            authorized(context)
            return pb.ServerReadyResponse(ready=True)

        def ModelReady(self, request, context):
            authorized(context)
            return pb.ModelReadyResponse(ready=known(request.name, request.version))

        def ServerMetadata(self, request, context):
            authorized(context)
            return pb.ServerMetadataResponse(name="numpy-kserve", version="0.1")

        def ModelMetadata(self, request, context):
            authorized(context)
            if not known(request.name, request.version):
                context.abort(grpc.StatusCode.NOT_FOUND, "no model %r version %r" %
                              (request.name, request.version))
            tm = pb.ModelMetadataResponse.TensorMetadata
            return pb.ModelMetadataResponse(
                name=args.model, versions=[args.version], platform="numpy",
                inputs=[tm(name=args.input, datatype="FP32", shape=input_shape)],
                outputs=[tm(name=args.output, datatype="FP32", shape=output_shape)])

        def ModelInfer(self, request, context):
            authorized(context)
            if not known(request.model_name, request.model_version):
                context.abort(grpc.StatusCode.NOT_FOUND, "no model %r version %r" %
                              (request.model_name, request.model_version))
            if len(request.inputs) != 1 or request.inputs[0].name != args.input:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              "expected the one input %r" % args.input)
            tensor = request.inputs[0]
            if tensor.datatype != "FP32":
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected FP32")
            shape = list(tensor.shape)
            if request.raw_input_contents:
                x = np.frombuffer(request.raw_input_contents[0], dtype="<f4")
            else:
                x = np.array(tensor.contents.fp32_contents, dtype=np.float32)
            if x.size != int(np.prod(shape)):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "contents do not match the shape")
            x = x.reshape(shape[0], -1)
            y = x @ weight.T + bias
            if args.relu:
                y = np.maximum(y, 0)
            y = y.astype("<f4")
            out = pb.ModelInferResponse.InferOutputTensor(name=args.output, datatype="FP32",
                                                          shape=list(y.shape))
            return pb.ModelInferResponse(model_name=args.model, model_version=args.version,
                                         id=request.id, outputs=[out],
                                         raw_output_contents=[y.tobytes()])

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(Service(), server)
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    server.start()
    print("PORT %d" % port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
