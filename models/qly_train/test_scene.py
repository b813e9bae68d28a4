"""Picks the scene for companion/tests/model_shipped.rs from held-out rendered frames.

usage: python -m qly_train.test_scene MODEL.onnx OUT_DIR WORLD_DIR...

Takes the first frame (worlds in the order given, frames in order) that has at least
`MIN_OUTFALLS` outfall labels and `MIN_PLUMES` plume labels (plume boxes: the square of ground
about the source) and on which the model, run as the test runs it (one full-frame pass,
confidence 0.3), finds every label by the test's rule (a box centre within 8 px of an
outfall label's, within 16 px of a plume label's) with at most one other detection. Copies
the frame unchanged to OUT_DIR/scene.jpg, its labels to scene.txt, and writes scene.json
(where it came from, and how many frames were passed over: the test is a regression check on
a frame the model gets right, not a measure of how often it does; the card's figures are that).
"""

import json
import os
import shutil
import sys

import numpy as np

from .data import load_dataset, read_rgb
from .tiling import Detector

THRESHOLD = 0.3


# Largest distance between a detection's box centre and its label's, per class, pixels of the
# 2048x1536 frame: 8 px is 40 cm at 5 cm/px; a plume's source box is 8 m of ground, 16 px 80 cm.
MAX_CENTRE_PX = (8.0, 16.0)


def matches(label, det):
    cls, x1, y1, x2, y2 = label
    if det[0] != int(cls):
        return False
    return np.hypot((det[2] + det[4] - x1 - x2) / 2, (det[3] + det[5] - y1 - y2) / 2) <= MAX_CENTRE_PX[int(cls)]


MIN_OUTFALLS = 1
MIN_PLUMES = 1


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        sys.exit(__doc__)
    model, out_dir, worlds = argv[0], argv[1], argv[2:]
    det = Detector(model, 2, None, [THRESHOLD, THRESHOLD])
    passed_over = 0
    for w in worlds:
        for f in load_dataset(w, 2):
            counts = np.bincount(f.boxes[:, 0].astype(int), minlength=2)
            if counts[0] < MIN_OUTFALLS or counts[1] < MIN_PLUMES:
                continue
            dets = det.detect(read_rgb(f.image_path))
            found = all(any(matches(lab, d) for d in dets) for lab in f.boxes)
            extra = sum(1 for d in dets if not any(matches(lab, d) for lab in f.boxes))
            if not (found and extra <= 1):
                passed_over += 1
                continue
            os.makedirs(out_dir, exist_ok=True)
            shutil.copyfile(f.image_path, os.path.join(out_dir, "scene.jpg"))
            label_file = os.path.splitext(f.image_path.replace(os.sep + "images" + os.sep, os.sep + "labels" + os.sep))[0] + ".txt"
            shutil.copyfile(label_file, os.path.join(out_dir, "scene.txt"))
            info = dict(
                source="sim dataset (the project's renderer), unmodified frame and labels",
                world=os.path.basename(w.rstrip("/")),
                frame=os.path.basename(f.image_path),
                size_px=[f.width_px, f.height_px],
                labels=len(f.boxes),
                min_outfalls=MIN_OUTFALLS,
                min_plumes=MIN_PLUMES,
                candidate_frames_passed_over=passed_over,
                detections=[dict(class_id=d[0], score=round(d[1], 3), box=[round(v, 1) for v in d[2:]]) for d in dets],
            )
            with open(os.path.join(out_dir, "scene.json"), "w", encoding="utf-8") as fh:
                json.dump(info, fh, indent=1)
            print(json.dumps(info))
            return 0
    sys.exit(f"no frame with {MIN_OUTFALLS}+ outfalls and {MIN_PLUMES}+ plumes that the model gets right ({passed_over} passed over)")


if __name__ == "__main__":
    sys.exit(main())
