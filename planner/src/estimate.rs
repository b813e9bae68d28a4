//! Flight length and time of a set of transects and of a whole mission.
//!
//! Times are those of ArduCopter flying the path ([`qly_core::wpnav`]: an S-curve per leg
//! under WPNAV_SPEED, WPNAV_ACCEL and WPNAV_JERK, fast waypoints blended within WPNAV_RADIUS,
//! a stop at a waypoint before a return to launch or with a delay; take-off at WPNAV_SPEED_UP,
//! the return leg, RTL_LOIT_TIME over home and the landing at WPNAV_SPEED_DN then LAND_SPEED),
//! with ArduCopter's default parameters except the cruise speed the plan sets. The simulator
//! (`sim`) flies the same model, so its flights and these estimates agree; against a real
//! ArduCopter the remaining differences are the tracking of the position controller and the
//! wind.

use qly_core::geodesy::LocalFrame;
use qly_core::mission::{AltFrame, Mission, MissionItem};
use qly_core::wpnav::{land_time_s, path_time_s, vertical_time_s, LandParams, WpNavParams};

use crate::survey::{PlaneCoord, Transect};

/// Return height of ArduCopter's RTL (RTL_ALT 1500 cm, ArduCopter/Parameters.cpp): a vehicle
/// lower than this climbs to it first.
pub const RTL_ALT_M: f64 = 15.0;

/// The points the vehicle flies through, in order: every transect's approach via points,
/// run-in, path and run-out, one after the other (the first transect's approach is left out:
/// it starts from home, which the survey pattern does not include).
pub fn flight_path(transects: &[Transect]) -> Vec<PlaneCoord> {
    let mut pts = Vec::new();
    for (i, t) in transects.iter().enumerate() {
        if i > 0 {
            pts.extend_from_slice(&t.approach);
        }
        pts.push(t.turn_in);
        pts.extend_from_slice(&t.path);
        pts.push(t.turn_out);
    }
    pts
}

/// Length of a polyline, metres.
pub fn polyline_length_m(points: &[PlaneCoord]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}

/// ArduCopter's default waypoint navigation at cruise speed `speed_m_s`.
pub fn wpnav_params(speed_m_s: f64) -> WpNavParams {
    WpNavParams {
        speed_m_s,
        ..WpNavParams::default()
    }
}

/// Flight time along `points` at one height, from rest at the first to rest at the last,
/// passing every inner point as ArduCopter passes a waypoint with a next one (slowing for it
/// as sharply as it turns there), at `speed_m_s`.
pub fn polyline_time_s(points: &[PlaneCoord], speed_m_s: f64) -> f64 {
    let pts: Vec<[f64; 3]> = points.iter().map(|p| [p.x, p.y, 0.0]).collect();
    path_time_s(&pts, speed_m_s, &wpnav_params(speed_m_s))
}

/// Flight time of a whole set of transects (first run-in to last run-out).
pub fn transects_flight_time_s(transects: &[Transect], speed_m_s: f64) -> f64 {
    polyline_time_s(&flight_path(transects), speed_m_s)
}

/// Seconds from take-off to the landing being detected of `mission` flown by ArduCopter
/// (see the module notes): NAV_TAKEOFF climbs, waypoints are flown in runs of fast waypoints
/// (a waypoint with a hold, or followed by anything but a waypoint, is a stop, and its hold
/// is added), DO_CHANGE_SPEED sets the speed of the legs after it, RETURN_TO_LAUNCH climbs to
/// [`RTL_ALT_M`] if lower, flies home, hovers and lands, LAND descends where it is. Heights
/// are read above home (terrain-relative ones as if the ground were at home height).
/// `cruise_speed_m_s` is the speed before any DO_CHANGE_SPEED (WPNAV_SPEED).
pub fn mission_flight_time_s(mission: &Mission, frame: &LocalFrame, cruise_speed_m_s: f64) -> f64 {
    let land = LandParams::default();
    let (hx, hy) = frame.project(mission.home.point);
    let mut speed = cruise_speed_m_s;
    let mut here = [hx, hy, 0.0];
    let mut total = 0.0;
    // The run of waypoints being flown without stopping, starting where the vehicle stood.
    let mut run: Vec<[f64; 3]> = Vec::new();
    let mut run_speed = speed;
    let flush = |run: &mut Vec<[f64; 3]>, total: &mut f64, run_speed: f64| {
        if run.len() > 1 {
            *total += path_time_s(run, run_speed, &wpnav_params(run_speed));
        }
        run.clear();
    };
    let height = |alt: &qly_core::mission::Altitude| match alt.frame {
        AltFrame::Amsl => alt.alt_m - mission.home.alt_amsl_m,
        AltFrame::RelativeHome | AltFrame::Terrain => alt.alt_m,
    };
    let nav_next_is_waypoint = |k: usize| {
        mission.items[k + 1..]
            .iter()
            .find(|i| {
                !matches!(
                    i,
                    MissionItem::ChangeSpeed { .. } | MissionItem::CamTriggerDistance { .. }
                )
            })
            .is_some_and(|i| matches!(i, MissionItem::Waypoint { .. }))
    };
    for (k, item) in mission.items.iter().enumerate() {
        match item {
            MissionItem::Takeoff { alt } => {
                flush(&mut run, &mut total, run_speed);
                let h = height(alt).max(here[2]);
                total += vertical_time_s(h - here[2], &wpnav_params(speed));
                here[2] = h;
            }
            MissionItem::ChangeSpeed { speed_m_s } => {
                if speed_m_s.is_finite() && *speed_m_s > 0.0 {
                    speed = f64::from(*speed_m_s);
                }
            }
            MissionItem::Waypoint { point, alt, hold_s } => {
                let (x, y) = frame.project(*point);
                let to = [x, y, height(alt)];
                if run.is_empty() {
                    run.push(here);
                    run_speed = speed;
                }
                run.push(to);
                here = to;
                if *hold_s > 0.0 || !nav_next_is_waypoint(k) {
                    flush(&mut run, &mut total, run_speed);
                    total += f64::from(hold_s.max(0.0));
                }
            }
            MissionItem::ReturnToLaunch => {
                flush(&mut run, &mut total, run_speed);
                let p = wpnav_params(speed);
                let h = here[2].max(RTL_ALT_M);
                total += vertical_time_s(h - here[2], &p);
                total += path_time_s(&[[here[0], here[1], h], [hx, hy, h]], speed, &p);
                total += land.rtl_loiter_s + land_time_s(h, &p, &land);
                return total;
            }
            MissionItem::Land { .. } => {
                flush(&mut run, &mut total, run_speed);
                total += land_time_s(here[2], &wpnav_params(speed), &land);
                return total;
            }
            MissionItem::CamTriggerDistance { .. } | MissionItem::Other(_) => {}
        }
    }
    flush(&mut run, &mut total, run_speed);
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;
    use qly_core::geodesy::GeoPoint;
    use qly_core::mission::{Altitude, Home};

    #[test]
    fn straight_line_costs_only_the_start_and_the_stop() {
        let pts = [
            coord! {x: 0.0, y: 0.0},
            coord! {x: 500.0, y: 0.0},
            coord! {x: 1000.0, y: 0.0},
        ];
        assert!((polyline_length_m(&pts) - 1000.0).abs() < 1e-12);
        // 0 to 10 m/s and back, jerk-limited: 13 s over 65 m, the rest at cruise.
        let t = polyline_time_s(&pts, 10.0);
        assert!((t - (13.0 + 93.5)).abs() < 0.5, "{t}");
    }

    #[test]
    fn a_reversal_costs_more_than_a_right_angle() {
        let line = |end: PlaneCoord| {
            polyline_time_s(
                &[coord! {x: 0.0, y: 0.0}, coord! {x: 100.0, y: 0.0}, end],
                10.0,
            )
        };
        let straight = line(coord! {x: 200.0, y: 0.0});
        let right = line(coord! {x: 100.0, y: 100.0});
        let back = line(coord! {x: 0.0, y: 0.0});
        assert!(
            straight < right && right < back,
            "{straight} {right} {back}"
        );
    }

    #[test]
    fn a_mission_is_timed_from_take_off_to_landing() {
        let f = LocalFrame::at(GeoPoint {
            lat_deg: 27.05,
            lon_deg: 106.95,
        });
        let alt = Altitude::relative_home(50.0);
        let wp = |x: f64, y: f64| MissionItem::Waypoint {
            point: f.unproject(x, y),
            alt,
            hold_s: 0.0,
        };
        let home = Home {
            point: f.unproject(0.0, 0.0),
            alt_amsl_m: 1000.0,
        };
        let m = Mission::new(
            home,
            vec![
                MissionItem::Takeoff { alt },
                MissionItem::ChangeSpeed { speed_m_s: 8.0 },
                wp(0.0, 400.0),
                MissionItem::CamTriggerDistance {
                    distance_m: 10.0,
                    trigger_once: true,
                },
                wp(400.0, 400.0),
                MissionItem::ReturnToLaunch,
            ],
        );
        let t = mission_flight_time_s(&m, &f, 10.0);
        let p = wpnav_params(8.0);
        let l = LandParams::default();
        let expect = vertical_time_s(50.0, &p)
            + path_time_s(
                &[[0.0, 0.0, 50.0], [0.0, 400.0, 50.0], [400.0, 400.0, 50.0]],
                8.0,
                &p,
            )
            + path_time_s(&[[400.0, 400.0, 50.0], [0.0, 0.0, 50.0]], 8.0, &p)
            + l.rtl_loiter_s
            + land_time_s(50.0, &p, &l);
        assert!((t - expect).abs() < 1e-6, "{t} vs {expect}");
    }
}
