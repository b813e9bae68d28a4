//! Mission items the dialect cannot decode (issue 21.5): a MISSION_ITEM_INT or MISSION_ITEM
//! whose frame or command is no value of its enum gets the MISSION_ACK ArduPilot answers,
//! sent by a real ground-station library (pymavlink) to the `sim` binary.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{peer_script, start_sim};
use qly_test_support::process::{lines_of, wait_line, ChildGuard};
use qly_test_support::python::python_or_skip;

#[test]
fn items_with_an_undeclared_frame_or_command_are_refused_with_ardupilots_ack() {
    let Some(python) = python_or_skip("items_with_an_undeclared_frame_or_command") else {
        return;
    };
    let (_sim, port, _sim_out) = start_sim(&[]);
    let mut child = Command::new(python)
        .arg(peer_script("undeclared_frame.py"))
        .arg(port.to_string())
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    let out = lines_of(child.stdout.take().expect("python stdout"));
    let mut gcs = ChildGuard(child);
    let mut seen = Vec::new();
    let result = wait_line(&out, Duration::from_secs(60), &mut seen, |l| {
        l.starts_with("RESULT ") || l.starts_with("FAIL ")
    });
    let _ = gcs.0.wait();
    let result = result.unwrap_or_else(|| panic!("no result from pymavlink: {seen:?}"));
    assert_eq!(
        result,
        "RESULT {\"item_frame_255\": \"MAV_MISSION_UNSUPPORTED_FRAME\", \
         \"item_int_command_40000\": \"MAV_MISSION_UNSUPPORTED\", \
         \"item_int_frame_255\": \"MAV_MISSION_UNSUPPORTED_FRAME\"}",
        "{seen:#?}"
    );
}
