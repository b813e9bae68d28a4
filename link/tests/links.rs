//! TCP links, MAVLink 1 acceptance, vehicle discovery, and a link that dies mid-upload.

use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, Home, Mission, MissionItem, MissionType, RawItem};
use qly_core::protocol::{Ids, MissionServer, ServerConfig, Timeouts};
use qly_link::dialect::{MavMessage, STATUSTEXT_DATA};
use qly_link::heartbeat::copter_heartbeat;
use qly_link::{
    serve_missions, spawn_heartbeat, upload_mission, wait_for_vehicle, Address, Connection,
    ConnectionConfig, UploadError, UploadOptions,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const GCS: Ids = Ids::new(255, 190);
const VEHICLE: Ids = Ids::new(1, 1);

fn mission(n: usize) -> Mission {
    let items = (0..n)
        .map(|i| MissionItem::Waypoint {
            point: GeoPoint {
                lat_deg: 30.0 + i as f64 * 1e-4,
                lon_deg: 120.0,
            },
            alt: Altitude::relative_home(50.0),
            hold_s: 0.0,
        })
        .collect();
    Mission::new(
        Home {
            point: GeoPoint {
                lat_deg: 30.0,
                lon_deg: 120.0,
            },
            alt_amsl_m: 10.0,
        },
        items,
    )
}

fn fast(max_retries: u32) -> Timeouts {
    Timeouts {
        default: Duration::from_millis(200),
        item: Duration::from_millis(60),
        max_retries,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_upload_with_vehicle_discovery() {
    let vehicle = Connection::open(
        &"tcpin:127.0.0.1:0".parse().unwrap(),
        ConnectionConfig::new(VEHICLE),
    )
    .await
    .unwrap();
    let port = vehicle.local_addr().unwrap().port();
    let _hb = spawn_heartbeat(
        vehicle.sender(),
        copter_heartbeat(),
        Duration::from_millis(100),
    );
    let server = Arc::new(Mutex::new(MissionServer::new(
        VEHICLE,
        ServerConfig::default(),
    )));
    tokio::spawn(serve_missions(vehicle, server.clone()));

    let addr: Address = format!("tcp:127.0.0.1:{port}").parse().unwrap();
    let mut gcs = Connection::open(&addr, ConnectionConfig::new(GCS))
        .await
        .unwrap();
    let (ids, hb) = wait_for_vehicle(&mut gcs, Duration::from_secs(5))
        .await
        .expect("vehicle heartbeat");
    assert_eq!(ids, VEHICLE);
    assert_eq!(hb.autopilot, copter_heartbeat().autopilot);
    let m = mission(200);
    let report = upload_mission(
        &mut gcs,
        ids.system,
        ids.component,
        &m,
        UploadOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.lists[0].items, 201);
    // No loss: every item sent exactly once.
    assert_eq!(report.lists[0].items_sent, 201);
    assert_eq!(server.lock().unwrap().list(MissionType::Mission).len(), 201);
}

#[tokio::test]
async fn mavlink1_frames_are_accepted_only_when_allowed() {
    for accept in [true, false] {
        let rx_cfg = ConnectionConfig {
            accept_mavlink1: accept,
            ..ConnectionConfig::new(VEHICLE)
        };
        let mut rx = Connection::open(&"udpin:127.0.0.1:0".parse().unwrap(), rx_cfg)
            .await
            .unwrap();
        let at = rx.local_addr().unwrap();
        let msg = MavMessage::STATUSTEXT(STATUSTEXT_DATA {
            text: "v1".into(),
            ..Default::default()
        });
        let mut raw = mavlink::MAVLinkV1MessageRaw::new();
        raw.serialize_message(
            mavlink::MavHeader {
                system_id: 7,
                component_id: 1,
                sequence: 3,
            },
            &msg,
        );
        assert_eq!(raw.raw_bytes()[0], 0xFE);
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        sock.send_to(raw.raw_bytes(), at).await.unwrap();
        let got = rx.recv_timeout(Duration::from_millis(500)).await;
        if accept {
            let got = got.expect("v1 frame accepted");
            assert_eq!(got.version, mavlink::MavlinkVersion::V1);
            assert_eq!(got.header.system_id, 7);
        } else {
            assert!(got.is_none());
            assert_eq!(rx.stats().rx.mavlink1_dropped, 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_dying_mid_upload_fails_in_bounded_time_and_keeps_old_mission() {
    let vehicle = Connection::open(
        &"udpin:127.0.0.1:0".parse().unwrap(),
        ConnectionConfig::new(VEHICLE),
    )
    .await
    .unwrap();
    let port = vehicle.local_addr().unwrap().port();
    let old: Vec<RawItem> = mission(3).wire_items(MissionType::Mission);
    let mut s = MissionServer::new(
        VEHICLE,
        ServerConfig {
            timeouts: fast(5),
            ..ServerConfig::default()
        },
    );
    s.set_list(MissionType::Mission, old.clone());
    let server = Arc::new(Mutex::new(s));
    let task = tokio::spawn(serve_missions(vehicle, server.clone()));

    let addr: Address = format!("udpout:127.0.0.1:{port}").parse().unwrap();
    let mut gcs = Connection::open(&addr, ConnectionConfig::new(GCS))
        .await
        .unwrap();
    let opts = UploadOptions {
        timeouts: fast(5),
        ..UploadOptions::default()
    };
    let t = std::time::Instant::now();
    let mut killed_at = None;
    let err = upload_mission(&mut gcs, 1, 1, &mission(300), opts, |p| {
        if p.done >= 100 && killed_at.is_none() {
            // The vehicle's end of the link disappears.
            task.abort();
            killed_at = Some(p.done);
        }
    })
    .await
    .unwrap_err();
    let elapsed = t.elapsed();
    assert!(matches!(err, UploadError::Transfer(_)), "{err}");
    assert!(killed_at.is_some());
    // After the kill: 6 waits of at most 200 ms (the ack wait), plus slack for a busy machine.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let held = server.lock().unwrap().list(MissionType::Mission).to_vec();
    assert_eq!(held.len(), old.len());
    assert!(held.iter().zip(&old).all(|(a, b)| a.same_on_wire(b)));
}
