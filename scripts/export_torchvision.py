#!/usr/bin/env python3
"""Exports torchvision reference architectures to ONNX: the study's models and a zoo across families.

Offline: weights are random but seeded (pretrained weights cannot be downloaded here); the graphs
are exactly torchvision's, so node names such as /layer4/layer4.0/Add_output_0 match the study's.
Each model can be exported with torchvision's plain initialisation (BatchNorm mean 0, variance 1:
equal initializers that torch.onnx.export shares through Identity nodes) or with trained-like
BatchNorm statistics (activations and int8 ranges look like a trained model's), at any opset and
input size. Uses Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).

    /usr/bin/python3 scripts/export_torchvision.py resnet18 resnet50 fcn_resnet50 -o build/ref-models
    /usr/bin/python3 scripts/export_torchvision.py --zoo --init both --opset 13 17 -o build/zoo
    /usr/bin/python3 scripts/export_torchvision.py --quick -o build/zoo-quick   # what the tests use

File names: <arch>.onnx for the defaults (trained-like, opset 17, the architecture's own size),
otherwise <arch>-<init>-op<opset>-<size>px.onnx. Every file gets a sidecar <file>.json with its
task only, so preprocessing stays edgetier's defaults (as for a user's own model without one).
"""
import argparse
import json
import os
import sys

import torch
import torchvision

# The zoo: at least one architecture per family a user brings. (name, task, input size).
ZOO = [
    ("resnet50", "classify", 224),
    ("resnext50_32x4d", "classify", 224),
    ("wide_resnet50_2", "classify", 224),
    ("mobilenet_v2", "classify", 224),
    ("mobilenet_v3_large", "classify", 224),
    ("efficientnet_b0", "classify", 224),
    ("regnet_y_400mf", "classify", 224),
    ("densenet121", "classify", 224),
    ("googlenet", "classify", 224),
    ("inception_v3", "classify", 299),
    ("shufflenet_v2_x1_0", "classify", 224),
    ("squeezenet1_1", "classify", 224),
    ("vgg11_bn", "classify", 224),
    ("convnext_tiny", "classify", 224),
    ("vit_b_16", "classify", 224),
    ("swin_t", "classify", 224),
    ("fcn_resnet50", "segment", 224),
    ("deeplabv3_mobilenet_v3_large", "segment", 224),
    ("lraspp_mobilenet_v3_large", "segment", 224),
]

# The CI subset: small architectures of different families at a reduced input size, each with
# its own initialisation and opset so both kinds of each are covered: (name, task, size, init, opset).
QUICK = [
    ("resnet18", "classify", 64, "plain", 13),
    ("mobilenet_v2", "classify", 64, "trained", 17),
    ("shufflenet_v2_x0_5", "classify", 64, "plain", 17),
    ("squeezenet1_1", "classify", 64, "trained", 13),
    ("lraspp_mobilenet_v3_large", "segment", 64, "plain", 13),
]

SEGMENTERS = ("fcn_", "deeplabv3_", "lraspp_")


def build(name, init, size):
    torch.manual_seed(0)
    if name.startswith(SEGMENTERS):
        kwargs = dict(weights=None, weights_backbone=None)
        if not name.startswith("lraspp_"):
            kwargs["aux_loss"] = False
        model = getattr(torchvision.models.segmentation, name)(**kwargs)
    elif name.startswith("vit_"):
        model = getattr(torchvision.models, name)(weights=None, image_size=size)
    elif name in ("googlenet", "inception_v3"):
        model = getattr(torchvision.models, name)(weights=None, aux_logits=False, init_weights=True)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    model.eval()
    if init == "trained":
        trained_like(model)
    return model


def trained_like(model):
    """Trained-like BatchNorm statistics drawn from torch's current seed: activations and int8
    ranges look like a trained model's."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


class OutOnly(torch.nn.Module):
    """Segmentation models return a dict; export only its 'out' tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def export(name, task, size, init, opset, out_dir, default_name):
    if default_name:
        stem = name
    else:
        stem = f"{name}-{init}-op{opset}-{size}px"
    path = os.path.join(out_dir, stem + ".onnx")
    if os.path.exists(path):
        print(f"{path} exists; skipping")
        return path
    model = build(name, init, size)
    if name.startswith(SEGMENTERS):
        model = OutOnly(model)
    dummy = torch.randn(1, 3, size, size)
    torch.onnx.export(model, dummy, path + ".tmp", opset_version=opset, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    with open(path + ".json.tmp", "w") as f:
        json.dump({"task": task, "provenance": {"architecture": f"torchvision {name}", "init": init,
                                                "opset": opset, "input_size": size}}, f, indent=2)
    os.replace(path + ".json.tmp", path[:-len(".onnx")] + ".json")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="torchvision model names, e.g. resnet18 resnet50 fcn_resnet50")
    parser.add_argument("--zoo", action="store_true", help="export the zoo (%d architectures)" % len(ZOO))
    parser.add_argument("--quick", action="store_true", help="export the CI subset at a reduced size")
    parser.add_argument("--init", choices=["plain", "trained", "both"], default="trained")
    parser.add_argument("--opset", type=int, nargs="+", default=[17])
    parser.add_argument("--size", type=int, default=0, help="input size in pixels (default: the architecture's)")
    parser.add_argument("--list", action="store_true", help="print the zoo and the quick subset and exit")
    parser.add_argument("-o", "--out", default="build/ref-models")
    args = parser.parse_args()
    if args.list:
        for name, task, size in ZOO:
            print(f"zoo   {name:32s} {task:9s} {size}px")
        for name, task, size, init, opset in QUICK:
            print(f"quick {name:32s} {task:9s} {size}px {init} opset {opset}")
        return 0
    entries = []
    if args.zoo:
        entries += ZOO
    known = {n: (t, s) for n, t, s in ZOO}
    known.update({q[0]: (q[1], q[2]) for q in QUICK})
    for name in args.models:
        task = "segment" if name.startswith(SEGMENTERS) else "classify"
        entries.append((name, task, known.get(name, (task, 224))[1]))
    if not entries and not args.quick:
        parser.error("name at least one model, or --zoo / --quick")
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    inits = ["plain", "trained"] if args.init == "both" else [args.init]
    plain_names = not (args.zoo or args.quick) and inits == ["trained"] and args.opset == [17] and not args.size
    for name, task, size in entries:
        for init in inits:
            for opset in args.opset:
                export(name, task, args.size or size, init, opset, args.out, plain_names)
    if args.quick:
        for name, task, size, init, opset in QUICK:
            export(name, task, size, init, opset, args.out, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
