"""Fine-tunes the shipped detector on new data (inspectors' decisions) with synthetic replay.

usage: python -m qly_train.finetune INIT.pt OUT_DIR --new DIR [DIR...] --replay DIR [--replay-fraction 0.5] [--minutes 20]

- Starts from INIT.pt (`qly_train.onnx_weights` writes the shipped model's weights from its
  ONNX file; a `train.py` checkpoint works too). BatchNorms stay frozen (their running
  statistics are the shipped model's, folded into the ONNX file), their scale and shift learn.
- Every batch mixes crops of the new frames (`--new`: the `images/train` folders of `review
  dataset` outputs, or any YOLO-format folder) with crops of synthetic replay frames
  (`--replay`: rendered worlds of the original style): `round(batch * replay_fraction)` of each
  batch's crops are replay, so the network keeps seeing what it was trained on while it
  learns the new data, and does not forget it.
- A rejected finding's photo is a frame without labels: its crops are all background, which
  teaches the network that what it found there is not a target (a hard negative).
- In a new frame with boxes, a class it has no box of is ignored by the loss (`--undecided
  ignore`, the default), not taught as background: decisions label only what the detector
  reported, and an outfall's photo often shows its plume's source, which nobody decided on.
  (Measured on river-b, models/README.md: it did not stop the original style's plume loss.)
- Learning rate: linear warm-up then cosine to zero, on the larger of steps / --max-steps and
  minutes / --minutes (as `train.py`), peak `--lr` (lower than from scratch: the weights are
  already good). The log records the mix, the budget and which bound ended the run.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from . import CLASS_NAMES  # noqa: E402
from .data import IGNORE_HEAT, DatasetError, FrameBank, load_dataset, make_targets, sample_batch, to_tensor  # noqa: E402
from .net import CenterNet, count_parameters  # noqa: E402
from .onnx_weights import freeze_batchnorm  # noqa: E402
from .train import cpu_has_native_bf16, learning_rate, losses  # noqa: E402


def replay_split(batch, replay_fraction):
    """(new crops, replay crops) per batch; each side gets at least one crop when its fraction
    is above 0 (a fraction of 0 or 1 gives all of one)."""
    if not 0.0 <= replay_fraction <= 1.0:
        raise ValueError(f"replay fraction {replay_fraction}: expected 0..1")
    n_replay = int(round(batch * replay_fraction))
    if 0.0 < replay_fraction < 1.0:
        n_replay = min(max(n_replay, 1), batch - 1)
    return batch - n_replay, n_replay


def load_frames(dirs):
    frames = []
    for d in dirs:
        frames += load_dataset(d, len(CLASS_NAMES))
    return frames


def box_counts(frames):
    counts = np.bincount(np.concatenate([f.boxes[:, 0].astype(int) for f in frames] + [np.zeros(0, int)]), minlength=len(CLASS_NAMES))
    return {n: int(c) for n, c in zip(CLASS_NAMES, counts)}


def mixed_batch(new_bank, replay_bank, n_new, n_replay, crop_px, targeted, rng, picked=None):
    """One batch: n_new crops of new frames, then n_replay of replay frames. With a list
    `picked`, the new crops' frame indices are appended to it."""
    parts = []
    if n_new > 0:
        parts.append(sample_batch(new_bank, n_new, crop_px, targeted, rng, picked=picked))
    if n_replay > 0:
        parts.append(sample_batch(replay_bank, n_replay, crop_px, targeted, rng))
    ims = np.concatenate([p[0] for p in parts])
    boxes = [b for p in parts for b in p[1]]
    ignores = [i for p in parts for i in p[2]]
    return ims, boxes, ignores


def unknown_classes(bank, picked, num_classes):
    """[(crop, class)]: for each new crop (in `picked` order), the classes its frame has no box
    of, when the frame has a box of some class. Decisions label only what the detector
    reported: a photo with a confirmed outfall may well show a plume nobody decided on, which
    must not be taught as background. A frame without any box (a rejected finding's photo) is
    a hard negative for every class and keeps them all."""
    out = []
    for j, k in enumerate(picked):
        present = set(bank.boxes[k][:, 0].astype(int).tolist())
        if present:
            out += [(j, c) for c in range(num_classes) if c not in present]
    return out


def ignore_classes(heat, crops_classes):
    """Silences the background term of the focal loss on whole class maps (heat target just
    under 1, as an ignore region); peaks already there stay positives."""
    for j, c in crops_classes:
        heat[j, c].clamp_(min=IGNORE_HEAT)
    return heat


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("init", help="starting weights (state dict): the shipped model's")
    ap.add_argument("out", help="output directory for checkpoint.pt and train-log.json")
    ap.add_argument("--new", nargs="+", required=True, help="YOLO-format folders of the new data (training side)")
    ap.add_argument("--replay", nargs="+", required=True, help="YOLO-format folders of synthetic replay (rendered worlds)")
    ap.add_argument("--replay-fraction", type=float, default=0.5, help="share of each batch's crops drawn from replay")
    ap.add_argument("--minutes", type=float, default=20.0, help="training wall-time budget")
    ap.add_argument("--max-steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--input-w", type=int, default=1024)
    ap.add_argument("--crop-px", type=int, default=512)
    ap.add_argument("--targeted", type=float, default=0.7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto")
    ap.add_argument(
        "--undecided",
        choices=("background", "ignore"),
        default="ignore",
        help="in a new frame with boxes, a class it has no box of: taught as background, or ignored (not taught either way)",
    )
    a = ap.parse_args(argv)
    n_new, n_replay = replay_split(a.batch, a.replay_fraction)
    bf16 = a.precision == "bf16" or (a.precision == "auto" and cpu_has_native_bf16())

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    try:
        new_frames = load_frames(a.new)
        replay_frames = load_frames(a.replay) if n_replay else []
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    new_boxes, replay_boxes = box_counts(new_frames), box_counts(replay_frames)
    empty = sum(1 for f in new_frames if len(f.boxes) == 0)
    print(f"new: {len(new_frames)} frames ({empty} without targets), boxes {new_boxes}; replay: {len(replay_frames)} frames, boxes {replay_boxes}", flush=True)
    new_bank = FrameBank.build(new_frames, a.input_w)
    replay_bank = FrameBank.build(replay_frames, a.input_w) if n_replay else None
    load_s = time.time() - t0

    net = CenterNet(len(CLASS_NAMES))
    net.load_state_dict(torch.load(a.init, map_location="cpu", weights_only=True))
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    log = dict(
        mode="finetune",
        init=os.path.abspath(a.init),
        new_data=[os.path.abspath(d) for d in a.new],
        new_frames=len(new_frames),
        new_frames_without_targets=empty,
        new_boxes=new_boxes,
        replay_data=[os.path.abspath(d) for d in a.replay],
        replay_frames=len(replay_frames),
        replay_boxes=replay_boxes,
        replay_fraction=a.replay_fraction,
        crops_per_batch=dict(new=n_new, replay=n_replay),
        batchnorm="frozen (the shipped statistics); scale and shift trained",
        undecided_classes=a.undecided,
        input_w=a.input_w,
        crop_px=a.crop_px,
        targeted_fraction=a.targeted,
        batch=a.batch,
        peak_lr=a.lr,
        minutes_budget=a.minutes,
        max_steps=a.max_steps,
        threads=a.threads,
        precision="bf16" if bf16 else "fp32",
        seed=a.seed,
        parameters=count_parameters(net),
        torch=torch.__version__,
        load_s=round(load_s, 1),
        steps=[],
    )
    budget_s = a.minutes * 60
    t_train = time.time()
    step = 0
    acc = np.zeros(4)
    freeze_batchnorm(net.train())
    while True:
        progress = max(step / a.max_steps, (time.time() - t_train) / budget_s)
        if progress >= 1.0:
            break
        lr = learning_rate(progress, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        picked = []
        ims, boxes, ignores = mixed_batch(new_bank, replay_bank, n_new, n_replay, a.crop_px, a.targeted, rng, picked)
        heat_t, reg_t, mask = make_targets(boxes, ignores, a.crop_px, len(CLASS_NAMES))
        if a.undecided == "ignore":
            ignore_classes(heat_t, unknown_classes(new_bank, picked, len(CLASS_NAMES)))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            l_heat, l_size, l_off = losses(net, to_tensor(ims, rng), heat_t, reg_t, mask)
        loss = l_heat + 0.5 * l_size + l_off
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        opt.step()
        step += 1
        acc += [loss.item(), l_heat.item(), l_size.item(), l_off.item()]
        if step % a.log_every == 0:
            el = time.time() - t_train
            m = acc / a.log_every
            entry = dict(step=step, elapsed_s=round(el, 1), lr=round(lr, 6), loss=round(m[0], 4), heat=round(m[1], 4), size=round(m[2], 4), offset=round(m[3], 4), crops_per_s=round(step * a.batch / el, 2))
            log["steps"].append(entry)
            print(json.dumps(entry), flush=True)
            acc[:] = 0
    train_s = time.time() - t_train
    log["train_s"] = round(train_s, 1)
    log["steps_done"] = step
    log["samples_seen"] = step * a.batch
    log["ended_by"] = "max_steps" if step >= a.max_steps else "time_budget"
    torch.save(net.eval().state_dict(), os.path.join(a.out, "checkpoint.pt"))
    with open(os.path.join(a.out, "train-log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"fine-tuned {step} steps in {train_s:.0f} s ({log['ended_by']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
