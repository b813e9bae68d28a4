//! The autopilot service in process (no sockets): commands, telemetry, the mission protocol
//! driven by `qly_core::protocol`'s own upload client, and a whole AUTO flight.

use std::time::Duration;

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{Altitude, Home, Mission, MissionItem, MissionType, RawItem};
use qly_core::protocol::UploadClient;
use qly_link::dialect::*;
use qly_test_support::gcs::{self, command, gcs_header, VEHICLE};
use sim::noise::NoiseConfig;
use sim::service::clock::VehicleClock;
use sim::service::{Autopilot, Dest, StreamDefaults};
use sim::vehicle::{Vehicle, VehicleConfig};

const HOME: Home = Home {
    point: GeoPoint {
        lat_deg: -35.363262,
        lon_deg: 149.165237,
    },
    alt_amsl_m: 584.0,
};

fn autopilot(capacity: usize) -> Autopilot {
    let mut c = VehicleConfig::new(HOME);
    c.noise = NoiseConfig::none();
    autopilot_with(c, capacity)
}

/// An autopilot streaming everything unasked (these tests are about flying, not streams).
fn autopilot_with(c: VehicleConfig, capacity: usize) -> Autopilot {
    let mut ap = Autopilot::new(
        Vehicle::new(c),
        VEHICLE,
        VehicleClock::new(1.0, 1_767_225_600),
        capacity,
    );
    ap.set_stream_defaults(StreamDefaults::Always);
    ap
}

fn ack_of(out: &[MavMessage], cmd: MavCmd) -> MavResult {
    out.iter()
        .find_map(|m| match m {
            MavMessage::COMMAND_ACK(a) if a.command == cmd => Some(a.result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no COMMAND_ACK for {cmd:?} in {out:?}"))
}

/// Runs simulated time forward, returning everything sent.
fn advance(ap: &mut Autopilot, secs: f64) -> Vec<MavMessage> {
    let t = ap.vehicle().time_s() + secs;
    let wall = Duration::from_secs_f64(t);
    ap.advance_to(t, wall)
}

fn heartbeat_in(out: &[MavMessage]) -> Option<HEARTBEAT_DATA> {
    out.iter().find_map(|m| match m {
        MavMessage::HEARTBEAT(h) => Some(h.clone()),
        _ => None,
    })
}

#[test]
fn heartbeat_arming_and_command_results() {
    let mut ap = autopilot(100);
    let out = advance(&mut ap, 0.5);
    let hb = heartbeat_in(&out).expect("heartbeat");
    assert_eq!(hb.mavtype, MavType::MAV_TYPE_QUADROTOR);
    assert_eq!(hb.autopilot, MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA);
    assert!(hb
        .base_mode
        .contains(MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED));
    assert!(!hb
        .base_mode
        .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED));

    let arm = command(
        MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [1.0, 0., 0., 0., 0., 0., 0.],
    );
    // No GPS fix yet (1 s after boot).
    let out = ap.handle(&gcs_header(), &arm, Duration::ZERO);
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    assert!(out.iter().any(|m| matches!(m, MavMessage::STATUSTEXT(_))));
    advance(&mut ap, 1.0);
    let guided = command(MavCmd::MAV_CMD_DO_SET_MODE, [1.0, 4.0, 0., 0., 0., 0., 0.]);
    let out = ap.handle(&gcs_header(), &guided, Duration::ZERO);
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = ap.handle(&gcs_header(), &arm, Duration::ZERO);
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let hb = heartbeat_in(&out).expect("heartbeat on arming");
    assert!(hb
        .base_mode
        .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED));
    assert_eq!(hb.custom_mode, 4);

    // Not simulated -> UNSUPPORTED; unknown mode -> DENIED.
    let out = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_DO_FLIGHTTERMINATION,
            [1.0, 0., 0., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_DO_FLIGHTTERMINATION),
        MavResult::MAV_RESULT_UNSUPPORTED
    );
    let out = ap.handle(
        &gcs_header(),
        &command(MavCmd::MAV_CMD_DO_SET_MODE, [1.0, 2.0, 0., 0., 0., 0., 0.]),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_DENIED
    );
    // A command for another system is ignored.
    let mut other = command(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]);
    if let MavMessage::COMMAND_LONG(c) = &mut other {
        c.target_system = 7;
    }
    assert!(ap.handle(&gcs_header(), &other, Duration::ZERO).is_empty());
}

fn count(out: &[MavMessage], id: u32) -> usize {
    out.iter()
        .filter(|m| mavlink::Message::message_id(*m) == id)
        .count()
}

#[test]
fn message_intervals_and_requested_messages() {
    let mut ap = autopilot(100);
    let out = advance(&mut ap, 10.0);
    assert_eq!(count(&out, 33), 40); // GLOBAL_POSITION_INT 4 Hz
    assert_eq!(count(&out, 30), 100); // ATTITUDE 10 Hz
    assert_eq!(count(&out, 0), 10); // HEARTBEAT 1 Hz
    let out = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            [33.0, 50_000.0, 0., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL),
        MavResult::MAV_RESULT_ACCEPTED
    );
    ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            [30.0, -1.0, 0., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    let out = advance(&mut ap, 10.0);
    // 20 Hz from the moment of the change: 200 or 201 in 10 s, depending on the boundary.
    assert!(
        (200..=201).contains(&count(&out, 33)),
        "{}",
        count(&out, 33)
    );
    assert_eq!(count(&out, 30), 0);

    for id in [148u32, 242] {
        let out = ap.handle(
            &gcs_header(),
            &command(
                MavCmd::MAV_CMD_REQUEST_MESSAGE,
                [id as f32, 0., 0., 0., 0., 0., 0.],
            ),
            Duration::ZERO,
        );
        assert_eq!(
            ack_of(&out, MavCmd::MAV_CMD_REQUEST_MESSAGE),
            MavResult::MAV_RESULT_ACCEPTED
        );
        assert_eq!(count(&out, id), 1);
    }
    let out = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_REQUEST_MESSAGE,
            [242.0, 0., 0., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    let home = out
        .iter()
        .find_map(|m| match m {
            MavMessage::HOME_POSITION(h) => Some(h.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(home.latitude, -353_632_620);
    assert_eq!(home.altitude, 584_000);

    // Timestamps are simulated time from the configured epoch.
    let out = advance(&mut ap, 1.0);
    let st = out
        .iter()
        .find_map(|m| match m {
            MavMessage::SYSTEM_TIME(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        st.time_unix_usec,
        1_767_225_600_000_000 + st.time_boot_ms as u64 * 1000
    );
}

fn offset(north_m: f64, east_m: f64) -> GeoPoint {
    LocalFrame::at(HOME.point).unproject(east_m, north_m)
}

fn short_mission() -> Vec<RawItem> {
    let alt = Altitude::relative_home(20.0);
    let wp = |n, e| MissionItem::Waypoint {
        point: offset(n, e),
        alt,
        hold_s: 0.0,
    };
    Mission::new(
        HOME,
        vec![
            MissionItem::Takeoff { alt },
            MissionItem::CamTriggerDistance {
                distance_m: 15.0,
                trigger_once: true,
            },
            wp(60.0, 0.0),
            wp(60.0, 60.0),
            MissionItem::ReturnToLaunch,
        ],
    )
    .wire_items(MissionType::Mission)
}

/// Feeds protocol messages between a qly_core upload client and the autopilot.
fn upload(ap: &mut Autopilot, items: Vec<RawItem>) -> UploadClient {
    gcs::upload(items, |header, message| {
        ap.handle(header, message, Duration::ZERO)
    })
}

/// Uploads the short mission, flies it in AUTO from the ground and returns everything sent.
fn fly_short_mission(mut ap: Autopilot) -> (Autopilot, Vec<MavMessage>) {
    let client = upload(&mut ap, short_mission());
    assert_eq!(client.outcome(), Some(Ok(())));
    assert_eq!(ap.vehicle().mission_items().len(), 6);

    advance(&mut ap, 2.0);
    for (cmd, p) in [
        (MavCmd::MAV_CMD_DO_SET_MODE, [1.0, 4.0, 0., 0., 0., 0., 0.]),
        (
            MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0., 0., 0., 0., 0., 0.],
        ),
        (MavCmd::MAV_CMD_MISSION_START, [0.0; 7]),
    ] {
        let out = ap.handle(&gcs_header(), &command(cmd, p), Duration::ZERO);
        assert_eq!(ack_of(&out, cmd), MavResult::MAV_RESULT_ACCEPTED, "{cmd:?}");
    }
    let mut out = Vec::new();
    for _ in 0..600 {
        out.extend(advance(&mut ap, 1.0));
        if !ap.vehicle().is_armed() {
            break;
        }
    }
    (ap, out)
}

#[test]
fn upload_then_fly_auto_with_photos_and_reached_items() {
    let (ap, out) = fly_short_mission(autopilot(100));
    assert!(!ap.vehicle().is_armed(), "did not land within 600 s");
    let reached: Vec<u16> = out
        .iter()
        .filter_map(|m| match m {
            MavMessage::MISSION_ITEM_REACHED(r) => Some(r.seq),
            _ => None,
        })
        .collect();
    assert_eq!(reached, vec![1, 2, 3, 4, 5]);
    let feedback: Vec<CAMERA_FEEDBACK_DATA> = out
        .iter()
        .filter_map(|m| match m {
            MavMessage::CAMERA_FEEDBACK(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    let triggers = count(&out, 112);
    // Trigger-once, then every 15 m over 60 + 60 m and the way home: about 14.
    assert!(feedback.len() >= 8, "{} photos", feedback.len());
    assert_eq!(triggers, feedback.len());
    for (i, f) in feedback.iter().enumerate() {
        assert_eq!(f.img_idx as usize, i + 1);
    }
    assert!(feedback.windows(2).all(|w| w[1].time_usec > w[0].time_usec));
    let currents: Vec<u16> = out
        .iter()
        .filter_map(|m| match m {
            MavMessage::MISSION_CURRENT(c) => Some(c.seq),
            _ => None,
        })
        .collect();
    assert!(
        currents.contains(&3) && currents.contains(&5),
        "{currents:?}"
    );
}

#[test]
fn same_seed_same_messages_other_seed_other_photo_poses() {
    let noisy = |seed: u64| {
        let mut c = VehicleConfig::new(HOME);
        c.seed = seed;
        c.wind.gust_sigma_m_s = 1.0;
        let (_, out) = fly_short_mission(autopilot_with(c, 100));
        out.into_iter()
            .filter_map(|m| match m {
                MavMessage::CAMERA_FEEDBACK(f) => Some((f.lat, f.lng, f.alt_rel, f.roll, f.yaw)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let a = noisy(11);
    assert!(a.len() >= 8);
    assert_eq!(a, noisy(11));
    assert_ne!(a, noisy(12));
}

#[test]
fn oversized_upload_is_refused_with_no_space() {
    let mut ap = autopilot(4);
    let client = upload(&mut ap, short_mission());
    assert!(
        client.outcome().is_some_and(|r| r.is_err()),
        "{:?}",
        client.outcome()
    );
    assert!(ap.vehicle().mission_items().is_empty());
}

#[test]
fn command_int_takeoff_and_set_mode_message() {
    let mut ap = autopilot(100);
    advance(&mut ap, 2.0);
    #[allow(deprecated)]
    let set_mode = MavMessage::SET_MODE(SET_MODE_DATA {
        custom_mode: 4,
        target_system: 1,
        base_mode: MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
    });
    let out = ap.handle(&gcs_header(), &set_mode, Duration::ZERO);
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0., 0., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let takeoff = MavMessage::COMMAND_INT(COMMAND_INT_DATA {
        command: MavCmd::MAV_CMD_NAV_TAKEOFF,
        frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        z: 12.0,
        target_system: 1,
        target_component: 1,
        ..COMMAND_INT_DATA::default()
    });
    let out = ap.handle(&gcs_header(), &takeoff, Duration::ZERO);
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_NAV_TAKEOFF),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = advance(&mut ap, 20.0);
    let last = out
        .iter()
        .rev()
        .find_map(|m| match m {
            MavMessage::GLOBAL_POSITION_INT(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert!((last.relative_alt - 12_000).abs() < 150, "{last:?}");
    assert!((last.alt - 596_000).abs() < 150, "{last:?}");
    // Camera commands: one photo now, then distance triggering with one photo now.
    let out = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_DO_DIGICAM_CONTROL,
            [0., 0., 0., 0., 1., 0., 0.],
        ),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_DO_DIGICAM_CONTROL),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out2 = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_DO_SET_CAM_TRIGG_DIST,
            [25., 0., 1., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    let idx: Vec<u16> = out
        .iter()
        .chain(out2.iter())
        .filter_map(|m| match m {
            MavMessage::CAMERA_FEEDBACK(f) => Some(f.img_idx),
            _ => None,
        })
        .collect();
    assert_eq!(idx, vec![1, 2]);
    // In the air: a plain disarm fails, a second take-off fails.
    let out = ap.handle(
        &gcs_header(),
        &command(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_FAILED
    );
    let out = ap.handle(&gcs_header(), &takeoff, Duration::ZERO);
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_NAV_TAKEOFF),
        MavResult::MAV_RESULT_FAILED
    );
}

fn cmd(ap: &mut Autopilot, link: usize, c: MavCmd, p: [f32; 7]) -> Vec<MavMessage> {
    ap.handle_on(link, &gcs_header(), &command(c, p), Duration::ZERO)
}

#[test]
fn streams_start_when_a_link_asks_and_a_reboot_forgets_them_but_keeps_the_mission() {
    let mut c = VehicleConfig::new(HOME);
    c.noise = NoiseConfig::none();
    let mut ap = Autopilot::new(
        Vehicle::new(c),
        VEHICLE,
        VehicleClock::new(1.0, 1_767_225_600),
        100,
    );
    ap.set_links(2);
    let photos = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let photos = photos.clone();
        ap.set_photo_sink(Box::new(move |boot, c| {
            photos.lock().unwrap().push((boot, c.image_index))
        }));
    }
    // As ArduPilot SITL: nothing but HEARTBEAT until asked.
    let out = advance(&mut ap, 10.0);
    assert_eq!(count(&out, 0), 10);
    for id in [1, 2, 24, 30, 33, 42, 74] {
        assert_eq!(count(&out, id), 0, "message {id} unasked");
    }
    // Link 1 asks for GLOBAL_POSITION_INT at 5 Hz and the position stream group at 2 Hz
    // (REQUEST_DATA_STREAM, as MAVProxy); link 0 gets none of it.
    let out = cmd(
        &mut ap,
        1,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [30.0, 200_000.0, 0., 0., 0., 0., 0.],
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL),
        MavResult::MAV_RESULT_ACCEPTED
    );
    #[allow(deprecated)]
    let rds = MavMessage::REQUEST_DATA_STREAM(REQUEST_DATA_STREAM_DATA {
        req_message_rate: 2,
        target_system: 1,
        target_component: 1,
        req_stream_id: MavDataStream::MAV_DATA_STREAM_POSITION,
        start_stop: 1,
    });
    ap.handle_on(1, &gcs_header(), &rds, Duration::ZERO);
    let t = ap.vehicle().time_s() + 10.0;
    let out = ap.advance_links(t, Duration::from_secs_f64(t));
    let on = |link: usize, id: u32| {
        out.iter()
            .filter(|(d, m)| *d == Dest::Link(link) && mavlink::Message::message_id(m) == id)
            .count()
    };
    // From the moment of the request: one more at the boundary.
    assert!((50..=51).contains(&on(1, 30)), "{}", on(1, 30));
    assert!((20..=21).contains(&on(1, 33)), "{}", on(1, 33));
    assert_eq!(on(0, 30) + on(0, 33), 0);

    // A mission and two photos before the reboot.
    let client = upload(&mut ap, short_mission());
    assert_eq!(client.outcome(), Some(Ok(())));
    let photo = [0., 0., 0., 0., 1., 0., 0.];
    cmd(&mut ap, 0, MavCmd::MAV_CMD_DO_DIGICAM_CONTROL, photo);
    let out = cmd(&mut ap, 0, MavCmd::MAV_CMD_DO_DIGICAM_CONTROL, photo);
    let idx = |out: &[MavMessage]| {
        out.iter()
            .find_map(|m| match m {
                MavMessage::CAMERA_FEEDBACK(f) => Some(f.img_idx),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(idx(&out), 2);
    let before_s = ap.vehicle().time_s();
    assert!(before_s > 19.0);

    // Reboot refused while armed, done when disarmed.
    advance(&mut ap, 2.0);
    cmd(
        &mut ap,
        0,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 4.0, 0., 0., 0., 0., 0.],
    );
    let arm = [1.0, 0., 0., 0., 0., 0., 0.];
    cmd(&mut ap, 0, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, arm);
    assert!(ap.vehicle().is_armed());
    let reboot = [1.0, 0., 0., 0., 0., 0., 0.];
    let out = cmd(
        &mut ap,
        0,
        MavCmd::MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN,
        reboot,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN),
        MavResult::MAV_RESULT_FAILED
    );
    cmd(&mut ap, 0, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]);
    let out = cmd(
        &mut ap,
        0,
        MavCmd::MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN,
        reboot,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert_eq!(ap.boot(), 1);
    assert!(ap.vehicle().time_s() < 0.1, "time since boot restarts");
    assert_eq!(ap.vehicle().mission_items().len(), 6, "the mission is kept");

    // Every stream forgotten, on every link.
    let t = before_s + 2.0 + 5.0;
    let out = ap.advance_links(t, Duration::from_secs_f64(t));
    assert!(out.iter().all(|(_, m)| !matches!(
        m,
        MavMessage::ATTITUDE(_) | MavMessage::GLOBAL_POSITION_INT(_)
    )));
    // Each link still gets its own 1 Hz heartbeat.
    assert_eq!(
        out.iter()
            .filter(|(d, m)| *d == Dest::Link(0) && matches!(m, MavMessage::HEARTBEAT(_)))
            .count(),
        5
    );
    // Asked again: time_boot_ms counts from the reboot; photos number from 1 again.
    cmd(
        &mut ap,
        0,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [33.0, 1_000_000.0, 0., 0., 0., 0., 0.],
    );
    let t = t + 1.5;
    let out = ap.advance_to(t, Duration::from_secs_f64(t));
    let boot_ms = out
        .iter()
        .find_map(|m| match m {
            MavMessage::GLOBAL_POSITION_INT(p) => Some(p.time_boot_ms),
            _ => None,
        })
        .expect("GLOBAL_POSITION_INT once asked");
    assert!(
        boot_ms < 7_000,
        "time_boot_ms {boot_ms} restarted at the reboot"
    );
    let out = cmd(&mut ap, 0, MavCmd::MAV_CMD_DO_DIGICAM_CONTROL, photo);
    assert_eq!(idx(&out), 1);
    assert_eq!(*photos.lock().unwrap(), vec![(0, 1), (0, 2), (1, 1)]);
}
