//! The sim refuses what ArduPilot refuses, with ArduPilot's MAVLink results (issue 21.5):
//! message intervals that would silence the heartbeat, mission items out of range or in an
//! unsupported frame; and a DO_JUMP loop does not flood the link with STATUSTEXT.

use std::time::Duration;

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{Altitude, Home, Mission, MissionItem, MissionType, RawItem};
use qly_link::dialect::*;
use qly_test_support::gcs::{self, command, gcs_header, VEHICLE};
use sim::noise::NoiseConfig;
use sim::service::clock::VehicleClock;
use sim::service::Autopilot;
use sim::vehicle::{Vehicle, VehicleConfig};

const HOME: Home = Home {
    point: GeoPoint {
        lat_deg: -35.363262,
        lon_deg: 149.165237,
    },
    alt_amsl_m: 584.0,
};

fn autopilot() -> Autopilot {
    let mut c = VehicleConfig::new(HOME);
    c.noise = NoiseConfig::none();
    Autopilot::new(
        Vehicle::new(c),
        VEHICLE,
        VehicleClock::new(1.0, 1_767_225_600),
        100,
    )
}

fn advance(ap: &mut Autopilot, secs: f64) -> Vec<MavMessage> {
    let t = ap.vehicle().time_s() + secs;
    ap.advance_to(t, Duration::from_secs_f64(t))
}

fn ack_of(out: &[MavMessage], cmd: MavCmd) -> MavResult {
    out.iter()
        .find_map(|m| match m {
            MavMessage::COMMAND_ACK(a) if a.command == cmd => Some(a.result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no COMMAND_ACK for {cmd:?} in {out:?}"))
}

fn heartbeats(out: &[MavMessage]) -> usize {
    out.iter()
        .filter(|m| matches!(m, MavMessage::HEARTBEAT(_)))
        .count()
}

#[test]
fn no_message_interval_request_silences_the_heartbeat() {
    let mut ap = autopilot();
    for (id, interval_us) in [
        (0.0, -1.0),
        (0.0, f32::NAN),
        (0.0, 1e30),
        (0.0, f32::INFINITY),
        (f32::NAN, -1.0),
        (f32::NAN, 1e6),
    ] {
        let out = ap.handle(
            &gcs_header(),
            &command(
                MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
                [id, interval_us, 0., 0., 0., 0., 0.],
            ),
            Duration::ZERO,
        );
        assert_eq!(
            ack_of(&out, MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL),
            MavResult::MAV_RESULT_DENIED,
            "id {id} interval {interval_us}"
        );
    }
    let out = advance(&mut ap, 3.0);
    assert!(
        heartbeats(&out) >= 3,
        "{} heartbeats in 3 s",
        heartbeats(&out)
    );
    // Stopping another message is still allowed, as ArduPilot allows it.
    let out = ap.handle(
        &gcs_header(),
        &command(
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            [30.0, -1.0, 0., 0., 0., 0., 0.],
        ),
        Duration::ZERO,
    );
    assert_eq!(
        ack_of(&out, MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = advance(&mut ap, 2.0);
    assert!(!out.iter().any(|m| matches!(m, MavMessage::ATTITUDE(_))));
    assert!(heartbeats(&out) >= 2);
}

fn offset(north_m: f64, east_m: f64) -> GeoPoint {
    LocalFrame::at(HOME.point).unproject(east_m, north_m)
}

fn mission(items: Vec<MissionItem>) -> Vec<RawItem> {
    Mission::new(HOME, items).wire_items(MissionType::Mission)
}

fn good_mission() -> Vec<RawItem> {
    let alt = Altitude::relative_home(20.0);
    mission(vec![
        MissionItem::Takeoff { alt },
        MissionItem::Waypoint {
            point: offset(50.0, 0.0),
            alt,
            hold_s: 0.0,
        },
    ])
}

/// What is wrong with an item, how to make it so, and the result ArduPilot answers.
type Case = (&'static str, fn(&mut RawItem), MavMissionResult);

/// Uploads `items`; returns the MISSION_ACK results the vehicle sent.
fn upload_results(ap: &mut Autopilot, items: Vec<RawItem>) -> Vec<MavMissionResult> {
    let mut results = Vec::new();
    gcs::upload(items, |header, message| {
        let out = ap.handle(header, message, Duration::ZERO);
        for m in &out {
            if let MavMessage::MISSION_ACK(a) = m {
                results.push(a.mavtype);
            }
        }
        out
    });
    results
}

#[test]
fn mission_items_out_of_range_or_in_another_frame_are_refused_with_ardupilots_result() {
    let mut ap = autopilot();
    let good = good_mission();
    assert_eq!(
        upload_results(&mut ap, good.clone()),
        vec![MavMissionResult::MAV_MISSION_ACCEPTED]
    );
    let cases: [Case; 4] = [
        (
            "NaN altitude",
            |i| i.alt_m = f32::NAN,
            MavMissionResult::MAV_MISSION_INVALID_PARAM7,
        ),
        (
            "latitude 214",
            |i| i.lat_deg = 214.0,
            MavMissionResult::MAV_MISSION_INVALID_PARAM5_X,
        ),
        (
            "longitude -200",
            |i| i.lon_deg = -200.0,
            MavMissionResult::MAV_MISSION_INVALID_PARAM6_Y,
        ),
        (
            "MAV_FRAME_LOCAL_NED",
            |i| i.frame = 1,
            MavMissionResult::MAV_MISSION_UNSUPPORTED_FRAME,
        ),
    ];
    for (what, spoil, expected) in cases {
        let mut items = good.clone();
        spoil(&mut items[2]);
        assert_eq!(upload_results(&mut ap, items), vec![expected], "{what}");
        // The stored mission is still the good one, and the vehicle still flies from it.
        assert_eq!(ap.vehicle().mission_items().len(), good.len(), "{what}");
        assert_eq!(ap.vehicle().mission_items()[2].lat_e7(), good[2].lat_e7());
    }
    // After a refusal, a good upload is accepted again.
    assert_eq!(
        upload_results(&mut ap, good),
        vec![MavMissionResult::MAV_MISSION_ACCEPTED]
    );
}

#[test]
fn a_do_jump_loop_sends_a_few_statustexts_per_second_not_thousands() {
    let mut ap = autopilot();
    let alt = Altitude::relative_home(10.0);
    let mut items = mission(vec![
        MissionItem::Takeoff { alt },
        MissionItem::Waypoint {
            point: offset(5.0, 0.0),
            alt,
            hold_s: 0.0,
        },
        MissionItem::Waypoint {
            point: offset(5.0, 0.0),
            alt,
            hold_s: 0.0,
        },
        MissionItem::Waypoint {
            point: offset(5.0, 0.0),
            alt,
            hold_s: 0.0,
        },
    ]);
    // Items 3 and 4 become DO_JUMPs to each other, forever (repeat -1): a loop without a
    // navigation item.
    for (seq, target) in [(3usize, 4.0f32), (4, 3.0)] {
        items[seq] = RawItem {
            frame: 2,
            command: 177,
            params: [target, -1.0, 0.0, 0.0],
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 0.0,
            autocontinue: true,
        };
    }
    assert_eq!(
        upload_results(&mut ap, items),
        vec![MavMissionResult::MAV_MISSION_ACCEPTED]
    );
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
    let mut jump_texts = Vec::new();
    let secs = 30.0;
    for _ in 0..(secs as usize) {
        for m in advance(&mut ap, 1.0) {
            if let MavMessage::STATUSTEXT(st) = m {
                let text = String::from_utf8_lossy(&st.text.to_vec()).to_string();
                if text.contains("jump") {
                    jump_texts.push(text);
                }
            }
        }
    }
    assert!(!jump_texts.is_empty(), "the loop never ran");
    assert!(
        jump_texts.len() as f64 <= secs * 2.0 + 1.0,
        "{} jump messages in {secs} s",
        jump_texts.len()
    );
    assert!(
        jump_texts.iter().any(|t| t.contains("jumps)")),
        "suppressed jumps are counted: {:?}",
        &jump_texts[..jump_texts.len().min(3)]
    );
}
