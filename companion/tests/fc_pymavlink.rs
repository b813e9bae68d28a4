//! The flight-controller link against pymavlink playing the autopilot
//! (tests/peers/fake_autopilot.py): MAVLink 1 and 2 frames, a message id no dialect knows,
//! an enum value out of range, TIMESYNC, camera and gimbal messages, and our heartbeat,
//! interval requests and STATUSTEXT report as pymavlink decodes them.

mod fc_support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use companion::fc::{companion_now_ns, CancellationToken, ClockSource, FcLink};
use fc_support::*;
use qly_core::geotag::CameraMount;
use qly_test_support::net::free_udp_port;
use qly_test_support::python::python_or_skip;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymavlink_autopilot_mavlink1_and_2_unknowns_timesync_and_report() {
    let Some(python) = python_or_skip("pymavlink_autopilot") else {
        return;
    };
    init_tracing();
    let port = free_udp_port();
    let shutdown = CancellationToken::new();
    let link = FcLink::spawn(
        test_config(format!("udpin:127.0.0.1:{port}")),
        shutdown.clone(),
    )
    .expect("spawn");
    let fc = link.handle();

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/fake_autopilot.py");
    let mut child = tokio::process::Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .arg("40")
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start python");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();

    // Streams requested (one ignored by the peer: retried), clocks aligned by TIMESYNC.
    wait_for(
        "intervals accepted, MAVLink 1 and 2 telemetry, TIMESYNC",
        Duration::from_secs(20),
        || {
            let s = fc.status();
            intervals_accepted(&fc)
                && s.mavlink1_frames > 5
                && s.mavlink2_frames > 5
                && s.timesync_samples >= 2
                && s.positions > 10
                && s.rx.unknown_message >= 1
                && s.rx.undecodable >= 1
        },
    )
    .await;
    let s = fc.status();
    let pos = s.intervals.iter().find(|i| i.message_id == 33).unwrap();
    assert_eq!(pos.attempts, 2, "the unanswered request was sent again");

    // Companion time -> boot time by TIMESYNC: "now" lands just after the latest position
    // (10 Hz stream on loopback).
    let (bt, latest) = {
        let now = companion_now_ns();
        let latest = fc.with_state(|s| s.timeline.covered_until_ms()).unwrap();
        (fc.companion_ns_to_boot_ms(now).unwrap(), latest)
    };
    assert_eq!(bt.source, ClockSource::Timesync);
    let ahead_ms = bt.t_boot_ms - latest;
    eprintln!("companion now is {ahead_ms:.1} ms after the latest position sample");
    assert!((-10.0..=150.0).contains(&ahead_ms), "{ahead_ms}");

    // GPS accuracy from the valid GPS_RAW_INT (the out-of-range one was dropped).
    let gps = fc.gps().expect("gps");
    assert_eq!(gps.h_acc_m, Some(1.5));
    assert_eq!(gps.v_acc_m, Some(2.5));
    assert_eq!(gps.satellites_visible, Some(14));

    // The report goes to the ground.
    assert_eq!(
        fc.report_candidate("outfall", 0.87, 27.054712, 106.952713),
        companion::fc::Queued::Queued
    );
    let mut capture_line = None;
    let result = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("peer: {line}");
            if line.starts_with("CAPTURE ") {
                capture_line = Some(line.clone());
            }
            if line.starts_with("RESULT ") || line.starts_with("FAIL ") {
                return line;
            }
        }
        String::from("EOF")
    })
    .await
    .expect("peer result within 30 s");
    let status = child.wait().await.expect("python exit");
    assert!(
        result.starts_with("RESULT ") && status.success(),
        "{result}"
    );
    let seen: serde_json::Value = serde_json::from_str(&result["RESULT ".len()..]).unwrap();
    assert_eq!(seen["heartbeat"]["type"], 18, "MAV_TYPE_ONBOARD_CONTROLLER");
    assert_eq!(seen["heartbeat"]["autopilot"], 8, "MAV_AUTOPILOT_INVALID");
    assert_eq!(seen["heartbeat"]["src"], serde_json::json!([1, 191]));
    let intervals = seen["intervals"].as_array().unwrap();
    for (id, us) in [(33, 100_000), (30, 50_000), (24, 500_000), (2, 1_000_000)] {
        assert!(
            intervals.iter().any(|i| i[0] == id && i[1] == us),
            "SET_MESSAGE_INTERVAL({id}, {us}) missing: {intervals:?}"
        );
    }
    // The retry of the ignored request carries confirmation 1.
    assert!(
        intervals.iter().any(|i| i[0] == 33 && i[2] == 1),
        "{intervals:?}"
    );
    assert!(seen["interval_components"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c == 191));
    assert!(seen["timesync_requests"].as_u64().unwrap() >= 2);
    let text = &seen["statustext"][0];
    assert_eq!(text["text"], "QLY outfall 0.87 27.054712,106.952713");
    assert_eq!(text["severity"], 5, "MAV_SEVERITY_NOTICE");
    assert!(seen["frames_v1"].as_u64().unwrap() > 5 && seen["frames_v2"].as_u64().unwrap() > 5);

    // CAMERA_IMAGE_CAPTURED (component 100) and the gimbal (component 154).
    let capture_line = capture_line.expect("peer announced its capture");
    let parts: Vec<&str> = capture_line.split_whitespace().collect();
    let (t_ms, lat): (u32, f64) = (parts[2].parse().unwrap(), parts[3].parse().unwrap());
    let cap = fc.pose_at_capture(5).expect("pose at image 5");
    assert_eq!(cap.capture.time_boot_ms, Some(t_ms));
    assert_eq!(cap.capture.file_url.as_deref(), Some("IMG_0005.JPG"));
    assert!(cap.interpolated);
    let err_m = (cap.pose.position.lat_deg - lat).abs() * 111_000.0;
    assert!(err_m < 0.05, "{err_m} m");
    assert!((cap.pose.q_ned_body.yaw_rad().to_degrees() - 30.0).abs() < 1e-3);
    let gimbal = fc.with_state(|s| s.gimbal).expect("gimbal status");
    assert!(
        matches!(gimbal.mount, CameraMount::EarthFrame(_)),
        "{gimbal:?}"
    );
    assert_eq!(gimbal.component, 154);

    // Still running after all the unknowns.
    assert!(!link.is_finished());
    let s = fc.status();
    eprintln!(
        "rx: {:?}; v1 {} v2 {}; reports sent {}",
        s.rx, s.mavlink1_frames, s.mavlink2_frames, s.reports_sent
    );
    assert_eq!(s.reports_sent, 1);
    assert!(s.rx.unknown_message >= 1 && s.rx.undecodable >= 1);
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(3), link.join())
        .await
        .expect("ends on shutdown")
        .expect("clean end");
}
