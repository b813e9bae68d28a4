#!/usr/bin/env bash
# The detector's whole pipeline, one command: Python venv from pinned requirements, the
# simulator (release), training and held-out worlds rendered from seeds, training, ONNX export
# with the companion's metadata, evaluation, and the model card's figures.
#
# usage: models/train.sh            (from anywhere; about 50 min on 2 cores, see README.md)
#
# Writes models/$NAME.onnx, models/$NAME.train-log.json (training log, stage times, machine
# load) and models/$NAME.metrics.json (held-out figures). Scratch data goes to models/work/.
#
# Environment (all optional):
#   QLY_TRAIN_VENV   use this existing venv instead of creating models/.venv (its package
#                    versions are checked against requirements-train.txt)
#   TRAIN_WORLDS     number of training worlds (seeds 1..N)                   [default 12]
#   TRAIN_FRAMES     frames rendered per training world                       [default 60]
#   TEST_WORLDS      number of held-out worlds (seeds 9001..)                 [default 3]
#   TEST_FRAMES      frames per held-out world                                [default 40]
#   TRAIN_MINUTES    training wall-time budget                                [default 24]
#   MAX_STEPS        training step cap                                        [default 4000]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
NAME="${NAME:-qly-outfall-plume-cnet1024}"
work="$here/work"
TRAIN_WORLDS="${TRAIN_WORLDS:-12}"
TRAIN_FRAMES="${TRAIN_FRAMES:-60}"
TEST_WORLDS="${TEST_WORLDS:-3}"
TEST_FRAMES="${TEST_FRAMES:-40}"
TRAIN_MINUTES="${TRAIN_MINUTES:-24}"
MAX_STEPS="${MAX_STEPS:-4000}"
TEST_SEED0=9001

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
(cd "$root" && cargo build --release -p sim --quiet)
sim="$root/target/release/sim"

stage render
render_world() { # render_world SEED FRAMES DIR
  rm -rf "$3"
  "$sim" dataset --world-seed "$1" --seed "$1" --count "$2" --out "$3" >"$3.log" 2>&1 \
    || { cat "$3.log" >&2; exit 1; }
}
mkdir -p "$work/train" "$work/test"
for s in $(seq 1 "$TRAIN_WORLDS"); do render_world "$s" "$TRAIN_FRAMES" "$work/train/world-$s"; done
for s in $(seq "$TEST_SEED0" $((TEST_SEED0 + TEST_WORLDS - 1))); do
  render_world "$s" "$TEST_FRAMES" "$work/test/world-$s"
done

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
