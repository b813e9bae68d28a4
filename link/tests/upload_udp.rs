//! Upload against a `MissionServer` served over a real UDP loopback pair with impairment.

use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, FenceZone, Home, Mission, MissionItem, MissionType, RallyPoint};
use qly_core::protocol::{Autopilot, Ids, ItemField, MissionServer, ServerConfig, Timeouts};
use qly_link::{
    serve_missions, upload_mission, Address, Connection, ConnectionConfig, Impairment,
    SigningConfig, UploadError, UploadOptions,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const GCS: Ids = Ids::new(255, 190);
const VEHICLE: Ids = Ids::new(1, 1);

fn mission(n: usize) -> Mission {
    let mut items = vec![MissionItem::Takeoff {
        alt: Altitude::relative_home(60.0),
    }];
    for i in 0..n {
        items.push(MissionItem::Waypoint {
            point: GeoPoint {
                lat_deg: 27.05 + i as f64 * 1e-4,
                lon_deg: 106.95 + (i % 7) as f64 * 1e-4,
            },
            alt: Altitude::relative_home(80.0),
            hold_s: 0.0,
        });
    }
    items.push(MissionItem::ReturnToLaunch);
    let mut m = Mission::new(
        Home {
            point: GeoPoint {
                lat_deg: 27.05,
                lon_deg: 106.95,
            },
            alt_amsl_m: 1100.0,
        },
        items,
    );
    m.fence.push(FenceZone::Polygon {
        inclusion: true,
        vertices: vec![
            GeoPoint {
                lat_deg: 27.0,
                lon_deg: 106.9,
            },
            GeoPoint {
                lat_deg: 27.1,
                lon_deg: 106.9,
            },
            GeoPoint {
                lat_deg: 27.1,
                lon_deg: 107.0,
            },
            GeoPoint {
                lat_deg: 27.0,
                lon_deg: 107.0,
            },
        ],
    });
    m.rally.push(RallyPoint {
        point: GeoPoint {
            lat_deg: 27.06,
            lon_deg: 106.96,
        },
        alt_rel_home_m: 30.0,
    });
    m
}

/// Fast timeouts so a lossy real-time test runs in seconds (loopback latency is ~ms).
fn fast() -> Timeouts {
    Timeouts {
        default: Duration::from_millis(300),
        item: Duration::from_millis(60),
        max_retries: 25,
    }
}

fn lossy(seed: u64) -> Impairment {
    Impairment {
        loss: 0.3,
        duplicate: 0.1,
        reorder: 0.1,
        latency: Duration::from_millis(2),
        jitter: Duration::from_millis(8),
        ..Impairment::none(seed)
    }
}

fn signing() -> Option<SigningConfig> {
    Some(SigningConfig {
        key: *b"qianliyan-test-key-32-bytes-long",
        link_id: 3,
        require_signed: true,
    })
}

async fn vehicle(
    imp: Option<Impairment>,
    signing: Option<SigningConfig>,
) -> (Arc<Mutex<MissionServer>>, u16) {
    vehicle_storing_as(imp, signing, Autopilot::Verbatim).await
}

async fn vehicle_storing_as(
    imp: Option<Impairment>,
    signing: Option<SigningConfig>,
    autopilot: Autopilot,
) -> (Arc<Mutex<MissionServer>>, u16) {
    let addr: Address = "udpin:127.0.0.1:0".parse().unwrap();
    let cfg = ConnectionConfig {
        impairment: imp,
        signing,
        ..ConnectionConfig::new(VEHICLE)
    };
    let conn = Connection::open(&addr, cfg).await.unwrap();
    let port = conn.local_addr().unwrap().port();
    let server = Arc::new(Mutex::new(MissionServer::new(
        VEHICLE,
        ServerConfig {
            timeouts: fast(),
            autopilot,
            ..ServerConfig::default()
        },
    )));
    tokio::spawn(serve_missions(conn, server.clone()));
    (server, port)
}

async fn gcs(port: u16, imp: Option<Impairment>, signing: Option<SigningConfig>) -> Connection {
    let addr: Address = format!("udpout:127.0.0.1:{port}").parse().unwrap();
    let cfg = ConnectionConfig {
        impairment: imp,
        signing,
        ..ConnectionConfig::new(GCS)
    };
    Connection::open(&addr, cfg).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossy_udp_upload_succeeds_and_vehicle_holds_the_plan() {
    let (server, port) = vehicle(Some(lossy(1)), None).await;
    let mut conn = gcs(port, Some(lossy(2)), None).await;
    let m = mission(80);
    let opts = UploadOptions {
        timeouts: fast(),
        verify_home: true,
        ..UploadOptions::default()
    };
    let mut reports = 0;
    let report = upload_mission(&mut conn, 1, 1, &m, opts, |_| reports += 1)
        .await
        .expect("upload succeeds under 30 % loss");
    assert_eq!(report.lists.len(), 3);
    assert!(reports > 80);
    let s = server.lock().unwrap();
    for t in [MissionType::Mission, MissionType::Fence, MissionType::Rally] {
        let plan = m.wire_items(t);
        let held = s.list(t);
        assert_eq!(plan.len(), held.len(), "{t:?}");
        assert!(
            plan.iter().zip(held).all(|(a, b)| a.same_on_wire(b)),
            "{t:?}"
        );
    }
    // Retransmissions happened: the link really was lossy.
    let stats = conn.stats();
    assert!(stats.impair_dropped > 20, "{stats:?}");
    let mission_report = &report.lists[0];
    assert!(mission_report.items_sent > mission_report.items as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_space_fails_with_a_clear_message() {
    let (server, port) = vehicle(None, None).await;
    server
        .lock()
        .unwrap()
        .set_list(MissionType::Mission, Vec::new());
    {
        let mut s = server.lock().unwrap();
        *s = MissionServer::new(
            VEHICLE,
            ServerConfig {
                capacity: [50, 10, 10],
                timeouts: fast(),
                ..ServerConfig::default()
            },
        );
    }
    let mut conn = gcs(port, None, None).await;
    let err = upload_mission(
        &mut conn,
        1,
        1,
        &mission(100),
        UploadOptions::default(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("MAV_MISSION_NO_SPACE: vehicle has no space for 103 mission items"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_vehicle_fails_in_bounded_time() {
    // Nobody listens on this port.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    drop(sock);
    let mut conn = gcs(port, None, None).await;
    let opts = UploadOptions {
        timeouts: Timeouts {
            default: Duration::from_millis(100),
            item: Duration::from_millis(50),
            max_retries: 5,
        },
        ..UploadOptions::default()
    };
    let t = std::time::Instant::now();
    let err = upload_mission(&mut conn, 1, 1, &mission(3), opts, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, UploadError::Transfer(_)), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

/// Signing on a lossy link: duplicated frames are replays and a frame overtaken by a later
/// one arrives with an older timestamp, so both are refused (and counted); the protocol's
/// retries carry the upload through anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_lossy_upload_succeeds_and_refuses_replays() {
    let (server, port) = vehicle(Some(lossy(5)), signing()).await;
    let mut conn = gcs(port, Some(lossy(6)), signing()).await;
    let m = mission(40);
    let opts = UploadOptions {
        timeouts: fast(),
        ..UploadOptions::default()
    };
    upload_mission(&mut conn, 1, 1, &m, opts, |_| {})
        .await
        .expect("signed upload succeeds");
    let plan = m.wire_items(MissionType::Mission);
    let s = server.lock().unwrap();
    let held = s.list(MissionType::Mission);
    assert!(plan.iter().zip(held).all(|(a, b)| a.same_on_wire(b)));
    let rx = conn.stats().rx;
    assert!(rx.accepted > 40, "{rx:?}");
    assert!(
        rx.replayed > 0,
        "duplicates must be refused as replays: {rx:?}"
    );
    assert_eq!(rx.bad_signature + rx.unsigned_rejected, 0, "{rx:?}");
}

/// Issue 15 A1: against a vehicle that stores items as ArduPilot does, a bit-for-bit check
/// fails on the first waypoint's NaN yaw; the check that knows ArduPilot's storage passes
/// for mission, fence (autocontinue 0) and rally (whole metres) alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_allows_for_how_ardupilot_stores_items() {
    let (_server, port) = vehicle_storing_as(None, None, Autopilot::ArduPilot).await;
    let mut conn = gcs(port, None, None).await;
    let mut m = mission(5);
    // An altitude ArduPilot cuts to whole centimetres, a rally height to whole metres.
    if let MissionItem::Waypoint { alt, .. } = &mut m.items[1] {
        alt.alt_m = 75.018_73;
    }
    m.rally[0].alt_rel_home_m = 30.6;
    let opts = UploadOptions {
        timeouts: fast(),
        ..UploadOptions::default()
    };
    let err = upload_mission(&mut conn, 1, 1, &m, opts, |_| {})
        .await
        .expect_err("a bit-for-bit check cannot pass on ArduPilot");
    let UploadError::Mismatch(d) = &err else {
        panic!("expected a mismatch, got {err}");
    };
    assert_eq!((d.seq, d.field), (1, ItemField::Param(4)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("mission item 1") && text.contains("param4"),
        "{text}"
    );
    assert!(
        text.contains("sent NaN") && text.contains("holds 0"),
        "{text}"
    );

    let opts = UploadOptions {
        autopilot: Autopilot::ArduPilot,
        ..opts
    };
    let report = upload_mission(&mut conn, 1, 1, &m, opts, |_| {})
        .await
        .expect("verified as ArduPilot stores items");
    assert_eq!(report.lists.len(), 3);
    assert!(report.lists.iter().all(|l| l.verify_time.is_some()));
}
