//! Whole-vehicle behaviour: arming rules, take-off, missions, landing, determinism.

use super::*;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, Mission, MissionItem};

const HOME: Home = Home {
    point: GeoPoint {
        lat_deg: 27.05,
        lon_deg: 106.95,
    },
    alt_amsl_m: 1100.0,
};

fn config() -> VehicleConfig {
    let mut c = VehicleConfig::new(HOME);
    c.noise = NoiseConfig::none();
    c
}

/// Steps `secs` of simulated time at 10 ms, collecting events.
fn run(v: &mut Vehicle, secs: f64) -> Vec<VehicleEvent> {
    let mut ev = Vec::new();
    for _ in 0..(secs / 0.01).round() as usize {
        ev.extend(v.step(0.01));
    }
    ev
}

/// Runs until `done` holds or `max_s` passes; returns the events.
fn run_until(
    v: &mut Vehicle,
    max_s: f64,
    mut done: impl FnMut(&Vehicle) -> bool,
) -> Vec<VehicleEvent> {
    let mut ev = Vec::new();
    let mut t = 0.0;
    while t < max_s && !done(v) {
        ev.extend(v.step(0.01));
        t += 0.01;
    }
    assert!(done(v), "condition not reached within {max_s} s");
    ev
}

fn offset(north_m: f64, east_m: f64) -> GeoPoint {
    let f = LocalFrame::at(HOME.point);
    f.unproject(east_m, north_m)
}

fn survey_mission() -> Vec<RawItem> {
    let alt = Altitude::relative_home(30.0);
    let wp = |n, e| MissionItem::Waypoint {
        point: offset(n, e),
        alt,
        hold_s: 0.0,
    };
    Mission::new(
        HOME,
        vec![
            MissionItem::Takeoff { alt },                // 1
            MissionItem::ChangeSpeed { speed_m_s: 8.0 }, // 2
            wp(0.0, 50.0),                               // 3
            MissionItem::CamTriggerDistance {
                distance_m: 10.0,
                trigger_once: true,
            }, // 4
            wp(100.0, 50.0),                             // 5
            wp(100.0, -50.0),                            // 6
            MissionItem::CamTriggerDistance {
                distance_m: 0.0,
                trigger_once: false,
            }, // 7
            MissionItem::ReturnToLaunch,                 // 8
        ],
    )
    .wire_items(qly_core::mission::MissionType::Mission)
}

#[test]
fn arming_needs_a_position_and_an_arming_mode() {
    let mut v = Vehicle::new(config());
    assert!(matches!(v.arm(), Err(CommandError::NoPosition { .. })));
    assert!(matches!(
        v.set_mode(FlightMode::Guided),
        Err(CommandError::NoPosition { .. })
    ));
    run(&mut v, 1.5);
    assert!(v.telemetry().has_position);
    v.set_mission(survey_mission());
    v.set_mode(FlightMode::Auto).unwrap();
    assert!(matches!(
        v.arm(),
        Err(CommandError::ModeDisallowsArming(FlightMode::Auto))
    ));
    v.set_mode(FlightMode::Guided).unwrap();
    assert_eq!(v.arm().unwrap(), vec![VehicleEvent::Armed]);
    assert!(v.is_armed());
    assert_eq!(v.telemetry().system_status, 4);
}

#[test]
fn guided_takeoff_holds_height_and_refuses_plain_disarm_in_the_air() {
    let mut v = Vehicle::new(config());
    run(&mut v, 1.5);
    v.set_mode(FlightMode::Guided).unwrap();
    assert!(matches!(
        v.takeoff(20.0),
        Err(CommandError::NotArmed { .. })
    ));
    v.arm().unwrap();
    v.takeoff(20.0).unwrap();
    let ev = run_until(&mut v, 30.0, |v| v.kinematics().pos.u_m >= 19.9);
    assert!(ev.contains(&VehicleEvent::TakeoffComplete));
    // 20 m at 2.5 m/s, ramps of 1 m/s^2 at 1 m/s^3 (WPNAV_SPEED_UP, _ACCEL_Z, _JERK): an
    // S-curve of 11.5 s (within 0.1 m of the top a little earlier), after 1.5 s on the
    // ground.
    assert!(v.time_s() > 11.5 && v.time_s() < 13.5, "t = {}", v.time_s());
    run(&mut v, 10.0);
    assert!((v.kinematics().pos.u_m - 20.0).abs() < 0.05);
    assert!(matches!(v.takeoff(30.0), Err(CommandError::AlreadyFlying)));
    assert!(matches!(v.disarm(false), Err(CommandError::Flying)));
    let pose = v.telemetry().pose;
    assert!((pose.alt_amsl_m - 1120.0).abs() < 0.05);
    assert!((pose.alt_rel_home_m - 20.0).abs() < 0.05);
    // A forced disarm drops the vehicle.
    v.disarm(true).unwrap();
    let ev = run_until(&mut v, 10.0, |v| !v.is_flying());
    assert!(ev
        .iter()
        .any(|e| matches!(e, VehicleEvent::Notice { text, .. } if text.starts_with("Crash"))));
}

#[test]
fn auto_mission_reaches_every_item_photographs_and_comes_home() {
    let mut v = Vehicle::new(config());
    run(&mut v, 1.5);
    v.set_mission(survey_mission());
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    let mut ev = v.start_mission().unwrap();
    assert_eq!(v.mode(), FlightMode::Auto);
    ev.extend(run_until(&mut v, 600.0, |v| !v.is_armed()));

    let reached: Vec<u16> = ev
        .iter()
        .filter_map(|e| match e {
            VehicleEvent::MissionItemReached { seq } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(reached, (1..=8).collect::<Vec<_>>());
    assert!(ev.contains(&VehicleEvent::MissionComplete));
    assert!(ev.contains(&VehicleEvent::Landed));
    assert!(ev.contains(&VehicleEvent::Disarmed { auto: true }));

    let photos: Vec<CaptureEvent> = ev
        .iter()
        .filter_map(|e| match e {
            VehicleEvent::Photo(p) => Some(*p),
            _ => None,
        })
        .collect();
    // Trigger-once at (0, 50), then every 10 m over 100 m north and 100 m west: about 21.
    assert!(photos.len() >= 19 && photos.len() <= 22, "{}", photos.len());
    for (i, p) in photos.iter().enumerate() {
        assert_eq!(p.image_index as usize, i + 1);
        assert!((p.truth.alt_rel_home_m - 30.0).abs() < 0.5, "{p:?}");
        assert_eq!(p.truth, p.reported); // no noise configured
    }
    let f = LocalFrame::at(HOME.point);
    for w in photos.windows(2) {
        let (a, b) = (
            f.project(GeoPoint::new(w[0].truth.lat_deg, w[0].truth.lon_deg).unwrap()),
            f.project(GeoPoint::new(w[1].truth.lat_deg, w[1].truth.lon_deg).unwrap()),
        );
        let d = (a.0 - b.0).hypot(a.1 - b.1);
        // 8 m/s at a 20 ms step: a photo at most 0.16 m late.
        // (Measured in a frame on the ellipsoid, 1130 m below the flight: 0.02 % short.)
        assert!((9.99..10.2).contains(&d), "spacing {d}");
        assert!(w[1].time_boot_s > w[0].time_boot_s);
    }
    // Landed at home.
    let k = v.kinematics();
    assert!(k.pos.e_m.hypot(k.pos.n_m) < 2.5, "{:?}", k.pos);
    assert_eq!(k.pos.u_m, 0.0);
    // DO_CHANGE_SPEED 8 m/s held the cruise below the 10 m/s default.
    assert_eq!(v.wp_speed_m_s, 8.0);
}

#[test]
fn auto_from_the_ground_needs_a_takeoff_item_and_a_mission() {
    let mut v = Vehicle::new(config());
    run(&mut v, 1.5);
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    assert_eq!(
        v.set_mode(FlightMode::Auto),
        Err(CommandError::MissionEmpty)
    );
    let mut items = survey_mission();
    items.remove(1); // drop the take-off
    v.set_mission(items);
    assert_eq!(
        v.set_mode(FlightMode::Auto),
        Err(CommandError::MissingTakeoff)
    );
}

#[test]
fn land_mode_lands_and_disarms_and_idle_vehicles_disarm() {
    let mut v = Vehicle::new(config());
    run(&mut v, 1.5);
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    v.takeoff(15.0).unwrap();
    run_until(&mut v, 30.0, |v| v.kinematics().pos.u_m > 14.9);
    v.set_mode(FlightMode::Land).unwrap();
    let ev = run_until(&mut v, 60.0, |v| !v.is_armed());
    assert!(ev.contains(&VehicleEvent::Landed));
    // 5 m at 1.5 m/s + 10 m at 0.5 m/s + detection: about 25 s.
    assert!(v.time_s() > 30.0, "t = {}", v.time_s());

    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    let t0 = v.time_s();
    let ev = run_until(&mut v, 20.0, |v| !v.is_armed());
    assert!(ev.contains(&VehicleEvent::Disarmed { auto: true }));
    assert!((v.time_s() - t0 - 10.0).abs() < 0.05);
}

#[test]
fn rtl_climbs_to_rtl_altitude_before_returning() {
    let mut v = Vehicle::new(config());
    run(&mut v, 1.5);
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    v.takeoff(5.0).unwrap();
    run_until(&mut v, 30.0, |v| v.kinematics().pos.u_m > 4.9);
    v.set_mode(FlightMode::Rtl).unwrap();
    run_until(&mut v, 30.0, |v| v.kinematics().pos.u_m > 14.8);
    let ev = run_until(&mut v, 120.0, |v| !v.is_armed());
    assert!(ev.contains(&VehicleEvent::Landed));
}

#[test]
fn same_seed_same_flight_other_seed_other_noise() {
    let fly = |seed: u64| {
        let mut c = VehicleConfig::new(HOME);
        c.seed = seed;
        c.wind.gust_sigma_m_s = 1.5;
        c.wind.mean_east_m_s = 3.0;
        let mut v = Vehicle::new(c);
        run(&mut v, 1.5);
        v.set_mission(survey_mission());
        v.set_mode(FlightMode::Guided).unwrap();
        v.arm().unwrap();
        v.start_mission().unwrap();
        let mut log = Vec::new();
        for _ in 0..200 {
            run(&mut v, 0.25);
            let t = v.telemetry();
            log.push((t.pose, t.vel_enu_m_s));
        }
        log
    };
    let a = fly(3);
    assert_eq!(a, fly(3));
    assert_ne!(a, fly(4));
}

#[test]
fn reported_position_scatters_with_the_configured_sigma() {
    let mut c = VehicleConfig::new(HOME);
    c.noise.gps_pos_sigma_m = 2.0;
    c.noise.alt_sigma_m = 1.0;
    let mut v = Vehicle::new(c);
    run(&mut v, 1.5);
    let f = LocalFrame::at(HOME.point);
    let (mut se, mut su) = (0.0, 0.0);
    let n = 2000;
    for _ in 0..n {
        run(&mut v, 0.1); // one sensor sample per 0.1 s
        let p = v.telemetry().pose;
        let (e, _) = f.project(GeoPoint::new(p.lat_deg, p.lon_deg).unwrap());
        se += e * e;
        su += p.alt_rel_home_m * p.alt_rel_home_m;
    }
    let sd_e = (se / n as f64).sqrt();
    let sd_u = (su / n as f64).sqrt();
    assert!((sd_e - 2.0).abs() < 0.15, "east sd {sd_e}");
    assert!((sd_u - 1.0).abs() < 0.08, "up sd {sd_u}");
    let t = v.telemetry();
    assert_eq!((t.h_acc_m, t.v_acc_m), (2.0, 1.0));
    assert_eq!(t.fix_type, 3);
}

#[test]
fn flight_drains_the_battery_faster_than_standing() {
    let mut v = Vehicle::new(config());
    run(&mut v, 60.0);
    let idle = 100 - v.telemetry().battery_remaining_pct;
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    v.takeoff(20.0).unwrap();
    run(&mut v, 120.0);
    let t = v.telemetry();
    assert_eq!(idle, 0);
    assert!(t.battery_remaining_pct < 97, "{}", t.battery_remaining_pct);
    assert!(t.battery_current_a > 20.0);
}

#[test]
fn set_current_jumps_and_rejects_bad_items() {
    let mut v = Vehicle::new(config());
    v.set_mission(survey_mission());
    assert!(matches!(
        v.set_mission_current(9),
        Err(CommandError::NoSuchItem { seq: 9, last: 8 })
    ));
    assert_eq!(
        v.set_mission_current(5).unwrap(),
        vec![VehicleEvent::MissionCurrent { seq: 5 }]
    );
    assert_eq!(v.mission_current(), 5);
}

#[test]
fn do_jump_repeats_a_leg_and_loiter_time_holds() {
    let alt = Altitude::relative_home(20.0);
    let mut wire = Mission::new(
        HOME,
        vec![
            MissionItem::Takeoff { alt }, // 1
            MissionItem::Waypoint {
                point: offset(40.0, 0.0),
                alt,
                hold_s: 0.0,
            }, // 2
            MissionItem::Waypoint {
                point: offset(40.0, 40.0),
                alt,
                hold_s: 0.0,
            }, // 3
            MissionItem::ReturnToLaunch,  // 4 (becomes DO_JUMP below)
            MissionItem::ReturnToLaunch,  // 5
        ],
    )
    .wire_items(qly_core::mission::MissionType::Mission);
    wire[4].command = qly_core::mission::cmd::DO_JUMP;
    wire[4].frame = qly_core::mission::frame::MISSION;
    wire[4].params = [2.0, 1.0, 0.0, 0.0];
    // Item 2 becomes a 20 s loiter.
    wire[2].command = qly_core::mission::cmd::NAV_LOITER_TIME;
    wire[2].params[0] = 20.0;

    let mut v = Vehicle::new(config());
    run(&mut v, 1.5);
    v.set_mission(wire);
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    let mut ev = v.start_mission().unwrap();
    let t0 = v.time_s();
    ev.extend(run_until(&mut v, 900.0, |v| !v.is_armed()));
    let reached: Vec<u16> = ev
        .iter()
        .filter_map(|e| match e {
            VehicleEvent::MissionItemReached { seq } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(reached, vec![1, 2, 3, 2, 3, 5]);
    // Two 20 s loiters are in the flight time.
    let flight_s = v.time_s() - t0;
    assert!(flight_s > 40.0 + 4.0 * 40.0 / 10.0, "{flight_s}");
}

/// An exclusion polygon 30 m square straddling the second leg of `survey_mission`.
fn fence_across_the_survey() -> Vec<RawItem> {
    let mut m = Mission::new(HOME, vec![]);
    m.fence.push(qly_core::mission::FenceZone::Polygon {
        inclusion: false,
        vertices: vec![
            offset(85.0, -15.0),
            offset(85.0, 15.0),
            offset(115.0, 15.0),
            offset(115.0, -15.0),
        ],
    });
    m.wire_items(qly_core::mission::MissionType::Fence)
}

#[test]
fn an_enforced_fence_breach_returns_home_with_a_statustext() {
    let fly = |enabled: bool| {
        let mut c = config();
        c.fence_enabled = enabled;
        let mut v = Vehicle::new(c);
        run(&mut v, 1.5);
        v.set_mission(survey_mission());
        v.set_fence(&fence_across_the_survey());
        v.set_mode(FlightMode::Guided).unwrap();
        v.arm().unwrap();
        let mut ev = v.start_mission().unwrap();
        ev.extend(run_until(&mut v, 600.0, |v| !v.is_armed()));
        (v, ev)
    };
    let (v, ev) = fly(true);
    let breach = ev.iter().find_map(|e| match e {
        VehicleEvent::Notice { severity, text } if text.starts_with("Fence Breach") => {
            Some((*severity, text.clone()))
        }
        _ => None,
    });
    assert_eq!(
        breach,
        Some((
            Severity::Critical,
            "Fence Breach: exclusion polygon, RTL".to_string()
        ))
    );
    assert!(ev.contains(&VehicleEvent::ModeChanged(FlightMode::Rtl)));
    assert!(!ev.contains(&VehicleEvent::MissionComplete));
    assert!(ev.contains(&VehicleEvent::Landed));
    let k = v.kinematics();
    assert!(k.pos.e_m.hypot(k.pos.n_m) < 2.5, "{:?}", k.pos);
    // FENCE_ENABLE 0 (ArduCopter's default): the same flight ignores the fence.
    let (_, ev) = fly(false);
    assert!(ev.contains(&VehicleEvent::MissionComplete));
    assert!(!ev
        .iter()
        .any(|e| matches!(e, VehicleEvent::Notice { text, .. } if text.starts_with("Fence"))));
}
