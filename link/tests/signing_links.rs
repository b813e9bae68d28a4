//! Links a stranger cannot hijack or replay into (issue 21), and signing that adopts a
//! vehicle clock running ahead (issue 15 A7), over real UDP sockets on loopback.

use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, Home, Mission, MissionItem};
use qly_core::protocol::{Ids, MissionServer, ServerConfig};
use qly_link::dialect::{MavMessage, STATUSTEXT_DATA};
use qly_link::frame::{signing_time_now, Encoder};
use qly_link::heartbeat::{copter_heartbeat, spawn_heartbeat};
use qly_link::{
    serve_missions, upload_mission, wait_for_vehicle, Address, Connection, ConnectionConfig,
    SigningConfig, SigningStreams, UploadOptions,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;

const GCS: Ids = Ids::new(255, 190);
const VEHICLE: Ids = Ids::new(1, 1);
const KEY: [u8; 32] = *b"qianliyan-test-key-32-bytes-long";

fn signing(link_id: u8) -> Option<SigningConfig> {
    Some(SigningConfig {
        key: KEY,
        link_id,
        require_signed: true,
    })
}

fn mission(n: usize) -> Mission {
    let mut items = vec![MissionItem::Takeoff {
        alt: Altitude::relative_home(60.0),
    }];
    for i in 0..n {
        items.push(MissionItem::Waypoint {
            point: GeoPoint {
                lat_deg: 27.05 + i as f64 * 1e-4,
                lon_deg: 106.95,
            },
            alt: Altitude::relative_home(80.0),
            hold_s: 0.0,
        });
    }
    Mission::new(
        Home {
            point: GeoPoint {
                lat_deg: 27.05,
                lon_deg: 106.95,
            },
            alt_amsl_m: 1100.0,
        },
        items,
    )
}

async fn udpin(cfg: ConnectionConfig) -> (Connection, u16) {
    let addr: Address = "udpin:127.0.0.1:0".parse().unwrap();
    let conn = Connection::open(&addr, cfg).await.unwrap();
    let port = conn.local_addr().unwrap().port();
    (conn, port)
}

async fn udpout(port: u16, cfg: ConnectionConfig) -> Connection {
    let addr: Address = format!("udpout:127.0.0.1:{port}").parse().unwrap();
    Connection::open(&addr, cfg).await.unwrap()
}

fn text(s: &str) -> MavMessage {
    MavMessage::STATUSTEXT(STATUSTEXT_DATA {
        text: s.into(),
        ..Default::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_from_another_port_neither_breaks_a_signed_upload_nor_receives_anything() {
    let cfg = ConnectionConfig {
        signing: signing(0),
        ..ConnectionConfig::new(VEHICLE)
    };
    let (conn, port) = udpin(cfg).await;
    let server = Arc::new(Mutex::new(MissionServer::new(
        VEHICLE,
        ServerConfig::default(),
    )));
    let vehicle_stats = {
        let server = server.clone();
        tokio::spawn(serve_missions(conn, server))
    };
    // One junk byte per millisecond from another port, from before the GCS speaks until
    // after the upload.
    let junk = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (junk, stop) = (junk.clone(), stop.clone());
        tokio::spawn(async move {
            let mut sent = 0u64;
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let _ = junk
                    .send_to(&[(sent % 251) as u8], ("127.0.0.1", port))
                    .await;
                sent += 1;
            }
            sent
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut gcs = udpout(
        port,
        ConnectionConfig {
            signing: signing(1),
            ..ConnectionConfig::new(GCS)
        },
    )
    .await;
    let m = mission(120);
    let report = upload_mission(&mut gcs, 1, 1, &m, UploadOptions::default(), |_| {})
        .await
        .expect("signed upload under junk");
    assert_eq!(
        report.lists[0].items,
        m.wire_items(qly_core::mission::MissionType::Mission).len()
    );
    stop.store(true, Ordering::Relaxed);
    let sent = sender.await.unwrap();
    assert!(sent > 20, "junk datagrams sent: {sent}");
    let mut buf = [0u8; 512];
    let got = tokio::time::timeout(Duration::from_millis(300), junk.recv_from(&mut buf)).await;
    assert!(got.is_err(), "the junk sender received {got:?}");
    vehicle_stats.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_with_valid_frames_cannot_take_over_a_locked_udpin_link() {
    let (mut vehicle, port) = udpin(ConnectionConfig::new(VEHICLE)).await;
    let owner = udpout(port, ConnectionConfig::new(GCS)).await;
    owner.send(&text("owner")).unwrap();
    let first = vehicle.recv_timeout(Duration::from_secs(2)).await.unwrap();
    assert_eq!(first.message, text("owner"));
    // A second sender of valid (unsigned) frames is ignored while the owner is active.
    let stranger = udpout(port, ConnectionConfig::new(Ids::new(7, 1))).await;
    stranger.send(&text("stranger")).unwrap();
    owner.send(&text("owner again")).unwrap();
    let next = vehicle.recv_timeout(Duration::from_secs(2)).await.unwrap();
    assert_eq!(next.message, text("owner again"));
    assert!(vehicle
        .recv_timeout(Duration::from_millis(200))
        .await
        .is_none());
    assert_eq!(vehicle.stats().other_peer_ignored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_valid_policy_follows_a_ground_station_that_changes_port() {
    let cfg = ConnectionConfig {
        udp_peer: qly_link::UdpPeer::LatestValid,
        ..ConnectionConfig::new(VEHICLE)
    };
    let (mut vehicle, port) = udpin(cfg).await;
    let old = udpout(port, ConnectionConfig::new(GCS)).await;
    old.send(&text("old")).unwrap();
    vehicle.recv_timeout(Duration::from_secs(2)).await.unwrap();
    let mut new = udpout(port, ConnectionConfig::new(GCS)).await;
    new.send(&text("new")).unwrap();
    vehicle.recv_timeout(Duration::from_secs(2)).await.unwrap();
    vehicle.send(&text("reply")).unwrap();
    let got = new.recv_timeout(Duration::from_secs(2)).await.unwrap();
    assert_eq!(got.message, text("reply"));
}

/// A signed STATUSTEXT as a recorder would have captured it off the air.
fn recorded_frame(ts: u64) -> Vec<u8> {
    let mut enc = Encoder::new(signing(0));
    enc.encode(GCS.system, GCS.component, &text("arm"), ts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_replayed_on_another_link_of_the_vehicle_is_refused() {
    let streams = SigningStreams::in_memory();
    let cfg = |link_id| ConnectionConfig {
        signing: signing(link_id),
        signing_streams: Some(streams.clone()),
        ..ConnectionConfig::new(VEHICLE)
    };
    let (mut a, port_a) = udpin(cfg(0)).await;
    let (mut b, port_b) = udpin(cfg(1)).await;
    let frame = recorded_frame(signing_time_now());
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(&frame, ("127.0.0.1", port_a)).await.unwrap();
    assert!(a.recv_timeout(Duration::from_secs(2)).await.is_some());
    sock.send_to(&frame, ("127.0.0.1", port_b)).await.unwrap();
    assert!(b.recv_timeout(Duration::from_millis(300)).await.is_none());
    assert_eq!(b.stats().rx.replayed, 1);
    // Without a shared table the second link would have taken it: the test can fail.
    let (mut c, port_c) = udpin(ConnectionConfig {
        signing: signing(2),
        ..ConnectionConfig::new(VEHICLE)
    })
    .await;
    sock.send_to(&frame, ("127.0.0.1", port_c)).await.unwrap();
    assert!(c.recv_timeout(Duration::from_secs(2)).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_replayed_after_a_restart_is_refused() {
    let dir = std::env::temp_dir().join(format!("qly-replay-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("signing.state");
    let _ = std::fs::remove_file(&path);
    let frame = recorded_frame(signing_time_now());
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    {
        let streams = SigningStreams::persistent(&path).unwrap();
        let (mut a, port) = udpin(ConnectionConfig {
            signing: signing(0),
            signing_streams: Some(streams.clone()),
            ..ConnectionConfig::new(VEHICLE)
        })
        .await;
        sock.send_to(&frame, ("127.0.0.1", port)).await.unwrap();
        assert!(a.recv_timeout(Duration::from_secs(2)).await.is_some());
        streams.flush().unwrap();
    }
    // "Restarted": a fresh table read from the file, a fresh link.
    let streams = SigningStreams::persistent(&path).unwrap();
    assert_eq!(streams.stream_count(), 1);
    let (mut a, port) = udpin(ConnectionConfig {
        signing: signing(0),
        signing_streams: Some(streams),
        ..ConnectionConfig::new(VEHICLE)
    })
    .await;
    sock.send_to(&frame, ("127.0.0.1", port)).await.unwrap();
    assert!(a.recv_timeout(Duration::from_millis(300)).await.is_none());
    assert_eq!(a.stats().rx.replayed, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_adopts_a_vehicle_clock_an_hour_ahead() {
    // A ground station listening; a vehicle whose clock is one hour ahead of ours sends to it
    // (as ArduPilot does on a serial or UDP-client link).
    let (mut gcs, port) = udpin(ConnectionConfig {
        signing: signing(1),
        ..ConnectionConfig::new(GCS)
    })
    .await;
    let streams = SigningStreams::in_memory();
    streams.advance_timestamp(signing_time_now() + 360_000_000);
    let conn = udpout(
        port,
        ConnectionConfig {
            signing: signing(0),
            signing_streams: Some(streams),
            ..ConnectionConfig::new(VEHICLE)
        },
    )
    .await;
    let beat = spawn_heartbeat(
        conn.sender(),
        copter_heartbeat(),
        Duration::from_millis(100),
    );
    let server = Arc::new(Mutex::new(MissionServer::new(
        VEHICLE,
        ServerConfig::default(),
    )));
    let serving = tokio::spawn(serve_missions(conn, server.clone()));
    // Its heartbeat brings its timestamp, which we adopt: our frames are then newer than
    // anything it has seen, not an hour behind (a replay to it).
    wait_for_vehicle(&mut gcs, Duration::from_secs(5))
        .await
        .expect("vehicle heartbeat");
    let m = mission(10);
    upload_mission(&mut gcs, 1, 1, &m, UploadOptions::default(), |_| {})
        .await
        .expect("upload after adopting the vehicle's clock");
    let held = server
        .lock()
        .unwrap()
        .list(qly_core::mission::MissionType::Mission)
        .len();
    assert_eq!(
        held,
        m.wire_items(qly_core::mission::MissionType::Mission).len()
    );
    beat.abort();
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_failures_are_named_with_the_sender() {
    // A ground station listening, a vehicle signing its heartbeats towards it.
    let (mut wrong_key, port) = udpin(ConnectionConfig {
        signing: Some(SigningConfig {
            key: [9; 32],
            link_id: 1,
            require_signed: true,
        }),
        ..ConnectionConfig::new(GCS)
    })
    .await;
    let (mut no_key, port2) = udpin(ConnectionConfig::new(GCS)).await;
    let to_wrong = udpout(
        port,
        ConnectionConfig {
            signing: signing(0),
            ..ConnectionConfig::new(VEHICLE)
        },
    )
    .await;
    let to_none = udpout(
        port2,
        ConnectionConfig {
            signing: signing(0),
            ..ConnectionConfig::new(VEHICLE)
        },
    )
    .await;
    let vehicle_at = to_wrong.local_addr().unwrap().port();
    let b1 = spawn_heartbeat(
        to_wrong.sender(),
        copter_heartbeat(),
        Duration::from_millis(20),
    );
    let b2 = spawn_heartbeat(
        to_none.sender(),
        copter_heartbeat(),
        Duration::from_millis(20),
    );
    assert!(wait_for_vehicle(&mut wrong_key, Duration::from_millis(300))
        .await
        .is_none());
    let t = wrong_key
        .stats()
        .signing_trouble(true)
        .expect("named")
        .to_string();
    assert!(
        t.contains("had a bad signature: wrong --signing-key?"),
        "{t}"
    );
    assert!(t.contains(&format!("from 127.0.0.1:{vehicle_at}")), "{t}");
    // Without a key we hear the vehicle, and are told it signs.
    assert!(wait_for_vehicle(&mut no_key, Duration::from_secs(2))
        .await
        .is_some());
    let t = no_key
        .stats()
        .signing_trouble(false)
        .expect("named")
        .to_string();
    assert!(
        t.contains("signs its frames") && t.contains("--signing-key"),
        "{t}"
    );
    b1.abort();
    b2.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ground_station_behind_a_vehicle_clock_ahead_hears_it_and_catches_up_on_udpin() {
    // The vehicle listens (udpin) with its clock an hour ahead; a ground station connects
    // with its own clock: its first frames are refused as too old, but it gets the vehicle's
    // frames, adopts the timestamp, and is then accepted.
    let streams = SigningStreams::in_memory();
    streams.advance_timestamp(signing_time_now() + 360_000_000);
    let (mut vehicle, port) = udpin(ConnectionConfig {
        signing: signing(0),
        signing_streams: Some(streams),
        ..ConnectionConfig::new(VEHICLE)
    })
    .await;
    let beat = spawn_heartbeat(
        vehicle.sender(),
        copter_heartbeat(),
        Duration::from_millis(50),
    );
    let mut gcs = udpout(
        port,
        ConnectionConfig {
            signing: signing(1),
            ..ConnectionConfig::new(GCS)
        },
    )
    .await;
    gcs.send(&text("hello")).unwrap();
    wait_for_vehicle(&mut gcs, Duration::from_secs(3))
        .await
        .expect("the vehicle answers a key holder whose clock is behind");
    assert!(vehicle
        .recv_timeout(Duration::from_millis(200))
        .await
        .is_none());
    assert_eq!(vehicle.stats().rx.replayed, 1);
    gcs.send(&text("again")).unwrap();
    let got = vehicle
        .recv_timeout(Duration::from_secs(2))
        .await
        .expect("accepted now");
    assert_eq!(got.message, text("again"));
    beat.abort();
}
