"""Exports a checkpoint to ONNX (opset 17, static input) with the companion's `qly_detector`
metadata, then checks that ONNX Runtime gives what torch gives.

usage: python -m qly_train.export CHECKPOINT OUT.onnx [--input-h 768 --input-w 1024] [--top-k 100]

Layout `end2end` ([1, K, 6]: x1, y1, x2, y2, score, class id in input pixels): the peak
extraction and top-K run in the graph, so the companion only thresholds, and merges tiles with
its per-class NMS. The input is static (1x3xHxW), which ONNX Runtime and tract both load.
"""

import argparse
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch

from . import CLASS_NAMES
from .net import CenterNet, EndToEnd

OPSET = 17


def metadata(input_h, input_w, extra=None):
    meta = {
        "class_names": list(CLASS_NAMES),
        "input_height_px": input_h,
        "input_width_px": input_w,
        "layout": "end2end",
        "mean_rgb": [0.0, 0.0, 0.0],
        "std_rgb": [1.0, 1.0, 1.0],
    }
    return {"qly_detector": json.dumps(meta), **(extra or {})}


def export(checkpoint, out_path, input_h, input_w, top_k, description):
    net = CenterNet(len(CLASS_NAMES))
    net.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
    wrap = EndToEnd(net.eval(), top_k).eval()
    dummy = torch.rand(1, 3, input_h, input_w, generator=torch.Generator().manual_seed(0))
    torch.onnx.export(
        wrap,
        (dummy,),
        out_path,
        opset_version=OPSET,
        input_names=["images"],
        output_names=["output0"],
        dynamo=False,
    )
    model = onnx.load(out_path)
    for k, v in metadata(input_h, input_w, {"description": description}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    model.producer_name = "qianliyan models/qly_train"
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out_path)

    with torch.no_grad():
        want = wrap(dummy).numpy()
    got = ort.InferenceSession(out_path, providers=["CPUExecutionProvider"]).run(None, {"images": dummy.numpy()})[0]
    if got.shape != (1, top_k, 6):
        raise RuntimeError(f"{out_path}: output shape {got.shape}, expected (1, {top_k}, 6)")
    # Compare the confident rows (the order of near-equal low scores may differ).
    conf = want[0, :, 4] > 0.05
    diff = float(np.abs(got[0, conf] - want[0, conf]).max()) if conf.any() else 0.0
    return dict(opset=OPSET, input_hw=[input_h, input_w], top_k=top_k, onnx_vs_torch_max_abs_diff=diff, confident_rows=int(conf.sum()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--input-h", type=int, default=768, help="input height, px (frame height x scale)")
    ap.add_argument("--input-w", type=int, default=1024, help="input width, px")
    ap.add_argument("--top-k", type=int, default=100)
    ap.add_argument("--description", default="Qianliyan outfall/plume detector (CenterNet-style, trained on synthetic imagery)")
    a = ap.parse_args(argv)
    if a.input_h % 64 or a.input_w % 64:
        ap.error(f"--input-h/--input-w {a.input_h}x{a.input_w}: expected multiples of 64")
    print(json.dumps(export(a.checkpoint, a.out, a.input_h, a.input_w, a.top_k, a.description)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
