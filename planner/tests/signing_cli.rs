//! `planner upload` against a signing `sim`: a vehicle clock running ahead (sped up) is
//! adopted (issue 15 A7), and a wrong or missing key is named as such (issue 21.4).

mod upload_support;

use std::time::Duration;

use qly_test_support::net::free_udp_port;
use upload_support::*;

const SHORT_WPL: &str = "QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t-35.363262\t149.165237\t584.0\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t25\t1
2\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.165200\t25\t1
3\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
";

fn mission_file(dir: &std::path::Path) -> String {
    let p = dir.join("short.waypoints");
    std::fs::write(&p, SHORT_WPL).unwrap();
    p.to_string_lossy().to_string()
}

#[test]
fn signed_upload_works_when_the_vehicle_clock_is_minutes_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let wpl = mission_file(dir.path());
    // At 100x the vehicle's clock (and signing timestamp) gains 99 s per second.
    let (_sim, port, _out) = start_sim(&[
        "--speedup",
        "100",
        "--signing-key",
        KEY_HEX,
        "--require-signing",
    ]);
    std::thread::sleep(Duration::from_secs(3));
    let connect = format!("udpout:127.0.0.1:{port}");
    let (out, _) = planner(
        &[
            "upload",
            &wpl,
            "--connect",
            &connect,
            "--signing-key",
            KEY_HEX,
            "--require-signing",
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Mission: 4 items uploaded"), "{stdout}");
}

#[test]
fn a_wrong_key_is_named_with_the_sender() {
    let dir = tempfile::tempdir().unwrap();
    let wpl = mission_file(dir.path());
    // The planner listens; the vehicle sends to it (as ArduPilot on a telemetry radio).
    let gcs_port = free_udp_port();
    let to_gcs = format!("udpout:127.0.0.1:{gcs_port}");
    let (_sim, _port, _out) = start_sim(&[
        "--connect",
        &to_gcs,
        "--signing-key",
        KEY_HEX,
        "--require-signing",
    ]);
    let wrong = KEY_HEX.replace("00", "ff");
    let (out, _) = planner(
        &[
            "upload",
            &wpl,
            "--connect",
            &format!("udpin:127.0.0.1:{gcs_port}"),
            "--signing-key",
            &wrong,
            "--require-signing",
            "--wait-s",
            "3",
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("had a bad signature: wrong --signing-key?")
            && stderr.contains("frames from 127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn no_key_for_a_vehicle_that_requires_signing_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let wpl = mission_file(dir.path());
    let (_sim, port, _out) = start_sim(&["--signing-key", KEY_HEX, "--require-signing"]);
    let (out, _) = planner(
        &[
            "upload",
            &wpl,
            "--connect",
            &format!("udpout:127.0.0.1:{port}"),
            "--wait-s",
            "5",
            "--overall-timeout-s",
            "10",
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("the vehicle signs its frames") && stderr.contains("--signing-key"),
        "{stderr}"
    );
}
