#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: sets up what the tests need (a Python virtual
# environment with the real MAVLink peers), then formatting, lints and every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-env.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
