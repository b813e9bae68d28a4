//! The `sim` binary with two links, a ground station on one and a companion on the other,
//! routing MAVLink between them as ArduPilot does.

// MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES is deprecated in MAVLink but still what ground
// stations send, and ArduPilot (like the sim) still answers it.
#![allow(deprecated)]

mod common;

use std::time::{Duration, Instant};

use common::start_sim;
use qly_core::protocol::Ids;
use qly_link::dialect::*;
use qly_link::heartbeat::gcs_heartbeat;
use qly_link::{Address, Connection, ConnectionConfig};
use qly_test_support::process::wait_line;

async fn peer(port: u16, own: Ids) -> Connection {
    let addr: Address = format!("udpout:127.0.0.1:{port}").parse().unwrap();
    Connection::open(&addr, ConnectionConfig::new(own))
        .await
        .expect("open peer link")
}

fn text(s: &str) -> MavMessage {
    let mut d = STATUSTEXT_DATA {
        severity: MavSeverity::MAV_SEVERITY_NOTICE,
        ..Default::default()
    };
    for (i, b) in s.bytes().take(50).enumerate() {
        d.text[i] = b;
    }
    MavMessage::STATUSTEXT(d)
}

fn request_capabilities(target: Ids) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        target_system: target.system,
        target_component: target.component,
        command: MavCmd::MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES,
        param1: 1.0,
        ..Default::default()
    })
}

/// Receives until `want` matches or `timeout`; returns the matching frame's sender.
async fn wait_for(
    conn: &mut Connection,
    timeout: Duration,
    mut want: impl FnMut(&MavMessage) -> bool,
) -> Option<Ids> {
    let end = Instant::now() + timeout;
    loop {
        let left = end.checked_duration_since(Instant::now())?;
        let rx = conn.recv_timeout(left).await?;
        if want(&rx.message) {
            return Some(Ids::new(rx.header.system_id as u8, rx.header.component_id));
        }
    }
}

fn is_ack_to(m: &MavMessage, to: Ids) -> bool {
    matches!(m, MavMessage::COMMAND_ACK(a)
        if a.command == MavCmd::MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES
            && a.result == MavResult::MAV_RESULT_ACCEPTED
            && a.target_system == to.system
            && a.target_component == to.component)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcs_and_companion_on_two_links_hear_each_other_and_command_the_vehicle() {
    let (_sim, gcs_port, out) = start_sim(&["--listen", "udpin:127.0.0.1:0", "--speedup", "5"]);
    let mut seen = Vec::new();
    let line = wait_line(&out, Duration::from_secs(20), &mut seen, |l| {
        l.contains("bound to")
    })
    .unwrap_or_else(|| panic!("sim did not report its second port: {seen:?}"));
    let companion_port: u16 = line.rsplit(':').next().unwrap().trim().parse().unwrap();
    assert_ne!(gcs_port, companion_port);

    let gcs_ids = Ids::new(255, 190);
    let companion_ids = Ids::new(1, 191);
    let mut gcs = peer(gcs_port, gcs_ids).await;
    let mut companion = peer(companion_port, companion_ids).await;
    // Each announces itself so the sim learns who is behind which link.
    gcs.send(&MavMessage::HEARTBEAT(gcs_heartbeat())).unwrap();
    let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        mavtype: MavType::MAV_TYPE_ONBOARD_CONTROLLER,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        ..Default::default()
    });
    companion.send(&hb).unwrap();

    // The vehicle's telemetry reaches both links.
    for conn in [&mut gcs, &mut companion] {
        let from = wait_for(conn, Duration::from_secs(10), |m| {
            matches!(m, MavMessage::HEARTBEAT(h) if h.autopilot == MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA)
        })
        .await
        .expect("vehicle heartbeat on both links");
        assert_eq!(from, Ids::new(1, 1));
    }

    // The companion's STATUSTEXT reaches the ground station, from the companion's ids.
    companion.send(&text("companion: candidate 1")).unwrap();
    let from = wait_for(
        &mut gcs,
        Duration::from_secs(10),
        |m| matches!(m, MavMessage::STATUSTEXT(t) if t.text.starts_with(b"companion: candidate 1")),
    )
    .await
    .expect("the GCS hears the companion's STATUSTEXT");
    assert_eq!(from, companion_ids);
    // The companion's heartbeat was forwarded too (broadcast).
    gcs.send(&MavMessage::HEARTBEAT(gcs_heartbeat())).unwrap();
    let from = wait_for(
        &mut companion,
        Duration::from_secs(10),
        |m| matches!(m, MavMessage::HEARTBEAT(h) if h.mavtype == MavType::MAV_TYPE_GCS),
    )
    .await
    .expect("the companion hears the GCS heartbeat");
    assert_eq!(from, gcs_ids);

    // Commands reach the vehicle from either link; each ACK goes to its asker only.
    companion
        .send(&request_capabilities(Ids::new(1, 1)))
        .unwrap();
    wait_for(&mut companion, Duration::from_secs(10), |m| {
        is_ack_to(m, companion_ids)
    })
    .await
    .expect("the vehicle acknowledges the companion's command");
    gcs.send(&request_capabilities(Ids::new(1, 1))).unwrap();
    let mut gcs_saw_companion_ack = false;
    wait_for(&mut gcs, Duration::from_secs(10), |m| {
        gcs_saw_companion_ack |= is_ack_to(m, companion_ids);
        is_ack_to(m, gcs_ids)
    })
    .await
    .expect("the vehicle acknowledges the GCS's command");
    assert!(
        !gcs_saw_companion_ack,
        "the ACK addressed to the companion leaked onto the GCS link"
    );

    // A command the GCS addresses to the companion goes to the companion's link, and the
    // vehicle does not act on it.
    gcs.send(&request_capabilities(companion_ids)).unwrap();
    let from = wait_for(&mut companion, Duration::from_secs(10), |m| {
        matches!(m, MavMessage::COMMAND_LONG(c)
            if c.command == MavCmd::MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES
                && c.target_component == companion_ids.component)
    })
    .await
    .expect("the companion receives the command addressed to it");
    assert_eq!(from, gcs_ids);
}
