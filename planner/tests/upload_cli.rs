//! `planner upload` end to end: the `sim` vehicle over an impaired, signed link (checked by an
//! independent pymavlink download), MAVSDK's vehicle side, faults that must end in a clear
//! error within a bounded time, and bad input. See `upload_support` for how `sim` is found.

mod upload_support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use qly_test_support::mavproxy::MavProxy;
use qly_test_support::net::free_udp_port;
use qly_test_support::process::{lines_of, wait_line, ChildGuard};
use qly_test_support::python::python_or_skip;
use upload_support::*;

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("qly-upload-")
        .tempdir()
        .expect("temp dir")
}

/// Five rows (home, take-off, two waypoints, RTL): fits `--mission-capacity 5`.
const SMALL_WPL: &str = "QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t-35.363262\t149.165237\t584.0\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t25\t1
2\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.165200\t25\t1
3\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.166000\t25\t1
4\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
";

fn upload_args<'a>(file: &'a str, connect: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["upload", file, "--connect", connect];
    v.extend_from_slice(extra);
    v
}

#[test]
fn plan_then_upload_waypoints_and_plan_over_a_lossy_signed_link() {
    let Some(python) = python_or_skip("plan_then_upload_over_a_lossy_signed_link") else {
        return;
    };
    let dir = temp_dir();
    let (wpl, plan) = plan_corridor(dir.path());
    let rows = read_wpl(&wpl);
    assert!(rows.len() >= 8, "a real survey: {} rows", rows.len());
    let (_sim, port, _out) = start_sim(&[
        "--speedup",
        "10",
        "--seed",
        "7",
        "--signing-key",
        KEY_HEX,
        "--require-signing",
        "--loss-pct",
        "20",
        "--dup-pct",
        "10",
        "--reorder-pct",
        "10",
        "--latency-ms",
        "5",
        "--jitter-ms",
        "5",
    ]);
    let connect = format!("udpout:127.0.0.1:{port}");
    for file in [&wpl, &plan] {
        let f = file.to_str().expect("utf-8");
        let (out, wall) = planner(
            &upload_args(
                f,
                &connect,
                &[
                    "--signing-key",
                    KEY_HEX,
                    "--require-signing",
                    "--retries",
                    "25",
                    "--item-timeout-ms",
                    "150",
                    "--timeout-ms",
                    "600",
                    "--overall-timeout-s",
                    "40",
                    // The same damage on what we send: a bad link both ways.
                    "--emulate-seed",
                    "3",
                    "--emulate-loss-pct",
                    "20",
                    "--emulate-dup-pct",
                    "10",
                    "--emulate-reorder-pct",
                    "10",
                    "--emulate-latency-ms",
                    "5",
                    "--emulate-jitter-ms",
                    "5",
                ],
            ),
            Duration::from_secs(50),
        );
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{f}: {stdout}\n{stderr}");
        let want = format!("Mission: {} items uploaded", rows.len());
        assert!(stdout.contains(&want), "{f}: {stdout}");
        assert!(stdout.contains("verified by download"), "{stdout}");
        // The damage really happened: more item messages sent than items.
        let sent: usize = stdout
            .split('(')
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no item message count in {stdout}"));
        assert!(sent > rows.len(), "no re-sends at 20 % loss? {stdout}");
        eprintln!("{f}: {wall:?}\n{stdout}");
        // Independent check: pymavlink, signed, over the same impaired link. Item 0 reads
        // back as the vehicle's home (ArduPilot convention), so compare from item 1; the
        // items read back as ArduPilot stores them.
        let vehicle = download_with_pymavlink(&python, port, Some(KEY_HEX));
        assert_same_items(&ardupilot_rows(&rows), &vehicle, 1);
    }
}

#[test]
fn upload_to_mavsdk_vehicle_side() {
    let Some(python) = python_or_skip("upload_to_mavsdk_vehicle_side") else {
        return;
    };
    let dir = temp_dir();
    let (wpl, _) = plan_corridor(dir.path());
    let rows = read_wpl(&wpl);
    let port = free_udp_port();
    let connect = format!("udpin:127.0.0.1:{port}");
    // The planner listens first; MAVSDK connects out and its heartbeats find us.
    let upload = Command::new(planner_bin())
        .args(upload_args(
            wpl.to_str().expect("utf-8"),
            &connect,
            &["--wait-s", "20", "--overall-timeout-s", "20"],
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start planner");
    let mut upload = ChildGuard(upload);
    let mut vehicle = Command::new(&python)
        .arg(peer_script("mavsdk_vehicle.py"))
        .arg(port.to_string())
        .arg("40")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start MAVSDK vehicle");
    let lines = lines_of(vehicle.stdout.take().expect("stdout"));
    let _vehicle = ChildGuard(vehicle);
    let mut seen = Vec::new();
    let mission = wait_line(&lines, Duration::from_secs(40), &mut seen, |l| {
        l.starts_with("MISSION ")
    })
    .unwrap_or_else(|| panic!("MAVSDK received no mission: {seen:?}"));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = upload.0.try_wait().expect("planner status") {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "planner hangs");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read;
    let _ = upload
        .0
        .stdout
        .take()
        .map(|mut s| s.read_to_string(&mut stdout));
    let _ = upload
        .0
        .stderr
        .take()
        .map(|mut s| s.read_to_string(&mut stderr));
    assert!(status.success(), "{stdout}\n{stderr}");
    // MAVSDK's MissionRawServer answers the download too, so the planner verified it.
    assert!(stdout.contains("verified by download"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(mission.trim_start_matches("MISSION ")).expect("json");
    assert_eq!(v["result"], "SUCCESS", "{v}");
    // MAVSDK keeps item 0 as sent, so every item is compared.
    assert_same_items(&rows, v["items"].as_array().expect("items"), 0);
}

#[test]
fn silent_vehicle_is_a_clear_error_within_the_wait() {
    let dir = temp_dir();
    let file = dir.path().join("small.waypoints");
    std::fs::write(&file, SMALL_WPL).expect("write");
    let connect = format!("udpout:127.0.0.1:{}", free_udp_port());
    let (out, wall) = planner(
        &upload_args(file.to_str().expect("utf-8"), &connect, &["--wait-s", "2"]),
        Duration::from_secs(15),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("no autopilot heartbeat"), "{stderr}");
    assert!(stderr.contains(&connect), "{stderr}");
    assert!(wall < Duration::from_secs(6), "took {wall:?}");
}

#[test]
fn refused_upload_names_no_space_and_keeps_the_previous_mission() {
    let Some(python) = python_or_skip("refused_upload_keeps_the_previous_mission") else {
        return;
    };
    let dir = temp_dir();
    let small = dir.path().join("small.waypoints");
    std::fs::write(&small, SMALL_WPL).expect("write");
    let (big, _) = plan_corridor(dir.path());
    let big_rows = read_wpl(&big).len();
    let (_sim, port, _out) = start_sim(&["--speedup", "10", "--mission-capacity", "5"]);
    let connect = format!("udpout:127.0.0.1:{port}");
    let (out, _) = planner(
        &upload_args(small.to_str().expect("utf-8"), &connect, &[]),
        Duration::from_secs(30),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let (out, wall) = planner(
        &upload_args(big.to_str().expect("utf-8"), &connect, &[]),
        Duration::from_secs(30),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("MAV_MISSION_NO_SPACE"), "{stderr}");
    assert!(
        stderr.contains(&format!("no space for {big_rows} mission items")),
        "{stderr}"
    );
    // What to do about it, with the figure.
    assert!(
        stderr.contains(&format!("holds fewer than {big_rows} mission items"))
            && stderr.contains("--max-items"),
        "{stderr}"
    );
    assert!(wall < Duration::from_secs(15), "took {wall:?}");

    let vehicle = download_with_pymavlink(&python, port, None);
    assert_same_items(&ardupilot_rows(&read_wpl(&small)), &vehicle, 1);
}

/// Starts `planner upload` in the background and waits until it has found the vehicle.
fn start_upload(args: &[&str]) -> (ChildGuard, std::sync::mpsc::Receiver<String>, Instant) {
    let mut child = Command::new(planner_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start planner");
    let err = lines_of(child.stderr.take().expect("stderr"));
    let guard = ChildGuard(child);
    let mut seen = Vec::new();
    wait_line(&err, Duration::from_secs(15), &mut seen, |l| {
        l.starts_with("vehicle:")
    })
    .unwrap_or_else(|| panic!("planner never saw the vehicle: {seen:?}"));
    (guard, err, Instant::now())
}

#[test]
fn link_lost_mid_upload_times_out_with_a_clear_error() {
    let dir = temp_dir();
    let (wpl, _) = plan_corridor(dir.path());
    // 300 ms latency on everything the vehicle sends: one item per 0.3 s at least.
    let (sim, port, _out) = start_sim(&["--latency-ms", "300"]);
    let connect = format!("udpout:127.0.0.1:{port}");
    let (mut upload, err, _) = start_upload(&upload_args(
        wpl.to_str().expect("utf-8"),
        &connect,
        &[
            "--timeout-ms",
            "1000",
            "--item-timeout-ms",
            "1000",
            "--retries",
            "2",
        ],
    ));
    std::thread::sleep(Duration::from_millis(1500));
    drop(sim);
    let killed = Instant::now();
    let status = loop {
        if let Some(s) = upload.0.try_wait().expect("status") {
            break s;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "planner still running 15 s after the link was lost"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let wall = killed.elapsed();
    let mut seen = Vec::new();
    while let Ok(l) = err.recv_timeout(Duration::from_millis(500)) {
        seen.push(l);
    }
    let stderr = seen.join("\n");
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(stderr.contains("retries"), "{stderr}");
    // 1 s first-answer timeout and 2 retries of 1 s: about 3 s, well under 10.
    assert!(wall < Duration::from_secs(10), "took {wall:?}: {stderr}");
}

#[test]
fn aborted_upload_leaves_the_previous_mission_in_place() {
    let Some(python) = python_or_skip("aborted_upload_leaves_the_previous_mission") else {
        return;
    };
    let dir = temp_dir();
    let small = dir.path().join("small.waypoints");
    std::fs::write(&small, SMALL_WPL).expect("write");
    let (big, _) = plan_corridor(dir.path());
    let (_sim, port, _out) = start_sim(&["--latency-ms", "200"]);
    let connect = format!("udpout:127.0.0.1:{port}");
    let (out, _) = planner(
        &upload_args(
            small.to_str().expect("utf-8"),
            &connect,
            &["--item-timeout-ms", "1000"],
        ),
        Duration::from_secs(30),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // A second upload, killed part-way (the ground station dies).
    let (upload, _err, _) = start_upload(&upload_args(
        big.to_str().expect("utf-8"),
        &connect,
        &["--item-timeout-ms", "1000"],
    ));
    std::thread::sleep(Duration::from_millis(1200));
    drop(upload);
    let vehicle = download_with_pymavlink(&python, port, None);
    assert_same_items(&ardupilot_rows(&read_wpl(&small)), &vehicle, 1);
}

/// Runs `planner ARGS`, which must fail at once with a message containing every needle.
fn fails_naming(args: &[&str], needles: &[&str]) {
    let (out, wall) = planner(args, Duration::from_secs(10));
    let (_, e) = text(&out);
    assert!(!out.status.success(), "{args:?} succeeded");
    // 1: refused while running; 2: refused by the argument parser (a typed option such as
    // --connect or --signing-key). A panic would be 101.
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{args:?}: an error exit, not a panic: {e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    for n in needles {
        assert!(e.contains(n), "{args:?}: {n:?} not in: {e}");
    }
    assert!(wall < Duration::from_secs(5), "{args:?} took {wall:?}");
}

#[test]
fn bad_input_is_named() {
    let dir = temp_dir();
    let good = dir.path().join("small.waypoints");
    std::fs::write(&good, SMALL_WPL).expect("write");
    let good = good.to_str().expect("utf-8");
    let to = "udpout:127.0.0.1:9";

    let missing = dir.path().join("nope.waypoints");
    let missing = missing.to_str().expect("utf-8");
    fails_naming(
        &upload_args(missing, to, &[]),
        &["nope.waypoints", "cannot read"],
    );

    let corrupt = dir.path().join("corrupt.waypoints");
    let mut f = std::fs::File::create(&corrupt).expect("create");
    writeln!(
        f,
        "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t-35.3\tabc\t584\t1"
    )
    .expect("write");
    drop(f);
    let corrupt = corrupt.to_str().expect("utf-8");
    fails_naming(
        &upload_args(corrupt, to, &[]),
        &["corrupt.waypoints", "line 2", "longitude", "'abc'"],
    );

    fails_naming(
        &upload_args(good, "udpx:127.0.0.1:9", &[]),
        &["--connect", "unknown scheme \"udpx\""],
    );
    fails_naming(
        &upload_args(good, "udpout:127.0.0.1", &[]),
        &["--connect", "HOST:PORT"],
    );
    fails_naming(
        &upload_args(good, to, &["--signing-key", "12zz"]),
        &["--signing-key", "64 hex digits", "got 4"],
    );
    let not_hex = "g".repeat(64);
    fails_naming(
        &upload_args(good, to, &["--signing-key", &not_hex]),
        &["--signing-key", "64 hex digits"],
    );
    fails_naming(
        &upload_args(good, to, &["--emulate-loss-pct", "130"]),
        &["--emulate-loss-pct 130", "percentage"],
    );
    fails_naming(
        &upload_args(good, to, &["--wait-s", "inf"]),
        &["--wait-s inf", "seconds"],
    );
}

/// MAVProxy (headless, the ground station many pilots script) uploads a `.waypoints` file
/// that `planner plan` wrote to `sim` and lists it back: every item it lists equals the file.
#[test]
fn mavproxy_uploads_a_planned_waypoints_file_to_sim() {
    let Some(python) = python_or_skip("mavproxy_uploads_a_planned_waypoints_file_to_sim") else {
        return;
    };
    let dir = temp_dir();
    let (wpl, _) = plan_corridor(dir.path());
    let rows = read_wpl(&wpl);
    let (_sim, port, _sim_out) = start_sim(&["--speedup", "5"]);
    let mut mavproxy = MavProxy::start(&python, port, dir.path());
    mavproxy.send(&format!("wp load {}", wpl.display()));
    let sent = format!("Sent all {} waypoints", rows.len());
    mavproxy
        .wait_line(Duration::from_secs(60), |l| l.contains(&sent))
        .unwrap_or_else(|| panic!("no '{sent}': {:#?}", mavproxy.seen));
    mavproxy
        .wait_line(Duration::from_secs(30), |l| l.contains("ACCEPTED"))
        .unwrap_or_else(|| panic!("no MISSION_ACK ACCEPTED: {:#?}", mavproxy.seen));
    mavproxy.send("wp list");
    mavproxy
        .wait_line(Duration::from_secs(30), |l| l.contains("Requesting"))
        .unwrap_or_else(|| panic!("no listing: {:#?}", mavproxy.seen));
    // "COMMAND FRAME LAT LON ALT p1=.. p2=.. p3=.. p4=.. cur=.. auto=..", one per item.
    let mut listed = Vec::new();
    while listed.len() < rows.len() {
        let line = mavproxy
            .wait_line(Duration::from_secs(30), |l| {
                l.split_whitespace().count() >= 9 && l.contains("p1=")
            })
            .unwrap_or_else(|| {
                panic!(
                    "listing stopped at {} items: {:#?}",
                    listed.len(),
                    mavproxy.seen
                )
            });
        // Drop MAVProxy's prompt ("STABILIZE> ") when it precedes the item.
        listed.push(line.rsplit("> ").next().unwrap_or(&line).to_string());
    }
    let _ = writeln!(mavproxy.stdin, "exit");
    // Item 0 is the vehicle's home (ArduPilot replaces it), so compare from item 1, with
    // the items as ArduPilot (and so `sim`) stores them.
    for (row, line) in ardupilot_rows(&rows).iter().zip(&listed).skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| -> f64 {
            let v = s.split('=').next_back().unwrap_or(s);
            v.parse().unwrap_or(f64::NAN)
        };
        let ctx = format!("item {}: file {row:?}, MAVProxy '{line}'", row.seq);
        assert_eq!(num(f[0]) as u32, row.command, "{ctx}");
        assert_eq!(num(f[1]) as u32, row.frame, "{ctx}");
        assert!((num(f[2]) - row.lat).abs() < 2e-7, "{ctx}");
        assert!((num(f[3]) - row.lon).abs() < 2e-7, "{ctx}");
        assert!((num(f[4]) - row.alt).abs() < 1e-3, "{ctx}");
        for (i, p) in row.params.iter().enumerate() {
            // MAVProxy prints params with one decimal ("p1=15.8" for 15.824).
            let v = num(f[5 + i]);
            assert!(
                (p.is_nan() && v.is_nan()) || (v - p).abs() <= 0.05 + 1e-6 * p.abs(),
                "param{}: {ctx}",
                i + 1
            );
        }
    }
}
