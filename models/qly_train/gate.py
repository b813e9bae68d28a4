"""The fine-tune's verdict and its model card figures: the shipped and the fine-tuned model,
each measured by `qly_train.evaluate` on the same frames.

usage: python -m qly_train.gate OUT.json --margin 0.02 \\
           --set synthetic BASE.json NEW.json [--set new-data BASE.json NEW.json ...]

The first set is the guard: the fine-tuned model is REFUSED (exit 3) when its AP50 of any class
on it is lower than the shipped model's by more than --margin. Every set's figures (AP50,
precision and recall at the operating threshold, truth boxes, and the geotagged recall and
false positives per km where the set has them) go side by side into OUT.json, with the verdict.
"""

import argparse
import json
import sys

from . import CLASS_NAMES

REFUSED = 3


def class_figures(metrics, name):
    b = metrics["boxes"][name]
    out = dict(AP50=b["AP50"], truth_boxes=b["truth_boxes"], precision_at_threshold=b["precision_at_threshold"], recall_at_threshold=b["recall_at_threshold"])
    geo = metrics.get("geo")
    if geo:
        g = geo["classes"][name]
        out.update(recall_within_5m=g.get("recall_within_5m"), false_positives_per_km=g.get("false_positives_per_km"))
    return out


def ap_drops(base, new):
    """Per class: shipped AP50 - fine-tuned AP50 (positive: worse); None where a set has no boxes."""
    out = {}
    for n in CLASS_NAMES:
        a, b = base["boxes"][n]["AP50"], new["boxes"][n]["AP50"]
        out[n] = None if a is None or b is None else round(a - b, 4)
    return out


def verdict(guard_base, guard_new, margin):
    """(accepted, reasons): refused when any class's AP50 dropped by more than `margin`."""
    drops = ap_drops(guard_base, guard_new)
    reasons = [f"{n}: AP50 {guard_base['boxes'][n]['AP50']:.3f} -> {guard_new['boxes'][n]['AP50']:.3f} (drop {d:.3f} > margin {margin})" for n, d in drops.items() if d is not None and d > margin]
    return not reasons, reasons, drops


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--margin", type=float, default=0.02, help="largest AP50 drop allowed on the first (guard) set, per class")
    ap.add_argument("--set", nargs=3, action="append", metavar=("NAME", "SHIPPED.json", "FINETUNED.json"), required=True)
    a = ap.parse_args(argv)
    sets = []
    for name, bp, np_ in a.set:
        with open(bp, encoding="utf-8") as f:
            base = json.load(f)
        with open(np_, encoding="utf-8") as f:
            new = json.load(f)
        if base.get("frames") != new.get("frames") or base.get("worlds") != new.get("worlds"):
            sys.exit(f"set {name}: the two models were measured on different frames ({bp}, {np_})")
        sets.append((name, base, new))
    guard_name, guard_base, guard_new = sets[0]
    accepted, reasons, _ = verdict(guard_base, guard_new, a.margin)
    out = dict(
        guard=dict(set=guard_name, margin_ap50=a.margin, rule="refused when any class's AP50 on the guard set drops by more than the margin"),
        accepted=accepted,
        refused_because=reasons,
        sets={
            name: dict(
                worlds=base.get("worlds"),
                frames=base.get("frames"),
                shipped={n: class_figures(base, n) for n in CLASS_NAMES},
                finetuned={n: class_figures(new, n) for n in CLASS_NAMES},
                ap50_drop=ap_drops(base, new),
            )
            for name, base, new in sets
        },
    )
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    for name, s in out["sets"].items():
        line = ", ".join(f"{n} AP50 {s['shipped'][n]['AP50']} -> {s['finetuned'][n]['AP50']}" for n in CLASS_NAMES)
        print(f"{name} ({s['frames']} frames): {line}")
    if not accepted:
        print("REFUSED: " + "; ".join(reasons), file=sys.stderr)
        return REFUSED
    print(f"accepted: no class lost more than {a.margin} AP50 on {guard_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
