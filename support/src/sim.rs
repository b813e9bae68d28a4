//! The `sim` binary (a simulated ArduPilot copter) as a peer of other crates' tests.
//!
//! Finding it: `CARGO_BIN_EXE_sim` names it only inside the `sim` package's own tests, so
//! those pass that path in. Tests of other packages call [`sim_bin`] with one of their own
//! binaries: it runs `cargo build -p sim --bin sim` once (a no-op when it is up to date,
//! which it is under `cargo test --workspace`) for the same profile and target directory and
//! uses `target/<profile>/sim`. Cargo has released its build lock by the time tests run, so
//! this does not deadlock; it keeps `cargo test -p planner` from testing a stale `sim`. If
//! cargo cannot be run, an existing `target/<profile>/sim` is used. `QLY_SIM_BIN` overrides
//! all of this.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::{lines_of, wait_line, ChildGuard};
use crate::repo;

/// The `sim` binary beside `sibling` (a binary of the package under test, its
/// `env!("CARGO_BIN_EXE_<name>")`), built first; see the module doc. Found once per test
/// process: later calls return the first answer.
pub fn sim_bin(sibling: &Path) -> &'static Path {
    static SIM: OnceLock<PathBuf> = OnceLock::new();
    SIM.get_or_init(|| {
        if let Some(p) = std::env::var_os("QLY_SIM_BIN") {
            return PathBuf::from(p);
        }
        let dir = sibling.parent().expect("test binary in a directory");
        let sim = dir.join(format!("sim{}", std::env::consts::EXE_SUFFIX));
        let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let target_dir = dir.parent().expect("target directory");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "sim", "--bin", "sim", "--target-dir"])
            .arg(target_dir)
            .current_dir(repo::root());
        if profile == "release" {
            cmd.arg("--release");
        }
        let built = cmd.status().map(|s| s.success()).unwrap_or(false);
        assert!(
            sim.exists(),
            "no {} (cargo build -p sim succeeded: {built}): run `cargo build -p sim` or set \
             QLY_SIM_BIN",
            sim.display()
        );
        if !built {
            eprintln!(
                "cargo build -p sim failed; using the existing {}",
                sim.display()
            );
        }
        sim
    })
}

/// Starts `bin` (the `sim` binary) listening on a free loopback UDP port, with `extra`
/// arguments after `--listen`, its stderr sent to `stderr`. Waits up to `report_within` for
/// the "bound to ...:PORT" line it prints, and returns the running sim, that port and the
/// rest of its stdout.
pub fn start_sim(
    bin: &Path,
    extra: &[&str],
    stderr: Stdio,
    report_within: Duration,
) -> (ChildGuard, u16, Receiver<String>) {
    let mut child = Command::new(bin)
        .args(["--listen", "udpin:127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start sim");
    let out = lines_of(child.stdout.take().expect("sim stdout"));
    let guard = ChildGuard(child);
    let mut seen = Vec::new();
    let line = wait_line(&out, report_within, &mut seen, |l| l.contains("bound to"))
        .unwrap_or_else(|| panic!("sim did not report its port: {seen:?}"));
    let port: u16 = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (guard, port, out)
}
