"""Assembles the committed training log: the trainer's log, the export check, each pipeline
stage's wall time, and the machine's load while it ran.

usage: python -m qly_train.report TRAIN_LOG EXPORT_JSON STAGES_TSV LOAD_TSV OUT.json [--train-worlds N ...]
       [--finetune ONNX_WEIGHTS.json]   (a fine-tune: --train-worlds counts the replay worlds)
"""

import argparse
import csv
import json
import os
import platform
import sys


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("train_log")
    ap.add_argument("export_json")
    ap.add_argument("stages")
    ap.add_argument("load")
    ap.add_argument("out")
    ap.add_argument("--finetune", metavar="ONNX_WEIGHTS_JSON", help="a fine-tune's log: what qly_train.onnx_weights printed")
    for k in ("train-worlds", "train-frames", "test-worlds", "test-frames", "test-seed0"):
        ap.add_argument(f"--{k}", type=int, required=True)
    a = ap.parse_args(argv)
    with open(a.train_log, encoding="utf-8") as f:
        log = json.load(f)
    with open(a.export_json, encoding="utf-8") as f:
        export = json.loads(f.read().strip().splitlines()[-1])
    stages = {}
    with open(a.stages, encoding="utf-8") as f:
        for name, secs in csv.reader(f, delimiter="\t"):
            stages[name] = int(secs)
    loads, rustc = [], []
    with open(a.load, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            loads.append(float(row["load1"]))
            rustc.append(int(row["rustc_procs"] or 0))
    held_out = dict(test_world_seeds=f"{a.test_seed0}..{a.test_seed0 + a.test_worlds - 1}", test_frames_per_world=a.test_frames)
    if a.finetune:
        with open(a.finetune, encoding="utf-8") as f:
            log["onnx_weights"] = json.loads(f.read().strip().splitlines()[-1])
        log["data"] = dict(
            source="the new data (review dataset folders, training flights) and synthetic replay (sim dataset)",
            replay_world_seeds=f"1..{a.train_worlds}",
            replay_frames_per_world=a.train_frames,
            **held_out,
        )
    else:
        log["data"] = dict(
            source="sim dataset (the project's renderer), YOLO format",
            train_world_seeds=f"1..{a.train_worlds}",
            train_frames_per_world=a.train_frames,
            **held_out,
        )
    log["export"] = export
    log["pipeline"] = dict(
        stage_wall_s=stages,
        total_wall_s=sum(stages.values()),
        cpus=os.cpu_count(),
        machine=platform.platform(),
        load1_mean=round(sum(loads) / max(len(loads), 1), 2),
        load1_max=max(loads, default=0.0),
        rustc_procs_mean=round(sum(rustc) / max(len(rustc), 1), 2),
        rustc_procs_max=max(rustc, default=0),
        load_samples=len(loads),
    )
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(log, f, indent=1)
    print(json.dumps(log["pipeline"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
