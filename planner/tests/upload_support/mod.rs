//! Helpers for the `planner upload` integration tests: the `sim` binary, Python peers,
//! children killed on drop, bounded waits, and comparing a vehicle's mission with a
//! `.waypoints` file.
//!
//! Finding `sim`: `CARGO_BIN_EXE_*` only names binaries of the package under test, so the
//! tests run `cargo build -p sim --bin sim` once (a no-op when it is up to date, which it is
//! under `cargo test --workspace`) for the same profile and target directory as `planner`,
//! and use `target/<profile>/sim`. Cargo has released its build lock by the time tests run,
//! so this does not deadlock; it keeps `cargo test -p planner` from testing a stale `sim`.
//! If cargo cannot be run, an existing `target/<profile>/sim` is used. `QLY_SIM_BIN`
//! overrides all of this.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A child process that is killed when dropped (a failing test leaves nothing running).
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
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

/// Waits for a line satisfying `want`, recording every line seen (for failure messages).
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

/// The Python with the MAVLink peers (`$QLY_PYTHON`); `None` means skip, an error under CI.
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

pub fn planner_bin() -> &'static str {
    env!("CARGO_BIN_EXE_planner")
}

/// The `sim` binary (see the module doc for how it is found).
pub fn sim_bin() -> &'static Path {
    static SIM: OnceLock<PathBuf> = OnceLock::new();
    SIM.get_or_init(|| {
        if let Some(p) = std::env::var_os("QLY_SIM_BIN") {
            return PathBuf::from(p);
        }
        let planner = Path::new(planner_bin());
        let dir = planner.parent().expect("planner binary in a directory");
        let sim = dir.join(format!("sim{}", std::env::consts::EXE_SUFFIX));
        let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let target_dir = dir.parent().expect("target directory");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "sim", "--bin", "sim", "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
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

/// Starts `sim` on a free loopback UDP port; returns it, the port and its stdout lines.
pub fn start_sim(extra: &[&str]) -> (ChildGuard, u16, Receiver<String>) {
    let mut child = Command::new(sim_bin())
        .args(["--listen", "udpin:127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sim");
    let out = lines_of(child.stdout.take().expect("sim stdout"));
    let guard = ChildGuard(child);
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

/// A loopback UDP port that was free a moment ago.
pub fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("local addr").port()
}

/// Runs a command to completion with a wall-clock bound; returns its output and wall time.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => (out.expect("wait for child"), start.elapsed()),
        Err(_) => {
            // Kill only the child we started, by its id.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("{cmd:?} ran past {limit:?}");
        }
    }
}

/// `planner ARGS`, bounded.
pub fn planner(args: &[&str], limit: Duration) -> (Output, Duration) {
    run_bounded(Command::new(planner_bin()).args(args), limit)
}

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A file under planner/tests/peers/.
pub fn peer_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
        .join(name)
}

/// Downloads the vehicle's mission on `port` with pymavlink (independent of qly-link).
pub fn download_with_pymavlink(python: &str, port: u16, key: Option<&str>) -> Vec<Value> {
    let mut cmd = Command::new(python);
    cmd.arg(peer_script("download_mission.py"))
        .arg(port.to_string())
        .args(["--timeout-s", "25"]);
    if let Some(k) = key {
        cmd.args(["--key", k]);
    }
    let (out, _) = run_bounded(&mut cmd, Duration::from_secs(35));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "download failed: {stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MISSION "))
        .unwrap_or_else(|| panic!("no MISSION line: {stdout}\n{stderr}"));
    let v: Value = serde_json::from_str(line).expect("mission json");
    v["items"].as_array().expect("items").clone()
}

/// One row of a QGC WPL 110 file.
#[derive(Debug, Clone)]
pub struct WplRow {
    pub seq: u32,
    pub frame: u32,
    pub command: u32,
    pub params: [f64; 4],
    pub lat: f64,
    pub lon: f64,
    pub alt: f64,
    pub autocontinue: u32,
}

pub fn read_wpl(path: &Path) -> Vec<WplRow> {
    let text = std::fs::read_to_string(path).expect("read waypoints");
    let mut lines = text.lines();
    assert!(lines.next().unwrap_or("").starts_with("QGC WPL 110"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<f64> = l
                .split_whitespace()
                .map(|x| x.parse().expect("number or nan"))
                .collect();
            assert_eq!(f.len(), 12, "{l}");
            WplRow {
                seq: f[0] as u32,
                frame: f[2] as u32,
                command: f[3] as u32,
                params: [f[4], f[5], f[6], f[7]],
                lat: f[8],
                lon: f[9],
                alt: f[10],
                autocontinue: f[11] as u32,
            }
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Asserts the vehicle's items (MISSION_ITEM_INT fields as JSON) equal the file's rows from
/// `first` on: same command, frame, params (f32), position (1e-7 degrees) and altitude.
pub fn assert_same_items(file: &[WplRow], vehicle: &[Value], first: usize) {
    assert_eq!(vehicle.len(), file.len(), "item count");
    for (row, item) in file.iter().zip(vehicle).skip(first) {
        let f = |k: &str| item[k].as_f64().unwrap_or_else(|| panic!("{k} in {item}"));
        let ctx = format!("item {}: file {row:?}, vehicle {item}", row.seq);
        assert_eq!(f("seq") as u32, row.seq, "{ctx}");
        assert_eq!(f("command") as u32, row.command, "{ctx}");
        assert_eq!(f("frame") as u32, row.frame, "{ctx}");
        assert_eq!(f("autocontinue") as u32, row.autocontinue, "{ctx}");
        for (i, p) in row.params.iter().enumerate() {
            let key = format!("param{}", i + 1);
            // NaN (MAVLink's "unchanged") travels as JSON null.
            let ok = if p.is_nan() {
                item[&key].is_null()
            } else {
                close(f(&key), *p, 1e-6)
            };
            assert!(ok, "{key}: {ctx}");
        }
        let (x, y) = if row.frame == 2 {
            (row.lat.round(), row.lon.round())
        } else {
            ((row.lat * 1e7).round(), (row.lon * 1e7).round())
        };
        assert!((f("x") - x).abs() <= 1.0, "x: {ctx}");
        assert!((f("y") - y).abs() <= 1.0, "y: {ctx}");
        assert!(close(f("z"), row.alt, 1e-6), "z: {ctx}");
    }
}

/// A short river centreline near the sim's home, as GeoJSON, written into `dir`.
pub fn write_corridor(dir: &Path) -> PathBuf {
    let path = dir.join("creek.geojson");
    let geojson = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
 "properties":{"width_m":40,"datum":"WGS84"},
 "geometry":{"type":"LineString","coordinates":[
  [149.165237,-35.363262],[149.166500,-35.362800],[149.167800,-35.362900]]}}]}"#;
    std::fs::write(&path, geojson).expect("write geojson");
    path
}

/// Plans the corridor with `planner plan`; returns the `.waypoints` and `.plan` paths.
pub fn plan_corridor(dir: &Path) -> (PathBuf, PathBuf) {
    let input = write_corridor(dir);
    let out = dir.join("out");
    let (o, _) = planner(
        &[
            "plan",
            input.to_str().expect("utf-8 path"),
            "--out",
            out.to_str().expect("utf-8 path"),
            "--name",
            "creek",
            "--speed",
            "5",
        ],
        Duration::from_secs(30),
    );
    let (stdout, stderr) = text(&o);
    assert!(
        o.status.success(),
        "planner plan failed: {stdout}\n{stderr}"
    );
    let wpl = out.join("creek.waypoints");
    let plan = out.join("creek.plan");
    assert!(wpl.exists() && plan.exists(), "plan wrote: {stdout}");
    (wpl, plan)
}
