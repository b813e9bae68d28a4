"""The companion's photo pipeline written the obvious way in Python, for the throughput
comparison: Pillow decode, Pillow bilinear letterbox, numpy tensor, onnxruntime, numpy decode
and greedy NMS, a pinhole geotag onto flat ground, one JSON line per record to a file.

It mirrors what the Rust pipeline does per frame (same model, frames, thresholds 0.25 / IoU
0.7, same intra-op thread count) but is not a port of its code. Also times raw
`session.run` on a pre-made tensor, side by side.

usage: python companion_python.py MODEL FRAMES_DIR [--threads 1,2] [--rounds 3] [--journal PATH]
Prints one JSON object with per-thread-count figures.
"""
import argparse
import glob
import io
import json
import math
import os
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

CONF, IOU = 0.25, 0.7
F_PX, HEIGHT_M = 1500.0, 100.0  # the bench's nadir camera: 100 m over flat ground


def letterbox(img, size):
    w, h = img.size
    r = min(size / w, size / h)
    nw, nh = round(w * r), round(h * r)
    resized = img.resize((nw, nh), Image.BILINEAR)
    canvas = Image.new("RGB", (size, size), (114, 114, 114))
    left, top = round((size - nw) / 2 - 0.1), round((size - nh) / 2 - 0.1)
    canvas.paste(resized, (left, top))
    x = np.asarray(canvas, dtype=np.float32) / 255.0
    return x.transpose(2, 0, 1)[None].copy(), r, left, top


def nms(boxes, scores, iou):
    order = scores.argsort()[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
        o = inter / (area(boxes[i]) + area(boxes[order[1:]]) - inter + 1e-9)
        order = order[1:][o <= iou]
    return keep


def postprocess(out, r, left, top, w, h):
    p = out[0].T  # [8400, 4+nc]
    cls = p[:, 4:].argmax(1)
    conf = p[np.arange(len(p)), 4 + cls]
    m = conf > CONF
    p, cls, conf = p[m], cls[m], conf[m]
    b = np.stack([p[:, 0] - p[:, 2] / 2, p[:, 1] - p[:, 3] / 2, p[:, 0] + p[:, 2] / 2, p[:, 1] + p[:, 3] / 2], 1)
    dets = []
    for c in np.unique(cls):
        idx = np.where(cls == c)[0]
        for k in nms(b[idx], conf[idx], IOU):
            bb = b[idx[k]]
            x1, x2 = np.clip((bb[[0, 2]] - left) / r, 0, w)
            y1, y2 = np.clip((bb[[1, 3]] - top) / r, 0, h)
            dets.append((int(c), float(conf[idx[k]]), [float(x1), float(y1), float(x2), float(y2)]))
    return dets


def geotag(det, w, h, lat0, lon0):
    x1, y1, x2, y2 = det[2]
    u, v = (x1 + x2) / 2, (y1 + y2) / 2
    east = (u - w / 2) / F_PX * HEIGHT_M
    north = -(v - h / 2) / F_PX * HEIGHT_M
    lat = lat0 + math.degrees(north / 6378137.0)
    lon = lon0 + math.degrees(east / (6378137.0 * math.cos(math.radians(lat0))))
    return {"kind": "sighting", "class_id": det[0], "confidence": det[1], "bbox_px": det[2], "lat_deg": lat, "lon_deg": lon}


def run_frame(sess, name, jpeg, i, journal, t):
    t0 = time.perf_counter()
    img = Image.open(io.BytesIO(jpeg)).convert("RGB")
    img.load()
    t1 = time.perf_counter()
    x, r, left, top = letterbox(img, 640)
    t2 = time.perf_counter()
    out = sess.run(None, {name: x})[0]
    t3 = time.perf_counter()
    w, h = img.size
    dets = postprocess(out, r, left, top, w, h)
    t4 = time.perf_counter()
    records = [{"kind": "frame", "image_index": i, "width_px": w, "height_px": h, "detections": len(dets)}]
    records += [geotag(d, w, h, 30.55, 114.31) for d in dets]
    for rec in records:
        journal.write(json.dumps(rec) + "\n")
        journal.flush()
    t5 = time.perf_counter()
    for k, dt in zip(("jpeg_decode", "preprocess", "inference", "postprocess", "findings"), (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
        t[k] += dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("frames_dir")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--journal", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "qly_bench_python.jsonl"))
    a = ap.parse_args()
    frames = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(a.frames_dir, "*.jpg")))]
    report = {"frames": len(frames), "rounds": a.rounds, "onnxruntime": ort.__version__, "threads": {}}
    for threads in [int(t) for t in a.threads.split(",")]:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        x, *_ = letterbox(Image.open(io.BytesIO(frames[0])).convert("RGB"), 640)
        for _ in range(3):
            sess.run(None, {name: x})
        raw_s, e2e_s, raw_cpu, e2e_cpu = 0.0, 0.0, 0.0, 0.0
        stages = dict.fromkeys(("jpeg_decode", "preprocess", "inference", "postprocess", "findings"), 0.0)
        with open(a.journal, "w") as journal:
            for _ in range(a.rounds):
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in frames:
                    sess.run(None, {name: x})
                raw_s += time.perf_counter() - t0
                raw_cpu += time.process_time() - c0
                t0, c0 = time.perf_counter(), time.process_time()
                for i, jpeg in enumerate(frames):
                    run_frame(sess, name, jpeg, i, journal, stages)
                e2e_s += time.perf_counter() - t0
                e2e_cpu += time.process_time() - c0
        n = len(frames) * a.rounds
        report["threads"][str(threads)] = {
            "raw_fps": n / raw_s,
            "e2e_fps": n / e2e_s,
            "ratio": (n / e2e_s) / (n / raw_s),
            "stage_ms": {k: v / n * 1000 for k, v in stages.items()},
            # CPU time of the process per frame: what a frame costs on a free machine.
            "cpu_ms_per_frame": {"raw": raw_cpu / n * 1000, "e2e": e2e_cpu / n * 1000},
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
