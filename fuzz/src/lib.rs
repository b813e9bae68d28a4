//! Fuzzing kept in the tree, on a stable toolchain.
//!
//! Every parser and network entry point has a target ([`targets`]): GeoJSON, KML, QGC `.plan`
//! and WPL (planner inputs, planned as `planner plan` does), GeoTIFF DEMs, DJI photo EXIF/XMP,
//! the journal (read back and exported), telemetry logs, the evidence manifest, and MAVLink
//! bytes into the simulator's autopilot and over TCP into the companion's flight-controller
//! link. Each has a committed corpus of small valid seeds in `fuzz/corpus/<target>/` and
//! regression inputs in `fuzz/regressions/<target>/` (minimised inputs of fixed findings).
//!
//! # Why an in-tree mutation driver
//!
//! cargo-fuzz (libFuzzer) needs a nightly compiler, which this project does not use.
//! cargo-afl works on stable but needs AFL++ installed and the code rebuilt with its
//! instrumentation, so it cannot run inside `cargo test`. The findings that mattered here
//! (deep nesting, one huge line, a vertex a continent away) come from structure-blind
//! mutations (repeat a chunk, replace a number) of valid inputs, not from coverage guidance.
//! So [`driver`] mutates the corpus with a seeded generator ([`rng`], [`mutate`]) and runs each
//! target in a child process under a per-input time limit and an address-space limit
//! (`RLIMIT_AS`): a panic, an abort (stack overflow, failed allocation), a hang or runaway
//! memory is recorded with the input that caused it, and the run goes on from the next
//! input. Input `i` of seed `s` is always the same bytes, so `qly-fuzz` reproduces any finding
//! from two numbers. A coverage-guided long run with AFL++ remains possible on the same
//! target functions; see `fuzz/README.md`.

pub mod driver;
pub mod mutate;
pub mod rng;
pub mod targets;

pub use driver::{Campaign, Finding, FindingKind, Inputs, Report};
pub use targets::{target, targets, Target};
