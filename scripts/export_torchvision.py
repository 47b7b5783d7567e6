#!/usr/bin/env python3
"""Exports torchvision reference architectures to ONNX: the study's models, a zoo across families and
public detectors.

Offline: weights are random but seeded (pretrained weights cannot be downloaded here); the graphs
are exactly torchvision's, so node names such as /layer4/layer4.0/Add_output_0 match the study's.
Each model can be exported with torchvision's plain initialisation (BatchNorm mean 0, variance 1:
equal initializers that torch.onnx.export shares through Identity nodes) or with trained-like
BatchNorm statistics (activations and int8 ranges look like a trained model's), at any opset and
input size. Uses Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).

    /usr/bin/python3 scripts/export_torchvision.py resnet18 resnet50 fcn_resnet50 -o build/ref-models
    /usr/bin/python3 scripts/export_torchvision.py --zoo --init both --opset 13 17 -o build/zoo
    /usr/bin/python3 scripts/export_torchvision.py --quick -o build/zoo-quick   # what the tests use
    /usr/bin/python3 scripts/export_torchvision.py --detect --init both --opset 13 17 -o build/det-zoo
    /usr/bin/python3 scripts/export_torchvision.py --detect-quick -o build/det-quick

File names: <arch>.onnx for the defaults (trained-like, opset 17, the architecture's own size),
otherwise <arch>-<init>-op<opset>-<size>px.onnx. Every classifier and segmenter gets a sidecar
<file>.json with its task only, so preprocessing stays edgetier's defaults (as for a user's own
model without one).

Detectors (task detect) get a sidecar with their preprocessing and output format:
  - torchvision ssdlite320_mobilenet_v3_large and retinanet_resnet50_fpn (the latter at a reduced
    min_size = max_size = its export size instead of 800/1333): NMS inside the graph, outputs
    boxes [N, 4] (x1, y1, x2, y2 in input pixels), scores [N], labels [N] (COCO category ids,
    91-way with background 0), at most 100 per image, score > 0.001 for retinanet (a random head
    scores near its 0.01 prior; torchvision's 0.05 would leave no box) and torchvision's own 0.001
    for SSDlite. They take RGB in [0, 1] and normalise inside the graph, so the sidecar declares
    mean 0, std 1 at the export size; the in-graph resize and batch padding (identities at that
    size) are left out so every feature map keeps a static shape.
  - yolo_style_n / yolo_style_s: the demo detector's architecture (scripts/train_demo_detector.py)
    at 80 classes, widths 16..128 / 32..256, random init, raw head output0 [1, 4 + 80, A]
    without NMS (YOLOv8 layout), ImageNet normalisation as the demo models.
"""
import argparse
import fcntl
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

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

# Public detectors: (name, input size). torchvision's are NMS-in-graph; yolo_style_* raw heads.
DETECTORS = [
    ("ssdlite320_mobilenet_v3_large", 320),
    ("retinanet_resnet50_fpn", 320),
    ("yolo_style_n", 320),
    ("yolo_style_s", 320),
]
# YOLO-style raw-head models: the demo detector's architecture at other widths, 80 classes.
YOLO_STYLE = {"yolo_style_n": dict(widths=(16, 32, 64, 128), neck_width=64),
              "yolo_style_s": dict(widths=(32, 64, 128, 256), neck_width=128)}
YOLO_CLASSES = 80
# The CI subset of detectors: a few MB each, exported in seconds: (name, size, init, opset).
# (retinanet_resnet50_fpn is ~130 MB at any input size, so it is in --detect only.)
DETECT_QUICK = [
    ("ssdlite320_mobilenet_v3_large", 320, "plain", 13),
    ("yolo_style_n", 128, "trained", 17),
    ("yolo_style_n", 128, "plain", 13),
]
# At most this many boxes per image (COCO's maxDets; torchvision's own default is 300).
MAX_DETECTIONS = 100


def is_detector(name):
    return name in YOLO_STYLE or name.startswith(("ssd", "retinanet_", "fasterrcnn_", "fcos_"))


def build(name, init, size):
    torch.manual_seed(0)
    if name in YOLO_STYLE:
        from train_demo_detector import Detector  # the demo detector's architecture
        model = Detector(num_classes=YOLO_CLASSES, size=size, **YOLO_STYLE[name])
    elif name.startswith("retinanet_"):
        # Reduced resize bounds (800/1333 by default) so the graph exports and runs here; a
        # random head scores near its 0.01 prior, so the threshold sits below it to keep boxes.
        model = getattr(torchvision.models.detection, name)(
            weights=None, weights_backbone=None, min_size=size, max_size=size, score_thresh=0.001,
            detections_per_img=MAX_DETECTIONS)
    elif is_detector(name):
        model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None,
                                                            detections_per_img=MAX_DETECTIONS)
    elif name.startswith(SEGMENTERS):
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
    if is_detector(name) and name not in YOLO_STYLE:
        fixed_size(model)
    model.eval()
    if init == "trained":
        trained_like(model)
    return model


def fixed_size(model):
    """The input has the export size, where torchvision's in-graph resize and batch padding are
    identities; traced, they still compute sizes from shapes and leave every feature map's shape
    unknown to shape inference (no cut bytes, no MACs). Skipping them keeps the shapes static;
    normalisation, anchors, NMS and the box postprocessing stay torchvision's."""
    model.transform.resize = lambda image, target=None: (image, target)
    model.transform.batch_images = lambda images, size_divisible=32: torch.stack(images)
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


class Outputs(torch.nn.Module):
    """Exports the tensors `pick` takes from the model's result: segmentation models return a dict
    (its 'out'), torchvision detectors a list of dicts (the one image's boxes, scores, labels)."""

    def __init__(self, model, pick):
        super().__init__()
        self.model = model
        self.pick = pick

    def forward(self, x):
        return self.pick(self.model(x))


def detect_sidecar(name, size):
    """Preprocessing and output format of a detector, in the keys edgetier's sidecars use."""
    if name in YOLO_STYLE:
        mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
        detection = {"format": "yolo", "outputs": ["output0"], "num_classes": YOLO_CLASSES,
                     "score_threshold": 0.25, "iou_threshold": 0.45, "max_detections": MAX_DETECTIONS}
    else:  # torchvision: [0, 1] in, GeneralizedRCNNTransform normalises inside the graph
        mean, std = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
        detection = {"format": "boxes", "outputs": ["boxes", "scores", "labels"], "label_space": "category_id"}
    preprocess = {"input_name": "input", "height": size, "width": size, "resize_shorter": 0,
                  "center_crop": False, "mean": mean, "std": std, "layout": "NCHW", "bgr": False,
                  "dtype": "float32"}
    return {"preprocess": preprocess, "detection": detection}


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
    outputs, card = ["output"], {"task": task}
    dummy = torch.randn(1, 3, size, size)
    if name.startswith(SEGMENTERS):
        model = Outputs(model, lambda result: result["out"])
    elif name in YOLO_STYLE:
        outputs = ["output0"]
        card.update(detect_sidecar(name, size))
    elif task == "detect":
        model = Outputs(model, lambda result: (result[0]["boxes"], result[0]["scores"], result[0]["labels"]))
        outputs = ["boxes", "scores", "labels"]
        card.update(detect_sidecar(name, size))
        dummy = torch.rand(1, 3, size, size)  # an image in [0, 1], as the model expects
    torch.onnx.export(model, dummy, path + ".tmp", opset_version=opset, input_names=["input"],
                      output_names=outputs, do_constant_folding=True)
    architecture = f"edgetier demo detector layout ({name})" if name in YOLO_STYLE else f"torchvision {name}"
    card["provenance"] = {"architecture": architecture, "init": init, "opset": opset, "input_size": size}
    with open(path + ".json.tmp", "w") as f:
        json.dump(card, f, indent=2)
    os.replace(path + ".json.tmp", path[:-len(".onnx")] + ".json")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="torchvision model names, e.g. resnet18 resnet50 fcn_resnet50")
    parser.add_argument("--zoo", action="store_true", help="export the zoo (%d architectures)" % len(ZOO))
    parser.add_argument("--quick", action="store_true", help="export the CI subset at a reduced size")
    parser.add_argument("--detect", action="store_true", help="export the public detectors (%d)" % len(DETECTORS))
    parser.add_argument("--detect-quick", action="store_true", help="export the CI subset of detectors")
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
        for name, size in DETECTORS:
            print(f"detect {name:31s} detect    {size}px")
        for name, size, init, opset in DETECT_QUICK:
            print(f"detect-quick {name:25s} detect    {size}px {init} opset {opset}")
        return 0
    entries = []
    if args.zoo:
        entries += ZOO
    if args.detect:
        entries += [(name, "detect", size) for name, size in DETECTORS]
    known = {n: (t, s) for n, t, s in ZOO}
    known.update({q[0]: (q[1], q[2]) for q in QUICK})
    known.update({n: ("detect", s) for n, s in DETECTORS})
    for name in args.models:
        task = "detect" if is_detector(name) else "segment" if name.startswith(SEGMENTERS) else "classify"
        entries.append((name, task, known.get(name, (task, 224))[1]))
    if not entries and not args.quick and not args.detect_quick:
        parser.error("name at least one model, or --zoo / --quick / --detect / --detect-quick")
    os.makedirs(args.out, exist_ok=True)
    # Tests run in parallel processes may export into one folder: one export at a time, and the
    # later ones find the files made and skip them.
    lock = open(os.path.join(args.out, ".export.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    inits = ["plain", "trained"] if args.init == "both" else [args.init]
    plain_names = not (args.zoo or args.quick or args.detect or args.detect_quick) and inits == ["trained"] and args.opset == [17] and not args.size
    for name, task, size in entries:
        for init in inits:
            for opset in args.opset:
                export(name, task, args.size or size, init, opset, args.out, plain_names)
    if args.quick:
        for name, task, size, init, opset in QUICK:
            export(name, task, size, init, opset, args.out, False)
    if args.detect_quick:
        for name, size, init, opset in DETECT_QUICK:
            export(name, "detect", size, init, opset, args.out, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
