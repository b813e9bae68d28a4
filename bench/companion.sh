#!/usr/bin/env bash
# Companion throughput benchmark, side by side in one run:
#   1. builds the bench model (YOLOv8 layout, 640x640, ~5 GFLOPs) and 2048x1536 JPEG frames
#      (bench/make_bench_model.py), unless MODEL / FRAMES are given;
#   2. runs the Rust pipeline bench (companion/benches/pipeline.rs): raw session.run vs the
#      end-to-end pipeline at each thread count;
#   3. runs the same pipeline written the obvious way in Python (bench/companion_python.py);
#   4. prints the ratios.
# usage: bench/companion.sh [--model M.onnx] [--frames DIR] [--threads 1,2] [--rounds 3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../scripts/setup-env.sh
source "$root/scripts/setup-env.sh"
model="" frames="" threads="1,2" rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --frames) frames="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work="${QLY_BENCH_DIR:-$root/target/companion-bench}"
mkdir -p "$work"
if [ -z "$model" ] || [ -z "$frames" ]; then
  made="$("$QLY_PYTHON" "$root/bench/make_bench_model.py" "$work")"
  echo "inputs: $made"
  [ -n "$model" ] || model="$("$QLY_PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["model"])' "$made")"
  [ -n "$frames" ] || frames="$("$QLY_PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["frames_dir"])' "$made")"
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && cargo bench -p companion --bench pipeline --no-run -q 2>/dev/null || true)
(cd "$root" && cargo bench -p companion --bench pipeline -q -- \
  --model "$model" --frames "$frames" --threads "$threads" --rounds "$rounds" \
  --journal "$work/rust.jsonl" --json "$work/rust.json")
echo "python (Pillow + numpy + onnxruntime):"
"$QLY_PYTHON" "$root/bench/companion_python.py" "$model" "$frames" --threads "$threads" \
  --rounds "$rounds" --journal "$work/python.jsonl" > "$work/python.json"
echo "machine after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$QLY_PYTHON" - "$work/rust.json" "$work/python.json" <<'PY'
import json, sys
rust = json.load(open(sys.argv[1]))
py = json.load(open(sys.argv[2]))
print("wall clock (fps):")
print(f"{'threads':>7} {'raw fps':>8} {'rust e2e fps':>12} {'e2e/raw':>8} {'py e2e fps':>10} {'py e2e/raw':>10} {'rust/py':>8}")
for t, r in rust.items():
    best = max(("pipeline", "sequential", "overlapped"), key=lambda m: r[m]["fps"])
    p = py["threads"][t]
    print(f"{t:>7} {r['raw_fps']:>8.2f} {r[best]['fps']:>12.2f} {r[best]['ratio']:>8.3f} {p['e2e_fps']:>10.2f} {p['ratio']:>10.3f} {r[best]['fps'] / p['e2e_fps']:>8.2f}   (rust: {best})")
    print(f"{'':>7} python stage ms: " + ", ".join(f"{k} {v:.1f}" for k, v in p["stage_ms"].items()))
    if "cpu_ms_per_frame" in r:
        c = r["cpu_ms_per_frame"]
        py_cpu = p["cpu_ms_per_frame"]
        print(f"{'':>7} CPU time per frame at 1 thread: python e2e {py_cpu['e2e']:.1f} ms (raw {py_cpu['raw']:.1f}), rust sequential {c['sequential_thread']:.1f} ms: rust/python {py_cpu['e2e'] / c['sequential_thread']:.2f}")
        print(f"{'':>7} rust overlapped, CPU time per frame: inference thread {c['overlapped_inference_thread']:.1f} ms, decode thread {c['overlapped_decode_thread']:.1f} ms, raw session.run {c['raw_thread']:.1f} ms: ratio with a free core each {c['cpu_ratio']:.3f}")
PY
