"""Builds the companion throughput benchmark's inputs: a YOLOv8-layout detector of realistic
cost and a folder of photo-sized JPEG frames.

The model is a plain convolutional backbone (3x3 convolutions with SiLU, stride-2 downsampling
from 640x640 to 20x20, about 5 GFLOPs, the order of ultralytics' YOLOv8n at 8.7) with three
heads at strides 8, 16 and 32, giving the ultralytics output layout `[1, 4 + nc, 8400]` with
ultralytics metadata (names, imgsz, stride, task). Its random weights would score nothing, so
two of the 8400 anchors are replaced by the white-marker detector of
companion/tests/models/make_models.py: every frame with a marker yields real detections, so
decoding, NMS, geotagging and the journal do their normal work. The project's trained detector
is benched with the same scripts by passing its path.

usage: python make_bench_model.py OUT_DIR [--frames N] [--width 2048] [--height 1536]
Writes OUT_DIR/bench_yolov8.onnx and OUT_DIR/frames/frame_NNN.jpg; prints a JSON report.
"""
import argparse
import importlib.util
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "make_models", os.path.join(HERE, "..", "companion", "tests", "models", "make_models.py")
)
mm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mm)


def conv(g, x, cin, cout, k, stride, rng, act=True):
    w = rng.normal(0.0, np.sqrt(2.0 / (cin * k * k)), (cout, cin, k, k)).astype(np.float32)
    b = np.zeros(cout, np.float32)
    y = g.op("Conv", [x, g.const(w), g.const(b)], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
    if act:
        y = g.op("Mul", [y, g.op("Sigmoid", [y])])  # SiLU
    return y


def build_model(path, nc=2):
    rng = np.random.default_rng(7)
    g = mm.Graph()
    x = "images"
    # backbone: 640 -> 320 -> 160 -> 80 (P3) -> 40 (P4) -> 20 (P5)
    y = conv(g, x, 3, 16, 3, 2, rng)
    y = conv(g, y, 16, 32, 3, 2, rng)
    y = conv(g, y, 32, 32, 3, 1, rng)
    y = conv(g, y, 32, 64, 3, 2, rng)
    y = conv(g, y, 64, 64, 3, 1, rng)
    p3 = conv(g, y, 64, 64, 3, 1, rng)
    y = conv(g, p3, 64, 128, 3, 2, rng)
    y = conv(g, y, 128, 128, 3, 1, rng)
    p4 = conv(g, y, 128, 128, 3, 1, rng)
    y = conv(g, p4, 128, 256, 3, 2, rng)
    y = conv(g, y, 256, 256, 3, 1, rng)
    p5 = conv(g, y, 256, 256, 3, 1, rng)
    outs = []
    for p, c, n in ((p3, 64, 6400), (p4, 128, 1600), (p5, 256, 400)):
        h = conv(g, p, c, 64, 3, 1, rng)
        h = conv(g, h, 64, 4 + nc, 1, 1, rng, act=False)
        outs.append(g.op("Reshape", [h, g.const([1, 4 + nc, n], np.int64)]))
    raw = g.op("Concat", outs, axis=2)  # [1, 4+nc, 8400]
    boxes = g.op("Mul", [g.op("Sigmoid", [g.op("Slice", [raw, g.const([0], np.int64), g.const([4], np.int64), g.const([1], np.int64)])]), g.const(640.0)])
    logits = g.op("Slice", [raw, g.const([4], np.int64), g.const([4 + nc], np.int64), g.const([1], np.int64)])
    scores = g.op("Sigmoid", [g.op("Sub", [logits, g.const(12.0)])])  # random weights score ~0
    dense = g.op("Concat", [boxes, scores], axis=1)
    rest = g.op("Slice", [dense, g.const([2], np.int64), g.const([8400], np.int64), g.const([2], np.int64)])
    # the marker detector's two anchors (make_models.py's yolov8 columns 0 and 1)
    x1, y1, x2, y2, present = mm.marker_box(g, x)
    w = g.op("Sub", [x2, x1])
    hh = g.op("Sub", [y2, y1])
    cx = g.op("Mul", [g.op("Add", [x1, x2]), g.const(0.5)])
    cy = g.op("Mul", [g.op("Add", [y1, y2]), g.const(0.5)])
    cx_dup = g.op("Add", [cx, g.op("Mul", [w, g.const(0.05)])])
    sc = lambda s: g.op("Mul", [present, g.const(s)])  # noqa: E731
    a0 = mm.cat1(g, [cx, cy, w, hh, 0.05, sc(0.9)])
    a1 = mm.cat1(g, [cx_dup, cy, w, hh, 0.0, sc(0.8)])
    cols = [g.op("Reshape", [a, g.const([1, 6, 1], np.int64)]) for a in (a0, a1)]
    out = g.op("Concat", cols + [rest], axis=2)
    g.nodes.append(helper.make_node("Identity", [out], ["output0"]))
    graph = helper.make_graph(
        g.nodes,
        "qly_bench_yolov8",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + nc, 8400])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="qly-bench")
    model.ir_version = 8
    for k, v in {"names": mm.NAMES, "imgsz": "[640, 640]", "stride": "32", "task": "detect"}.items():
        e = model.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def make_frames(out_dir, n, width, height):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    paths = []
    for i in range(n):
        # river-bank-like texture: smooth colour fields, ripples and sensor noise
        base = np.zeros((height, width, 3), np.float32)
        for c, (lo, hi) in enumerate(((40, 120), (60, 150), (30, 100))):
            f = np.zeros((height, width), np.float32)
            for _ in range(4):
                kx, ky = rng.uniform(0.002, 0.02, 2)
                ph = rng.uniform(0, 2 * np.pi)
                f += np.sin(kx * xx + ky * yy + ph)
            base[..., c] = lo + (hi - lo) * (f / 8.0 + 0.5)
        base += rng.normal(0.0, 6.0, base.shape).astype(np.float32)
        mx, my = int(rng.integers(200, width - 240)), int(rng.integers(200, height - 240))
        base[my:my + 40, mx:mx + 40] = 255.0
        path = os.path.join(out_dir, f"frame_{i:03d}.jpg")
        Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--height", type=int, default=1536)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    model = os.path.join(a.out_dir, "bench_yolov8.onnx")
    build_model(model)
    frames = make_frames(os.path.join(a.out_dir, "frames"), a.frames, a.width, a.height)
    print(json.dumps({"model": model, "frames_dir": os.path.dirname(frames[0]), "frames": len(frames),
                      "frame_bytes_mean": int(np.mean([os.path.getsize(p) for p in frames]))}))


if __name__ == "__main__":
    main()
