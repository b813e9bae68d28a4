//! MAVProxy (headless) uploads a QGC WPL 110 file to the `sim` binary and lists it back.

mod common;

use std::io::Write;
use std::time::Duration;

use common::start_sim;
use qly_test_support::mavproxy::MavProxy;
use qly_test_support::python::python_or_skip;

/// A short survey at the sim's default home: home, take-off, camera every 10 m, three
/// waypoints, camera off, RTL.
const WAYPOINTS: &str = "QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t-35.363262\t149.165237\t584.0\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t20\t1
2\t0\t3\t206\t10\t0\t1\t0\t0\t0\t0\t1
3\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.165200\t20\t1
4\t0\t3\t16\t0\t0\t0\t0\t-35.362400\t149.166000\t20\t1
5\t0\t3\t16\t0\t0\t0\t0\t-35.363000\t149.166000\t20\t1
6\t0\t3\t206\t0\t0\t1\t0\t0\t0\t0\t1
7\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
";

#[test]
fn mavproxy_uploads_and_lists_a_wpl_file() {
    let Some(python) = python_or_skip("mavproxy_uploads_and_lists_a_wpl_file") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("qly-sim-mavproxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("survey.waypoints");
    std::fs::write(&file, WAYPOINTS).expect("write waypoints");

    let (_sim, port, _sim_out) = start_sim(&["--speedup", "5"]);
    let mut mavproxy = MavProxy::start(&python, port, &dir);
    mavproxy.send(&format!("wp load {}", file.display()));
    mavproxy
        .wait_line(Duration::from_secs(30), |l| {
            l.contains("Sent all 8 waypoints")
        })
        .unwrap_or_else(|| panic!("upload did not complete: {:#?}", mavproxy.seen));
    mavproxy
        .wait_line(Duration::from_secs(30), |l| l.contains("ACCEPTED"))
        .unwrap_or_else(|| panic!("no MISSION_ACK ACCEPTED: {:#?}", mavproxy.seen));

    mavproxy.send("wp list");
    // The listing prints "COMMAND FRAME LAT LON ALT p1=.. .." per item; the last is RTL (20).
    // The sim stores items as ArduPilot does: commands without a position (RTL, camera) read
    // back in frame 0 whatever frame they were sent in.
    let first_wp = mavproxy
        .wait_line(Duration::from_secs(30), |l| l.starts_with("16 3 -35.3624"))
        .unwrap_or_else(|| panic!("no listing of waypoint 3: {:#?}", mavproxy.seen));
    assert!(first_wp.contains("149.1652"), "{first_wp}");
    mavproxy
        .wait_line(Duration::from_secs(10), |l| l.starts_with("20 0 "))
        .unwrap_or_else(|| panic!("no RTL in the listing: {:#?}", mavproxy.seen));
    let cam = mavproxy
        .seen
        .iter()
        .filter(|l| l.starts_with("206 0 "))
        .collect::<Vec<_>>();
    assert_eq!(cam.len(), 2, "camera items listed: {cam:?}");
    assert!(
        cam[0].contains("p1=10.0") && cam[0].contains("p3=1.0"),
        "{cam:?}"
    );
    eprintln!("MAVProxy said:\n{}", mavproxy.seen.join("\n"));
    let _ = writeln!(mavproxy.stdin, "exit");
    let _ = std::fs::remove_dir_all(&dir);
}
