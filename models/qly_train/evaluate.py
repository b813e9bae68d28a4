"""Measures an exported model on held-out frames, run through the companion's tiling.

usage: python -m qly_train.evaluate MODEL.onnx OUT.json WORLD_DIR... [--camera camera.json --corridor corridor.geojson]

- AP50 per class (VOC all-point interpolation, IoU >= 0.5, greedy by score) on whole frames,
  each run as the companion runs it with the model card's settings: one pass over the frame
  letterboxed into the model input (2048x1536 -> 1024x768, exactly half), no tiling
  (`--slice-px N` slices instead, as the companion's tiling does), scored against the frame's
  labels. Detections down to confidence 0.05 enter the AP; precision and recall
  are also given at the operating thresholds (`--thresholds`).
- With `--camera`: recall of the world's targets within 5 m after geotagging the box centres at the
  operating thresholds, and false positives per km of river (see `geo.py`).
- Milliseconds per frame: ONNX Runtime inference (`session.run` only, as the feasibility notes
  measured), and the whole Python pass including the resize and input conversion, at 1 and 2
  intra-op threads.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from . import CLASS_NAMES
from .data import load_dataset, read_rgb
from .tiling import Detector, TilingConfig, iou

AP_FLOOR = 0.05


def average_precision(per_frame_dets, per_frame_truth, cls, iou_thr=0.5):
    """per_frame_dets: list of lists of (cls, score, x1, y1, x2, y2); truth: [n, 5] arrays."""
    gts = [t[t[:, 0] == cls][:, 1:] for t in per_frame_truth]
    n_gt = int(sum(len(g) for g in gts))
    preds = sorted(
        ((d[1], i, d[2:]) for i, dets in enumerate(per_frame_dets) for d in dets if d[0] == cls),
        key=lambda p: -p[0],
    )
    used = [np.zeros(len(g), bool) for g in gts]
    tp = np.zeros(len(preds))
    for k, (_, i, box) in enumerate(preds):
        best, best_j = 0.0, -1
        for j, g in enumerate(gts[i]):
            o = iou(box, g)
            if o > best:
                best, best_j = o, j
        if best >= iou_thr and not used[i][best_j]:
            used[i][best_j] = True
            tp[k] = 1
    if n_gt == 0:
        return None, n_gt, tp, preds
    ctp = np.cumsum(tp)
    rec = ctp / n_gt
    prec = ctp / np.arange(1, len(tp) + 1)
    mrec = np.concatenate([[0.0], rec, [1.0]])
    mpre = np.concatenate([[0.0], prec, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1])), n_gt, tp, preds


def box_metrics(per_frame_dets, truth, thresholds):
    out = {}
    for c, name in enumerate(CLASS_NAMES):
        ap, n_gt, tp, preds = average_precision(per_frame_dets, truth, c)
        sel = np.array([p[0] > thresholds[c] for p in preds], bool)
        tp_at = float(tp[sel].sum()) if len(preds) else 0.0
        out[name] = dict(
            AP50=None if ap is None else round(ap, 4),
            truth_boxes=n_gt,
            threshold=thresholds[c],
            precision_at_threshold=round(tp_at / max(int(sel.sum()), 1), 4),
            recall_at_threshold=round(tp_at / max(n_gt, 1), 4),
        )
    return out


def time_frames(model, frames, tiling, threads, n_frames):
    det = Detector(model, threads, tiling, [AP_FLOOR] * len(CLASS_NAMES))
    imgs = [read_rgb(f.image_path) for f in frames[:n_frames]]
    det.detect(imgs[0])  # warm-up
    det.infer_s, det.passes = 0.0, 0
    t = time.perf_counter()
    for im in imgs:
        det.detect(im)
    total = time.perf_counter() - t
    return dict(
        threads=threads,
        frames=len(imgs),
        frame_px=f"{imgs[0].shape[1]}x{imgs[0].shape[0]}",
        passes_per_frame=det.passes / len(imgs),
        inference_ms_per_frame=round(det.infer_s * 1e3 / len(imgs), 1),
        inference_ms_per_pass=round(det.infer_s * 1e3 / det.passes, 2),
        whole_pass_ms_per_frame=round(total * 1e3 / len(imgs), 1),
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("out", help="metrics JSON to write")
    ap.add_argument("worlds", nargs="+", help="held-out datasets (one `sim dataset` directory per world)")
    ap.add_argument("--thresholds", default="0.3,0.3", help="operating confidence per class")
    ap.add_argument("--slice-px", type=int, default=0, help="slice frames into this size (0: one full-frame pass)")
    ap.add_argument("--overlap", type=float, default=0.2)
    ap.add_argument("--iou", type=float, default=0.7, help="NMS IoU when merging slices (the companion's default)")
    ap.add_argument("--timing-frames", type=int, default=8)
    ap.add_argument("--camera", help="camera.json (intrinsics the frames were rendered with): enables the geotagged metrics")
    ap.add_argument("--corridor", help="the corridor GeoJSON the worlds were built on (for the river length seen)")
    a = ap.parse_args(argv)
    thresholds = [float(t) for t in a.thresholds.split(",")]
    if len(thresholds) != len(CLASS_NAMES):
        ap.error(f"--thresholds {a.thresholds}: expected {len(CLASS_NAMES)} values")
    tiling = TilingConfig(slice_px=a.slice_px, overlap_ratio=a.overlap, full_frame_pass=True) if a.slice_px else None
    det = Detector(a.model, 2, tiling, [AP_FLOOR] * len(CLASS_NAMES), a.iou)
    t0 = time.time()
    worlds = []
    for w in a.worlds:
        frames = load_dataset(w, len(CLASS_NAMES))
        dets = [det.detect(read_rgb(f.image_path)) for f in frames]
        worlds.append((w, frames, dets))
        print(f"  detected {len(frames)} frames of {w}", flush=True)
    all_frames = [f for _, fr, _ in worlds for f in fr]
    all_dets = [d for _, _, de in worlds for d in de]
    result = dict(
        model=os.path.basename(a.model),
        worlds=[os.path.basename(w.rstrip("/")) for w in a.worlds],
        frames=len(all_frames),
        tiling=None if tiling is None else dict(slice_px=a.slice_px, overlap_ratio=a.overlap, full_frame_pass=True, nms_iou=a.iou),
        boxes=box_metrics(all_dets, [f.boxes for f in all_frames], thresholds),
        detect_s=round(time.time() - t0, 1),
    )
    if a.camera:
        from .geo import geo_metrics, read_corridor

        with open(a.camera, encoding="utf-8") as f:
            cam = json.load(f)
        corridor = read_corridor(a.corridor)
        result["geo"] = geo_metrics(worlds, thresholds, cam, corridor)
        # The same geotagging and matching on the label boxes themselves: what a perfect
        # detector would score (the upper bound of box-centre geotagging).
        labelled = [(w, fr, [[(int(b[0]), 1.0, *b[1:]) for b in f.boxes] for f in fr]) for w, fr, _ in worlds]
        oracle = geo_metrics(labelled, thresholds, cam, corridor)
        result["geo_label_boxes"] = {n: {k: oracle["classes"][n][k] for k in ("seen", "found_within_5m", "recall_within_5m")} for n in CLASS_NAMES}
    result["timing"] = [time_frames(a.model, all_frames, tiling, th, a.timing_frames) for th in (1, 2)]
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
