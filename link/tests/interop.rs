//! Signing over UDP, and interoperability with pymavlink (a Python peer run with
//! `$QLY_PYTHON`, see `scripts/setup-env.sh`).

use qly_core::protocol::Ids;
use qly_link::dialect::{
    MavCmd, MavFrame, MavMessage, MavMissionType, MISSION_ITEM_INT_DATA, STATUSTEXT_DATA,
};
use qly_link::frame::Encoder;
use qly_link::{Address, Connection, ConnectionConfig, SigningConfig};
use std::time::Duration;

const KEY: [u8; 32] = [
    0x51, 0x69, 0x61, 0x6e, 0x6c, 0x69, 0x79, 0x61, 0x6e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x6b,
    0x65, 0x79, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
];

fn signing(key: [u8; 32], require: bool) -> Option<SigningConfig> {
    Some(SigningConfig {
        key,
        link_id: 1,
        require_signed: require,
    })
}

fn statustext(text: &str) -> MavMessage {
    MavMessage::STATUSTEXT(STATUSTEXT_DATA {
        text: text.into(),
        ..Default::default()
    })
}

async fn listener(require: bool) -> (Connection, std::net::SocketAddr) {
    let addr: Address = "udpin:127.0.0.1:0".parse().unwrap();
    let cfg = ConnectionConfig {
        signing: signing(KEY, require),
        ..ConnectionConfig::new(Ids::new(1, 1))
    };
    let conn = Connection::open(&addr, cfg).await.unwrap();
    let at = conn.local_addr().unwrap();
    (conn, at)
}

#[tokio::test]
async fn signed_frames_accepted_others_rejected_and_counted() {
    let (mut rx, at) = listener(true).await;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let now = qly_link::frame::signing_time_now();
    let mut good = Encoder::new(signing(KEY, false));
    let mut wrong = Encoder::new(signing([9; 32], false));
    let mut plain = Encoder::new(None);

    let first = good.encode(2, 1, &statustext("good 1"), now);
    sock.send_to(&first, at).await.unwrap();
    sock.send_to(&plain.encode(2, 1, &statustext("unsigned"), 0), at)
        .await
        .unwrap();
    sock.send_to(&wrong.encode(2, 1, &statustext("wrong key"), now), at)
        .await
        .unwrap();
    sock.send_to(&good.encode(2, 1, &statustext("good 2"), now), at)
        .await
        .unwrap();
    // The first frame again, byte for byte: a replay.
    sock.send_to(&first, at).await.unwrap();
    // A new stream (other link id) stamped two minutes ago: also a replay.
    let mut old = Encoder::new(Some(SigningConfig {
        key: KEY,
        link_id: 9,
        require_signed: false,
    }));
    sock.send_to(&old.encode(2, 1, &statustext("old"), now - 12_000_000), at)
        .await
        .unwrap();

    let mut texts = Vec::new();
    while let Some(r) = rx.recv_timeout(Duration::from_millis(500)).await {
        assert!(r.signed);
        if let MavMessage::STATUSTEXT(d) = r.message {
            texts.push(d.text.to_str().unwrap_or("").to_string());
        }
    }
    assert_eq!(texts, ["good 1", "good 2"]);
    let c = rx.stats().rx;
    assert_eq!(c.accepted, 2);
    assert_eq!(c.unsigned_rejected, 1);
    assert_eq!(c.bad_signature, 1);
    assert_eq!(c.replayed, 2);
}

#[tokio::test]
async fn signed_connections_talk_to_each_other() {
    let (mut rx, at) = listener(true).await;
    let addr: Address = format!("udpout:{at}").parse().unwrap();
    let cfg = ConnectionConfig {
        signing: signing(KEY, true),
        ..ConnectionConfig::new(Ids::new(255, 190))
    };
    let tx = Connection::open(&addr, cfg).await.unwrap();
    for i in 0..5 {
        tx.send(&statustext(&format!("n{i}"))).unwrap();
    }
    let mut n = 0;
    while let Some(r) = rx.recv_timeout(Duration::from_millis(500)).await {
        assert!(r.signed);
        assert_eq!(r.header.system_id, 255);
        n += 1;
    }
    assert_eq!(n, 5);
    assert_eq!(rx.stats().rx.replayed, 0);
}

fn python() -> Option<String> {
    match std::env::var("QLY_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "QLY_PYTHON is not set (source scripts/setup-env.sh); required in CI"
            );
            eprintln!("skipped: QLY_PYTHON not set (source scripts/setup-env.sh)");
            None
        }
    }
}

#[tokio::test]
async fn pymavlink_interop_both_directions_signed_and_unsigned() {
    let Some(py) = python() else { return };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/pymavlink_peer.py");
    // Accept unsigned too: pymavlink sends one unsigned HEARTBEAT.
    let (mut conn, at) = listener(false).await;
    let key_hex: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    let child = tokio::process::Command::new(&py)
        .arg(script)
        .arg(at.port().to_string())
        .arg(&key_hex)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start python");

    // Decode what pymavlink sent.
    let mut got = Vec::new();
    while got.len() < 3 {
        let Some(r) = conn.recv_timeout(Duration::from_secs(10)).await else {
            panic!("no frame from pymavlink; stats {:?}", conn.stats());
        };
        got.push(r);
    }
    match &got[0].message {
        MavMessage::HEARTBEAT(_) => assert!(!got[0].signed),
        m => panic!("expected HEARTBEAT, got {m:?}"),
    }
    assert_eq!(got[0].header.system_id, 42);
    match &got[1].message {
        MavMessage::MISSION_ITEM_INT(d) => {
            assert!(got[1].signed);
            assert_eq!(d.seq, 5);
            assert_eq!(d.x, 271_234_568);
            assert_eq!(d.y, 1_069_876_543);
            assert_eq!(d.z, 80.5);
            assert_eq!(d.param1, 2.5);
            assert!(d.param4.is_nan());
            assert_eq!(d.command, MavCmd::MAV_CMD_NAV_WAYPOINT);
            assert_eq!(d.frame, MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT);
        }
        m => panic!("expected MISSION_ITEM_INT, got {m:?}"),
    }
    match &got[2].message {
        MavMessage::CAMERA_FEEDBACK(d) => {
            assert!(got[2].signed);
            assert_eq!(d.time_usec, 123_456_789);
            assert_eq!(d.img_idx, 17);
            assert_eq!(d.alt_rel, 80.25);
        }
        m => panic!("expected CAMERA_FEEDBACK, got {m:?}"),
    }

    // Send back (signed: our connection signs everything) for pymavlink to decode.
    let tx = conn.sender();
    tx.send(&statustext("hello from rust")).unwrap();
    tx.send(&MavMessage::MISSION_ITEM_INT(MISSION_ITEM_INT_DATA {
        param1: 1.5,
        x: -351_234_567,
        y: 1_491_234_567,
        z: 42.25,
        seq: 3,
        command: MavCmd::MAV_CMD_NAV_WAYPOINT,
        target_system: 43,
        target_component: 1,
        frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        autocontinue: 1,
        mission_type: MavMissionType::MAV_MISSION_TYPE_FENCE,
        ..Default::default()
    }))
    .unwrap();
    tx.send(&MavMessage::HEARTBEAT(qly_link::heartbeat::gcs_heartbeat()))
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("python finishes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"DONE"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("BAD"), "{stdout}");
    let statustext = lines
        .iter()
        .find(|l| l.starts_with("RX STATUSTEXT 1 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(statustext.contains("hello from rust"));
    let item = lines
        .iter()
        .find(|l| l.starts_with("RX MISSION_ITEM_INT 1 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    for needle in [
        "\"x\": -351234567",
        "\"y\": 1491234567",
        "\"z\": 42.25",
        "\"seq\": 3",
        "\"mission_type\": 1",
        "\"frame\": 3",
    ] {
        assert!(item.contains(needle), "{needle} missing in {item}");
    }
    assert!(
        lines.iter().any(|l| l.starts_with("RX HEARTBEAT 1 ")),
        "{stdout}"
    );
}

/// pymavlink's `mavutil` as the ground station uploading to (and downloading from) our
/// vehicle side, `MissionServer` behind `serve_missions`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymavlink_gcs_uploads_to_our_mission_server() {
    let Some(py) = python() else { return };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/pymavlink_gcs.py");
    let conn = Connection::open(
        &"udpin:127.0.0.1:0".parse().unwrap(),
        ConnectionConfig::new(Ids::new(1, 1)),
    )
    .await
    .unwrap();
    let port = conn.local_addr().unwrap().port();
    let server = std::sync::Arc::new(std::sync::Mutex::new(
        qly_core::protocol::MissionServer::new(Ids::new(1, 1), Default::default()),
    ));
    tokio::spawn(qly_link::serve_missions(conn, server.clone()));
    let n = 25;
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(&py)
            .arg(script)
            .arg(port.to_string())
            .arg(n.to_string())
            .output(),
    )
    .await
    .expect("python finishes")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"ACK 0"), "{stdout}");
    assert_eq!(lines.last(), Some(&"DONE"), "{stdout}");
    let held = server
        .lock()
        .unwrap()
        .list(qly_core::mission::MissionType::Mission)
        .to_vec();
    assert_eq!(held.len(), n);
    let items: Vec<&&str> = lines.iter().filter(|l| l.starts_with("ITEM ")).collect();
    assert_eq!(items.len(), n, "{stdout}");
    for (seq, (line, raw)) in items.iter().zip(&held).enumerate() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f[1], seq.to_string());
        assert_eq!(f[2], (300_000_000 + seq * 1000).to_string());
        assert_eq!(raw.lat_e7(), 300_000_000 + (seq as i32) * 1000);
        assert_eq!(raw.lon_e7(), 1_200_000_000 - (seq as i32) * 7);
        assert_eq!(raw.alt_m, 50.0 + seq as f32);
        assert_eq!(raw.frame, if seq == 0 { 0 } else { 3 });
    }
}
