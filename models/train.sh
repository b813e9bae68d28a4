#!/usr/bin/env bash
# The detector's whole pipeline, one command: Python venv from pinned requirements, the
# simulator (release), training and held-out worlds rendered from seeds, training, ONNX export
# with the companion's metadata, evaluation, and the model card's figures.
#
# usage: models/train.sh            (from anywhere; under 60 min on 2 cores, see README.md)
#        models/train.sh --finetune DATASET...
#                                    (start from the shipped model; see "Fine-tuning on
#                                    inspectors' decisions" in README.md and the variables
#                                    below)
#
# Writes models/$NAME.onnx, models/$NAME.train-log.json (training log, stage times, machine
# load) and models/$NAME.metrics.json (held-out figures). Scratch data goes to models/work/.
#
# Environment (all optional):
#   SIM              use this sim binary instead of building target/release/sim
#   QLY_TRAIN_VENV   use this existing venv instead of creating models/.venv (its package
#                    versions are checked against requirements-train.txt)
#   RENDER_MINUTES   wall time for rendering training worlds (seeds 1, 2, ...)  [default 12]
#   MIN_TRAIN_WORLDS / MAX_TRAIN_WORLDS  bounds on their number             [default 4 / 60]
#   TRAIN_FRAMES     frames rendered per training world                       [default 12]
#   TEST_WORLDS      number of held-out worlds (seeds 9001..)                 [default 12]
#   TEST_FRAMES      frames per held-out world                                [default 16]
#   RENDER_SAMPLES   renderer sub-pixel samples per axis                      [default 1]
#   RENDER_JOBS      sim processes rendering at once                          [default 2]
#   TRAIN_MINUTES    training wall-time budget                                [default 35]
#   MAX_STEPS        training step cap                                        [default 8000]
#   REUSE_RENDERED   1: keep the worlds an earlier run rendered into models/work/ (train/,
#                    test/) and skip rendering (to retrain on the same data; the log says so)
#
# --finetune DATASET... (folders `review dataset` writes: images/{train,val}, labels/...):
# fine-tunes the shipped model on the DATASETs' training flights with synthetic replay, measures
# the shipped and the fine-tuned model on the held-out worlds (seeds 9001.., TEST_WORLDS) and
# on the DATASETs' validation flights, and writes models/$FT_NAME.{onnx,metrics.json,
# train-log.json} only when the fine-tuned model loses no more than FT_MARGIN AP50 (either
# class) on the held-out worlds; otherwise it exits 3 and writes nothing under models/ but
# its scratch folder models/work/finetune/ (see models/finetune.sh).
#   SHIPPED          the model to start from                  [models/qly-outfall-plume-cnet1024.onnx]
#   FT_NAME          name of the fine-tuned model             [qly-outfall-plume-cnet1024-ft]
#   FT_MINUTES       fine-tuning wall-time budget             [default 20]
#   FT_MAX_STEPS     fine-tuning step cap                     [default 4000]
#   FT_LR            peak learning rate                       [default 5e-4]
#   REPLAY_WORLDS    synthetic replay worlds: the shipped model's training seeds 1..N (odd
#                    flat, even valley; TRAIN_FRAMES each)                     [default 8]
#   REPLAY_FRACTION  share of each batch's crops drawn from replay             [default 0.5]
#   FT_MARGIN        largest AP50 drop allowed on the held-out worlds          [default 0.02]
#   FT_UNDECIDED     in a new photo with boxes, a class it has none of: ignore (not taught,
#                    the default) or background (qly_train.finetune --undecided)
#   SHIFT_STYLE      also measure both models on held-out worlds of this sim style (e.g.
#                    river-b: seeds 9001.., SHIFT_TEST_WORLDS, TEST_FRAMES each)
#   SHIFT_TEST_WORLDS                                                          [default 6]
#   REUSE_RENDERED=1 keeps worlds already rendered under models/work/finetune/
set -euo pipefail
mode=train
if [ "${1:-}" = --finetune ]; then
  mode=finetune
  shift
  [ "$#" -gt 0 ] || { echo "usage: models/train.sh --finetune DATASET... (folders written by review dataset)" >&2; exit 2; }
  for d in "$@"; do
    [ -d "$d/images/train" ] || { echo "$d: no images/train (expected a folder written by review dataset)" >&2; exit 2; }
  done
elif [ "$#" -gt 0 ]; then
  echo "usage: models/train.sh [--finetune DATASET...]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
NAME="${NAME:-qly-outfall-plume-cnet1024}"
work="$here/work"
RENDER_MINUTES="${RENDER_MINUTES:-12}"
MIN_TRAIN_WORLDS="${MIN_TRAIN_WORLDS:-4}"
MAX_TRAIN_WORLDS="${MAX_TRAIN_WORLDS:-60}"
TRAIN_FRAMES="${TRAIN_FRAMES:-12}"
TEST_WORLDS="${TEST_WORLDS:-12}"
TEST_FRAMES="${TEST_FRAMES:-16}"
RENDER_SAMPLES="${RENDER_SAMPLES:-1}"
RENDER_JOBS="${RENDER_JOBS:-2}"
TRAIN_MINUTES="${TRAIN_MINUTES:-35}"
MAX_STEPS="${MAX_STEPS:-8000}"
TEST_SEED0=9001

[ "$mode" = train ] || work="$here/work/finetune"
mkdir -p "$work"
stages="$work/stages.tsv"
: >"$stages"
t_start=$(date +%s)
stage() { # stage NAME: closes the previous stage, opens NAME
  local now
  now=$(date +%s)
  if [ -n "${_stage:-}" ]; then
    printf '%s\t%s\n' "$_stage" "$((now - _stage_t0))" >>"$stages"
    echo "== $_stage took $((now - _stage_t0)) s" >&2
  fi
  _stage="$1"
  _stage_t0=$now
  [ "$1" = end ] || echo "== $1" >&2
}

# Machine load every 15 s (other people's compilers share these cores): load average and how
# many rustc processes run.
load_log="$work/load.tsv"
printf 'unix_s\tload1\trustc_procs\n' >"$load_log"
(
  while true; do
    printf '%s\t%s\t%s\n' "$(date +%s)" "$(cut -d' ' -f1 /proc/loadavg)" "$(pgrep -c -x rustc || true)" >>"$load_log"
    sleep 15
  done
) &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

stage venv
if [ -n "${QLY_TRAIN_VENV:-}" ]; then
  py="$QLY_TRAIN_VENV/bin/python"
  [ -x "$py" ] || { echo "QLY_TRAIN_VENV=$QLY_TRAIN_VENV: no bin/python there" >&2; exit 2; }
else
  venv="$here/.venv"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements-train.txt" "$venv/.requirements"; then
    echo "creating $venv from requirements-train.txt (torch is a ~3 GB download) ..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-train.txt"
    cp "$here/requirements-train.txt" "$venv/.requirements"
  fi
  py="$venv/bin/python"
fi
# The pinned versions, checked in whatever venv is used.
"$py" - "$here/requirements-train.txt" <<'EOF'
import sys
from importlib.metadata import version
bad = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if "==" in line:
        name, want = line.split("==")
        have = version(name)
        if have.split("+")[0] != want:
            bad.append(f"{name} {have} (pinned {want})")
if bad:
    sys.exit("venv does not match requirements-train.txt: " + ", ".join(bad))
EOF

stage build_sim
if [ -n "${SIM:-}" ]; then
  sim="$SIM"
else
  (cd "$root" && cargo build --release -p sim --quiet)
  sim="$root/target/release/sim"
fi

corridor="$root/missions/sample-corridor.geojson"
camera="Qianliyan sim 2048x1536" # sim's default camera
# Its pinhole intrinsics as qly-core's CameraIntrinsics::from_spec derives them (for geotagging).
"$py" - "$root/core/data/cameras.toml" "$camera" >"$work/camera.json" <<'EOF'
import json, sys, tomllib
spec = next((c for c in tomllib.load(open(sys.argv[1], "rb"))["camera"] if c["name"] == sys.argv[2]), None)
if spec is None:
    sys.exit(f"{sys.argv[1]}: no camera named {sys.argv[2]!r}")
w, h = spec["image_width_px"], spec["image_height_px"]
print(json.dumps(dict(name=spec["name"], width_px=w, height_px=h, cx=w / 2, cy=h / 2,
                      fx=spec["focal_length_mm"] * w / spec["sensor_width_mm"],
                      fy=spec["focal_length_mm"] * h / spec["sensor_height_mm"])))
EOF
render_world() { # render_world SEED FRAMES DIR TERRAIN [STYLE]: world and pose seeds both SEED
  rm -rf "$3"
  local log="$work/logs/$(basename "$(dirname "$3")")-$(basename "$3").log"
  # Plume boxes are the square of ground about the source (sim's default, `--plume-box
  # source`): the point the companion reports and the contest scores.
  "$sim" dataset --corridor "$corridor" --camera "$camera" --world-seed "$1" --seed "$1" \
    --count "$2" --render-samples "$RENDER_SAMPLES" --terrain "$4" --style "${5:-river-a}" --plume-box source \
    --out "$3" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
}

if [ "$mode" = finetune ]; then
  # shellcheck source=finetune.sh
  source "$here/finetune.sh"
  exit 0
fi

stage render
reuse=0
if [ "${REUSE_RENDERED:-0}" = 1 ]; then
  if ls -d "$work"/train/world-* "$work"/test/world-* >/dev/null 2>&1; then
    reuse=1
    echo "REUSE_RENDERED=1: training on the worlds already in $work (not rendered again)" >&2
  else
    echo "REUSE_RENDERED=1 but $work has no rendered worlds: rendering" >&2
  fi
fi
render_all() {
  mkdir -p "$work/train" "$work/test" "$work/logs"
  rm -rf "$work"/train/world-* "$work"/test/world-*
  # Held-out worlds first (their number is fixed), two at a time.
  pids=()
  for s in $(seq "$TEST_SEED0" $((TEST_SEED0 + TEST_WORLDS - 1))); do
    # Flat: the geotagged metrics (qly_train/geo.py) intersect rays with flat ground.
    render_world "$s" "$TEST_FRAMES" "$work/test/world-$s" flat &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$RENDER_JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
  # Training worlds, seeds 1, 2, ... until the render budget is spent (at least MIN_TRAIN_WORLDS).
  t_render=$(date +%s)
  pids=()
  s=0
  while :; do
    s=$((s + 1))
    elapsed=$(($(date +%s) - t_render))
    if [ "$s" -gt "$MIN_TRAIN_WORLDS" ] && [ "$elapsed" -ge $((RENDER_MINUTES * 60)) ]; then break; fi
    if [ "$s" -gt "$MAX_TRAIN_WORLDS" ]; then break; fi
    # Odd seeds on flat ground, even seeds in the synthetic valley the patrol flies over.
    render_world "$s" "$TRAIN_FRAMES" "$work/train/world-$s" "$([ $((s % 2)) = 1 ] && echo flat || echo valley)" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$RENDER_JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
[ "$reuse" = 1 ] || render_all
TRAIN_WORLDS=$(find "$work/train" -maxdepth 1 -name 'world-*' -type d | wc -l)
echo "rendered $TRAIN_WORLDS training worlds" >&2

stage train
(cd "$here" && "$py" -m qly_train.train "$work/train" "$work/run" --minutes "$TRAIN_MINUTES" --max-steps "$MAX_STEPS")

stage export
(cd "$here" && "$py" -m qly_train.export "$work/run/checkpoint.pt" "$here/$NAME.onnx" >"$work/export.json")

stage evaluate
(cd "$here" && "$py" -m qly_train.evaluate "$here/$NAME.onnx" "$here/$NAME.metrics.json" "$work"/test/world-* \
  --camera "$work/camera.json" --corridor "$corridor")

stage end
kill "$sampler" 2>/dev/null || true
(cd "$here" && "$py" -m qly_train.report "$work/run/train-log.json" "$work/export.json" "$stages" "$load_log" \
  "$here/$NAME.train-log.json" --train-worlds "$TRAIN_WORLDS" --train-frames "$TRAIN_FRAMES" \
  --test-worlds "$TEST_WORLDS" --test-frames "$TEST_FRAMES" --test-seed0 "$TEST_SEED0")
echo "done in $(($(date +%s) - t_start)) s: $here/$NAME.onnx, $NAME.train-log.json, $NAME.metrics.json" >&2
