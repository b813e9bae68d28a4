//! Shared helpers of the `formats_*` tests: where the shared fixtures are, and small
//! hand-made plans (the orchestrator that makes real ones lives elsewhere).

#![allow(dead_code)]

use std::path::PathBuf;

use geo::{coord, LineString, Polygon};
use planner::estimate::flight_path;
use planner::survey::{
    AltitudeTarget, CoverageReport, Estimate, PhotoPoint, PlaneCoord, PlaneRegion, Sortie,
    SurveyParams, SurveyPlan, Transect,
};
use qly_core::camera::{CameraSpec, Footprint};
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{Altitude, FenceZone, Home, Mission, MissionItem};
pub use qly_test_support::repo::shared_dir;

/// A fixture under `shared/fixtures/`, or `None` (with a note) when it is absent.
pub fn fixture(rel: &str) -> Option<PathBuf> {
    let p = shared_dir()?.join("fixtures").join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipping: fixture {} is absent", p.display());
        None
    }
}

pub const HOME: GeoPoint = GeoPoint {
    lat_deg: 27.0600,
    lon_deg: 106.9700,
};

fn params() -> SurveyParams {
    let camera = CameraSpec {
        name: "Test 1-inch".into(),
        sensor_width_mm: 13.2,
        sensor_height_mm: 8.8,
        focal_length_mm: 8.8,
        image_width_px: 5472,
        image_height_px: 3648,
        min_trigger_interval_s: 1.0,
    };
    SurveyParams {
        front_overlap_pct: 75.0,
        turnaround_m: 20.0,
        resume_overlap_photos: 0,
        ..SurveyParams::new(camera, AltitudeTarget::AboveTakeoff { alt_m: 60.0 })
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> LineString<f64> {
    LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
}

/// Transects along the given paths, with run-in/out 20 m beyond the ends.
fn transects(paths: &[Vec<PlaneCoord>]) -> Vec<Transect> {
    paths
        .iter()
        .map(|path| {
            let ext = |a: PlaneCoord, b: PlaneCoord| {
                let (dx, dy) = (a.x - b.x, a.y - b.y);
                let l = dx.hypot(dy);
                coord! { x: a.x + dx / l * 20.0, y: a.y + dy / l * 20.0 }
            };
            let n = path.len();
            Transect {
                approach: Vec::new(),
                turn_in: ext(path[0], path[1]),
                path: path.clone(),
                turn_out: ext(path[n - 1], path[n - 2]),
            }
        })
        .collect()
}

/// Photos every `d` metres along each path.
fn photos(ts: &[Transect], d: f64) -> Vec<PhotoPoint> {
    let mut out = Vec::new();
    for (k, t) in ts.iter().enumerate() {
        for w in t.path.windows(2) {
            let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
            let l = dx.hypot(dy);
            let heading = dx.atan2(dy).to_degrees().rem_euclid(360.0);
            let mut s = 0.0;
            while s < l {
                out.push(PhotoPoint {
                    at: coord! { x: w[0].x + dx / l * s, y: w[0].y + dy / l * s },
                    transect: k,
                    heading_deg: heading,
                });
                s += d;
            }
        }
    }
    out
}

/// The survey mission items QGroundControl-style: fly each run-in, start triggering, fly the
/// path, stop triggering, fly the run-out.
fn survey_items(frame: &LocalFrame, ts: &[Transect], alt_m: f64, d: f64) -> Vec<MissionItem> {
    let wp = |c: PlaneCoord| MissionItem::Waypoint {
        point: frame.unproject(c.x, c.y),
        alt: Altitude::relative_home(alt_m),
        hold_s: 0.0,
    };
    let mut items = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        if i > 0 {
            items.extend(t.approach.iter().map(|c| wp(*c)));
        }
        items.push(wp(t.turn_in));
        items.push(MissionItem::CamTriggerDistance {
            distance_m: d as f32,
            trigger_once: true,
        });
        items.extend(t.path.iter().map(|c| wp(*c)));
        items.push(MissionItem::CamTriggerDistance {
            distance_m: 0.0,
            trigger_once: false,
        });
        items.push(wp(t.turn_out));
    }
    items
}

fn wrap(survey: Vec<MissionItem>, alt_m: f64) -> (Vec<MissionItem>, std::ops::Range<usize>) {
    let mut items = vec![
        MissionItem::Takeoff {
            alt: Altitude::relative_home(alt_m),
        },
        MissionItem::ChangeSpeed { speed_m_s: 8.0 },
    ];
    let start = items.len();
    items.extend(survey);
    let range = start..items.len();
    items.push(MissionItem::ReturnToLaunch);
    (items, range)
}

fn plan(
    region: PlaneRegion,
    ts: Vec<Transect>,
    fence: Vec<FenceZone>,
    sorties_split: Option<usize>,
) -> SurveyPlan {
    let frame = LocalFrame::at(HOME);
    let alt = 60.0;
    let d = 21.06;
    let ph = photos(&ts, d);
    let home = Home {
        point: HOME,
        alt_amsl_m: 1102.5,
    };
    let (items, survey_range) = wrap(survey_items(&frame, &ts, alt, d), alt);
    let mut mission = Mission::new(home, items);
    mission.fence = fence.clone();
    let sorties = match sorties_split {
        None => vec![Sortie {
            mission: mission.clone(),
            photos: 0..ph.len(),
            flight_time_s: 300.0,
            survey_time_s: 240.0,
            launch: None,
        }],
        Some(k) => {
            let mut out = Vec::new();
            for part in [&ts[..k], &ts[k..]] {
                let (items, _) = wrap(survey_items(&frame, part, alt, d), alt);
                let mut m = Mission::new(home, items);
                m.fence = fence.clone();
                out.push(Sortie {
                    mission: m,
                    photos: 0..ph.len(),
                    flight_time_s: 200.0,
                    survey_time_s: 150.0,
                    launch: None,
                });
            }
            out
        }
    };
    let path_length_m = planner::estimate::polyline_length_m(&flight_path(&ts));
    SurveyPlan {
        params: params(),
        frame,
        region,
        alt_rel_home_m: alt,
        gsd_cm_per_px: 1.64,
        footprint: Footprint {
            side_m: 90.0,
            front_m: 60.0,
        },
        lane_spacing_m: 27.0,
        trigger_distance_m: d,
        photos: ph.clone(),
        transects: ts,
        coverage: CoverageReport {
            cell_m: 2.0,
            region_cells: 1000,
            covered_pct: 100.0,
            seen_pct: 100.0,
            min_photos_per_cell: 4,
        },
        estimate: Estimate {
            path_length_m,
            lower_bound_m: path_length_m * 0.8,
            flight_time_s: path_length_m / 8.0,
            photo_count: ph.len(),
        },
        mission,
        survey_items: survey_range,
        sorties,
        terrain: None,
    }
}

/// A bent 400 m river corridor, 60 m wide, two lanes.
pub fn corridor_plan() -> SurveyPlan {
    let centre = LineString::from(vec![(0.0, 0.0), (200.0, 50.0), (400.0, 0.0)]);
    let lane = |off: f64| {
        vec![
            coord! { x: 0.0, y: off },
            coord! { x: 200.0, y: 50.0 + off },
            coord! { x: 400.0, y: off },
        ]
    };
    let mut l2 = lane(-15.0);
    l2.reverse();
    let ts = transects(&[lane(15.0), l2]);
    plan(
        PlaneRegion::Corridor {
            centreline: centre,
            width_m: 60.0,
        },
        ts,
        Vec::new(),
        None,
    )
}

/// A 300 x 200 m area with a hole and an exclusion, three lanes, split into two sorties.
pub fn area_plan() -> SurveyPlan {
    let polygon = Polygon::new(
        rect(0.0, 0.0, 300.0, 200.0),
        vec![rect(100.0, 80.0, 150.0, 120.0)],
    );
    let exclusion = Polygon::new(rect(250.0, 10.0, 280.0, 40.0), vec![]);
    let frame = LocalFrame::at(HOME);
    let to_fence = |ls: &LineString<f64>| FenceZone::Polygon {
        inclusion: false,
        vertices: ls.0[..ls.0.len() - 1]
            .iter()
            .map(|c| frame.unproject(c.x, c.y))
            .collect(),
    };
    let fence = vec![
        to_fence(&polygon.interiors()[0]),
        to_fence(exclusion.exterior()),
    ];
    let col = |x: f64, up: bool| {
        let mut v = vec![coord! { x: x, y: 10.0 }, coord! { x: x, y: 190.0 }];
        if !up {
            v.reverse();
        }
        v
    };
    let mut ts = transects(&[col(50.0, true), col(150.0, false), col(230.0, true)]);
    // The third lane is reached around the exclusion's corner.
    ts[2].approach = vec![coord! { x: 200.0, y: -30.0 }];
    plan(
        PlaneRegion::Area {
            polygon,
            exclusions: vec![exclusion],
        },
        ts,
        fence,
        Some(2),
    )
}

/// The WGS-84 points of a plane line string.
pub fn geo_line(plan: &SurveyPlan, ls: &LineString<f64>) -> Vec<GeoPoint> {
    ls.0.iter().map(|c| plan.to_geo(*c)).collect()
}

/// Asserts two point lists agree to 1e-7 degrees (about a centimetre).
pub fn assert_points_close(a: &[GeoPoint], b: &[GeoPoint]) {
    assert_eq!(a.len(), b.len(), "point counts differ: {a:?} vs {b:?}");
    for (p, q) in a.iter().zip(b) {
        assert!(
            (p.lat_deg - q.lat_deg).abs() < 1e-7 && (p.lon_deg - q.lon_deg).abs() < 1e-7,
            "{p:?} vs {q:?}"
        );
    }
}
