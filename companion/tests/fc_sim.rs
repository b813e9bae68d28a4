//! The flight-controller link against the `sim` autopilot (its service, in process, on a real
//! UDP socket): stream requests, timeline, clock alignment, and a commanded photo's pose.

mod fc_support;

use std::time::Duration;

use companion::fc::{CancellationToken, ClockSource, FcLink};
use fc_support::*;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, Mission, MissionItem, MissionType};
use qly_link::dialect::*;
use qly_link::SigningTroubleKind;
use qly_test_support::gcs::command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn companion_follows_the_sim_and_geotags_a_commanded_photo() {
    init_tracing();
    let speedup = 2.0;
    let mut ap = quiet_autopilot(speedup);
    let alt = Altitude::relative_home(15.0);
    let items = Mission::new(
        HOME,
        vec![
            MissionItem::Takeoff { alt },
            MissionItem::Waypoint {
                point: offset(400.0, 0.0),
                alt,
                hold_s: 0.0,
            },
        ],
    )
    .wire_items(MissionType::Mission);
    upload(&mut ap, items);
    let peer = SimPeer::start("udpin:127.0.0.1:0", ap, None).await;
    let port = peer.local_addr.expect("bound").port();

    let shutdown = CancellationToken::new();
    let link = FcLink::spawn(
        test_config(format!("udpout:127.0.0.1:{port}")),
        shutdown.clone(),
    )
    .expect("spawn");
    let fc = link.handle();

    // The companion finds the autopilot and every SET_MESSAGE_INTERVAL is acknowledged.
    wait_for(
        "interval requests accepted",
        Duration::from_secs(10),
        || intervals_accepted(&fc),
    )
    .await;
    let requests = peer.log.lock().unwrap().interval_requests();
    for (id, interval_us) in [(33, 100_000), (30, 50_000), (24, 500_000), (2, 1_000_000)] {
        assert!(
            requests.contains(&(id, interval_us, 191)),
            "no SET_MESSAGE_INTERVAL({id}, {interval_us}) from component 191 in {requests:?}"
        );
    }
    // Our heartbeat: an onboard controller, component 191 of system 1.
    let hb = peer
        .log
        .lock()
        .unwrap()
        .received
        .iter()
        .find_map(|(h, m)| match m {
            MavMessage::HEARTBEAT(hb) => Some((h.system_id, h.component_id, hb.clone())),
            _ => None,
        })
        .expect("a heartbeat from the companion");
    assert_eq!((hb.0, hb.1), (1, 191));
    assert_eq!(hb.2.mavtype, MavType::MAV_TYPE_ONBOARD_CONTROLLER);
    assert_eq!(hb.2.autopilot, MavAutopilot::MAV_AUTOPILOT_INVALID);

    // Fly: GUIDED, arm, AUTO mission north at 10 m/s.
    tokio::time::sleep(Duration::from_secs_f64(1.5 / speedup)).await; // GPS lock
    for (cmd, p) in [
        (MavCmd::MAV_CMD_DO_SET_MODE, [1.0, 4.0, 0., 0., 0., 0., 0.]),
        (
            MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0., 0., 0., 0., 0., 0.],
        ),
        (MavCmd::MAV_CMD_MISSION_START, [0.0; 7]),
    ] {
        peer.inject.send(command(cmd, p)).unwrap();
    }
    let peer_log = peer.log.clone();
    wait_for("horizontal speed over 8 m/s", Duration::from_secs(60), || {
        peer_log.lock().unwrap().sent.iter().rev().take(50).any(|m| {
            matches!(m, MavMessage::GLOBAL_POSITION_INT(p) if (p.vx as f64).hypot(p.vy as f64) > 800.0)
        })
    })
    .await;
    let acks: Vec<MavResult> = peer
        .log
        .lock()
        .unwrap()
        .gcs_replies
        .iter()
        .filter_map(|m| match m {
            MavMessage::COMMAND_ACK(a) => Some(a.result),
            _ => None,
        })
        .collect();
    assert_eq!(
        acks,
        vec![MavResult::MAV_RESULT_ACCEPTED; 3],
        "GCS commands"
    );

    // The requested rates took effect: GLOBAL_POSITION_INT at 10 Hz (the sim's default is
    // 4 Hz), counted over 2 s of simulated time.
    let boot_times: Vec<u32> = peer
        .log
        .lock()
        .unwrap()
        .sent
        .iter()
        .filter_map(|m| match m {
            MavMessage::GLOBAL_POSITION_INT(p) => Some(p.time_boot_ms),
            _ => None,
        })
        .collect();
    let last = *boot_times.last().unwrap();
    let in_last_2s = boot_times.iter().filter(|&&t| t + 2000 > last).count();
    assert!(
        (19..=21).contains(&in_last_2s),
        "{in_last_2s} positions in 2 s"
    );

    // A commanded photo becomes a capture event.
    let mut captures = fc.subscribe_captures();
    peer.inject
        .send(command(
            MavCmd::MAV_CMD_DO_DIGICAM_CONTROL,
            [0., 0., 0., 0., 1.0, 0., 0.],
        ))
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), captures.recv())
        .await
        .expect("a capture event within 5 s")
        .expect("capture channel");
    let feedback = peer
        .log
        .lock()
        .unwrap()
        .sent
        .iter()
        .find_map(|m| match m {
            MavMessage::CAMERA_FEEDBACK(f) => Some(f.clone()),
            _ => None,
        })
        .expect("sim sent CAMERA_FEEDBACK");
    assert_eq!(event.image_index, feedback.img_idx as u32);
    assert_eq!(event.time_utc_us, Some(feedback.time_usec));

    // Once the streams have passed the capture time, its pose is interpolated, and agrees
    // with what the autopilot reported for the photo.
    let idx = event.image_index;
    let fc2 = fc.clone();
    wait_for("timeline past the capture", Duration::from_secs(3), || {
        fc2.pose_at_capture(idx)
            .map(|p| p.interpolated)
            .unwrap_or(false)
    })
    .await;
    let pose = fc.pose_at_capture(idx).expect("pose at capture");
    let reported = GeoPoint::new(feedback.lat as f64 * 1e-7, feedback.lng as f64 * 1e-7).unwrap();
    let err_m = pose.pose.position.point().distance_m(reported);
    let alt_err_m = (pose.pose.position.alt_amsl_m - feedback.alt_msl as f64).abs();
    let yaw_err_deg = ((pose.pose.q_ned_body.yaw_rad().to_degrees() - feedback.yaw as f64 + 540.0)
        .rem_euclid(360.0)
        - 180.0)
        .abs();
    eprintln!(
        "capture {idx}: t_boot_ms {:.1}, horizontal {err_m:.3} m, vertical {alt_err_m:.3} m, yaw {yaw_err_deg:.2} deg from CAMERA_FEEDBACK",
        pose.t_boot_ms
    );
    assert!(err_m < 1.0, "{err_m} m");
    assert!(alt_err_m < 1.0, "{alt_err_m} m");
    assert!(yaw_err_deg < 2.0, "{yaw_err_deg} deg");
    assert!(pose.mount.is_none(), "the sim has no gimbal");
    let utc = pose.utc_us.expect("UTC of the capture");
    assert!(
        (utc - feedback.time_usec as i64).abs() < 2_000,
        "{utc} vs {}",
        feedback.time_usec
    );

    // BootClock: the companion's UTC for a boot time agrees with the sim's clock
    // (UTC = boot UTC + simulated time) within a few ms.
    let t = last as f64;
    let ours = fc.boot_ms_to_utc_us(t).expect("UTC offset");
    let sims = (BOOT_UNIX_S * 1_000_000) as i64 + (t * 1000.0) as i64;
    assert!(
        (ours - sims).abs() <= 2_000,
        "UTC off by {} us",
        ours - sims
    );
    // The sim does not answer TIMESYNC: companion times go through UTC.
    let s = fc.status();
    assert_eq!(s.timesync_samples, 0);
    let bt = fc
        .companion_ns_to_boot_ms(companion::fc::companion_now_ns())
        .expect("boot time");
    assert_eq!(bt.source, ClockSource::SystemTime);
    assert!(
        s.positions > 20 && s.attitudes > 40 && s.system_times >= 2,
        "{s:?}"
    );
    assert!(fc
        .gps()
        .is_some_and(|g| g.fix_type == GpsFixType::GPS_FIX_TYPE_3D_FIX && g.h_acc_m.is_some()));
    assert_eq!(s.rx.unknown_message + s.rx.undecodable, 0);

    shutdown.cancel();
    let fin = tokio::time::timeout(Duration::from_secs(3), link.join())
        .await
        .expect("the link ends promptly on shutdown")
        .expect("clean end");
    assert!(!fin.link_up);
    peer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_link_works_and_a_wrong_key_gets_nothing() {
    init_tracing();
    let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let signing = qly_link::SigningConfig {
        key,
        link_id: 0,
        require_signed: true,
    };
    let run = |key_hex: String| {
        let signing = signing.clone();
        async move { start_signed(key_hex, signing).await }
    };
    async fn start_signed(
        key_hex: String,
        signing: qly_link::SigningConfig,
    ) -> (SimPeer, FcLink, CancellationToken) {
        let peer = SimPeer::start("udpin:127.0.0.1:0", quiet_autopilot(1.0), Some(signing)).await;
        let port = peer.local_addr.expect("bound").port();
        let mut cfg = test_config(format!("udpout:127.0.0.1:{port}"));
        cfg.signing = Some(companion::fc::FcSigning {
            key_hex,
            link_id: 1,
            require_signed: true,
        });
        let shutdown = CancellationToken::new();
        let link = FcLink::spawn(cfg, shutdown.clone()).expect("spawn");
        (peer, link, shutdown)
    }

    // The right key: the streams are requested and arrive signed.
    let (peer, link, shutdown) = run(hex.clone()).await;
    let fc = link.handle();
    wait_for("signed link up", Duration::from_secs(10), || {
        intervals_accepted(&fc) && fc.status().positions > 3
    })
    .await;
    let s = fc.status();
    assert!(
        s.signed_frames > 0 && s.signed_frames == s.mavlink1_frames + s.mavlink2_frames,
        "{s:?}"
    );
    shutdown.cancel();
    link.join().await.expect("clean end");
    peer.stop().await;

    // A wrong key: the autopilot drops our frames, we drop its.
    let mut wrong = hex.into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let (peer, link, shutdown) = run(String::from_utf8(wrong).unwrap()).await;
    let fc = link.handle();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = fc.status();
    assert!(!s.link_up && s.autopilot.is_none(), "{s:?}");
    assert!(s.rx.bad_signature > 0, "{s:?}");
    // Named as a signing failure, with where the key is set.
    let trouble = s.signing_trouble.expect("signing trouble named");
    assert!(
        matches!(trouble.kind, SigningTroubleKind::BadSignature(n) if n > 0),
        "{trouble:?}"
    );
    let said = trouble.describe(companion::fc::SIGNING_KEY_SETTING);
    assert!(
        said.contains("had a bad signature: wrong flight_controller.signing.key_hex?"),
        "{said}"
    );
    assert!(peer.log.lock().unwrap().received.is_empty());
    shutdown.cancel();
    link.join().await.expect("clean end");
    peer.stop().await;
}

/// The other signing failures are named too (issue 21.4): a vehicle that signs while the
/// companion has no key, and a vehicle that does not sign while the companion requires it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_failures_are_named_in_the_status() {
    init_tracing();
    let key: [u8; 32] = std::array::from_fn(|i| (i * 5 + 1) as u8);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    async fn trouble_with(
        vehicle: Option<qly_link::SigningConfig>,
        ours: Option<companion::fc::FcSigning>,
    ) -> (qly_link::SigningTrouble, String) {
        let peer = SimPeer::start("udpin:127.0.0.1:0", quiet_autopilot(1.0), vehicle).await;
        let port = peer.local_addr.expect("bound").port();
        let mut cfg = test_config(format!("udpout:127.0.0.1:{port}"));
        cfg.signing = ours;
        let shutdown = CancellationToken::new();
        let link = FcLink::spawn(cfg, shutdown.clone()).expect("spawn");
        let fc = link.handle();
        wait_for("signing trouble named", Duration::from_secs(10), || {
            fc.status().signing_trouble.is_some()
        })
        .await;
        let t = fc.status().signing_trouble.expect("named");
        shutdown.cancel();
        link.join().await.expect("clean end");
        peer.stop().await;
        (t, t.describe(companion::fc::SIGNING_KEY_SETTING))
    }

    // The vehicle signs (and requires signing); we have no key.
    let (t, said) = trouble_with(
        Some(qly_link::SigningConfig {
            key,
            link_id: 0,
            require_signed: true,
        }),
        None,
    )
    .await;
    assert!(
        matches!(t.kind, SigningTroubleKind::PeerSignsWeDoNot(n) if n > 0),
        "{t:?}"
    );
    assert!(
        said.contains("but we have no key")
            && said.contains("give flight_controller.signing.key_hex"),
        "{said}"
    );

    // We require signing; the vehicle sends unsigned frames.
    let (t, said) = trouble_with(
        None,
        Some(companion::fc::FcSigning {
            key_hex: hex,
            link_id: 1,
            require_signed: true,
        }),
    )
    .await;
    assert!(
        matches!(t.kind, SigningTroubleKind::Unsigned(n) if n > 0),
        "{t:?}"
    );
    assert!(
        said.contains("refused because signing is required"),
        "{said}"
    );
}
