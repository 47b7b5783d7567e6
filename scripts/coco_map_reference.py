#!/usr/bin/python3
"""Reference numbers for the detection metric's test: writes a small COCO-format fixture (ground
truth and detections, seeded) and the mAP values computed on it from COCO's published evaluation
definition, written out here on its own (numpy, no C++ shared).

  /usr/bin/python3 scripts/coco_map_reference.py            # rewrites tests/data/detection/
  /usr/bin/python3 scripts/coco_map_reference.py --check    # recomputes, fails if they differ

The rules (COCO's bbox evaluation): per image and category, detections sorted by score (stable),
the first 100 kept; at each IoU threshold .50:.05:.95 each detection takes the not yet matched
ground truth of highest IoU >= threshold (counted objects before crowd or out-of-range ones, and
a crowd region may be taken again; IoU against a crowd uses the detection's area alone); a
detection matched to a crowd or out-of-range object, or unmatched and itself out of range, is
ignored. Over the images (in id order), detections are sorted by score (stable), precision is
made monotone decreasing and sampled at recall 0:.01:1 (first position reaching the recall, 0
past the end); AP is the mean, mAP the mean over categories with counted ground truth.
"""
import argparse
import json
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "detection")
IOU_T = np.linspace(0.5, 0.95, 10)
REC_T = np.linspace(0.0, 1.0, 101)
RANGES = {"all": (0, 1e5**2), "small": (0, 32**2), "medium": (32**2, 96**2),
          "large": (96**2, 1e5**2)}
MAX_DETS = 100


def make_fixture(seed=7):
    rnd = random.Random(seed)
    images = [{"id": i, "width": 320, "height": 240, "file_name": "img%d.jpg" % i}
              for i in range(1, 9)]
    cats = [{"id": c, "name": n} for c, n in ((1, "square"), (2, "circle"), (3, "triangle"),
                                              (4, "star"))]
    anns, dets = [], []
    sizes = [(12, 10), (20, 30), (40, 35), (60, 50), (90, 110), (150, 120), (31.5, 32.6)]
    for img in images[:-1]:  # the last image has no objects
        for _ in range(rnd.randint(1, 6)):
            w, h = rnd.choice(sizes)
            x = round(rnd.uniform(0, 320 - w), 2)
            y = round(rnd.uniform(0, 240 - h), 2)
            cat = rnd.randint(1, 3)
            crowd = 1 if rnd.random() < 0.1 else 0
            area = round(w * h * rnd.uniform(0.7, 1.0), 2)
            anns.append({"id": len(anns) + 1, "image_id": img["id"], "category_id": cat,
                         "bbox": [x, y, w, h], "area": area, "iscrowd": crowd})
            for _ in range(rnd.choice([0, 1, 1, 1, 2])):  # missed, found, found twice
                j = lambda v, s: round(v + rnd.uniform(-s, s), 2)
                dw, dh = max(1.0, j(w, w * 0.2)), max(1.0, j(h, h * 0.2))
                dcat = cat if rnd.random() < 0.9 else rnd.randint(1, 4)
                dets.append({"image_id": img["id"], "category_id": dcat,
                             "bbox": [j(x, w * 0.15), j(y, h * 0.15), dw, dh],
                             "score": round(rnd.choice([0.9, 0.5, rnd.random()]), 3)})
        for _ in range(rnd.randint(0, 3)):  # false positives anywhere, some of category 4
            w, h = rnd.choice(sizes)
            dets.append({"image_id": img["id"], "category_id": rnd.randint(1, 4),
                         "bbox": [round(rnd.uniform(0, 320 - w), 2),
                                  round(rnd.uniform(0, 240 - h), 2), w, h],
                         "score": round(rnd.random(), 3)})
    # One image with more than 100 detections of one category: only the best 100 count.
    for k in range(110):
        dets.append({"image_id": 2, "category_id": 1,
                     "bbox": [round(rnd.uniform(0, 300), 2), round(rnd.uniform(0, 220), 2), 20, 20],
                     "score": round(rnd.uniform(0.0, 0.6), 3)})
    gt = {"images": images, "categories": cats, "annotations": anns}
    return gt, dets


def iou_matrix(d, g, crowd):
    """IoU of detections d [D,4] and ground truth g [G,4] (xywh); crowd columns over d's area."""
    if len(d) == 0 or len(g) == 0:
        return np.zeros((len(d), len(g)))
    dx2, dy2 = d[:, 0] + d[:, 2], d[:, 1] + d[:, 3]
    gx2, gy2 = g[:, 0] + g[:, 2], g[:, 1] + g[:, 3]
    iw = np.minimum(dx2[:, None], gx2[None, :]) - np.maximum(d[:, None, 0], g[None, :, 0])
    ih = np.minimum(dy2[:, None], gy2[None, :]) - np.maximum(d[:, None, 1], g[None, :, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    da, ga = d[:, 2] * d[:, 3], g[:, 2] * g[:, 3]
    union = np.where(np.asarray(crowd, bool)[None, :], da[:, None],
                     da[:, None] + ga[None, :] - inter)
    return inter / union


def match_image(dts, gts, lo, hi):
    """dts, gts of one image and category -> (scores, tp [T,D], ignored [T,D], counted)."""
    order = sorted(range(len(dts)), key=lambda i: -dts[i]["score"])[:MAX_DETS]
    dts = [dts[i] for i in order]
    g_ign = [bool(g["iscrowd"]) or not (lo <= g["area"] <= hi) for g in gts]
    g_order = [i for i in range(len(gts)) if not g_ign[i]] + \
              [i for i in range(len(gts)) if g_ign[i]]
    gts = [gts[i] for i in g_order]
    g_ign = [g_ign[i] for i in g_order]
    crowd = [bool(g["iscrowd"]) for g in gts]
    ious = iou_matrix(np.array([d["bbox"] for d in dts], float).reshape(-1, 4),
                      np.array([g["bbox"] for g in gts], float).reshape(-1, 4), crowd)
    tp = np.zeros((len(IOU_T), len(dts)), bool)
    ign = np.zeros((len(IOU_T), len(dts)), bool)
    for ti, t in enumerate(IOU_T):
        taken = [False] * len(gts)
        for di in range(len(dts)):
            best, m = min(t, 1 - 1e-10), None
            for gi in range(len(gts)):
                if taken[gi] and not crowd[gi]:
                    continue
                if m is not None and not g_ign[m] and g_ign[gi]:
                    break
                if ious[di, gi] >= best:
                    best, m = ious[di, gi], gi
            if m is None:
                d_area = dts[di]["bbox"][2] * dts[di]["bbox"][3]
                ign[ti, di] = not (lo <= d_area <= hi)
            else:
                taken[m] = True
                tp[ti, di] = True
                ign[ti, di] = g_ign[m]
    return [d["score"] for d in dts], tp, ign, sum(1 for x in g_ign if not x)


def group(gt, dets):
    """(image id, category id) -> (annotations, detections), each in input order."""
    groups = {}
    for a in gt["annotations"]:
        groups.setdefault((a["image_id"], a["category_id"]), ([], []))[0].append(a)
    for x in dets:
        groups.setdefault((x["image_id"], x["category_id"]), ([], []))[1].append(x)
    return groups


def category_precision(gt, dets, cat, lo, hi, groups=None):
    """[T, R] interpolated precision, or None when the category has no counted ground truth.
    `groups` (from group(gt, dets)) only saves the per-image scans on large sets."""
    if groups is None:
        groups = group(gt, dets)
    scores, tps, igns, counted = [], [], [], 0
    for img in sorted(i["id"] for i in gt["images"]):
        g, d = groups.get((img, cat), ([], []))
        if not g and not d:
            continue
        s, tp, ig, n = match_image(d, g, lo, hi)
        scores += s
        tps.append(tp)
        igns.append(ig)
        counted += n
    if counted == 0:
        return None
    order = np.argsort(-np.array(scores, float), kind="stable")
    tp = np.concatenate(tps, axis=1)[:, order]
    ig = np.concatenate(igns, axis=1)[:, order]
    out = np.zeros((len(IOU_T), len(REC_T)))
    for ti in range(len(IOU_T)):
        tpc = np.cumsum(tp[ti] & ~ig[ti]).astype(float)
        fpc = np.cumsum(~tp[ti] & ~ig[ti]).astype(float)
        rc = tpc / counted
        pr = tpc / (tpc + fpc + np.spacing(1))
        pr = np.maximum.accumulate(pr[::-1])[::-1] if len(pr) else pr
        idx = np.searchsorted(rc, REC_T, side="left")
        out[ti] = [pr[i] if i < len(pr) else 0.0 for i in idx]
    return out


def evaluate(gt, dets):
    cats = sorted(c["id"] for c in gt["categories"])
    result = {}
    groups = group(gt, dets)
    for name, (lo, hi) in RANGES.items():
        per_cat = {c: category_precision(gt, dets, c, lo, hi, groups) for c in cats}
        valid = [p for p in per_cat.values() if p is not None]
        mean = lambda f: 100.0 * float(np.mean([f(p) for p in valid])) if valid else -1.0
        key = "map" if name == "all" else "map_" + name
        result[key] = mean(lambda p: p.mean())
        if name == "all":
            result["map50"] = mean(lambda p: p[0].mean())
            result["map75"] = mean(lambda p: p[5].mean())
            result["category_ap"] = {str(c): (100.0 * float(p.mean()) if p is not None else -1.0)
                                     for c, p in per_cat.items()}
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed numbers")
    args = ap.parse_args()
    gt, dets = make_fixture()
    expected = evaluate(gt, dets)
    if args.check:
        with open(os.path.join(OUT, "expected_map.json")) as f:
            old = json.load(f)
        if old != json.loads(json.dumps(expected)):
            print("expected_map.json differs from the recomputed numbers", file=sys.stderr)
            return 1
        print("expected_map.json matches")
        return 0
    os.makedirs(OUT, exist_ok=True)
    for name, value in (("instances_fixture.json", gt), ("detections_fixture.json", dets),
                        ("expected_map.json", expected)):
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(value, f, indent=1 if name == "expected_map.json" else None)
            f.write("\n")
    print(json.dumps(expected, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
