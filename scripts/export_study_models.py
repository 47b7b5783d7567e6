#!/usr/bin/env python3
"""Exports the study's four architectures to ONNX, with seeded random weights.

    /usr/bin/python3 scripts/export_study_models.py -o build/study-models

writes, each with a sidecar <file>.json (task, classes, provenance):
  wide_resnet101_2.onnx      torchvision Wide-ResNet-101-2, 224x224, opset 17
  resnext101_64x4d.onnx      torchvision ResNeXt-101 64x4d, 224x224, opset 17
  fcn_resnet101.onnx         torchvision FCN-ResNet101 (21 classes), opset 17
  fcn_resnet101-op11.onnx    the same at opset 11 with numeric tensor names, as the ONNX Model
                             Zoo file the study used has (needs Debian's python3-onnx)
  resnet101_duc.onnx         ResNet-101-DUC after the ONNX Model Zoo graph: a dilated ResNet-101
                             trunk (output stride 8) and the DUC head, a conv to 19 x 8 x 8
                             channels then depth-to-space to 19 Cityscapes classes at full size

The torchvision graphs are torchvision's own, so tensor names such as
/layer3/layer3.16/Add_output_0 (the study's cut) and /layer4/layer4.0/Add_output_0 ->
/layer4/layer4.2/Add_output_0 (its exit) exist as the study names them. The study ran FCN at its
native size and DUC at 800x800; this machine has 2 cores, so the defaults are scaled down
(--fcn-size, --duc-size; the DUC size must be a multiple of 8). Weights are random (pretrained
weights cannot be downloaded here) with trained-like BatchNorm statistics (--init plain for
torchvision's own initialisation): latency is meaningful, accuracy is not. Uses Debian's
python3-torch and python3-torchvision (run with /usr/bin/python3).
"""
import argparse
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchvision as tv  # noqa: E402  (the shared build and BatchNorm initialisation)

CITYSCAPES_CLASSES = 19
DUC_FACTOR = 8  # the trunk's output stride: depth-to-space by 8 restores the input size


class ResNet101DUC(torch.nn.Module):
    """Dilated ResNet-101 (strides of layer3 and layer4 replaced by dilation 2 and 4) and the
    dense upsampling convolution head: conv 3x3 to classes * 8 * 8 channels, BatchNorm, ReLU,
    then depth-to-space (PixelShuffle, exported as DepthToSpace) to classes x H x W."""

    def __init__(self, classes=CITYSCAPES_CLASSES, factor=DUC_FACTOR):
        super().__init__()
        # Named like torchvision's ResNet so the trunk's tensors read /backbone/layer4/...
        self.backbone = torchvision.models.resnet101(
            weights=None, replace_stride_with_dilation=[False, True, True])
        self.duc = torch.nn.Sequential(
            torch.nn.Conv2d(2048, classes * factor * factor, kernel_size=3, padding=1, bias=False),
            torch.nn.BatchNorm2d(classes * factor * factor),
            torch.nn.ReLU(inplace=True))
        self.to_pixels = torch.nn.PixelShuffle(factor)

    def forward(self, x):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        return self.to_pixels(self.duc(x))


def write_sidecar(path, task, classes, provenance):
    sidecar = path[:-len(".onnx")] + ".json"
    with open(sidecar + ".tmp", "w") as f:
        json.dump({"task": task, "provenance": dict(provenance, classes=classes)}, f, indent=2)
    os.replace(sidecar + ".tmp", sidecar)


def numeric_names(path):
    """Renames every intermediate tensor to a number (inputs, outputs and initializers keep
    their names), as the ONNX Model Zoo's older exports have them."""
    try:
        import onnx
    except ImportError:
        sys.exit("numeric tensor names need Debian's python3-onnx: apt install python3-onnx")
    model = onnx.load(path)
    g = model.graph
    keep = {v.name for v in g.input} | {v.name for v in g.output} | {t.name for t in g.initializer}
    renamed = {}
    for node in g.node:
        for i, out in enumerate(node.output):
            if out and out not in keep:
                renamed[out] = str(len(renamed) + 1)
                node.output[i] = renamed[out]
    for node in g.node:
        for i, name in enumerate(node.input):
            if name in renamed:
                node.input[i] = renamed[name]
        node.name = ""  # the zoo's nodes are unnamed too
    for v in g.value_info:
        if v.name in renamed:
            v.name = renamed[v.name]
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export(model, size, opset, path, task, classes, provenance, numeric=False):
    if os.path.exists(path):
        print(f"{path} exists; skipping")
        return
    if numeric:
        try:
            import onnx  # noqa: F401  (checked before minutes of export, and no .tmp left behind)
        except ImportError:
            sys.exit("numeric tensor names need Debian's python3-onnx: apt install python3-onnx")
    model.eval()
    tmp = path + ".tmp"
    dummy = torch.randn(1, 3, size, size)
    torch.onnx.export(model, dummy, tmp, opset_version=opset, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    if numeric:
        numeric_names(tmp)
    provenance = dict(provenance, opset=opset, input_size=size)
    write_sidecar(path, task, classes, provenance)
    os.replace(tmp, path)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--out", default="build/study-models")
    parser.add_argument("--init", choices=["plain", "trained"], default="trained")
    parser.add_argument("--fcn-size", type=int, default=224,
                        help="FCN input size in pixels (the study: native image size)")
    parser.add_argument("--duc-size", type=int, default=256,
                        help="DUC input size in pixels, a multiple of 8 (the study: 800)")
    parser.add_argument("--only", nargs="+", default=None,
                        help="export only these: wide_resnet101_2 resnext101_64x4d "
                             "fcn_resnet101 fcn_resnet101-op11 resnet101_duc")
    args = parser.parse_args()
    if args.duc_size % DUC_FACTOR:
        parser.error(f"--duc-size {args.duc_size} is not a multiple of {DUC_FACTOR}")
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    wanted = lambda name: args.only is None or name in args.only  # noqa: E731
    out = lambda stem: os.path.join(args.out, stem + ".onnx")  # noqa: E731
    init = {"init": args.init, "weights": "random, seed 0"}

    for name in ("wide_resnet101_2", "resnext101_64x4d"):
        if wanted(name):
            export(tv.build(name, args.init, 224), 224, 17, out(name), "classify", 1000,
                   dict(init, architecture=f"torchvision {name}"))
    for stem, opset, numeric in (("fcn_resnet101", 17, False), ("fcn_resnet101-op11", 11, True)):
        if wanted(stem):
            export(tv.Outputs(tv.build("fcn_resnet101", args.init, args.fcn_size), lambda r: r["out"]),
                   args.fcn_size,
                   opset, out(stem), "segment", 21,
                   dict(init, architecture="torchvision fcn_resnet101",
                        tensor_names="numeric" if numeric else "torchvision"),
                   numeric=numeric)
    if wanted("resnet101_duc"):
        torch.manual_seed(0)
        duc = ResNet101DUC()
        if args.init == "trained":
            torch.manual_seed(0)  # the statistics are drawn from seed 0, as before
            tv.trained_like(duc)
        export(duc, args.duc_size, 17, out("resnet101_duc"), "segment", CITYSCAPES_CLASSES,
               dict(init, architecture="ResNet-101-DUC after the ONNX Model Zoo graph "
                                       "(dilated ResNet-101, output stride 8, DUC head)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
