#!/usr/bin/env bash
# Benchmark of `planner upload` through the simulated vehicle (not run in CI).
#
#   bench/upload.sh a      100 seeded uploads of an 800-item mission at 30 % loss,
#                          10 % duplication, 10 % reordering, 20 +- 10 ms latency; successes,
#                          median and max time; a few missions checked again with pymavlink.
#   bench/upload.sh b      the same mission at 57 600 baud (both ends capped) against the
#                          byte-count lower bound of the stop-and-wait protocol, with the
#                          sim's streams off (HEARTBEAT only) and on (`--streams always`).
#   bench/upload.sh c      MAVProxy and `planner upload` side by side on the 57 600 baud link.
#   bench/upload.sh all    a, b and c.
#
# Environment: RUNS (100), PAR (parallel uploads, 10), RETRIES (25), ITEM_TIMEOUT_MS (150),
# ALSO_RETRIES (a second pass of (a) with this many retries), BOTH_WAYS (1: the planner damages
# what it sends the same way, --emulate-*; default: only the sim's flags, as the issue asks),
# FILE (the 828-item QGC fixture), PROFILE (release), BIN_DIR (planner and sim from there,
# no build), QLY_PYTHON (else scripts/setup-env.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
RUNS="${RUNS:-100}"
PAR="${PAR:-10}"
RETRIES="${RETRIES:-25}"
ITEM_TIMEOUT_MS="${ITEM_TIMEOUT_MS:-150}"
PROFILE="${PROFILE:-release}"
shared="${QLY_SHARED:-$root/../shared}"
[ -d "$shared" ] || shared=/work/shared
FILE="${FILE:-$shared/fixtures/qgc/800Waypoints.waypoints.txt}"
if [ -z "${QLY_PYTHON:-}" ]; then source scripts/setup-env.sh; fi
PY="$QLY_PYTHON"
bin="$root/target/$PROFILE"
[ "$PROFILE" = "dev" ] && bin="$root/target/debug"
# BIN_DIR: run planner and sim from there instead (another commit's build, side by side).
if [ -n "${BIN_DIR:-}" ]; then bin="$BIN_DIR"; NO_BUILD=1; fi
if [ -z "${NO_BUILD:-}" ]; then
  cargo build --quiet --profile "$PROFILE" -p planner -p sim
fi
PLANNER="$bin/planner"
SIM="$bin/sim"
work="$(mktemp -d -t qly-bench-XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_sim OUTFILE ARGS... : starts sim on a free port; sets SIM_PID and SIM_PORT. The
# benchmark's 800-item file is above the sim's default 650-item store (an ArduCopter's):
# these runs measure the link, so the store is made large enough.
start_sim() {
  local out="$1"; shift
  "$SIM" --listen udpin:127.0.0.1:0 --mission-capacity 5000 "$@" >"$out" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 100); do
    if grep -q "bound to" "$out" 2>/dev/null; then break; fi
    sleep 0.1
  done
  SIM_PORT="$(grep -m1 "bound to" "$out" | sed 's/.*://')"
  [ -n "$SIM_PORT" ] || { echo "sim did not start: $(cat "$out")" >&2; return 1; }
}

# One lossy upload: prints "SEED ok|fail SECONDS".
one_lossy() {
  local seed="$1" retries="$2" check="${3:-}"
  local d="$work/a-$retries-$seed"; mkdir -p "$d"
  start_sim "$d/sim.log" --seed "$seed" --loss-pct 30 --dup-pct 10 --reorder-pct 10 \
    --latency-ms 20 --jitter-ms 10
  local pid=$SIM_PID
  local status=ok
  local both=()
  if [ -n "${BOTH_WAYS:-}" ]; then
    both=(--emulate-seed "$seed" --emulate-loss-pct 30 --emulate-dup-pct 10
      --emulate-reorder-pct 10 --emulate-latency-ms 20 --emulate-jitter-ms 10)
  fi
  timeout 900 "$PLANNER" upload "$FILE" --connect "udpout:127.0.0.1:$SIM_PORT" \
    --retries "$retries" --item-timeout-ms "$ITEM_TIMEOUT_MS" "${both[@]}" \
    >"$d/out" 2>"$d/err" || status=fail
  local t; t="$(sed -n 's/^done in \([0-9.]*\) s/\1/p' "$d/out")"
  if [ "$status" = ok ] && [ -n "$check" ]; then
    if "$PY" planner/tests/peers/download_mission.py "$SIM_PORT" --timeout-s 600 --item-wait-s 0.15 \
        | "$PY" bench/mission_tools.py compare "$FILE" >"$d/check"; then
      echo "seed $seed independent pymavlink check: $(cat "$d/check")" >&2
    else
      echo "seed $seed independent pymavlink check FAILED: $(cat "$d/check")" >&2
      status=fail
    fi
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$status" = ok ] || echo "seed $seed ($retries retries): $(tail -n 3 "$d/err" | tr '\n' ' ')" >&2
  echo "$seed $status ${t:-nan}"
}

summarise() {
  "$PY" -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
ok = [float(r[2]) for r in rows if r[1] == "ok"]
print(f"  successes {len(ok)}/{len(rows)}", end="")
if ok:
    print(f"; time median {statistics.median(ok):.1f} s, max {max(ok):.1f} s, min {min(ok):.1f} s")
else:
    print()
'
}

part_a() {
  echo "== (a) $RUNS seeded uploads of $(($(wc -l <"$FILE") - 1)) items, 30 % loss" \
       "${BOTH_WAYS:+both ways}${BOTH_WAYS:-on what the sim sends (sim flags only)}," \
       "10 % dup, 10 % reorder, 20+-10 ms; --retries $RETRIES, --item-timeout-ms $ITEM_TIMEOUT_MS," \
       "$PAR at a time, each verified by download"
  export -f one_lossy start_sim
  export work PLANNER SIM FILE PY ITEM_TIMEOUT_MS BOTH_WAYS
  seq 1 "$RUNS" | xargs -P "$PAR" -I{} bash -c 'one_lossy {} '"$RETRIES"' $([ {} -le 3 ] && echo check)' \
    | sort -n | tee "$work/a-$RETRIES.txt" | summarise
  if [ -n "${ALSO_RETRIES:-}" ]; then
    echo "== (a') the same with --retries $ALSO_RETRIES"
    seq 1 "$RUNS" | xargs -P "$PAR" -I{} bash -c 'one_lossy {} '"$ALSO_RETRIES" \
      | sort -n | tee "$work/a-$ALSO_RETRIES.txt" | summarise
  fi
}

# planner upload on a 57600 baud link (both ends capped); prints the upload-phase seconds.
ours_57600() {
  local port="$1" out="$2"
  "$PLANNER" upload "$FILE" --connect "udpout:127.0.0.1:$port" --emulate-baud 57600 \
    --no-verify >"$out" 2>"$out.err"
  sed -n 's/^Mission: .* uploaded in \([0-9.]*\) s.*/\1/p' "$out"
}

part_b() {
  echo "== (b) 57 600 baud: sim --baud 57600 (its downlink also carries telemetry) and" \
       "planner --emulate-baud 57600; upload phase only (--no-verify)"
  local bound; bound="$("$PY" bench/mission_tools.py bound "$FILE" 57600)"
  echo "  lower bound: $bound"
  local t streams
  # on-request: only HEARTBEAT on the downlink (ArduPilot before a ground station asks);
  # always: the usual streams too (~0.9 kB/s, a sixth of the link), as after a GCS asked.
  for streams in on-request always; do
    start_sim "$work/b-sim-$streams.log" --baud 57600 --streams "$streams"
    pids+=("$SIM_PID")
    for i in 1 2 3; do
      t="$(ours_57600 "$SIM_PORT" "$work/b-$streams-$i")"
      echo "  streams $streams, run $i: upload ${t} s; ratio $("$PY" -c "import json,sys; b=json.loads(sys.argv[1]); print(round(float(sys.argv[2])/b['half_duplex_bound_s'],3))" "$bound" "$t");" \
           "$(grep '^link:' "$work/b-$streams-$i")"
    done
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
    echo "  sim's link counters (streams $streams; all its frames: replies and telemetry):" \
         "$(grep -i -m2 'sent\|frames' "$work/b-sim-$streams.log" | tr '\n' ' ')"
  done
  # Where the time beyond the bound goes: the same upload on an uncapped loopback link is
  # pure per-exchange overhead (scheduling, timers, processing), no wire time.
  start_sim "$work/b0-sim.log"
  "$PLANNER" upload "$FILE" --connect "udpout:127.0.0.1:$SIM_PORT" --no-verify >"$work/b0" 2>&1
  echo "  uncapped loopback: $(grep '^Mission:' "$work/b0")"
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
}

part_c() {
  echo "== (c) side by side on the same 57 600 baud sim link (sim --baud 57600 only: MAVProxy" \
       "cannot cap its own sending, so ours is not capped either here)"
  start_sim "$work/c-sim.log" --baud 57600
  pids+=("$SIM_PID")
  for i in 1 2 3; do
    "$PLANNER" upload "$FILE" --connect "udpout:127.0.0.1:$SIM_PORT" --no-verify \
      >"$work/c-ours-$i" 2>&1 || true
    echo "  run $i planner:  $(grep '^Mission:' "$work/c-ours-$i" || tail -n 2 "$work/c-ours-$i")"
    echo "  run $i MAVProxy: $("$PY" bench/mavproxy_upload.py "$SIM_PORT" "$FILE" 300)"
  done
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
}

case "${1:-all}" in
  a) part_a ;;
  b) part_b ;;
  c) part_c ;;
  all) part_a; part_b; part_c ;;
  *) echo "usage: $0 [a|b|c|all]" >&2; exit 2 ;;
esac
rm -rf "$work"
