#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: sets up what the tests need (a Python virtual
# environment with the real MAVLink peers), then formatting, lints and every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-env.sh
# Property tests draw from a fixed seed here so a CI run is reproducible; soak them with
# other seeds by setting PROPTEST_RNG_SEED (and PROPTEST_CASES) yourself.
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261129}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
