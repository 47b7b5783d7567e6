#!/usr/bin/python3
"""Trains edgetier's two demo models on the procedural shapes dataset and exports them to ONNX.

  demo_classifier: ResNet-style (stem conv 3x3/2 + maxpool, then 4 stages of 2 BasicBlocks,
                   widths 16/32/64/128, strides 1/2/2/2), global average pool, FC -> logits [1,10]
  demo_segmenter:  the same backbone with layer3 and layer4 dilated instead of strided (as
                   torchvision's FCN; output stride 8), an FCN head (3x3 conv-BN-ReLU-dropout, then
                   the 1x1 conv classifier to 11 classes) and bilinear upsampling to the input size
                   -> out [1,11,96,96]. Its backbone starts from the trained classifier's weights.

Module names follow torchvision (conv1, bn1, layer1..layer4 with blocks layerN.M, fc; the
segmenter nests them under backbone/ and classifier/ like torchvision's FCN), so exported tensor
names read /layer4/layer4.0/Add_output_0 or /backbone/layer4/layer4.1/Add_output_0.

The data comes from the built `edgetier data synth` binary (train and held-out sets with different
seeds), so the distribution is exactly the one the C++ side generates. Offline, seeded, 2 threads.
Run with Debian's torch (not a pyenv python):

    /usr/bin/python3 scripts/train_demo_models.py --edgetier build/edgetier --out models
"""
import argparse
import datetime
import json
import os
import platform
import random
import subprocess
import sys
import time

# Passive OpenMP waiting: on a machine shared with other builds, spinning threads waste the
# few cycles the training gets (set before torch loads its OpenMP runtime).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SIZE = 96


# --------------------------------------------------------------------------- architecture
def conv3x3(cin, cout, stride=1, dilation=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (same attribute names, so ONNX node names match)."""

    def __init__(self, cin, cout, stride=1, dilation=1):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride, dilation)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(cout, cout, 1, dilation)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Backbone(nn.Module):
    """torchvision's ResNet layout at small width: conv1 (3x3/2) + bn1 + relu + maxpool (3x3/2), then
    layer1..layer4 of 2 BasicBlocks each (strides 1/2/2/2). `replace_stride_with_dilation` works like
    torchvision's: a dilated stage keeps its resolution and dilates its convolutions instead."""

    def __init__(self, widths=(16, 32, 64, 128), replace_stride_with_dilation=(False, False, False)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        cin, dilation = widths[0], 1
        for i, (w, stride) in enumerate(zip(widths, (1, 2, 2, 2))):
            previous_dilation = dilation
            if i > 0 and replace_stride_with_dilation[i - 1]:
                dilation *= stride
                stride = 1
            # As torchvision's _make_layer: the first block keeps the previous dilation.
            blocks = [BasicBlock(cin, w, stride, previous_dilation), BasicBlock(w, w, 1, dilation)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            cin = w
        self.out_channels = cin

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class Classifier(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        backbone = Backbone()
        # Flat attributes (not self.backbone) so names match torchvision's resnet: /layer4/...
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            setattr(self, name, getattr(backbone, name))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(backbone.out_channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Segmenter(nn.Module):
    """FCN: backbone -> head -> bilinear upsampling to the input's own size (torchvision style)."""

    def __init__(self, num_classes=11):
        super().__init__()
        self.backbone = Backbone(replace_stride_with_dilation=(False, True, True))
        c = self.backbone.out_channels
        self.classifier = nn.Sequential(conv3x3(c, c // 2), nn.BatchNorm2d(c // 2), nn.ReLU(inplace=True),
                                        nn.Dropout(0.1), nn.Conv2d(c // 2, num_classes, 1))

    def forward(self, x):
        size = x.shape[-2:]
        y = self.classifier(self.backbone(x))
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)


# --------------------------------------------------------------------------- data
def run(cmd):
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def synth(edgetier, task, n, seed, out_dir):
    """Generates a dataset unless `out_dir` already holds one made by the same command and binary."""
    cmd = [edgetier, "data", "synth", "--task", task, "-n", str(n), "--size", str(SIZE), "--seed", str(seed),
           "-o", out_dir, "--force"]
    stamp_path = out_dir.rstrip("/") + ".stamp"
    stamp = " ".join(cmd) + f" mtime={os.path.getmtime(edgetier)}"
    if os.path.isdir(out_dir) and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print(f"= reusing {out_dir}", flush=True)
    else:
        run(cmd)
        with open(stamp_path, "w") as f:
            f.write(stamp)
    return " ".join(["edgetier"] + cmd[1:])


def load_images(dir_, names):
    arr = np.empty((len(names), SIZE, SIZE, 3), dtype=np.uint8)
    for i, name in enumerate(names):
        arr[i] = np.asarray(Image.open(os.path.join(dir_, name)).convert("RGB"))
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()  # N,3,H,W uint8


def load_classify(dir_):
    with open(os.path.join(dir_, "labels.csv")) as f:
        header = f.readline().strip()
        assert header == "file,label", header
        rows = [line.strip().split(",") for line in f if line.strip()]
    images = load_images(dir_, [r[0] for r in rows])
    labels = torch.tensor([int(r[1]) for r in rows], dtype=torch.long)
    return images, labels


def load_segment(dir_):
    names = sorted(os.listdir(os.path.join(dir_, "images")))
    images = load_images(os.path.join(dir_, "images"), names)
    masks = np.stack([np.asarray(Image.open(os.path.join(dir_, "masks", n))) for n in names])
    return images, torch.from_numpy(masks.astype(np.int64))


def normalize(x_uint8):
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    # channels_last makes oneDNN's convolutions ~4x faster on this CPU (measured: 39 -> 174 img/s).
    return ((x_uint8.float() / 255.0 - mean) / std).contiguous(memory_format=torch.channels_last)


def augment(x, y, gen, crop=0):
    """Random flips and 90-degree turns (every shape class is closed under them, so labels hold);
    with `crop`, one random crop x crop window per batch (segmentation is fully convolutional)."""
    x = x.clone()
    y = y.clone()
    ops = torch.randint(0, 8, (x.shape[0],), generator=gen)
    for i in range(x.shape[0]):
        k, flip = int(ops[i]) % 4, int(ops[i]) >= 4
        xi = torch.rot90(x[i], k, (1, 2))
        if flip:
            xi = torch.flip(xi, (2,))
        x[i] = xi
        if y.dim() == 3:
            yi = torch.rot90(y[i], k, (0, 1))
            if flip:
                yi = torch.flip(yi, (1,))
            y[i] = yi
    if crop:
        top, left = (int(v) for v in torch.randint(0, x.shape[-1] - crop + 1, (2,), generator=gen))
        x = x[:, :, top:top + crop, left:left + crop]
        y = y[:, top:top + crop, left:left + crop]
    return x, y


# --------------------------------------------------------------------------- train / eval
def evaluate(model, images, targets, task, batch=200):
    model.eval()
    num = 11 if task == "segment" else 10
    confusion = torch.zeros(num, num, dtype=torch.long)
    with torch.no_grad():
        for s in range(0, images.shape[0], batch):
            logits = model(normalize(images[s:s + batch]))
            pred = logits.argmax(1)
            t = targets[s:s + batch]
            confusion += torch.bincount((t * num + pred).flatten(), minlength=num * num).view(num, num)
    correct = confusion.diag().double()
    if task == "classify":
        return {"top1": float(correct.sum() / confusion.sum()), "confusion": confusion.tolist()}
    union = confusion.sum(0).double() + confusion.sum(1).double() - correct
    iou = correct / union.clamp(min=1)
    return {"miou": float(iou.mean()), "pixel_accuracy": float(correct.sum() / confusion.sum()),
            "iou": [float(v) for v in iou]}


def one_cycle(model, max_lr, steps, pct_start):
    """AdamW (weight decay 5e-4) under OneCycle from max_lr / 25: the demo models' optimiser."""
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr / 25, weight_decay=5e-4)
    return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps, pct_start=pct_start)


def run_epoch(model, opt, sched, count, batch, gen, step, log, label, log_every):
    """One pass over a random order of `count` samples in full batches; `step(indices)` returns the
    batch's loss and a note for the progress line. -> mean loss."""
    model.train()
    perm = torch.randperm(count, generator=gen)
    total, seen, t_epoch = 0.0, 0, time.time()
    for s in range(0, count - batch + 1, batch):
        loss, note = step(perm[s:s + batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        total += float(loss) * batch
        seen += batch
        if (s // batch) % log_every == log_every - 1:
            log(f"{label} step {s // batch + 1}: loss {total / seen:.4f} "
                f"({note}{seen / (time.time() - t_epoch):.0f} img/s)")
    return total / seen


def train(model, task, train_set, val_set, epochs, batch, max_lr, seed, log, crop=0):
    gen = torch.Generator().manual_seed(seed)
    model.to(memory_format=torch.channels_last)
    images, targets = train_set
    opt, sched = one_cycle(model, max_lr, epochs * (images.shape[0] // batch), pct_start=0.2)
    t0 = time.time()
    history = []

    def step(idx):
        x, y = augment(images[idx], targets[idx], gen, crop)
        return F.cross_entropy(model(normalize(x)), y), ""

    for epoch in range(epochs):
        loss = run_epoch(model, opt, sched, images.shape[0], batch, gen, step, log, f"{task} epoch {epoch + 1}", 20)
        metrics = evaluate(model, *val_set, task)
        key = "top1" if task == "classify" else "miou"
        history.append({"epoch": epoch + 1, "loss": loss, key: metrics[key],
                        "elapsed_s": round(time.time() - t0, 1)})
        log(f"{task} epoch {epoch + 1}/{epochs}: loss {loss:.4f}  val {key} {metrics[key]:.4f}  "
            f"({time.time() - t0:.0f} s)")
    return history, time.time() - t0


def export(model, path, output_name):
    model.eval()
    model.to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(1, 3, SIZE, SIZE)
    tmp = path + ".tmp"
    torch.onnx.export(model, dummy, tmp, opset_version=17, input_names=["input"], output_names=[output_name],
                      do_constant_folding=True)
    import onnx  # only needed here
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- provenance
def sidecar(task, classes, provenance):
    return {
        "task": task,
        "preprocess": {"input_name": "input", "height": SIZE, "width": SIZE, "resize_shorter": 0,
                       "center_crop": False, "mean": MEAN, "std": STD, "layout": "NCHW", "bgr": False,
                       "dtype": "float32"},
        "classes": classes,
        "provenance": provenance,
    }


def write_readme(out_dir):
    cards = {}
    for name in ("demo_classifier", "demo_segmenter", "demo_detector"):
        path = os.path.join(out_dir, name + ".json")
        if os.path.exists(path):
            with open(path) as f:
                cards[name] = json.load(f)
    lines = [
        "# Demo models",
        "",
        f"{('Two', 'Three')[len(cards) == 3]} small models trained without any pretrained weights on edgetier's "
        "procedural shapes dataset",
        "(`edgetier data synth`: textured backgrounds - value noise, stripes, gradients, checkerboards -",
        "with 1-3 shapes from 10 classes in random colours, sizes and rotations, with occlusion,",
        "shading, illumination gradients and pixel noise). They are the accuracy ground for the",
        "quantization, early-exit and partitioning experiments and for `make demo`.",
        "",
        "Made by `scripts/train_demo_models.py` (classifier, segmenter) and `scripts/train_demo_detector.py`",
        "(detector), with Debian's python3-torch, offline, fixed seeds, 2 threads. Rerun everything with:",
        "",
        "    /usr/bin/python3 scripts/train_demo_models.py --edgetier build/edgetier --out models",
        "    /usr/bin/python3 scripts/train_demo_detector.py --edgetier build/edgetier --out models",
        "",
        "## Preprocessing (all models)",
        "",
        f"Input `input`, float32, NCHW `[1, 3, {SIZE}, {SIZE}]`, RGB. No resize or crop (the images are",
        f"already {SIZE}x{SIZE}): scale to [0, 1], then subtract mean {MEAN} and divide by std {STD}",
        "(ImageNet statistics). The same recipe is in each model's sidecar `<name>.json` under",
        "`preprocess`, with the keys of `runtime/preprocess.h` (`preprocess_from_json` reads it).",
        "",
        "## Tensor names",
        "",
        "Module names follow torchvision, so the study's cut points and early-exit skips map 1:1:",
        "the classifier has torchvision resnet18's 49-node layout (`/layer1/layer1.0/Add_output_0` ...",
        "`/layer4/layer4.1/relu_1/Relu_output_0`, `/avgpool/...`, `/fc/Gemm`), the segmenter",
        "torchvision FCN's (`/backbone/layer4/layer4.1/Add_output_0`, `/classifier/classifier.4/Conv`, then",
        "the Shape -> Slice -> Concat side branch feeding `Resize`), the detector nests its parts under",
        "backbone/, neck/ and head/ (`/backbone/layer2/layer2.1/Add_output_0` is its last single-tensor cut",
        "before the FPN reads layer2..layer4; later cuts cross several tensors, e.g. the neck's two levels;",
        "each backbone BasicBlock is a skip candidate). `edgetier inspect -v MODEL` lists every cut and",
        "skip candidate.",
        "",
        "## Models",
        "",
        "| model | task | output | parameters | file size | fp32 accuracy (held-out) |",
        "|---|---|---|---|---|---|",
    ]
    for name, card in cards.items():
        p = card["provenance"]
        if card["task"] == "detect":  # COCO mAP, already in points
            accuracy = f"mAP50 = {p['heldout']['map50']:.2f}, mAP = {p['heldout']['map']:.2f}"
        else:
            accuracy = f"{p['metric']} = {p['heldout'][p['metric']] * 100:.2f}%"
        lines.append(f"| `{name}.onnx` | {card['task']} | `{p['output']}` {p['output_shape']} | "
                     f"{p['parameters']:,} | {p['onnx_bytes'] / 1e6:.2f} MB | {accuracy} |")
    for name, card in cards.items():
        p = card["provenance"]
        if card["task"] == "detect":
            lines += detector_card(name, card)
            continue
        lines += ["", f"### {name}", "", p["architecture"], "",
                  f"- training data: `{p['train_command']}`",
                  f"- held-out data: `{p['heldout_command']}` (different seed)",
                  f"- training: {p['epochs']} epochs, batch {p['batch']}, AdamW + OneCycle (max lr {p['max_lr']}, "
                  f"weight decay 5e-4), augmentation: {p['augmentation']}; torch seed {p['torch_seed']}, "
                  f"{p['threads']} threads",
                  f"- initialisation: {p['init']}",
                  f"- training time: {p['train_seconds']:.0f} s on {p['machine']}",
                  f"- torch {p['torch_version']}, ONNX opset 17, exported {p['date']}"]
        if card["task"] == "classify":
            lines.append(f"- held-out top-1: {p['heldout']['top1'] * 100:.2f}% "
                         f"({p['heldout_count']} images)")
        else:
            iou = ", ".join(f"{c} {v * 100:.1f}" for c, v in zip(card["classes"], p["heldout"]["iou"]))
            lines.append(f"- held-out mIoU over 11 classes (background included): "
                         f"{p['heldout']['miou'] * 100:.2f}%; pixel accuracy "
                         f"{p['heldout']['pixel_accuracy'] * 100:.2f}% ({p['heldout_count']} images)")
            lines.append(f"- per-class IoU (%): {iou}")
        lines.append("- per-epoch validation: " + ", ".join(
            f"{h['epoch']}: {h[p['metric']] * 100:.1f}" for h in p["history"]))
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def detector_card(name, card):
    """The detector's README section (its metric is COCO mAP in points, its output needs decoding)."""
    p, d, h = card["provenance"], card["detection"], card["provenance"]["heldout"]
    ap = ", ".join(f"{c} {v:.1f}" for c, v in h["category_ap"].items())
    history = ", ".join(f"{e['epoch']}: {e['map50']:.1f}/{e['map']:.1f}" for e in p["history"] if "map" in e)
    return ["", f"### {name}", "", p["architecture"], "",
            f"- output `{p['output']}` {p['output_shape']}, no NMS in the graph; the sidecar's `detection` block "
            f"(format {d['format']}, {d['num_classes']} classes, score > {d['score_threshold']}, NMS IoU "
            f"{d['iou_threshold']}, at most {d['max_detections']} boxes) tells edgetier how to decode it",
            f"- training data: `{p['train_command']}` ({p['train_objects']} objects)",
            f"- held-out data: `{p['heldout_command']}` (different seed, {p['heldout_objects']} objects)",
            f"- training: {p['epochs']} epochs, batch {p['batch']}, AdamW + OneCycle (max lr {p['max_lr']}, "
            f"weight decay 5e-4), loss: {p['loss']}, augmentation: {p['augmentation']}; torch seed "
            f"{p['torch_seed']}, {p['threads']} threads",
            f"- initialisation: {p['init']}",
            f"- training time: {p['train_seconds']:.0f} s on {p['machine']} (including the validation passes)",
            f"- torch {p['torch_version']}, ONNX opset {p['opset']}, exported {p['date']}",
            f"- held-out COCO mAP ({p['heldout_count']} images, decoded as edgetier decodes: best class per cell, "
            f"score > {h['score_threshold']}, class-aware NMS at IoU {h['nms_iou_threshold']}, at most "
            f"{h['max_detections']} per image; scored by `{h['evaluator']}`): mAP@0.5 = {h['map50']:.2f}, "
            f"mAP@0.75 = {h['map75']:.2f}, mAP@[.5:.95] = {h['map']:.2f} (small {h['map_small']:.2f}, medium "
            f"{h['map_medium']:.2f}); at the deployment threshold score > "
            f"{p['heldout_at_score_threshold']['score_threshold']}: mAP@0.5 = "
            f"{p['heldout_at_score_threshold']['map50']:.2f}, mAP@[.5:.95] = "
            f"{p['heldout_at_score_threshold']['map']:.2f}",
            f"- per-class AP@[.5:.95]: {ap}",
            f"- validation mAP@0.5/mAP@[.5:.95] by epoch (first {p['history'][-1].get('val_images', 0)} held-out "
            f"images): {history}"]


# --------------------------------------------------------------------------- main
def add_common_args(ap, train_n):
    """The options every demo training script takes (data sets, seeds, threads, folders)."""
    ap.add_argument("--edgetier", default="build/edgetier", help="built edgetier binary")
    ap.add_argument("--out", default="models", help="where the .onnx, sidecars and README.md go")
    ap.add_argument("--data", default="build/demo-data", help="scratch folder for the generated datasets")
    ap.add_argument("--train-n", type=int, default=train_n)
    ap.add_argument("--heldout-n", type=int, default=1000)
    ap.add_argument("--train-seed", type=int, default=1)
    ap.add_argument("--heldout-seed", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0, help="torch seed")
    ap.add_argument("--threads", type=int, default=2)


def prepare(args):
    """Threads, folders and the edgetier binary -> (its absolute path, a timestamped logger)."""
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.data, exist_ok=True)
    edgetier = os.path.abspath(args.edgetier)
    if not os.access(edgetier, os.X_OK):
        sys.exit(f"error: no edgetier binary at '{args.edgetier}'; build it first (ninja -C build edgetier) "
                 "or pass --edgetier PATH")

    def log(msg):
        print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)

    return edgetier, log


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, train_n=6000)
    ap.add_argument("--task", choices=["classify", "segment", "both"], default="both")
    ap.add_argument("--epochs-classify", type=int, default=14)
    ap.add_argument("--epochs-segment", type=int, default=5)
    ap.add_argument("--crop-segment", type=int, default=64, help="segmenter training crop (0 = whole image)")
    ap.add_argument("--readme-only", action="store_true", help="only rewrite README.md from the sidecars")
    args = ap.parse_args()
    if args.readme_only:
        write_readme(args.out)
        return 0

    edgetier, log = prepare(args)
    tasks = ["classify", "segment"] if args.task == "both" else [args.task]
    for task in tasks:
        seed_everything(args.seed)
        train_dir = os.path.join(args.data, f"{task}-train")
        held_dir = os.path.join(args.data, f"{task}-heldout")
        train_cmd = synth(edgetier, task, args.train_n, args.train_seed, train_dir)
        held_cmd = synth(edgetier, task, args.heldout_n, args.heldout_seed, held_dir)
        loader = load_classify if task == "classify" else load_segment
        train_set, held_set = loader(train_dir), loader(held_dir)
        log(f"{task}: loaded {train_set[0].shape[0]} training and {held_set[0].shape[0]} held-out images")
        checkpoint = os.path.join(args.data, "demo_classifier.pt")
        crop, init = 0, "random (PyTorch defaults)"
        augmentation = "random flips and 90-degree turns"
        if task == "classify":
            model, name, output, epochs, max_lr = Classifier(), "demo_classifier", "logits", args.epochs_classify, 4e-3
            out_shape, metric = [1, 10], "top1"
            arch = ("ResNet-style classifier (torchvision resnet layout, small widths): conv1 3x3/2 (16) + bn1 + "
                    "relu + maxpool 3x3/2; layer1..layer4 of 2 BasicBlocks each (widths 16/32/64/128, strides "
                    "1/2/2/2); global average pool; fc -> 10 logits.")
        else:
            model, name, output, epochs, max_lr = Segmenter(), "demo_segmenter", "out", args.epochs_segment, 2e-3
            out_shape, metric = [1, 11, SIZE, SIZE], "miou"
            arch = ("FCN-style segmenter (torchvision FCN layout): the classifier's backbone under backbone/ with "
                    "layer3 and layer4 dilated instead of strided (replace_stride_with_dilation=[False, True, "
                    "True], output stride 8, 12x12 logits at 96x96), head classifier.0..4 = 3x3 conv (64) + BN + "
                    "ReLU + dropout 0.1 + 1x1 conv to 11 classes, then bilinear upsampling (F.interpolate to "
                    "the input's own size, align_corners=False).")
            crop = args.crop_segment
            if crop:
                augmentation += f", one random {crop}x{crop} crop per batch"
            if os.path.exists(checkpoint):
                state = torch.load(checkpoint)
                model.backbone.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")})
                init = "backbone from the trained demo_classifier (same weights shapes; dilation only)"
            else:
                log(f"warning: {checkpoint} not found (train classify first); segmenter backbone starts random")
        history, seconds = train(model, task, train_set, held_set, epochs, args.batch, max_lr, args.seed, log, crop)
        if task == "classify":
            torch.save(model.state_dict(), checkpoint)
        final = evaluate(model, *held_set, task)
        path = os.path.join(args.out, name + ".onnx")
        export(model, path, output)
        classes = [line.strip() for line in open(os.path.join(train_dir, "classes.txt")) if line.strip()]
        final.pop("confusion", None)
        provenance = {
            "architecture": arch, "output": output, "output_shape": out_shape,
            "parameters": sum(p.numel() for p in model.parameters()), "onnx_bytes": os.path.getsize(path),
            "train_command": train_cmd, "heldout_command": held_cmd,
            "train_count": int(train_set[0].shape[0]), "heldout_count": int(held_set[0].shape[0]),
            "epochs": epochs, "batch": args.batch, "augmentation": augmentation, "init": init, "max_lr": max_lr, "torch_seed": args.seed,
            "threads": args.threads, "train_seconds": round(seconds, 1), "metric": metric, "heldout": final,
            "history": history, "torch_version": torch.__version__,
            "machine": f"{platform.machine()} {os.cpu_count()} cores",
            "date": datetime.date.today().isoformat(),
        }
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump(sidecar(task, classes, provenance), f, indent=2)
            f.write("\n")
        log(f"{name}: held-out {metric} {final[metric]:.4f}; wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB) "
            f"after {seconds:.0f} s of training")
        del train_set, held_set
    write_readme(args.out)
    log(f"wrote {os.path.join(args.out, 'README.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
