#!/usr/bin/env bash
# The main job, as far as the project goes today: plan the sample river corridor in missions/
# (three battery sorties, coverage proof, all file formats in out/sample-corridor/), start the
# simulated ArduCopter `sim` on loopback, and upload the first sortie to it with
# `planner upload`, which verifies it by downloading it back.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_BACKTRACE=0
cargo build --release --locked -p planner -p sim
bin=target/release
out=out/sample-corridor
home="27.0547,106.9527,1050"   # launch point beside the river, mid-corridor (synthetic)

echo "== planning missions/sample-corridor.geojson"
"$bin/planner" plan missions/sample-corridor.geojson \
  --camera "DJI Mavic 3 Enterprise wide" --gsd 2.0 --side-overlap 70 --front-overlap 80 \
  --battery-min 25 --reserve-min 4 --home "$home" --out "$out" "$@"

echo
echo "== uploading sortie 1 to the simulated vehicle"
port=$((20000 + RANDOM % 20000))
"$bin/sim" --listen "udpin:127.0.0.1:$port" --home "$home" --speedup 10 >"$out/sim.log" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
"$bin/planner" upload "$out/sample-corridor-sortie-1.plan" --connect "udpout:127.0.0.1:$port" --wait-s 10
