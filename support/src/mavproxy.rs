//! MAVProxy, the scriptable ground station many pilots use, run headless from `$QLY_PYTHON`'s
//! venv as an independent peer: a test types console commands (`wp load`, `wp list`) and
//! reads what it prints.

use std::io::Write;
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::process::{lines_of, wait_line, ChildGuard};
use crate::python;

/// A running MAVProxy (killed on drop), its console and what it has printed.
pub struct MavProxy {
    /// Its console: one command a line.
    pub stdin: ChildStdin,
    /// Its stdout, a line at a time.
    pub lines: Receiver<String>,
    /// Every line read so far, for failure messages and for looking back.
    pub seen: Vec<String>,
    _process: ChildGuard,
}

impl MavProxy {
    /// Starts MAVProxy (with only its `wp` module, no saved state, working in `dir`) against
    /// a vehicle at loopback UDP `port`, and waits up to 60 s until it has seen the vehicle:
    /// a command given before the first heartbeat (even with `--cmd`) goes nowhere.
    pub fn start(python: &str, port: u16, dir: &Path) -> MavProxy {
        let mut child = Command::new(python)
            .arg(python::mavproxy(python))
            .arg(format!("--master=udpout:127.0.0.1:{port}"))
            .args(["--no-state", "--default-modules=wp"])
            .current_dir(dir)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mavproxy");
        let lines = lines_of(child.stdout.take().expect("stdout"));
        let stdin = child.stdin.take().expect("stdin");
        let mut proxy = MavProxy {
            stdin,
            lines,
            seen: Vec::new(),
            _process: ChildGuard(child),
        };
        proxy
            .wait_line(Duration::from_secs(60), |l| {
                l.contains("Detected vehicle") || l.contains("online system 1")
            })
            .unwrap_or_else(|| panic!("MAVProxy never saw the vehicle: {:#?}", proxy.seen));
        proxy
    }

    /// Types `command` at its console.
    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("write to mavproxy");
        self.stdin.flush().expect("flush");
    }

    /// The next line satisfying `want` within `timeout` (see [`wait_line`]); every line read
    /// goes onto `seen`.
    pub fn wait_line(&mut self, timeout: Duration, want: impl Fn(&str) -> bool) -> Option<String> {
        wait_line(&self.lines, timeout, &mut self.seen, want)
    }
}
