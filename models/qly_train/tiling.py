"""The companion's detection pass, mirrored in Python so evaluation measures what flies.

Mirrors companion/src/detect: `tiling.rs` (SAHI slice layout), `letterbox.rs` (ultralytics
letterbox with OpenCV INTER_LINEAR sample positions, grey 114), `decode/end2end.rs`
(threshold only) and `nms.rs` (greedy per-class NMS, IoU strictly above the threshold
suppresses). companion/tests/model_shipped.rs checks the Rust side on the same model.
"""

import time
from dataclasses import dataclass

import numpy as np

PAD_VALUE = 114


@dataclass
class TilingConfig:
    slice_px: int = 640
    overlap_ratio: float = 0.2
    full_frame_pass: bool = False
    min_downscale: float = 2.0


def starts(length_px, slice_px, overlap_ratio):
    overlap = int(overlap_ratio * slice_px)
    step = max(slice_px - overlap, 1)
    out, start = [], 0
    while True:
        end = start + slice_px
        if end >= length_px:
            s = max(length_px - slice_px, 0)
            out.append((s, length_px - s))
            return out
        out.append((start, slice_px))
        start += step


def plan_tiles(width_px, height_px, cfg):
    xs = starts(width_px, cfg.slice_px, cfg.overlap_ratio)
    ys = starts(height_px, cfg.slice_px, cfg.overlap_ratio)
    return [(x, y, w, h) for (y, h) in ys for (x, w) in xs]


def should_tile(width_px, height_px, input_w, input_h, cfg):
    return max(width_px / input_w, height_px / input_h) > cfg.min_downscale


def resize_bilinear(img, width_px, height_px):
    """OpenCV INTER_LINEAR sample positions, no antialiasing (as letterbox.rs)."""
    sh, sw = img.shape[:2]
    if (sw, sh) == (width_px, height_px):
        return img

    def taps(src, dst):
        f = (np.arange(dst) + 0.5) * (src / dst) - 0.5
        i = np.floor(f)
        frac = (f - i).astype(np.float32)
        i = i.astype(np.int64)
        lo = np.where(i < 0, 0, np.where(i >= src - 1, src - 1, i))
        hi = np.where(i < 0, 0, np.where(i >= src - 1, src - 1, i + 1))
        frac = np.where((i < 0) | (i >= src - 1), 0.0, frac).astype(np.float32)
        return lo, hi, frac

    x0, x1, fx = taps(sw, width_px)
    y0, y1, fy = taps(sh, height_px)
    a = img.astype(np.float32)
    top = a[y0][:, x0] * (1 - fx)[None, :, None] + a[y0][:, x1] * fx[None, :, None]
    bot = a[y1][:, x0] * (1 - fx)[None, :, None] + a[y1][:, x1] * fx[None, :, None]
    v = top * (1 - fy)[:, None, None] + bot * fy[:, None, None]
    return np.clip(np.round(v), 0, 255).astype(np.uint8)


def letterbox(img, input_w, input_h):
    """Returns (input HWC uint8, scale, pad_left, pad_top)."""
    sh, sw = img.shape[:2]
    r = min(input_h / sh, input_w / sw)
    rw = min(max(int(round(sw * r)), 1), input_w)
    rh = min(max(int(round(sh * r)), 1), input_h)
    pl = max(int(round((input_w - rw) / 2 - 0.1)), 0)
    pt = max(int(round((input_h - rh) / 2 - 0.1)), 0)
    out = np.full((input_h, input_w, 3), PAD_VALUE, np.uint8)
    out[pt : pt + rh, pl : pl + rw] = resize_bilinear(img, rw, rh)
    return out, r, pl, pt


def iou(a, b):
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    inter = iw * ih
    union = max(a[2] - a[0], 0) * max(a[3] - a[1], 0) + max(b[2] - b[0], 0) * max(b[3] - b[1], 0) - inter
    return inter / union if union > 0 else 0.0


def nms_per_class(dets, iou_threshold, max_detections=300):
    """dets: list of (cls, score, x1, y1, x2, y2)."""
    kept = []
    for d in sorted(dets, key=lambda d: -d[1]):
        if len(kept) >= max_detections:
            break
        if not any(k[0] == d[0] and iou(k[2:], d[2:]) > iou_threshold for k in kept):
            kept.append(d)
    return kept


class Detector:
    """One ONNX Runtime session of an end2end model, run as the companion runs it."""

    def __init__(self, model_path, threads, tiling, thresholds, iou_threshold=0.7):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
        shape = self.session.get_inputs()[0].shape
        self.input_h, self.input_w = int(shape[2]), int(shape[3])
        self.tiling = tiling
        self.thresholds = thresholds
        self.iou_threshold = iou_threshold
        self.infer_s = 0.0
        self.passes = 0

    def candidates(self, img):
        """Letterbox + infer + threshold, boxes in `img` pixels."""
        inp, r, pl, pt = letterbox(img, self.input_w, self.input_h)
        x = np.ascontiguousarray(inp.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        t = time.perf_counter()
        rows = self.session.run(None, {"images": x})[0][0]
        self.infer_s += time.perf_counter() - t
        self.passes += 1
        h, w = img.shape[:2]
        out = []
        for x1, y1, x2, y2, s, c in rows:
            c = int(c)
            if s > self.thresholds[c]:
                out.append(
                    (
                        c,
                        float(s),
                        float(np.clip((x1 - pl) / r, 0, w)),
                        float(np.clip((y1 - pt) / r, 0, h)),
                        float(np.clip((x2 - pl) / r, 0, w)),
                        float(np.clip((y2 - pt) / r, 0, h)),
                    )
                )
        return out

    def detect(self, img):
        h, w = img.shape[:2]
        if self.tiling is None or not should_tile(w, h, self.input_w, self.input_h, self.tiling):
            return sorted(self.candidates(img), key=lambda d: -d[1])
        found = []
        for x, y, tw, th in plan_tiles(w, h, self.tiling):
            for c, s, x1, y1, x2, y2 in self.candidates(img[y : y + th, x : x + tw]):
                found.append((c, s, x1 + x, y1 + y, x2 + x, y2 + y))
        if self.tiling.full_frame_pass:
            found += self.candidates(img)
        return nms_per_class(found, self.iou_threshold)
