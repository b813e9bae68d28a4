//! Helpers for the `planner upload` integration tests: running `planner`, Python peers, and
//! comparing a vehicle's mission with a `.waypoints` file. What other packages' tests need
//! too (children killed on drop, waiting for a line, `$QLY_PYTHON`, finding and starting
//! `sim`: see its `sim` module for how `sim` is found from here) is in `qly-test-support`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use qly_test_support::process::ChildGuard;
use serde_json::Value;

pub const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

pub fn planner_bin() -> &'static str {
    env!("CARGO_BIN_EXE_planner")
}

/// The `sim` binary, built beside `planner` (or `$QLY_SIM_BIN`).
pub fn sim_bin() -> &'static Path {
    qly_test_support::sim::sim_bin(Path::new(planner_bin()))
}

/// Starts `sim` on a free loopback UDP port; returns it, the port and its stdout lines.
pub fn start_sim(extra: &[&str]) -> (ChildGuard, u16, Receiver<String>) {
    qly_test_support::sim::start_sim(sim_bin(), extra, Stdio::null(), Duration::from_secs(20))
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

/// The rows as ArduPilot (and `sim`, which stores items as ArduPilot does) returns them on
/// download: `qly_core::protocol::Autopilot::stored_form`, whose rules are read from
/// ArduPilot's source (NaN yaw as 0, altitudes in whole centimetres, frame 0 for commands
/// without a position).
pub fn ardupilot_rows(rows: &[WplRow]) -> Vec<WplRow> {
    use qly_core::mission::{MissionType, RawItem};
    use qly_core::protocol::Autopilot;
    rows.iter()
        .map(|r| {
            let raw = RawItem {
                frame: r.frame as u8,
                command: r.command as u16,
                params: r.params.map(|p| p as f32),
                lat_deg: r.lat,
                lon_deg: r.lon,
                alt_m: r.alt as f32,
                autocontinue: r.autocontinue != 0,
            };
            let s = Autopilot::ArduPilot.stored_form(MissionType::Mission, &raw);
            WplRow {
                seq: r.seq,
                frame: u32::from(s.frame),
                command: u32::from(s.command),
                params: s.params.map(f64::from),
                lat: s.lat_deg,
                lon: s.lon_deg,
                alt: f64::from(s.alt_m),
                autocontinue: u32::from(s.autocontinue),
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
