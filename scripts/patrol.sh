#!/usr/bin/env bash
# The whole patrol in one command: set-up (Python venv with ONNX Runtime), the release build,
# then the `patrol` program (patrol/), which plans, starts sim and companion, flies, reviews
# and prints the figures. Arguments go to it: `scripts/patrol.sh --help` lists them (each
# with its environment variable: SPEEDUP, WORLD_SEED, DEM, OUT, ...).
#
# usage: scripts/patrol.sh [CORRIDOR.geojson] [--flag value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=setup-env.sh
source scripts/setup-env.sh
cargo build --release --locked ${QUIET_BUILD:+--quiet} -p planner -p sim -p companion -p review -p patrol
exec target/release/patrol "$@"
