# models/train.sh --finetune DATASET...: sourced by train.sh after the venv and the sim build
# (it uses train.sh's $py, $sim, $work, $here, $root, $corridor, stage and render_world).
#
# 1. renders (or, with REUSE_RENDERED=1, keeps) the held-out worlds (seeds 9001.., the
#    original style, flat: what the shipped model's card measured), REPLAY_WORLDS replay worlds
#    (seeds 1..N, the shipped model's own training seeds) and, with SHIFT_STYLE, held-out worlds
#    of that style;
# 2. reads the shipped model's weights back from its ONNX file (qly_train.onnx_weights: the
#    torch forward must equal ONNX Runtime to 1e-4 on a photo, or it stops);
# 3. measures the shipped model on every evaluation set;
# 4. fine-tunes (qly_train.finetune) on the DATASETs' images/train with replay;
# 5. exports and measures the fine-tuned model on the same sets;
# 6. qly_train.gate: refuses (exit 3) when either class's AP50 on the held-out worlds dropped
#    by more than FT_MARGIN; otherwise copies the model, its metrics and training log into models/.

SHIPPED="${SHIPPED:-$here/qly-outfall-plume-cnet1024.onnx}"
FT_NAME="${FT_NAME:-qly-outfall-plume-cnet1024-ft}"
FT_MINUTES="${FT_MINUTES:-20}"
FT_MAX_STEPS="${FT_MAX_STEPS:-4000}"
FT_LR="${FT_LR:-5e-4}"
REPLAY_WORLDS="${REPLAY_WORLDS:-8}"
REPLAY_FRACTION="${REPLAY_FRACTION:-0.5}"
FT_MARGIN="${FT_MARGIN:-0.02}"
FT_UNDECIDED="${FT_UNDECIDED:-ignore}"
SHIFT_STYLE="${SHIFT_STYLE:-}"
SHIFT_TEST_WORLDS="${SHIFT_TEST_WORLDS:-6}"
datasets=("$@")
[ -f "$SHIPPED" ] || { echo "SHIPPED=$SHIPPED: no such model" >&2; exit 2; }
case "$FT_NAME" in */* | "") echo "FT_NAME=$FT_NAME: expected a plain name" >&2; exit 2 ;; esac
[ "$FT_NAME.onnx" != "$(basename "$SHIPPED")" ] || { echo "FT_NAME=$FT_NAME would overwrite the shipped model" >&2; exit 2; }

stage render
mkdir -p "$work/logs"
# render_set DIR SEED0 COUNT FRAMES STYLE TERRAIN(flat|alternate): worlds DIR/world-SEED,
# RENDER_JOBS at a time; a world already there is kept with REUSE_RENDERED=1.
render_set() {
  local dir="$1" seed0="$2" count="$3" frames="$4" style="$5" terrain="$6" s t pids=()
  mkdir -p "$dir"
  for s in $(seq "$seed0" $((seed0 + count - 1))); do
    if [ "${REUSE_RENDERED:-0}" = 1 ] && [ -d "$dir/world-$s/images" ]; then continue; fi
    t=flat
    if [ "$terrain" = alternate ] && [ $((s % 2)) = 0 ]; then t=valley; fi
    render_world "$s" "$frames" "$dir/world-$s" "$t" "$style" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$RENDER_JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
render_set "$work/test" "$TEST_SEED0" "$TEST_WORLDS" "$TEST_FRAMES" river-a flat
render_set "$work/replay" 1 "$REPLAY_WORLDS" "$TRAIN_FRAMES" river-a alternate
if [ -n "$SHIFT_STYLE" ]; then
  render_set "$work/test-$SHIFT_STYLE" "$TEST_SEED0" "$SHIFT_TEST_WORLDS" "$TEST_FRAMES" "$SHIFT_STYLE" flat
fi
test_worlds=()
for s in $(seq "$TEST_SEED0" $((TEST_SEED0 + TEST_WORLDS - 1))); do test_worlds+=("$work/test/world-$s"); done
replay_worlds=()
for s in $(seq 1 "$REPLAY_WORLDS"); do replay_worlds+=("$work/replay/world-$s"); done
shift_worlds=()
if [ -n "$SHIFT_STYLE" ]; then
  for s in $(seq "$TEST_SEED0" $((TEST_SEED0 + SHIFT_TEST_WORLDS - 1))); do shift_worlds+=("$work/test-$SHIFT_STYLE/world-$s"); done
fi
new_train=() new_val=()
for d in "${datasets[@]}"; do
  new_train+=("$(cd "$d" && pwd)/images/train")
  if [ -d "$d/images/val" ]; then new_val+=("$(cd "$d" && pwd)/images/val"); fi
done
[ "${#new_val[@]}" -gt 0 ] || echo "no DATASET has images/val (held-out flights): the new data is not measured" >&2

stage shipped_weights
(cd "$here" && "$py" -m qly_train.onnx_weights "$SHIPPED" "$work/shipped.pt" --image "$(ls "${test_worlds[0]}"/images/*.jpg | head -1)" | tee "$work/onnx-weights.json")

evaluate_all() { # evaluate_all MODEL TAG: metrics of MODEL on every set, $work/TAG-SET.json
  (cd "$here" && "$py" -m qly_train.evaluate "$1" "$work/$2-synthetic.json" "${test_worlds[@]}" \
    --camera "$work/camera.json" --corridor "$corridor" >"$work/logs/evaluate-$2-synthetic.log")
  if [ "${#new_val[@]}" -gt 0 ]; then
    (cd "$here" && "$py" -m qly_train.evaluate "$1" "$work/$2-new-data.json" "${new_val[@]}" >"$work/logs/evaluate-$2-new-data.log")
  fi
  if [ -n "$SHIFT_STYLE" ]; then
    (cd "$here" && "$py" -m qly_train.evaluate "$1" "$work/$2-$SHIFT_STYLE.json" "${shift_worlds[@]}" \
      --camera "$work/camera.json" --corridor "$corridor" >"$work/logs/evaluate-$2-$SHIFT_STYLE.log")
  fi
}

stage evaluate_shipped
evaluate_all "$SHIPPED" shipped

stage finetune
rm -rf "$work/run"
(cd "$here" && "$py" -m qly_train.finetune "$work/shipped.pt" "$work/run" --new "${new_train[@]}" \
  --replay "${replay_worlds[@]}" --replay-fraction "$REPLAY_FRACTION" --minutes "$FT_MINUTES" \
  --max-steps "$FT_MAX_STEPS" --lr "$FT_LR" --undecided "$FT_UNDECIDED")

stage export
(cd "$here" && "$py" -m qly_train.export "$work/run/checkpoint.pt" "$work/$FT_NAME.onnx" \
  --description "Qianliyan outfall/plume detector, fine-tuned from $(basename "$SHIPPED") on inspectors' decisions with synthetic replay" >"$work/export.json")

stage evaluate
evaluate_all "$work/$FT_NAME.onnx" finetuned

stage gate
sets=(--set synthetic "$work/shipped-synthetic.json" "$work/finetuned-synthetic.json")
[ "${#new_val[@]}" = 0 ] || sets+=(--set new-data "$work/shipped-new-data.json" "$work/finetuned-new-data.json")
[ -z "$SHIFT_STYLE" ] || sets+=(--set "$SHIFT_STYLE" "$work/shipped-$SHIFT_STYLE.json" "$work/finetuned-$SHIFT_STYLE.json")
gate_rc=0
(cd "$here" && "$py" -m qly_train.gate "$work/$FT_NAME.metrics.json" --margin "$FT_MARGIN" "${sets[@]}") || gate_rc=$?

stage end
kill "$sampler" 2>/dev/null || true
(cd "$here" && "$py" -m qly_train.report "$work/run/train-log.json" "$work/export.json" "$stages" "$load_log" \
  "$work/$FT_NAME.train-log.json" --finetune "$work/onnx-weights.json" --test-worlds "$TEST_WORLDS" \
  --test-frames "$TEST_FRAMES" --test-seed0 "$TEST_SEED0" --train-worlds "$REPLAY_WORLDS" --train-frames "$TRAIN_FRAMES")
if [ "$gate_rc" = 3 ]; then
  echo "REFUSED: the fine-tuned model lost more than $FT_MARGIN AP50 on the held-out worlds; nothing written under models/ (figures in $work/$FT_NAME.metrics.json)" >&2
  exit 3
elif [ "$gate_rc" != 0 ]; then
  echo "gate failed (exit $gate_rc)" >&2
  exit "$gate_rc"
fi
cp "$work/$FT_NAME.onnx" "$work/$FT_NAME.metrics.json" "$work/$FT_NAME.train-log.json" "$here/"
echo "done in $(($(date +%s) - t_start)) s: $here/$FT_NAME.onnx, $FT_NAME.metrics.json, $FT_NAME.train-log.json" >&2
