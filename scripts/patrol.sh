#!/usr/bin/env bash
# The whole patrol in one command: plan the sample river corridor, start the simulated
# ArduCopter `sim` with its world (river, outfalls, plumes) and realistic sensor noise, start
# the on-board `companion` on a second MAVLink link of the sim, upload the mission with
# `planner upload`, fly it with `planner fly` (sped up) while the companion detects, geotags
# and fuses live from the rendered frames, then score the candidates against the world's
# ground truth with `review`, write the review page and an evidence package, verify it, and
# print the figures.
#
# usage: scripts/patrol.sh [CORRIDOR.geojson]      (default missions/sample-corridor.geojson)
#
# Everything lands in out/patrol-<UTC time>/ (a flight folder: plan/, frames/, journal.qlj,
# telemetry.tlog, truth.geojson, candidates.*, report.html, evidence/, figures.json, logs/).
#
# Settings (environment, all optional):
#   SPEEDUP        simulated seconds per wall second                       [default 5]
#   ALT_M          flight height above take-off, metres                    [default 100]
#   SPEED_M_S      survey speed, m/s                                       [default 10]
#   FRONT_OVERLAP  forward overlap of photos, percent                      [default 50]
#   WORLD_SEED     the world (targets) seed; SEED the sensor-noise seed [default 7001 / 1]
#                  (7001: a world the detector never saw; models/train.sh trains on
#                  seeds 1..60 at most and holds out 9001..)
#   GPS_SIGMA_M ATTITUDE_SIGMA_DEG HEADING_SIGMA_DEG   sim noise (1 sigma) [1.5 / 0.5 / 1.0]
#   OUTFALL_CONFIDENCE PLUME_CONFIDENCE  detector thresholds per class      [0.35 / 0.35]
#   MIN_SIGHTINGS  photos a candidate needs before it is reported          [default 2]
#   DEM            a GeoTIFF terrain model: the plan follows it, the sim's world stands on
#                  it, the companion geotags onto it [default missions/sample-corridor-dem.tif,
#                  the synthetic valley; DEM= for flat ground]
#   MODEL          the detector (ONNX)                        [models/qly-outfall-plume-*.onnx]
#   OUT            the flight folder                                  [out/patrol-<UTC time>]
#   QUIET_BUILD=1  build without cargo's progress
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export RUST_BACKTRACE=0

CORRIDOR="${1:-${CORRIDOR:-missions/sample-corridor.geojson}}"
SPEEDUP="${SPEEDUP:-5}"
ALT_M="${ALT_M:-100}"
SPEED_M_S="${SPEED_M_S:-10}"
FRONT_OVERLAP="${FRONT_OVERLAP:-50}"
WORLD_SEED="${WORLD_SEED:-7001}"
SEED="${SEED:-1}"
GPS_SIGMA_M="${GPS_SIGMA_M:-1.5}"
ATTITUDE_SIGMA_DEG="${ATTITUDE_SIGMA_DEG:-0.5}"
HEADING_SIGMA_DEG="${HEADING_SIGMA_DEG:-1.0}"
OUTFALL_CONFIDENCE="${OUTFALL_CONFIDENCE:-0.35}"
PLUME_CONFIDENCE="${PLUME_CONFIDENCE:-0.35}"
MIN_SIGHTINGS="${MIN_SIGHTINGS:-2}"
ALT_SIGMA_M="${ALT_SIGMA_M:-0.8}"
# The sample corridor's synthetic valley by default; DEM= (empty) flies over flat ground.
DEM="${DEM-missions/sample-corridor-dem.tif}"
CAMERA="Qianliyan sim 2048x1536" # the sim's camera (core/data/cameras.toml)
HOME_AMSL_M=1050                  # launch height (synthetic), the world's ground

t0=$(date +%s)
say() { printf '\n== [%4ds] %s\n' "$(($(date +%s) - t0))" "$*"; }

say "set-up: Python venv with ONNX Runtime (scripts/setup-env.sh)"
# shellcheck source=setup-env.sh
source scripts/setup-env.sh
if [ -z "${ORT_DYLIB_PATH:-}" ]; then
  echo "error: ONNX Runtime not found (ORT_DYLIB_PATH unset after scripts/setup-env.sh)" >&2
  exit 1
fi
say "building the release binaries (planner, sim, companion, review)"
cargo build --release --locked ${QUIET_BUILD:+--quiet} -p planner -p sim -p companion -p review
bin="$root/target/release"

MODEL="${MODEL:-$(ls "$root"/models/*.onnx 2>/dev/null | head -n 1)}"
if [ -z "$MODEL" ] || [ ! -f "$MODEL" ]; then
  echo "error: no detector model in models/*.onnx (set MODEL=FILE)" >&2
  exit 1
fi
case "$MODEL" in /*) ;; *) MODEL="$root/$MODEL" ;; esac

stamp="$(date -u +%Y%m%d-%H%M%S)"
OUT="${OUT:-out/patrol-$stamp}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
mkdir -p "$OUT/plan" "$OUT/frames" "$OUT/logs"
name="$(basename "$CORRIDOR" .geojson)"
t_patrol=$(date +%s)

# Take off beside the river's first vertex (upstream end), at HOME_AMSL_M.
home="$("$QLY_PYTHON" - "$CORRIDOR" "$HOME_AMSL_M" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
def lines(o):
    t = o.get("type")
    if t == "FeatureCollection":
        for f in o["features"]:
            yield from lines(f)
    elif t == "Feature":
        yield from lines(o["geometry"])
    elif t == "LineString":
        yield o["coordinates"]
line = next(lines(g), None)
if not line:
    sys.exit(f"{sys.argv[1]}: no LineString (river centreline)")
lon, lat = line[0][:2]
print(f"{lat:.7f},{lon:.7f},{sys.argv[2]}")
EOF
)"

dem_plan=() dem_sim=(--home "$home") ground_toml="ground_amsl_m = $HOME_AMSL_M"
if [ -n "$DEM" ]; then
  DEM="$(cd "$(dirname "$DEM")" && pwd)/$(basename "$DEM")"
  # Terrain following over the DEM; the sim's world stands on the same relief, with home on
  # the ground under the corridor's first point (so no --home altitude to contradict it);
  # the companion geotags onto the DEM instead of flat ground.
  dem_plan=(--dem "$DEM")
  dem_sim=(--dem "$DEM")
  ground_toml="dem = [\"$DEM\"]"
fi

say "planning $CORRIDOR: camera '$CAMERA', ${ALT_M} m, ${FRONT_OVERLAP} % forward overlap, home $home"
"$bin/planner" plan "$CORRIDOR" --camera "$CAMERA" --alt "$ALT_M" \
  --front-overlap "$FRONT_OVERLAP" --side-overlap 30 --speed "$SPEED_M_S" \
  --home "$home" --name "$name" --out "$OUT/plan" "${dem_plan[@]}" | tee "$OUT/logs/plan.txt"
plan_file="$OUT/plan/$name.plan"
if [ ! -f "$plan_file" ]; then
  plan_file="$(ls "$OUT"/plan/*.plan | head -n 1)"
fi

# Two MAVLink links on the sim, like an autopilot's SERIAL0 (ground station) and SERIAL2
# (companion): the sim routes between them.
port_gcs=$((20000 + RANDOM % 20000))
port_cc=$((port_gcs + 1))
say "starting sim: world seed $WORLD_SEED, noise GPS ${GPS_SIGMA_M} m / attitude ${ATTITUDE_SIGMA_DEG} deg / heading ${HEADING_SIGMA_DEG} deg, speed-up x$SPEEDUP"
"$bin/sim" --listen "udpin:127.0.0.1:$port_gcs" --listen "udpin:127.0.0.1:$port_cc" \
  --corridor "$CORRIDOR" --world-seed "$WORLD_SEED" --seed "$SEED" \
  --frames-dir "$OUT/frames" --truth "$OUT/truth.geojson" --speedup "$SPEEDUP" \
  --gps-sigma-m "$GPS_SIGMA_M" --attitude-sigma-deg "$ATTITUDE_SIGMA_DEG" \
  --heading-sigma-deg "$HEADING_SIGMA_DEG" --alt-sigma-m "$ALT_SIGMA_M" \
  "${dem_sim[@]}" >"$OUT/logs/sim.log" 2>&1 &
sim_pid=$!
comp_pid=""
cleanup() {
  [ -n "$comp_pid" ] && kill "$comp_pid" 2>/dev/null || true
  kill "$sim_pid" 2>/dev/null || true
}
trap cleanup EXIT

cat >"$OUT/companion.toml" <<EOF
# Written by scripts/patrol.sh for this flight.
[flight_controller]
address = "udpout:127.0.0.1:$port_cc"
system_id = 1
component_id = 191
# Frames arrive up to a render queue late: keep ten minutes of 20 Hz telemetry.
timeline_capacity = 60000
capture_capacity = 8192

[camera]
name = "$CAMERA"

[camera.mount]
# The sim's gimbal is stabilised and nadir; its GIMBAL_DEVICE_ATTITUDE_STATUS wins when fresh.
frame = "heading"
roll_deg = 0.0
pitch_deg = -90.0
yaw_deg = 0.0

[detector]
model = "$MODEL"
onnxruntime_library = "$ORT_DYLIB_PATH"
# Single low-confidence sightings (0.25-0.31) were the false reports of the first runs.
confidence_threshold = 0.25
class_confidence_thresholds = { outfall = $OUTFALL_CONFIDENCE, plume = $PLUME_CONFIDENCE }

[fusion]
# With 50 % front overlap a point on the ground is in two photos of each lane that covers
# it; a candidate seen once is most often a false detection (9 of the 13 false reports of
# the whole-corridor run with min_sightings = 1; none of its 75 targets found was seen once).
min_sightings = $MIN_SIGHTINGS

[geotag]
# The error model's inputs: the noise the sim was started with.
horizontal_position_sigma_m = $GPS_SIGMA_M
altitude_sigma_m = $ALT_SIGMA_M
roll_pitch_sigma_deg = $ATTITUDE_SIGMA_DEG
heading_sigma_deg = $HEADING_SIGMA_DEG
use_gps_accuracy = false
$ground_toml

[frames]
dir = "$OUT/frames"
# Frames land a render time after their capture; wait for telemetry that long.
capture_wait_s = 30.0

[journal]
dir = "$OUT"
file = "journal.qlj"
EOF

sleep 1
if ! kill -0 "$sim_pid" 2>/dev/null; then
  cat "$OUT/logs/sim.log" >&2
  echo "error: sim did not start" >&2
  exit 1
fi
say "starting companion (detector $(basename "$MODEL"))"
"$bin/companion" run --config "$OUT/companion.toml" >"$OUT/logs/companion.log" 2>&1 &
comp_pid=$!

say "uploading $(basename "$plan_file") with planner upload"
"$bin/planner" upload "$plan_file" --connect "udpout:127.0.0.1:$port_gcs" --wait-s 20

say "flying: planner fly (GUIDED, arm, AUTO, MISSION_START), telemetry to telemetry.tlog"
# Live progress from the companion while planner fly shows its own bar.
(
  while kill -0 "$comp_pid" 2>/dev/null; do
    sleep 15
    printf '   frames rendered %d, processed by the companion %d, candidates confirmed %d\n' \
      "$(find "$OUT/frames" -name '*.jpg' | wc -l)" \
      "$(grep -c 'frame processed' "$OUT/logs/companion.log" || true)" \
      "$(grep -c 'candidate confirmed' "$OUT/logs/companion.log" || true)" >&2
  done
) &
progress_pid=$!
"$bin/planner" fly --connect "udpout:127.0.0.1:$port_gcs" --tlog "$OUT/telemetry.tlog" --timeout-s 3000
t_landed=$(date +%s)

say "landed; waiting for the last frames to be rendered and processed"
last=-1 stable=0
while :; do
  n="$(find "$OUT/frames" -name '*.jpg' | wc -l)"
  done_n=$(($(grep -c 'frame processed' "$OUT/logs/companion.log" || true) + $(grep -c 'frame skipped' "$OUT/logs/companion.log" || true)))
  if [ "$n" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
  last=$n
  # Rendering has stopped (no new frame for 10 s) and the companion has dealt with each.
  if [ "$stable" -ge 10 ] && [ "$done_n" -ge "$n" ]; then break; fi
  if [ $(($(date +%s) - t_landed)) -gt 600 ]; then
    echo "warning: gave up waiting after 600 s ($done_n of $n frames done)" >&2
    break
  fi
  sleep 1
done
kill "$progress_pid" 2>/dev/null || true
say "stopping companion (SIGTERM: it writes its exports) and sim"
kill -TERM "$comp_pid"
wait "$comp_pid" || { echo "error: companion exited with an error; see $OUT/logs/companion.log" >&2; exit 1; }
comp_pid=""
kill -TERM "$sim_pid"
wait "$sim_pid" || true
tail -n 3 "$OUT/logs/sim.log"
grep -E '"stopped"|stopped' "$OUT/logs/companion.log" | tail -n 1 || true
t_flown=$(date +%s)

say "review score: candidates against the world's ground truth"
"$bin/review" score --targets "$OUT/truth.geojson" --team "patrol=$OUT/candidates.geojson" \
  --csv "$OUT/score.csv" --html "$OUT/score.html" | tee "$OUT/logs/score.txt"

say "review report: $OUT/report.html"
"$bin/review" report "$OUT"

n_cand="$("$QLY_PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["features"]))' "$OUT/candidates.geojson")"
if [ "$n_cand" -gt 0 ]; then
  say "review export: ALL $n_cand candidates CONFIRMED AUTOMATICALLY for this demo (no inspector looked at them)"
  "$QLY_PYTHON" - "$OUT" <<'EOF'
import hashlib, json, sys, datetime
out = sys.argv[1]
cands = json.load(open(f"{out}/candidates.geojson"))["features"]
sha = hashlib.sha256(open(f"{out}/journal.qlj", "rb").read()).hexdigest()
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
ds = [{"candidate_id": int(f["properties"]["id"]), "revision": int(f["properties"]["revision"]),
       "decision": "confirmed", "decided_utc": now} for f in cands]
json.dump({"format": "qly-decisions-1", "flight": out.rstrip("/").split("/")[-1],
           "journal_sha256": sha, "decisions": ds}, open(f"{out}/decisions.json", "w"), indent=1)
EOF
  "$bin/review" export "$OUT" --decisions "$OUT/decisions.json" --out "$OUT/evidence" \
    --inspector "scripts/patrol.sh (automatic demo confirmation, not an inspector)" \
    --aircraft "sim (simulated ArduCopter), world seed $WORLD_SEED"
  say "review verify"
  "$bin/review" verify "$OUT/evidence"
else
  say "no candidates: no evidence package to export"
fi

say "figures"
"$bin/review" patrol "$OUT" --truth "$OUT/truth.geojson" --corridor "$CORRIDOR" \
  --json "$OUT/figures.json" | tee "$OUT/figures.txt"
t_end=$(date +%s)
echo
echo "patrol took $((t_end - t_patrol)) s after the build (flight and companion $((t_flown - t_patrol)) s, review $((t_end - t_flown)) s)"
echo "flight folder: $OUT (report.html, evidence/, figures.json)"
