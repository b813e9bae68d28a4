//! Helpers for tests that start the `sim` binary and real MAVLink peers.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// A child process that is killed when dropped (a failing test leaves nothing running).
pub struct ChildGuard {
    pub child: Child,
    pub name: &'static str,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lines of a child's output arriving on a channel, read on a thread.
pub fn lines_of(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line satisfying `want`; returns it, with every line seen (for messages).
pub fn wait_line(
    rx: &Receiver<String>,
    timeout: Duration,
    seen: &mut Vec<String>,
    want: impl Fn(&str) -> bool,
) -> Option<String> {
    let end = Instant::now() + timeout;
    loop {
        let left = end.checked_duration_since(Instant::now())?;
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return Some(line);
                }
            }
            Err(_) => return None,
        }
    }
}

/// The Python with the MAVLink peers (`$QLY_PYTHON`, set by scripts/setup-env.sh); `None`
/// means skip, which is an error under CI.
pub fn python_or_skip(test: &str) -> Option<String> {
    match std::env::var("QLY_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: QLY_PYTHON is not set under CI; source scripts/setup-env.sh"
            );
            eprintln!("{test}: skipped: QLY_PYTHON not set (source scripts/setup-env.sh)");
            None
        }
    }
}

/// Starts `sim` listening on a free loopback UDP port; returns it and the port.
pub fn start_sim(extra: &[&str]) -> (ChildGuard, u16, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["--listen", "udpin:127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sim");
    let out = lines_of(child.stdout.take().expect("sim stdout"));
    let guard = ChildGuard { child, name: "sim" };
    let mut seen = Vec::new();
    let line = wait_line(&out, Duration::from_secs(20), &mut seen, |l| {
        l.contains("bound to")
    })
    .unwrap_or_else(|| panic!("sim did not report its port: {seen:?}"));
    let port: u16 = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (guard, port, out)
}

/// A file under sim/tests/peers/.
pub fn peer_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
        .join(name)
}
