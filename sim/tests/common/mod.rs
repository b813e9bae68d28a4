//! Helpers for tests that start this package's `sim` binary and its Python peers; what other
//! packages' tests need too is in `qly-test-support`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use qly_test_support::process::ChildGuard;

/// Starts this package's `sim` listening on a free loopback UDP port; returns it, the port
/// and its stdout lines.
pub fn start_sim(extra: &[&str]) -> (ChildGuard, u16, Receiver<String>) {
    qly_test_support::sim::start_sim(
        Path::new(env!("CARGO_BIN_EXE_sim")),
        extra,
        Stdio::inherit(),
        Duration::from_secs(20),
    )
}

/// A file under sim/tests/peers/.
pub fn peer_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
        .join(name)
}
