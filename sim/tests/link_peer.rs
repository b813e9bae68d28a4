//! The `sim` binary against the project's own link crate: a signed, impaired link carrying
//! the planner's upload-and-verify driver, the mission capacity limit, and an unsigned
//! ground station being ignored when signing is required.

mod common;

use std::time::Duration;

use common::start_sim;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, Home, Mission, MissionItem};
use qly_core::protocol::{Autopilot, Ids, Timeouts};
use qly_link::dialect::*;
use qly_link::heartbeat::gcs_heartbeat;
use qly_link::{
    spawn_heartbeat, upload_mission, wait_for_vehicle, Address, Connection, ConnectionConfig,
    SigningConfig, UploadError, UploadOptions,
};
use qly_test_support::process::ChildGuard;

const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn key() -> [u8; 32] {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).unwrap();
    }
    k
}

fn survey(n: usize) -> Mission {
    let home = Home {
        point: GeoPoint {
            lat_deg: -35.363262,
            lon_deg: 149.165237,
        },
        alt_amsl_m: 584.0,
    };
    let alt = Altitude::relative_home(30.0);
    let mut items = vec![MissionItem::Takeoff { alt }];
    for i in 0..n {
        items.push(MissionItem::Waypoint {
            point: home.point.destination(45.0, 20.0 * (i + 1) as f64),
            alt,
            hold_s: 0.0,
        });
    }
    items.push(MissionItem::ReturnToLaunch);
    Mission::new(home, items)
}

async fn gcs(port: u16, signing: Option<SigningConfig>) -> Connection {
    let mut cfg = ConnectionConfig::new(Ids::new(255, 190));
    cfg.signing = signing;
    let addr: Address = format!("udpout:127.0.0.1:{port}").parse().unwrap();
    Connection::open(&addr, cfg).await.expect("open gcs link")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_lossy_link_uploads_and_verifies_and_capacity_is_enforced() {
    let (_sim, port, _out) = start_sim(&[
        "--speedup",
        "10",
        "--signing-key",
        KEY_HEX,
        "--require-signing",
        "--loss-pct",
        "10",
        "--latency-ms",
        "20",
        "--jitter-ms",
        "10",
        "--dup-pct",
        "5",
        "--reorder-pct",
        "5",
        "--mission-capacity",
        "40",
    ]);
    let mut conn = gcs(
        port,
        Some(SigningConfig {
            key: key(),
            link_id: 1,
            require_signed: true,
        }),
    )
    .await;
    let hb = spawn_heartbeat(conn.sender(), gcs_heartbeat(), Duration::from_millis(200));
    let (vehicle, heartbeat) = wait_for_vehicle(&mut conn, Duration::from_secs(20))
        .await
        .expect("vehicle heartbeat over the signed link");
    assert_eq!(vehicle, Ids::new(1, 1));
    assert_eq!(heartbeat.mavtype, MavType::MAV_TYPE_QUADROTOR);

    // The sim announces itself as ArduPilot and stores items as ArduPilot does.
    let autopilot = Autopilot::from_mav_autopilot(heartbeat.autopilot as u8);
    assert_eq!(autopilot, Autopilot::ArduPilot);
    let opts = UploadOptions {
        timeouts: Timeouts::lossy_link(),
        overall_timeout: Some(Duration::from_secs(120)),
        autopilot,
        ..UploadOptions::default()
    };
    let report = upload_mission(&mut conn, 1, 1, &survey(30), opts, |_| {})
        .await
        .expect("upload and verify over a lossy signed link");
    assert_eq!(report.lists[0].items, 33);

    // 1 home + takeoff + 40 waypoints + RTL = 43 > 40.
    let err = upload_mission(&mut conn, 1, 1, &survey(40), opts, |_| {})
        .await
        .expect_err("over capacity");
    assert!(matches!(err, UploadError::Transfer(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("space"), "{err}");
    assert!(conn.stats().rx.accepted > 0);
    hb.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_commands_are_ignored_when_signing_is_required() {
    let (_sim, port, _out) = start_sim(&["--signing-key", KEY_HEX, "--require-signing"]);
    let mut conn = gcs(port, None).await;
    let request = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
        param1: 242.0,
        target_system: 1,
        target_component: 1,
        ..COMMAND_LONG_DATA::default()
    });
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < until {
        conn.send(&MavMessage::HEARTBEAT(gcs_heartbeat())).unwrap();
        conn.send(&request).unwrap();
        if let Some(rx) = conn.recv_timeout(Duration::from_millis(200)).await {
            assert!(
                !matches!(
                    rx.message,
                    MavMessage::COMMAND_ACK(_) | MavMessage::HOME_POSITION(_)
                ),
                "an unsigned command was answered: {:?}",
                rx.message
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_connects_out_over_tcp_to_a_listening_ground_station() {
    let addr: Address = "tcpin:127.0.0.1:0".parse().unwrap();
    let mut conn = Connection::open(&addr, ConnectionConfig::new(Ids::new(255, 190)))
        .await
        .expect("listen");
    let port = conn.local_addr().expect("bound tcp port").port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["--connect", &format!("tcp:127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start sim");
    let _sim = ChildGuard(child);
    let (vehicle, hb) = wait_for_vehicle(&mut conn, Duration::from_secs(20))
        .await
        .expect("heartbeat over tcp");
    assert_eq!(vehicle, Ids::new(1, 1));
    assert_eq!(hb.autopilot, MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA);
}
