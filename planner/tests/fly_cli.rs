//! `planner fly` against the `sim` vehicle: after an upload it arms, starts the mission,
//! follows it and returns once the vehicle has landed and disarmed.

mod upload_support;

use std::time::Duration;

use qly_test_support::net::free_udp_port;
use qly_test_support::python::python_or_skip;
use upload_support::*;

/// Home, take-off to 25 m, two waypoints 90 m apart with a photo on each leg, RTL.
const SHORT_WPL: &str = "QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t-35.363262\t149.165237\t584.0\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t25\t1
2\t0\t3\t206\t20\t0\t1\t0\t0\t0\t0\t1
3\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.165200\t25\t1
4\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.166000\t25\t1
5\t0\t3\t206\t0\t0\t0\t0\t0\t0\t0\t1
6\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
";

#[test]
fn fly_starts_the_mission_and_returns_after_the_landing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wpl = dir.path().join("short.waypoints");
    std::fs::write(&wpl, SHORT_WPL).expect("write mission");
    let (_sim, port, _out) = start_sim(&["--speedup", "20"]);
    let connect = format!("udpout:127.0.0.1:{port}");
    let wpl = wpl.to_string_lossy().to_string();
    let (out, _) = planner(
        &["upload", &wpl, "--connect", &connect],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "upload failed: {stdout}\n{stderr}");

    let tlog = dir.path().join("flight.tlog");
    let tlog_arg = tlog.to_string_lossy().to_string();
    let (out, took) = planner(
        &[
            "fly",
            "--connect",
            &connect,
            "--timeout-s",
            "120",
            "--tlog",
            &tlog_arg,
        ],
        Duration::from_secs(150),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "fly failed: {stdout}\n{stderr}");
    assert!(stdout.contains("landed and disarmed"), "{stdout}");
    // The sim, as ArduPilot, streams only what was asked for: fly asked.
    assert!(
        stdout.contains("telemetry requested: MISSION_CURRENT, GLOBAL_POSITION_INT"),
        "{stdout}"
    );
    // The vehicle's messages reach the output even though it is not a terminal.
    assert!(stdout.contains("vehicle: "), "{stdout}");
    // Progress counted the mission's items (MISSION_CURRENT streamed): "last item N/7".
    let total: u32 = stdout
        .split("last item ")
        .nth(1)
        .and_then(|s| s.split('/').nth(1))
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no item count in {stdout}"));
    assert_eq!(total, 7, "{stdout}");
    // The two legs are 90 m and ~75 m long with a photo every 20 m: several photos.
    let photos: u32 = stdout
        .split_whitespace()
        .zip(stdout.split_whitespace().skip(1))
        .find(|(_, w)| w.starts_with("photos"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no photo count in {stdout}"));
    assert!(photos >= 4, "{photos} photos: {stdout}");
    assert!(took < Duration::from_secs(120), "took {took:?}");

    // The telemetry log reads back, with ours and with pymavlink (what MAVProxy uses).
    let bytes = std::fs::read(&tlog).expect("tlog written");
    let (records, damage) = qly_link::tlog::read_tlog(&bytes).expect("a tlog");
    let positions = records
        .iter()
        .filter(|r| {
            matches!(
                r.message,
                qly_link::dialect::MavMessage::GLOBAL_POSITION_INT(_)
            )
        })
        .count();
    assert!(
        positions > 20,
        "{positions} positions in {} records",
        records.len()
    );
    assert_eq!(damage, Default::default());
    if let Some(python) = python_or_skip("fly tlog read by pymavlink") {
        let script = "import sys\nfrom pymavlink import mavutil\nm = mavutil.mavlink_connection(sys.argv[1])\nn = 0\nwhile m.recv_match(type='GLOBAL_POSITION_INT') is not None:\n    n += 1\nprint(n)\n";
        let out = std::process::Command::new(python)
            .args(["-c", script, &tlog_arg])
            .output()
            .expect("run python");
        let n: usize = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        assert_eq!(
            n,
            positions,
            "pymavlink: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_refused_command_names_the_vehicles_reason() {
    // No GPS fix for the whole test: the vehicle refuses GUIDED and arming, and says why.
    let (_sim, port, _out) = start_sim(&["--gps-lock-s", "1000"]);
    let connect = format!("udpout:127.0.0.1:{port}");
    let (out, _) = planner(&["fly", "--connect", &connect], Duration::from_secs(60));
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("the vehicle says: PreArm: need position estimate"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("MAV_RESULT_TEMPORARILY_REJECTED"),
        "{stderr}"
    );
}

#[test]
fn fly_without_a_vehicle_is_a_clear_error() {
    let port = free_udp_port();
    let connect = format!("udpout:127.0.0.1:{port}");
    let (out, _) = planner(
        &["fly", "--connect", &connect, "--wait-s", "1"],
        Duration::from_secs(30),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("no autopilot heartbeat"), "{stderr}");
}

/// A vehicle that requires MAVLink 2 signing: `planner fly` with the key (the link options it
/// shares with `planner upload`) flies the mission; without the key its commands are ignored
/// and it says which step got no answer.
#[test]
fn fly_signs_its_commands_for_a_vehicle_that_requires_signing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wpl = dir.path().join("short.waypoints");
    std::fs::write(&wpl, SHORT_WPL).expect("write mission");
    let (_sim, port, _out) = start_sim(&[
        "--speedup",
        "20",
        "--signing-key",
        KEY_HEX,
        "--require-signing",
    ]);
    let connect = format!("udpout:127.0.0.1:{port}");
    let wpl = wpl.to_string_lossy().to_string();
    let signed = ["--signing-key", KEY_HEX, "--require-signing"];
    let mut args = vec!["upload", &wpl, "--connect", &connect];
    args.extend(signed);
    let (out, _) = planner(&args, Duration::from_secs(60));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "upload failed: {stdout}\n{stderr}");

    // Unsigned: the vehicle ignores the mode change, nothing flies.
    let (out, _) = planner(
        &["fly", "--connect", &connect, "--timeout-s", "60"],
        Duration::from_secs(90),
    );
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "unsigned fly succeeded: {stdout}");
    assert!(stderr.contains("setting GUIDED"), "{stderr}");

    let mut args = vec!["fly", "--connect", &connect, "--timeout-s", "120"];
    args.extend(signed);
    let (out, _) = planner(&args, Duration::from_secs(150));
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "signed fly failed: {stdout}\n{stderr}"
    );
    assert!(stdout.contains("landed and disarmed"), "{stdout}");
}
