"""Trains the detector on a YOLO-format dataset and saves a checkpoint plus a JSON training log.

usage: python -m qly_train.train DATASET_DIR OUT_DIR [--minutes 25] [--max-steps N] ...

The learning-rate schedule (linear warm-up, then cosine to zero) runs on *progress*, the larger
of steps done / --max-steps and minutes spent / --minutes, so the run ends on time on a busy
machine and ends on the step count on a fast one; the log says which bound ended it and how
many steps were taken.
"""

import argparse
import json
import math
import os
import sys
import time

# OpenMP threads that spin while waiting stall each other when other processes share the
# cores (measured: 10.6 s per step spinning vs 3.7 s passive on a loaded 2-core machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from . import CLASS_NAMES
from .data import FrameBank, load_dataset, make_targets, sample_batch, to_tensor  # noqa: E402
from .net import CenterNet, count_parameters


def focal_loss(logits, target):
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), summed over the batch and
    divided by the number of peaks."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1.0 - pos
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - target) ** 4 * neg
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1.0)


def losses(net, x, heat_t, reg_t, mask):
    """Focal loss on the heatmaps; L1 on each box's own class's size and offset channels.

    The losses are computed in float32 even when the network runs under bfloat16 autocast:
    bfloat16 keeps 8 bits of mantissa, and the focal terms of some 10^5 cells per batch are
    summed; the cast costs nothing measurable."""
    heat_p, reg_p = net(x)
    heat_p, reg_p = heat_p.float(), reg_p.float()
    l_heat = focal_loss(heat_p, heat_t)
    b, nc, gh, gw = mask.shape
    reg_p = reg_p.reshape(b, nc, 4, gh, gw)
    reg_t = reg_t.reshape(b, nc, 4, gh, gw)
    m = mask.unsqueeze(2)
    n = mask.sum().clamp(min=1.0)
    l_size = (F.l1_loss(reg_p[:, :, :2], reg_t[:, :, :2], reduction="none") * m).sum() / n
    l_off = (F.l1_loss(reg_p[:, :, 2:], reg_t[:, :, 2:], reduction="none") * m).sum() / n
    return l_heat, l_size, l_off


def cpu_has_native_bf16():
    """Whether this CPU computes bfloat16 in hardware. Elsewhere autocast would emulate it, slower
    than float32. (torch.cpu's probes are private; a torch without them trains in float32.)"""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, p, lambda: False)() for p in probes)


def learning_rate(progress, peak, warmup=0.05):
    if progress < warmup:
        return peak * (0.1 + 0.9 * progress / warmup)
    t = (progress - warmup) / (1 - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="YOLO-format dataset directory (images/, labels/)")
    ap.add_argument("out", help="output directory for checkpoint.pt and train-log.json")
    ap.add_argument("--minutes", type=float, default=25.0, help="training wall-time budget")
    ap.add_argument("--max-steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--input-w", type=int, default=1024, help="model input width: frames are resized to it as the companion resizes them")
    ap.add_argument("--crop-px", type=int, default=512, help="training crop size, in resized pixels (plumes are long: most fit 40 % or more)")
    ap.add_argument("--targeted", type=float, default=0.7, help="fraction of crops placed on a target")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument(
        "--precision",
        choices=("auto", "bf16", "fp32"),
        default="auto",
        help="bf16: the network's forward pass under bfloat16 autocast (weights, optimiser and losses stay float32); "
        "auto: bf16 where the CPU has native bfloat16 (AVX512-BF16 or AMX), else fp32",
    )
    a = ap.parse_args(argv)
    bf16 = a.precision == "bf16" or (a.precision == "auto" and cpu_has_native_bf16())

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    frames = load_dataset(a.data, len(CLASS_NAMES))
    counts = np.bincount(np.concatenate([f.boxes[:, 0].astype(int) for f in frames] + [np.zeros(0, int)]), minlength=len(CLASS_NAMES))
    print(f"{len(frames)} frames, boxes: " + ", ".join(f"{n}={c}" for n, c in zip(CLASS_NAMES, counts)), flush=True)
    bank = FrameBank.build(frames, a.input_w)
    crop_s = time.time() - t0
    print(f"{len(bank)} frames resized to width {a.input_w} in {crop_s:.0f} s", flush=True)

    net = CenterNet(len(CLASS_NAMES))
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    log = dict(
        data=os.path.abspath(a.data),
        frames=len(frames),
        boxes={n: int(c) for n, c in zip(CLASS_NAMES, counts)},
        input_w=a.input_w,
        frame_px=[frames[0].width_px, frames[0].height_px],
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
        load_s=round(crop_s, 1),
        steps=[],
    )
    budget_s = a.minutes * 60
    t_train = time.time()
    step = 0
    acc = np.zeros(4)
    net.train()
    while True:
        progress = max(step / a.max_steps, (time.time() - t_train) / budget_s)
        if progress >= 1.0:
            break
        lr = learning_rate(progress, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        ims, boxes, ignores = sample_batch(bank, a.batch, a.crop_px, a.targeted, rng)
        heat_t, reg_t, mask = make_targets(boxes, ignores, a.crop_px, len(CLASS_NAMES))
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
            entry = dict(
                step=step,
                elapsed_s=round(el, 1),
                lr=round(lr, 6),
                loss=round(m[0], 4),
                heat=round(m[1], 4),
                size=round(m[2], 4),
                offset=round(m[3], 4),
                crops_per_s=round(step * a.batch / el, 2),
            )
            log["steps"].append(entry)
            print(json.dumps(entry), flush=True)
            acc[:] = 0
    train_s = time.time() - t_train
    log["train_s"] = round(train_s, 1)
    log["steps_done"] = step
    log["samples_seen"] = step * a.batch
    log["ended_by"] = "max_steps" if step >= a.max_steps else "time_budget"
    torch.save(net.state_dict(), os.path.join(a.out, "checkpoint.pt"))
    with open(os.path.join(a.out, "train-log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"trained {step} steps in {train_s:.0f} s ({log['ended_by']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
