//! The `sim` binary flown by a real ground-station library (pymavlink): heartbeat, GUIDED
//! take-off, mission upload, AUTO at 20x with photos, RTL and landing.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{peer_script, start_sim};
use qly_test_support::process::{lines_of, wait_line, ChildGuard};
use qly_test_support::python::python_or_skip;

#[test]
fn pymavlink_flies_a_mission_at_20x() {
    let Some(python) = python_or_skip("pymavlink_flies_a_mission_at_20x") else {
        return;
    };
    let (_sim, port, _sim_out) = start_sim(&["--speedup", "20", "--seed", "7"]);
    let mut child = Command::new(python)
        .arg(peer_script("fly_mission.py"))
        .arg(port.to_string())
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    let out = lines_of(child.stdout.take().expect("python stdout"));
    let mut gcs = ChildGuard(child);
    let mut seen = Vec::new();
    let result = wait_line(&out, Duration::from_secs(180), &mut seen, |l| {
        l.starts_with("RESULT ") || l.starts_with("FAIL ")
    });
    let status = gcs.0.wait().expect("wait for python");
    let result = result.unwrap_or_else(|| panic!("no result from the ground station: {seen:?}"));
    assert!(
        result.starts_with("RESULT ") && status.success(),
        "ground station failed ({status}): {seen:#?}"
    );
    // The script checked the details; spot-check its summary here too.
    assert!(
        result.contains("\"reached\": [1, 2, 3, 4, 5, 6]"),
        "{result}"
    );
    assert!(result.contains("\"first_photo_idx\": 1"), "{result}");
    assert!(
        result.contains("Mode AUTO") && result.contains("Landed"),
        "{result}"
    );
}
