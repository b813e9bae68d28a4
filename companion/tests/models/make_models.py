"""Builds the small ONNX test models for the companion's detector tests (opset 17).

Each model finds a white marker in its input and reports a box around it in the output layout
it imitates, so the Rust tests can check that letterboxing and the inverse mapping put the box
where the marker is in the original photo. The marker is the set of input pixels whose every
channel is above 0.8 after normalisation; the box is [first, last + 1) of the marked columns and
rows, in model-input pixels, and its score is zero when there is no marker. Besides the marker box
each model emits a near-duplicate of it (for NMS), an "outfall" box at a fixed input position
(an exact check of the inverse mapping) and low-score noise.

usage: python make_models.py OUT_DIR
Prints one JSON object: {"ort_library": path of libonnxruntime.so from the onnxruntime wheel,
"models": {name: path}}.
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NAMES = "{0: 'outfall', 1: 'plume'}"
# A user's own model (companion::detect::class_map): another class list, in another order.
USER_NAMES = "{0: 'car', 1: 'drain_pipe', 2: 'oil_slick', 3: 'boat', 4: 'culvert'}"
BIG = 1.0e6


class Graph:
    def __init__(self):
        self.nodes = []
        self.inits = []
        self.n = 0

    def const(self, value, dtype=np.float32):
        self.n += 1
        name = f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, **attrs):
        self.n += 1
        out = f"t{self.n}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def marker_box(g, x):
    """Returns (x1, y1, x2, y2, present) tensors of shape [1] for the marker in x [1,3,H,W]."""
    bright = g.op("ReduceMin", [x], axes=[1], keepdims=0)  # [1,H,W]
    mask = g.op("Cast", [g.op("Greater", [bright, g.const(0.8)])], to=TensorProto.FLOAT)
    col = g.op("ReduceMax", [mask], axes=[1], keepdims=0)  # [1,W]
    row = g.op("ReduceMax", [mask], axes=[2], keepdims=0)  # [1,H]
    present = g.op("ReduceMax", [col], axes=[1], keepdims=0)  # [1]
    shape = g.op("Shape", [x])

    def extent(m, axis):
        n = g.op("Cast", [g.op("Gather", [shape, g.const(axis, np.int64)], axis=0)], to=TensorProto.FLOAT)
        idx = g.op("Range", [g.const(0.0), n, g.const(1.0)])  # [n]
        not_m = g.op("Sub", [g.const(1.0), m])
        lo = g.op("ReduceMin", [g.op("Add", [g.op("Mul", [m, idx]), g.op("Mul", [not_m, g.const(BIG)])])], axes=[1], keepdims=0)
        hi = g.op("ReduceMax", [g.op("Mul", [m, g.op("Add", [idx, g.const(1.0)])])], axes=[1], keepdims=0)
        return lo, hi

    x1, x2 = extent(col, 3)
    y1, y2 = extent(row, 2)
    return x1, y1, x2, y2, present


def cat1(g, parts):
    """Concatenates [1]-shaped tensors and Python floats into one vector."""
    ins = [p if isinstance(p, str) else g.const([p]) for p in parts]
    return g.op("Concat", ins, axis=0)


def build(kind, input_dims, out_shape, metadata, path):
    g = Graph()
    x = "images"
    x1, y1, x2, y2, present = marker_box(g, x)
    w = g.op("Sub", [x2, x1])
    h = g.op("Sub", [y2, y1])
    cx = g.op("Mul", [g.op("Add", [x1, x2]), g.const(0.5)])
    cy = g.op("Mul", [g.op("Add", [y1, y2]), g.const(0.5)])
    cx_dup = g.op("Add", [cx, g.op("Mul", [w, g.const(0.05)])])  # IoU ~0.9 with the marker box
    sc = lambda s: g.op("Mul", [present, g.const(s)])  # noqa: E731  score, zero without marker
    if kind == "yolov8":
        # anchors as columns of [1, 4+nc, N]
        a0 = cat1(g, [cx, cy, w, h, 0.05, sc(0.9)])
        a1 = cat1(g, [cx_dup, cy, w, h, 0.0, sc(0.8)])
        const = np.zeros((1, 6, 6), np.float32)
        const[0, :, 0] = [100.0, 150.0, 40.0, 20.0, 0.6, 0.0]  # outfall at input (80,140)-(120,160)
        for k in range(1, 6):
            const[0, :, k] = [30.0 * k, 20.0 * k, 10.0, 10.0, 0.01, 0.02]
        cols = [g.op("Reshape", [a, g.const([1, 6, 1], np.int64)]) for a in (a0, a1)]
        out = g.op("Concat", cols + [g.const(const)], axis=2)
    elif kind == "yolov5":
        r0 = cat1(g, [cx, cy, w, h, sc(0.95), 0.1, 0.9])
        r1 = cat1(g, [cx_dup, cy, w, h, sc(0.85), 0.1, 0.9])
        const = np.zeros((1, 6, 7), np.float32)
        const[0, 0] = [100.0, 150.0, 40.0, 20.0, 0.7, 0.9, 0.05]  # outfall 0.63
        for k in range(1, 6):
            const[0, k] = [30.0 * k, 20.0 * k, 10.0, 10.0, 0.02, 0.5, 0.5]
        rows = [g.op("Reshape", [r, g.const([1, 1, 7], np.int64)]) for r in (r0, r1)]
        out = g.op("Concat", rows + [g.const(const)], axis=1)
    elif kind == "user_yolov8":
        # YOLOv8 layout [1, 4+5, N] with USER_NAMES; score columns car, drain_pipe, oil_slick,
        # boat, culvert. The marker is an oil_slick (0.9); a car (0.85) sits on the same
        # box; a drain_pipe (0.6) and a culvert (0.5) share the fixed box at input
        # (80,140)-(120,160) (IoU 0.9: one outfall once both are mapped onto it); a boat
        # (0.7) at (190,190)-(210,210).
        a0 = cat1(g, [cx, cy, w, h, 0.0, 0.0, sc(0.9), 0.0, 0.0])
        a1 = cat1(g, [cx_dup, cy, w, h, sc(0.85), 0.0, 0.0, 0.0, 0.0])
        const = np.zeros((1, 9, 6), np.float32)
        const[0, :, 0] = [100.0, 150.0, 40.0, 20.0, 0.0, 0.6, 0.0, 0.0, 0.0]
        const[0, :, 1] = [102.0, 150.0, 40.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.5]
        const[0, :, 2] = [200.0, 200.0, 20.0, 20.0, 0.0, 0.0, 0.0, 0.7, 0.0]
        for k in range(3, 6):
            const[0, :, k] = [30.0 * k, 20.0 * k, 10.0, 10.0, 0.01, 0.02, 0.01, 0.02, 0.01]
        cols = [g.op("Reshape", [a, g.const([1, 9, 1], np.int64)]) for a in (a0, a1)]
        out = g.op("Concat", cols + [g.const(const)], axis=2)
    elif kind == "end2end":
        r0 = cat1(g, [x1, y1, x2, y2, sc(0.9), 1.0])
        const = np.zeros((1, 299, 6), np.float32)
        const[0, 0] = [80.0, 140.0, 120.0, 160.0, 0.6, 0.0]
        const[0, 1] = [10.0, 10.0, 20.0, 20.0, 0.01, 1.0]
        out = g.op("Concat", [g.op("Reshape", [r0, g.const([1, 1, 6], np.int64)]), g.const(const)], axis=1)
    elif kind == "unknown":
        mean = g.op("ReduceMean", [x], axes=[1, 2, 3], keepdims=1)  # [1,1,1,1]
        zero = g.op("Reshape", [g.op("Mul", [mean, g.const(0.0)]), g.const([1, 1, 1], np.int64)])
        out = g.op("Add", [zero, g.const(np.full((1, 10, 10), 0.5, np.float32))])
    else:
        raise ValueError(kind)
    g.nodes.append(helper.make_node("Identity", [out], ["output0"]))
    graph = helper.make_graph(
        g.nodes,
        f"qly_test_{kind}",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, input_dims)],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, out_shape)],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="qly-test")
    model.ir_version = 8
    for k, v in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    ultra = {"names": NAMES, "imgsz": "[320, 320]", "stride": "32", "task": "detect"}
    specs = {
        # ultralytics YOLOv8/YOLO11 export: static 320x320 input, [1, 4+nc, N]
        "yolov8": ("yolov8", [1, 3, 320, 320], [1, 6, 8], ultra),
        # YOLOv5-repo export: rectangular static input (H 256, W 320), names and stride only
        "yolov5": ("yolov5", [1, 3, 256, 320], [1, 8, 7], {"names": NAMES, "stride": "32"}),
        # end-to-end head, dynamic input size taken from imgsz
        "end2end": ("end2end", ["batch", 3, "height", "width"], [1, 300, 6], dict(ultra, end2end="True")),
        # the project's own metadata contract, with a mean/std normalisation
        "qly_json": (
            "yolov8",
            [1, 3, "height", "width"],
            [1, 6, 8],
            {
                "qly_detector": json.dumps(
                    {
                        "class_names": ["outfall", "plume"],
                        "input_height_px": 320,
                        "input_width_px": 320,
                        "layout": "yolov8",
                        "mean_rgb": [0.5, 0.5, 0.5],
                        "std_rgb": [0.5, 0.5, 0.5],
                    }
                )
            },
        ),
        "unknown": ("unknown", [1, 3, 320, 320], [1, 10, 10], ultra),
        # a user's own ultralytics YOLOv8 export with five classes of its own
        "user_yolov8": ("user_yolov8", [1, 3, 320, 320], [1, 9, 8], dict(ultra, names=USER_NAMES)),
    }
    models = {}
    for name, (kind, dims, oshape, meta) in specs.items():
        path = os.path.join(out_dir, f"{name}.onnx")
        build(kind, dims, oshape, meta, path)
        models[name] = path
    import onnxruntime

    capi = os.path.join(os.path.dirname(onnxruntime.__file__), "capi")
    libs = sorted(glob.glob(os.path.join(capi, "libonnxruntime.so.*")))
    # Cross-check one model in Python ONNX Runtime: a marker at input (40..60, 100..110).
    x = np.zeros((1, 3, 320, 320), np.float32)
    x[:, :, 100:110, 40:60] = 1.0
    import onnxruntime as ort

    y = ort.InferenceSession(models["yolov8"], providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]
    assert y.shape == (1, 6, 8), y.shape
    assert np.allclose(y[0, :, 0], [50.0, 105.0, 20.0, 10.0, 0.05, 0.9]), y[0, :, 0]
    print(json.dumps({"ort_library": libs[-1] if libs else None, "ort_version": onnxruntime.__version__, "models": models}))


if __name__ == "__main__":
    main()
