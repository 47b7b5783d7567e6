#!/usr/bin/python3
"""Trains edgetier's demo detector on the procedural shapes dataset and exports it to ONNX.

  demo_detector: a small anchor-free YOLO-style detector. Backbone as the demo classifier's
                 (torchvision resnet layout, widths 16/32/64/128, under backbone/), a top-down
                 FPN neck (neck.inner_blocks.0..2 1x1 laterals, neck.layer_blocks.0..1 3x3
                 smoothing) and decoupled per-level heads at strides 8 and 16
                 (head.box_branches.N, head.cls_branches.N). Boxes are distances to the four sides
                 (softplus x stride) around each grid cell centre; no DFL, no objectness.

The export has no NMS: one raw head output `output0`, float32 [1, 4 + C, A] in YOLOv8's layout
(rows cx, cy, w, h in input pixels, then the C = 10 per-class scores after sigmoid; A = 12*12 +
6*6 = 180 at 96x96), so edgetier's own decoder and class-aware NMS run on it.

Training: YOLOv8's task-aligned assignment (alignment = score^0.5 * IoU^6 over the cells whose
centre lies in the object, top 10 per object, an ambiguous cell to the object of highest IoU),
BCE on IoU-aware soft class targets, GIoU box loss. Data from the built `edgetier data synth
--task detect` (train seed 1, held-out seed 2). Held-out mAP is COCO's, computed by
scripts/coco_map_reference.py on boxes decoded as edgetier decodes them. Offline, seeded,
2 threads, Debian's torch:

    /usr/bin/python3 scripts/train_demo_detector.py --edgetier build/edgetier --out models
"""
import argparse
import datetime
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import train_demo_models as demo  # noqa: E402  (sets OMP_WAIT_POLICY before torch loads)
import coco_map_reference as coco  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SIZE = demo.SIZE
NUM_CLASSES = 10
STRIDES = (8, 16)
SCORE_THRESHOLD, IOU_THRESHOLD, MAX_DETECTIONS = 0.25, 0.45, 100
# COCO's evaluation keeps every detection it is given (up to 100 per image), so the mAP is
# measured with a near-zero score threshold; the deployment threshold (0.25) is the sidecar's.
MAP_SCORE_THRESHOLD = 0.001


# --------------------------------------------------------------------------- architecture
def conv_bn_relu(cin, cout, k=3):
    return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class Backbone(demo.Backbone):
    """The demo classifier's backbone returning the strides 8, 16 and 32 features (layer2..layer4)."""

    def forward(self, x):
        x = self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        c2 = self.layer2(x)
        c3 = self.layer3(c2)
        return c2, c3, self.layer4(c3)


class Neck(nn.Module):
    """torchvision FeaturePyramidNetwork's layout: 1x1 laterals (inner_blocks) on layer2..layer4,
    top-down nearest upsampling with additions, 3x3 smoothing (layer_blocks) on the two levels
    the heads read (strides 8 and 16)."""

    def __init__(self, in_channels=(32, 64, 128), width=64):
        super().__init__()
        self.inner_blocks = nn.ModuleList([nn.Conv2d(c, width, 1) for c in in_channels])
        self.layer_blocks = nn.ModuleList([nn.Sequential(*conv_bn_relu(width, width)) for _ in range(2)])

    def forward(self, c2, c3, c4):
        p4 = self.inner_blocks[2](c4)
        p3 = self.inner_blocks[1](c3) + F.interpolate(p4, scale_factor=2.0, mode="nearest")
        p2 = self.inner_blocks[0](c2) + F.interpolate(p3, scale_factor=2.0, mode="nearest")
        return self.layer_blocks[0](p2), self.layer_blocks[1](p3)


class Head(nn.Module):
    """Decoupled per-level branches (YOLOv8's cv2/cv3): 3x3 conv-BN-ReLU then a 1x1 conv to the 4
    side distances, and the same to the class logits."""

    def __init__(self, width=64, num_classes=NUM_CLASSES, levels=len(STRIDES)):
        super().__init__()
        self.box_branches = nn.ModuleList(
            [nn.Sequential(*conv_bn_relu(width, width), nn.Conv2d(width, 4, 1)) for _ in range(levels)])
        self.cls_branches = nn.ModuleList(
            [nn.Sequential(*conv_bn_relu(width, width), nn.Conv2d(width, num_classes, 1)) for _ in range(levels)])
        prior = 0.01  # initial class probability (RetinaNet's prior): the empty background costs little
        for branch in self.cls_branches:
            nn.init.constant_(branch[-1].bias, -float(np.log((1 - prior) / prior)))
        for branch in self.box_branches:
            nn.init.constant_(branch[-1].bias, 1.0)  # softplus(1) ~ 1.3 strides to each side

    def forward(self, levels):
        """-> side distances [B, 4, A] (in strides, before softplus) and class logits [B, C, A]."""
        dist = torch.cat([br(f).flatten(2) for br, f in zip(self.box_branches, levels)], 2)
        logits = torch.cat([br(f).flatten(2) for br, f in zip(self.cls_branches, levels)], 2)
        return dist, logits


def grid(size, strides):
    """Cell centres [A, 2] (x, y in input pixels) and each cell's stride [A], level by level."""
    centres, per_cell = [], []
    for s in strides:
        n = size // s
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
        centres.append(torch.stack([xs.flatten(), ys.flatten()], 1).float().add(0.5).mul(s))
        per_cell.append(torch.full((n * n,), float(s)))
    return torch.cat(centres), torch.cat(per_cell)


class Detector(nn.Module):
    def __init__(self, widths=(16, 32, 64, 128), neck_width=64, num_classes=NUM_CLASSES, size=SIZE):
        super().__init__()
        self.backbone = Backbone(widths)
        self.neck = Neck(widths[1:], neck_width)
        self.head = Head(neck_width, num_classes)
        centres, strides = grid(size, STRIDES)
        # Fixed input size: the grid is a constant of the graph (no Shape subgraph to cut through).
        self.register_buffer("centres", centres, persistent=False)
        self.register_buffer("cell_strides", strides, persistent=False)

    def raw(self, x):
        """-> boxes [B, A, 4] (x1, y1, x2, y2 in pixels), class logits [B, A, C]."""
        # Each part through its own forward, so exported names carry the module path
        # (/backbone/layer4/layer4.1/Add_output_0, /neck/..., /head/cls_branches.0/...).
        dist, logits = self.head(self.neck(*self.backbone(x)))
        dist = F.softplus(dist) * self.cell_strides  # [B, 4, A]: left, top, right, bottom
        cx, cy = self.centres[:, 0], self.centres[:, 1]
        boxes = torch.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], 2)
        return boxes, logits.transpose(1, 2)

    def forward(self, x):
        """-> output0 [B, 4 + C, A]: cx, cy, w, h, then per-class sigmoid scores (YOLOv8 layout)."""
        boxes, logits = self.raw(x)
        xy = (boxes[..., :2] + boxes[..., 2:]) * 0.5
        wh = boxes[..., 2:] - boxes[..., :2]
        return torch.cat([xy, wh, torch.sigmoid(logits)], 2).transpose(1, 2)


# --------------------------------------------------------------------------- data
def load_detect(dir_):
    """-> images uint8 [N, 3, H, W], boxes [N, M, 4] xyxy (pixels), classes [N, M] (-1 = padding)."""
    with open(os.path.join(dir_, "instances.json")) as f:
        gt = json.load(f)
    images = sorted(gt["images"], key=lambda i: i["id"])
    index = {img["id"]: k for k, img in enumerate(images)}
    per_image = [[] for _ in images]
    for a in gt["annotations"]:
        x, y, w, h = a["bbox"]
        per_image[index[a["image_id"]]].append([x, y, x + w, y + h, a["category_id"] - 1])
    m = max(1, max(len(p) for p in per_image))
    boxes = torch.zeros(len(images), m, 4)
    classes = torch.full((len(images), m), -1, dtype=torch.long)
    for k, objs in enumerate(per_image):
        for j, o in enumerate(objs):
            boxes[k, j] = torch.tensor(o[:4], dtype=torch.float32)
            classes[k, j] = o[4]
    pixels = demo.load_images(os.path.join(dir_, "images"), [img["file_name"] for img in images])
    return pixels, boxes, classes, gt


def augment(x, boxes, classes, gen):
    """Random flips and 90-degree turns, boxes turned with the image (the shape classes are closed
    under them). x uint8 [B, 3, S, S]; boxes xyxy in pixels."""
    x, boxes = x.clone(), boxes.clone()
    s = float(x.shape[-1])
    ops = torch.randint(0, 8, (x.shape[0],), generator=gen)
    for i in range(x.shape[0]):
        k, flip = int(ops[i]) % 4, int(ops[i]) >= 4
        xi, b = x[i], boxes[i]
        for _ in range(k):  # rot90 over (H, W): the pixel at (x, y) goes to (y, S - x)
            xi = torch.rot90(xi, 1, (1, 2))
            b = torch.stack([b[:, 1], s - b[:, 2], b[:, 3], s - b[:, 0]], 1)
        if flip:
            xi = torch.flip(xi, (2,))
            b = torch.stack([s - b[:, 2], b[:, 1], s - b[:, 0], b[:, 3]], 1)
        x[i], boxes[i] = xi, b
    return x, boxes, classes


# --------------------------------------------------------------------------- loss
def box_iou_pairs(a, b):
    """IoU of boxes a [..., 4] and b [..., 4] (xyxy), broadcast."""
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    return inter / (area_a + area_b - inter + 1e-9)


def giou_pairs(a, b):
    iou = box_iou_pairs(a, b)
    lt = torch.minimum(a[..., :2], b[..., :2])
    rb = torch.maximum(a[..., 2:], b[..., 2:])
    hull = (rb - lt).clamp(min=0).prod(-1)
    lt_i = torch.maximum(a[..., :2], b[..., :2])
    rb_i = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb_i - lt_i).clamp(min=0).prod(-1)
    union = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1) + (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1) - inter
    return iou - (hull - union) / (hull + 1e-9)


def assign(pred_boxes, scores, centres, gt_boxes, gt_classes, topk=10, alpha=0.5, beta=6.0):
    """YOLOv8's task-aligned assigner. pred_boxes [B, A, 4], scores [B, A, C] (sigmoid, detached),
    gt [B, M, 4] / [B, M]. -> foreground [B, A], target boxes [B, A, 4], soft class targets [B, A, C]."""
    valid = gt_classes >= 0  # [B, M]
    cls = gt_classes.clamp(min=0)
    inside = ((centres[None, None, :, 0] > gt_boxes[..., 0:1]) & (centres[None, None, :, 0] < gt_boxes[..., 2:3]) &
              (centres[None, None, :, 1] > gt_boxes[..., 1:2]) & (centres[None, None, :, 1] < gt_boxes[..., 3:4]))
    inside &= valid[..., None]  # [B, M, A]
    iou = box_iou_pairs(gt_boxes[:, :, None, :], pred_boxes[:, None, :, :]).clamp(min=0)  # [B, M, A]
    s = torch.gather(scores.transpose(1, 2), 1, cls[..., None].expand(-1, -1, scores.shape[1]))  # [B, M, A]
    align = s.pow(alpha) * iou.pow(beta) * inside
    k = min(topk, align.shape[-1])
    top = torch.topk(align + inside * 1e-9, k, dim=-1).indices  # ties among inside cells stay inside
    chosen = torch.zeros_like(inside).scatter_(-1, top, True) & inside
    # A cell claimed by several objects goes to the one it overlaps most.
    multi = chosen.sum(1, keepdim=True) > 1
    best = torch.zeros_like(chosen).scatter_(1, (iou * inside).argmax(1, keepdim=True), True)
    chosen = torch.where(multi, best, chosen)
    fg = chosen.any(1)  # [B, A]
    gt_idx = chosen.float().argmax(1)  # [B, A]
    target_boxes = torch.gather(gt_boxes, 1, gt_idx[..., None].expand(-1, -1, 4))
    target_cls = torch.gather(cls, 1, gt_idx)
    # IoU-aware soft targets: alignment normalised per object to its best IoU.
    align = align * chosen
    norm = (align * (iou * chosen).amax(-1, keepdim=True) / (align.amax(-1, keepdim=True) + 1e-9)).amax(1)  # [B, A]
    targets = F.one_hot(target_cls, scores.shape[-1]).float() * (norm * fg)[..., None]
    return fg, target_boxes, targets


def detection_loss(model, x, gt_boxes, gt_classes, box_weight=5.0):
    boxes, logits = model.raw(x)
    with torch.no_grad():
        fg, t_boxes, t_scores = assign(boxes.detach(), logits.detach().sigmoid(), model.centres, gt_boxes, gt_classes)
    norm = t_scores.sum().clamp(min=1.0)
    cls_loss = F.binary_cross_entropy_with_logits(logits, t_scores, reduction="sum") / norm
    if fg.any():
        weight = t_scores.sum(-1)[fg]
        box_loss = ((1.0 - giou_pairs(boxes[fg], t_boxes[fg])) * weight).sum() / norm
    else:
        box_loss = boxes.sum() * 0.0
    return cls_loss + box_weight * box_loss, float(cls_loss), float(box_loss)


# --------------------------------------------------------------------------- decoding and mAP
def decode(head, score_threshold, iou_threshold=IOU_THRESHOLD, max_detections=MAX_DETECTIONS):
    """One image's output0 [4 + C, A] -> [(x, y, w, h, class, score)], as edgetier's
    decode_yolo_output: each cell keeps its best class, a score above the threshold, then
    class-aware NMS by score (stable), a box dropped above the IoU threshold with a kept one."""
    head = head.double()
    score, cls = head[4:].max(0)
    keep = torch.nonzero(score > score_threshold).flatten()
    order = keep[torch.sort(-score[keep], stable=True).indices]
    cx, cy, w, h = head[0], head[1], head[2], head[3]
    xywh = torch.stack([cx - w / 2, cy - h / 2, w, h], 1)
    kept = []
    for a in order.tolist():
        if len(kept) >= max_detections:
            break
        b = xywh[a]
        suppressed = False
        for k in kept:
            if k[4] != int(cls[a]):
                continue
            iw = min(b[0] + b[2], k[0] + k[2]) - max(b[0], k[0])
            ih = min(b[1] + b[3], k[1] + k[3]) - max(b[1], k[1])
            inter = float(iw * ih) if iw > 0 and ih > 0 else 0.0
            union = float(b[2] * b[3]) + k[2] * k[3] - inter
            if union > 0 and inter / union > iou_threshold:
                suppressed = True
                break
        if not suppressed:
            kept.append((float(b[0]), float(b[1]), float(b[2]), float(b[3]), int(cls[a]), float(score[a])))
    return kept


def coco_map(model, images, gt, score_threshold=MAP_SCORE_THRESHOLD, count=None, batch=200):
    """COCO mAP (points) of the model on a detect dataset, by scripts/coco_map_reference.py."""
    model.eval()
    ordered = sorted(gt["images"], key=lambda i: i["id"])
    n = len(ordered) if count is None else min(count, len(ordered))
    dets = []
    with torch.no_grad():
        for s in range(0, n, batch):
            out = model(demo.normalize(images[s:min(n, s + batch)]))
            for j in range(out.shape[0]):
                image_id = ordered[s + j]["id"]
                for x, y, w, h, c, score in decode(out[j], score_threshold):
                    dets.append({"image_id": image_id, "category_id": c + 1, "bbox": [x, y, w, h], "score": score})
    ids = {img["id"] for img in ordered[:n]}
    subset = {"images": ordered[:n], "categories": gt["categories"],
              "annotations": [a for a in gt["annotations"] if a["image_id"] in ids]}
    result = coco.evaluate(subset, dets)
    result["detections"] = len(dets)
    result["images"] = n
    return result


# --------------------------------------------------------------------------- train
def train(model, train_set, val_set, epochs, batch, max_lr, seed, log, val_count):
    gen = torch.Generator().manual_seed(seed)
    model.to(memory_format=torch.channels_last)
    images, boxes, classes, _ = train_set
    opt, sched = demo.one_cycle(model, max_lr, epochs * (images.shape[0] // batch), pct_start=0.15)
    t0, history = time.time(), []

    def step(idx):
        x, b, c = augment(images[idx], boxes[idx], classes[idx], gen)
        loss, cls_loss, box_loss = detection_loss(model, demo.normalize(x), b, c)
        return loss, f"cls {cls_loss:.3f} box {box_loss:.3f}; "

    for epoch in range(epochs):
        loss = demo.run_epoch(model, opt, sched, images.shape[0], batch, gen, step, log,
                              f"detect epoch {epoch + 1}", 40)
        entry = {"epoch": epoch + 1, "loss": loss, "elapsed_s": round(time.time() - t0, 1)}
        if val_count and (epoch + 1) % 3 == 0 or epoch + 1 == epochs:
            m = coco_map(model, val_set[0], val_set[3], count=val_count)
            entry.update(map=m["map"], map50=m["map50"], val_images=m["images"])
            log(f"detect epoch {epoch + 1}/{epochs}: loss {loss:.4f}  val mAP {m['map']:.1f} "
                f"mAP50 {m['map50']:.1f} ({m['images']} images; {time.time() - t0:.0f} s)")
        else:
            log(f"detect epoch {epoch + 1}/{epochs}: loss {loss:.4f} ({time.time() - t0:.0f} s)")
        history.append(entry)
    return history, time.time() - t0


def export(model, path, opset=17, size=SIZE):
    model.eval()
    model.to(memory_format=torch.contiguous_format)
    tmp = path + ".tmp"
    torch.onnx.export(model, torch.zeros(1, 3, size, size), tmp, opset_version=opset, input_names=["input"],
                      output_names=["output0"], do_constant_folding=True)
    try:
        import onnx  # optional: checked by edgetier itself when it loads the file
        onnx.checker.check_model(onnx.load(tmp))
    except ImportError:
        pass
    os.replace(tmp, path)


def detection_block():
    """The sidecar's description of the output, as edgetier's detect flow reads it."""
    return {"format": "yolo", "outputs": ["output0"], "num_classes": NUM_CLASSES,
            "score_threshold": SCORE_THRESHOLD, "iou_threshold": IOU_THRESHOLD, "max_detections": MAX_DETECTIONS}


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_common_args(ap, train_n=8000)
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--max-lr", type=float, default=4e-3)
    ap.add_argument("--val-count", type=int, default=300, help="held-out images scored every 3 epochs")
    ap.add_argument("--no-readme", action="store_true", help="leave models/README.md alone")
    args = ap.parse_args()

    edgetier, log = demo.prepare(args)
    demo.seed_everything(args.seed)
    train_dir = os.path.join(args.data, "detect-train")
    held_dir = os.path.join(args.data, "detect-heldout")
    train_cmd = demo.synth(edgetier, "detect", args.train_n, args.train_seed, train_dir)
    held_cmd = demo.synth(edgetier, "detect", args.heldout_n, args.heldout_seed, held_dir)
    train_set, held_set = load_detect(train_dir), load_detect(held_dir)
    log(f"detect: loaded {train_set[0].shape[0]} training and {held_set[0].shape[0]} held-out images "
        f"({len(train_set[3]['annotations'])} / {len(held_set[3]['annotations'])} objects)")

    model = Detector()
    history, seconds = train(model, train_set, held_set, args.epochs, args.batch, args.max_lr, args.seed, log,
                             args.val_count)
    model.to(memory_format=torch.contiguous_format)
    torch.save(model.state_dict(), os.path.join(args.data, "demo_detector.pt"))
    t_eval = time.time()
    final = coco_map(model, held_set[0], held_set[3])
    at_threshold = coco_map(model, held_set[0], held_set[3], score_threshold=SCORE_THRESHOLD)
    log(f"held-out (score > {MAP_SCORE_THRESHOLD}): mAP {final['map']:.2f} mAP50 {final['map50']:.2f}; "
        f"(score > {SCORE_THRESHOLD}): mAP {at_threshold['map']:.2f} mAP50 {at_threshold['map50']:.2f} "
        f"({time.time() - t_eval:.0f} s)")
    name = "demo_detector"
    path = os.path.join(args.out, name + ".onnx")
    export(model, path)
    classes = [line.strip() for line in open(os.path.join(train_dir, "classes.txt")) if line.strip()]
    anchors = int(model.centres.shape[0])
    provenance = {
        "architecture": (
            "Anchor-free YOLO-style detector: backbone/ = the demo classifier's ResNet layout (conv1 3x3/2 (16) + "
            "bn1 + relu + maxpool 3x3/2; layer1..layer4 of 2 BasicBlocks, widths 16/32/64/128, strides 1/2/2/2); "
            "neck/ = FPN (inner_blocks.0..2: 1x1 laterals to 64 on layer2..layer4, top-down nearest upsampling "
            "with Adds, layer_blocks.0..1: 3x3 conv-BN-ReLU at strides 8 and 16); head/ = decoupled per-level "
            "branches (box_branches.N and cls_branches.N: 3x3 conv-BN-ReLU (64) + 1x1 conv to 4 side distances "
            "/ 10 class logits). Boxes: softplus(distance) x stride around each cell centre, no DFL, no "
            f"objectness; output0 [1, 14, {anchors}] = cx, cy, w, h (input pixels), 10 sigmoid scores; no NMS "
            "in the graph."),
        "output": "output0", "output_shape": [1, 4 + NUM_CLASSES, anchors],
        "parameters": sum(p.numel() for p in model.parameters()), "onnx_bytes": os.path.getsize(path),
        "train_command": train_cmd, "heldout_command": held_cmd,
        "train_count": int(train_set[0].shape[0]), "heldout_count": int(held_set[0].shape[0]),
        "train_objects": len(train_set[3]["annotations"]), "heldout_objects": len(held_set[3]["annotations"]),
        "epochs": args.epochs, "batch": args.batch, "max_lr": args.max_lr,
        "augmentation": "random flips and 90-degree turns (boxes turned with the image)",
        "loss": ("task-aligned assignment (score^0.5 x IoU^6 over cells centred in the object, top 10), BCE on "
                 "IoU-aware soft class targets + 5 x GIoU"),
        "init": "random (PyTorch defaults; class-logit bias at prior 0.01)",
        "torch_seed": args.seed, "threads": args.threads, "train_seconds": round(seconds, 1),
        "metric": "map",
        "heldout": {"map": final["map"], "map50": final["map50"], "map75": final["map75"],
                    "map_small": final["map_small"], "map_medium": final["map_medium"],
                    "category_ap": {classes[int(k) - 1]: v for k, v in final["category_ap"].items()},
                    "score_threshold": MAP_SCORE_THRESHOLD, "nms_iou_threshold": IOU_THRESHOLD,
                    "max_detections": MAX_DETECTIONS, "detections": final["detections"],
                    "evaluator": "scripts/coco_map_reference.py"},
        "heldout_at_score_threshold": {"map": at_threshold["map"], "map50": at_threshold["map50"],
                                       "score_threshold": SCORE_THRESHOLD},
        "history": history, "torch_version": torch.__version__,
        "machine": f"{platform.machine()} {os.cpu_count()} cores", "opset": 17,
        "date": datetime.date.today().isoformat(),
    }
    card = demo.sidecar("detect", classes, provenance)
    card["detection"] = detection_block()
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    log(f"{name}: held-out mAP {final['map']:.2f} mAP50 {final['map50']:.2f}; wrote {path} "
        f"({os.path.getsize(path) / 1e6:.2f} MB) after {seconds:.0f} s of training")
    if not args.no_readme:
        demo.write_readme(args.out)
        log(f"wrote {os.path.join(args.out, 'README.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
