//! Mission items of a survey: the waypoints and camera commands the vehicle flies.
//!
//! Per transect the pattern is: approach via points, run-in, entry with "trigger every `d`
//! metres and once now", the inner path points with the lane's further camera commands
//! ("trigger every `d'` metres from here, and once now", at a vertex or at a waypoint of its
//! own on a segment, where the lane starts or stops bending: see
//! [`crate::photos::lane_triggers`]), exit with "stop triggering, once more now", run-out. Switching the trigger on and off at the lane ends (rather than leaving it on) keeps
//! photos off the turns, where the camera is not looking at the lane.
//!
//! The pattern is first built as [`Step`]s in the plan's plane, which the sortie splitter also
//! uses (it cuts lanes and needs the plane points to time a flight), then turned into
//! [`MissionItem`]s.

use std::ops::Range;

use qly_core::geodesy::LocalFrame;
use qly_core::mission::{Altitude, FenceZone, Home, Mission, MissionItem};

use crate::photos::{LaneTriggers, TriggerAt};
use crate::survey::{PlaneCoord, PlaneRegion, Transect};

/// One step of a survey pattern, in the plan's plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// Fly to this point.
    Waypoint(PlaneCoord),
    /// `DO_SET_CAM_TRIGG_DIST`: trigger every `distance_m` (0: off), and once now if `once`.
    Camera { distance_m: f64, once: bool },
}

/// The steps of whole transects flown with the camera commands `triggers` (one list per
/// transect, see [`LaneTriggers`]): `include_first_approach` says whether the first
/// transect's approach via points are flown (they are when the flight comes from home, as in
/// a whole mission; a sortie resuming at a later transect flies straight from home to its
/// run-in).
pub(crate) fn transect_steps(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    include_first_approach: bool,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for (i, t) in transects.iter().enumerate() {
        if i > 0 || include_first_approach {
            steps.extend(t.approach.iter().map(|&p| Step::Waypoint(p)));
        }
        steps.push(Step::Waypoint(t.turn_in));
        let (Some(&entry), Some(&exit)) = (t.path.first(), t.path.last()) else {
            steps.push(Step::Waypoint(t.turn_out));
            continue;
        };
        let lane: &[TriggerAt] = triggers.get(i).map_or(&[], |l| l.as_slice());
        let path = &t.path;
        let last = path.len() - 1;
        // The entry command (the first, at the entry) switches triggering on, with a photo
        // now; without one the entry photo is taken with triggering off.
        let entry_cmd = lane.first().filter(|c| c.seg == 0 && c.at_vertex(path));
        steps.push(Step::Waypoint(entry));
        steps.push(Step::Camera {
            distance_m: entry_cmd.map_or(0.0, |c| c.distance_m),
            once: true,
        });
        // Then each vertex and the commands on the segment after it, in path order (any
        // listed out of order are skipped).
        let mut next = lane[usize::from(entry_cmd.is_some())..].iter().peekable();
        for k in 0..last {
            if k > 0 {
                steps.push(Step::Waypoint(path[k]));
            }
            while next.next_if(|c| c.seg < k).is_some() {}
            while let Some(c) = next.next_if(|c| c.seg == k) {
                if !c.at_vertex(path) {
                    steps.push(Step::Waypoint(c.at));
                }
                steps.push(Step::Camera {
                    distance_m: c.distance_m,
                    once: true,
                });
            }
        }
        steps.push(Step::Waypoint(exit));
        steps.push(Step::Camera {
            distance_m: 0.0,
            once: true,
        });
        steps.push(Step::Waypoint(t.turn_out));
    }
    steps
}

/// Mission items of steps: waypoints at `alt_rel_home_m` above home without hold.
pub(crate) fn steps_to_items(
    steps: &[Step],
    frame: &LocalFrame,
    alt_rel_home_m: f64,
) -> Vec<MissionItem> {
    steps
        .iter()
        .map(|s| match *s {
            Step::Waypoint(p) => MissionItem::Waypoint {
                point: frame.unproject(p.x, p.y),
                alt: Altitude::relative_home(alt_rel_home_m),
                hold_s: 0.0,
            },
            Step::Camera { distance_m, once } => MissionItem::CamTriggerDistance {
                distance_m: distance_m as f32,
                trigger_once: once,
            },
        })
        .collect()
}

/// The plane points the vehicle flies through, in order.
pub(crate) fn step_points(steps: &[Step]) -> impl Iterator<Item = PlaneCoord> + '_ {
    steps.iter().filter_map(|s| match s {
        Step::Waypoint(p) => Some(*p),
        Step::Camera { .. } => None,
    })
}

/// The survey pattern of `transects` as mission items (what a QGroundControl survey complex
/// item expands to), waypoints in WGS-84 through `frame` at `alt_rel_home_m` above home, the
/// camera switched by `triggers` (one list per transect, see [`LaneTriggers`]; a plan's come
/// from [`crate::survey::SurveyPlan::lane_triggers`]).
pub fn survey_items(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    frame: &LocalFrame,
    alt_rel_home_m: f64,
) -> Vec<MissionItem> {
    steps_to_items(
        &transect_steps(transects, triggers, true),
        frame,
        alt_rel_home_m,
    )
}

/// A complete mission around survey items: take-off to `alt_rel_home_m`, cruise speed, the
/// survey, return to launch. Returns the mission and where the survey items are in
/// `mission.items`.
pub fn full_mission(
    home: Home,
    survey: Vec<MissionItem>,
    alt_rel_home_m: f64,
    cruise_speed_m_s: f64,
) -> (Mission, Range<usize>) {
    let mut items = Vec::with_capacity(survey.len() + 3);
    items.push(MissionItem::Takeoff {
        alt: Altitude::relative_home(alt_rel_home_m),
    });
    items.push(MissionItem::ChangeSpeed {
        speed_m_s: cruise_speed_m_s as f32,
    });
    let start = items.len();
    items.extend(survey);
    let range = start..items.len();
    items.push(MissionItem::ReturnToLaunch);
    (Mission::new(home, items), range)
}

/// The no-fly zones of a region as exclusion geofence polygons: every hole of an area and
/// every extra exclusion. Uploaded with the mission, they make the autopilot itself refuse to
/// enter a factory yard, whatever a pilot does with the sticks or a later edit of the plan.
pub fn no_fly_fence(region: &PlaneRegion, frame: &LocalFrame) -> Vec<FenceZone> {
    let PlaneRegion::Area {
        polygon,
        exclusions,
    } = region
    else {
        return Vec::new();
    };
    let ring = |ls: &geo::LineString<f64>| FenceZone::Polygon {
        inclusion: false,
        // Fence polygons are implicitly closed: drop the repeated first vertex.
        vertices: ls
            .0
            .iter()
            .take(ls.0.len().saturating_sub(1))
            .map(|c| frame.unproject(c.x, c.y))
            .collect(),
    };
    polygon
        .interiors()
        .iter()
        .chain(exclusions.iter().map(|e| e.exterior()))
        .map(ring)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photos::{
        dist, lane_photo_points, lane_triggers, mission_photos, photo_points, uniform_triggers,
    };
    use geo::coord;
    use qly_core::geodesy::GeoPoint;

    fn frame() -> LocalFrame {
        LocalFrame::at(GeoPoint {
            lat_deg: 27.05,
            lon_deg: 106.95,
        })
    }

    fn two_lanes() -> Vec<Transect> {
        vec![
            Transect {
                approach: vec![coord! {x: -50.0, y: -50.0}],
                turn_in: coord! {x: 0.0, y: -10.0},
                path: vec![
                    coord! {x: 0.0, y: 0.0},
                    coord! {x: 0.0, y: 50.0},
                    coord! {x: 10.0, y: 100.0},
                ],
                turn_out: coord! {x: 12.0, y: 110.0},
            },
            Transect {
                approach: vec![coord! {x: 10.0, y: 120.0}],
                turn_in: coord! {x: 20.0, y: 110.0},
                path: vec![coord! {x: 20.0, y: 100.0}, coord! {x: 20.0, y: 0.0}],
                turn_out: coord! {x: 20.0, y: -10.0},
            },
        ]
    }

    #[test]
    fn items_follow_the_pattern() {
        let f = frame();
        let items = survey_items(
            &two_lanes(),
            &uniform_triggers(&two_lanes(), 12.5),
            &f,
            80.0,
        );
        // Lane 1: via, run-in, entry, cam on, inner, exit, cam off, run-out = 8;
        // lane 2: via, run-in, entry, cam on, exit, cam off, run-out = 7.
        assert_eq!(items.len(), 15);
        assert_eq!(
            items[3],
            MissionItem::CamTriggerDistance {
                distance_m: 12.5,
                trigger_once: true
            }
        );
        assert_eq!(
            items[6],
            MissionItem::CamTriggerDistance {
                distance_m: 0.0,
                trigger_once: true
            }
        );
        let MissionItem::Waypoint { point, alt, hold_s } = items[4] else {
            panic!("{:?}", items[4]);
        };
        let (x, y) = f.project(point);
        assert!((x - 0.0).abs() < 1e-6 && (y - 50.0).abs() < 1e-6);
        assert_eq!(alt, Altitude::relative_home(80.0));
        assert_eq!(hold_s, 0.0);
    }

    #[test]
    fn flying_the_items_takes_the_predicted_photos() {
        let f = frame();
        let lanes = two_lanes();
        let items = survey_items(&lanes, &uniform_triggers(&lanes, 12.5), &f, 80.0);
        let flown = mission_photos(&items, &f, coord! {x: -60.0, y: -60.0});
        let predicted = photo_points(&lanes, 12.5);
        assert_eq!(flown.len(), predicted.len());
        for (a, b) in flown.iter().zip(&predicted) {
            assert!((a.0.x - b.at.x).abs() < 1e-4 && (a.0.y - b.at.y).abs() < 1e-4);
            // Headings compare on the circle: 359.9999 and 0 are the same direction.
            let dh = (a.1 - b.heading_deg).rem_euclid(360.0);
            assert!(dh.min(360.0 - dh) < 1e-3, "{} vs {}", a.1, b.heading_deg);
        }
    }

    /// Lanes with gentle bends, a sharp corner and long straights: commands at vertices and
    /// in the middle of segments, at several distances.
    fn bending_lanes() -> Vec<Transect> {
        let mut path = vec![coord! {x: 0.0, y: 0.0}, coord! {x: 0.0, y: 200.0}];
        let mut heading: f64 = 0.0;
        for k in 0..12 {
            heading += if k < 6 { 0.15 } else { -0.1 };
            let p = *path.last().unwrap();
            path.push(p + coord! {x: 10.0 * heading.sin(), y: 10.0 * heading.cos()});
        }
        let p = *path.last().unwrap();
        path.push(p + coord! {x: 0.0, y: 150.0});
        path.push(p + coord! {x: 120.0, y: 100.0});
        path.push(p + coord! {x: 120.0, y: 400.0});
        let back: Vec<PlaneCoord> = path
            .iter()
            .rev()
            .map(|p| *p + coord! {x: 30.0, y: 0.0})
            .collect();
        vec![
            Transect {
                approach: vec![],
                turn_in: coord! {x: 0.0, y: -10.0},
                turn_out: *path.last().unwrap() + coord! {x: 0.0, y: 10.0},
                path,
            },
            Transect {
                approach: vec![],
                turn_in: back[0] + coord! {x: 0.0, y: 10.0},
                turn_out: *back.last().unwrap() + coord! {x: 0.0, y: -10.0},
                path: back,
            },
        ]
    }

    #[test]
    fn flying_bend_triggered_items_takes_the_predicted_photos() {
        let f = frame();
        let lanes = bending_lanes();
        let triggers = lane_triggers(&lanes, 15.8, 15.8);
        let mid_segment = triggers
            .iter()
            .zip(&lanes)
            .flat_map(|(l, t)| l.iter().filter(|c| !c.at_vertex(&t.path)))
            .count();
        assert!(mid_segment >= 4, "{triggers:?}");
        let items = survey_items(&lanes, &triggers, &f, 80.0);
        let flown = mission_photos(&items, &f, coord! {x: -60.0, y: -60.0});
        let predicted = lane_photo_points(&lanes, &triggers);
        assert_eq!(flown.len(), predicted.len());
        for (a, b) in flown.iter().zip(&predicted) {
            assert!(dist(a.0, b.at) < 1e-3, "{a:?} vs {b:?}");
            let turn = (a.1 - b.heading_deg).rem_euclid(360.0);
            assert!(turn.min(360.0 - turn) < 1e-3, "{a:?} vs {b:?}");
        }
        // Straight stretches keep the nominal distance: fewer photos than flying it all at
        // the shortest distance, more than at the nominal one.
        let shortest = triggers
            .iter()
            .flatten()
            .map(|c| c.distance_m)
            .fold(15.8, f64::min);
        assert!(shortest < 15.8 * 0.6, "{shortest}");
        assert!(predicted.len() < photo_points(&lanes, shortest).len());
        assert!(predicted.len() > photo_points(&lanes, 15.8).len());
    }

    #[test]
    fn full_mission_wraps_the_survey() {
        let f = frame();
        let survey = survey_items(
            &two_lanes(),
            &uniform_triggers(&two_lanes(), 10.0),
            &f,
            60.0,
        );
        let n = survey.len();
        let home = Home {
            point: f.unproject(-60.0, -60.0),
            alt_amsl_m: 1000.0,
        };
        let (m, range) = full_mission(home, survey.clone(), 60.0, 8.0);
        assert_eq!(range, 2..2 + n);
        assert_eq!(&m.items[range], &survey[..]);
        assert_eq!(
            m.items[0],
            MissionItem::Takeoff {
                alt: Altitude::relative_home(60.0)
            }
        );
        assert_eq!(m.items[1], MissionItem::ChangeSpeed { speed_m_s: 8.0 });
        assert_eq!(m.items.last(), Some(&MissionItem::ReturnToLaunch));
        assert_eq!(m.home, home);
    }
}
