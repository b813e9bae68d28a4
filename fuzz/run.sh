#!/usr/bin/env bash
# The long fuzz run of one target: `fuzz/run.sh TARGET SECONDS [SEED]` (TARGET `all` runs
# every target for SECONDS each). Mutates fuzz/corpus/TARGET with a seed (default: the time,
# printed, so a run can be repeated), runs each input in a child process limited to
# QLY_FUZZ_MEMORY_MIB (default 2048) of address space and QLY_FUZZ_TIMEOUT_S (default 10) of
# wall time, and saves the input of every finding in fuzz/findings/. Exit status 1 when
# anything was found. One core: run several targets side by side by hand if you have more.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
    echo "usage: fuzz/run.sh TARGET|all SECONDS [SEED]" >&2
    exit 2
fi
target=$1
seconds=$2
seed=${3:-$(date +%s)}
cargo build --release --locked -p qly-fuzz
exe=target/release/qly-fuzz
if [ "$target" = all ]; then
    targets=$($exe list | awk '{print $1}')
else
    targets=$target
fi
status=0
for t in $targets; do
    echo "fuzz: $t for ${seconds} s, seed $seed"
    $exe run "$t" --seconds "$seconds" --seed "$seed" \
        --timeout-s "${QLY_FUZZ_TIMEOUT_S:-10}" --memory-mib "${QLY_FUZZ_MEMORY_MIB:-2048}" \
        --findings fuzz/findings || status=1
done
exit $status
