#!/usr/bin/env python3
"""Exports torchvision reference architectures to ONNX (opset 17) for local checks and benchmarks.

Offline: weights are random but seeded (pretrained weights cannot be downloaded here); the graphs
are exactly torchvision's, so node names such as /layer4/layer4.0/Add_output_0 match the study's.
Uses Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).

    /usr/bin/python3 scripts/export_torchvision.py resnet18 resnet50 fcn_resnet50 -o build/ref-models
"""
import argparse
import os
import sys

import torch
import torchvision

SIZES = {"fcn_resnet50": 224, "fcn_resnet101": 224}


def build(name):
    torch.manual_seed(0)
    if name.startswith("fcn_"):
        model = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None,
                                                               aux_loss=False)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    model.eval()
    # Realistic BatchNorm statistics so activations (and int8 ranges) look like a trained model's.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="torchvision model names, e.g. resnet18 resnet50 fcn_resnet50")
    parser.add_argument("-o", "--out", default="build/ref-models")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.models:
        path = os.path.join(args.out, name + ".onnx")
        if os.path.exists(path):
            print(f"{path} exists; skipping")
            continue
        model = build(name)
        size = SIZES.get(name, 224)
        if name.startswith("fcn_"):
            model = OutOnly(model)
        dummy = torch.randn(1, 3, size, size)
        torch.onnx.export(model, dummy, path + ".tmp", opset_version=args.opset, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
        os.replace(path + ".tmp", path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
