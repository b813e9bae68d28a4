//! A mission made to follow the terrain: every leg from take-off to the return home sampled
//! against the ground, altitudes chosen by [`super::profile`], waypoints added where the
//! ground needs them, and the result checked against the ceiling and the clearance.
//!
//! The horizontal path does not change: the mission's waypoints keep their positions (lane
//! vertices, camera-command points) and only gain altitudes (each within the tolerance band
//! around the profile at that point, not necessarily on it: see [`super::profile::simplify`]);
//! added waypoints lie on the straight legs between them, so the distance-based camera trigger (which measures ground
//! distance) takes the same photos. The return to launch becomes an explicit terrain-
//! following leg to a waypoint above home, then the RTL: ArduCopter's RTL flies straight home
//! at its current altitude relative to home, which across a meander's spur could be below
//! the ridge.

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{AltFrame, Altitude, Home, Mission, MissionItem};
use qly_core::terrain::Terrain;

use super::profile::{gradient_limited_profile, simplify};
use super::{check_params, FollowParams, TerrainAltFrame, TerrainFollowError};
use crate::survey::PlaneCoord;

/// What following the terrain did to a mission, measured along the flown path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowStats {
    pub target_agl_m: f64,
    /// Lowest and highest height above ground along the flown path, metres.
    pub min_agl_m: f64,
    pub max_agl_m: f64,
    /// Largest `|height above ground - target|` along the flown path, metres, and where.
    pub max_deviation_m: f64,
    pub max_deviation_at: GeoPoint,
    /// Steepest climb and descent flown, metres per metre.
    pub max_climb_gradient: f64,
    pub max_descent_gradient: f64,
    /// Length of path flown more steeply than the climb and descent limits at cruise
    /// speed, metres: where the ceiling did not leave room (the vehicle slows down there).
    pub steeper_than_limits_m: f64,
    /// Ground samples along the path: the waypoints it would take to put one on every
    /// sample (before simplification).
    pub samples: usize,
    /// Waypoints of the mission before and after terrain following.
    pub waypoints_before: usize,
    pub waypoints_after: usize,
    /// Ground height at home, metres AMSL (the zero of relative altitudes).
    pub home_ground_amsl_m: f64,
}

/// One ground sample of the flown path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathSample {
    pub at: PlaneCoord,
    pub along_m: f64,
    pub ground_amsl_m: f64,
    /// Where the vehicle flies, metres AMSL.
    pub flown_amsl_m: f64,
    /// The original mission item (index) of the waypoint this sample's leg leads to; `None`
    /// at take-off and on the return leg to home.
    pub leg_to_item: Option<usize>,
}

/// A terrain-following mission and how it relates to the original.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowedMission {
    pub mission: Mission,
    /// For each item of the original mission, its index in the new one.
    pub new_index: Vec<usize>,
    pub stats: FollowStats,
    /// The flown path, densely sampled, from take-off at home to the end.
    pub path: Vec<PathSample>,
    /// Take-off at home and every waypoint flown, with its altitude in metres AMSL (EGM96).
    pub waypoints_amsl: Vec<(GeoPoint, f64)>,
}

/// A vertex of the flown path: where it is and which mission item flies to it.
struct Vertex {
    at: PlaneCoord,
    item: Option<usize>,
    /// What leads to it, for messages.
    what: String,
}

fn ground_m(
    terrain: &dyn Terrain,
    frame: &LocalFrame,
    at: PlaneCoord,
    what: &str,
) -> Result<f64, TerrainFollowError> {
    terrain
        .height_amsl_m(frame.unproject(at.x, at.y))
        .map_err(|source| TerrainFollowError::Terrain {
            what: what.to_string(),
            source,
        })
}

/// `mission` (waypoints relative to home, in the plane of `frame`) flown at
/// `p.target_agl_m` above `terrain`, in `p.options.alt_frame`. Refuses a path that would be
/// above `p.max_agl_m` or below `p.options.min_clearance_m` anywhere, naming the place.
pub fn follow_mission(
    mission: &Mission,
    frame: &LocalFrame,
    terrain: &dyn Terrain,
    p: &FollowParams,
) -> Result<FollowedMission, TerrainFollowError> {
    check_params(p)?;
    let o = &p.options;
    let (hx, hy) = frame.project(mission.home.point);
    let home_at = PlaneCoord { x: hx, y: hy };
    let home_ground = ground_m(terrain, frame, home_at, "the home point")?;

    // The vertices: home, every waypoint up to the first RTL or landing, home again for RTL.
    let mut vertices = vec![Vertex {
        at: home_at,
        item: None,
        what: "the take-off at home".into(),
    }];
    let mut end = mission.items.len();
    let mut returns = false;
    for (i, item) in mission.items.iter().enumerate() {
        match item {
            MissionItem::Waypoint { point, .. } => {
                let (x, y) = frame.project(*point);
                vertices.push(Vertex {
                    at: PlaneCoord { x, y },
                    item: Some(i),
                    what: format!("the leg to mission item {}", i + 1),
                });
            }
            MissionItem::ReturnToLaunch => {
                returns = true;
                end = i;
                break;
            }
            MissionItem::Land { .. } => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    if returns {
        vertices.push(Vertex {
            at: home_at,
            item: None,
            what: "the return leg to home".into(),
        });
    }

    // Dense ground samples; `vertex_sample[k]` is the sample of vertex k.
    let mut path: Vec<PathSample> = vec![PathSample {
        at: home_at,
        along_m: 0.0,
        ground_amsl_m: home_ground,
        flown_amsl_m: f64::NAN,
        leg_to_item: None,
    }];
    let mut required = vec![true];
    let mut leg_of = vec![0usize];
    let mut vertex_sample = vec![0usize];
    for k in 1..vertices.len() {
        let (a, b) = (vertices[k - 1].at, vertices[k].at);
        let len = (b.x - a.x).hypot(b.y - a.y);
        let n = (len / o.sample_step_m).ceil().max(1.0) as usize;
        let start = path.last().map_or(0.0, |s| s.along_m);
        for j in 1..=n {
            let t = j as f64 / n as f64;
            let at = PlaneCoord {
                x: a.x + t * (b.x - a.x),
                y: a.y + t * (b.y - a.y),
            };
            path.push(PathSample {
                at,
                along_m: start + t * len,
                ground_amsl_m: ground_m(terrain, frame, at, &vertices[k].what)?,
                flown_amsl_m: f64::NAN,
                leg_to_item: vertices[k].item,
            });
            required.push(j == n);
            leg_of.push(k);
        }
        vertex_sample.push(path.len() - 1);
    }

    // The gradient-limited profile, and the signal the waypoints carry in their frame.
    let along: Vec<f64> = path.iter().map(|s| s.along_m).collect();
    let floor: Vec<f64> = path
        .iter()
        .map(|s| s.ground_amsl_m + p.target_agl_m)
        .collect();
    let mut profile =
        gradient_limited_profile(&along, &floor, p.climb_gradient(), p.descent_gradient());
    // The ceiling is a rule, the gradients a preference (ArduCopter slows a leg down so that
    // its vertical speed stays within WPNAV_SPEED_UP/DN; the distance trigger keeps the photo
    // spacing): unless asked to be strict, the profile is held under the ceiling and that
    // stretch is flown more steeply and more slowly.
    let ceiling_margin = 0.05 * o.agl_tolerance_m;
    let ceiling: Vec<f64> = path
        .iter()
        .zip(&floor)
        .map(|(s, f)| (s.ground_amsl_m + p.max_agl_m - ceiling_margin).max(*f))
        .collect();
    if !o.strict_gradients {
        for (h, c) in profile.iter_mut().zip(&ceiling) {
            *h = h.min(*c);
        }
    }
    // The signal the waypoints carry in their frame, and its band: a tenth of the tolerance
    // is kept for the ground between samples.
    let tol = 0.9 * o.agl_tolerance_m;
    let in_frame = |i: usize, h: f64| match o.alt_frame {
        TerrainAltFrame::RelativeHome => h,
        TerrainAltFrame::Terrain => h - path[i].ground_amsl_m,
    };
    let signal: Vec<f64> = (0..path.len()).map(|i| in_frame(i, profile[i])).collect();
    let lower: Vec<f64> = (0..path.len())
        .map(|i| in_frame(i, profile[i] - tol))
        .collect();
    let upper: Vec<f64> = (0..path.len())
        .map(|i| {
            let cap = if o.strict_gradients {
                f64::INFINITY
            } else {
                ceiling[i]
            };
            in_frame(i, (profile[i] + tol).min(cap).max(profile[i]))
        })
        .collect();
    // The chords keep to the climb and descent limits where the band allows (everywhere with
    // strict gradients; under the ceiling it may not). In the terrain frame the autopilot
    // follows its own terrain data between waypoints, so the chords of the signal are not
    // the flown slopes: the band alone applies.
    let (max_climb, max_descent) = match o.alt_frame {
        TerrainAltFrame::RelativeHome => (p.climb_gradient(), p.descent_gradient()),
        TerrainAltFrame::Terrain => (f64::INFINITY, f64::INFINITY),
    };
    let simplified = simplify(
        &along,
        &signal,
        &lower,
        &upper,
        &required,
        max_climb,
        max_descent,
    );
    let keep = &simplified.keep;
    let mut kept = vec![false; path.len()];
    for &k in keep {
        kept[k] = true;
    }
    // The flown path: chords between the kept waypoints, at their (floating) heights.
    for (w, hw) in keep.windows(2).zip(simplified.height.windows(2)) {
        let (a, b) = (w[0], w[1]);
        for i in a..=b {
            let span = along[b] - along[a];
            let t = if span > 0.0 {
                (along[i] - along[a]) / span
            } else {
                0.0
            };
            let y = hw[0] + t * (hw[1] - hw[0]);
            path[i].flown_amsl_m = match o.alt_frame {
                TerrainAltFrame::RelativeHome => y,
                TerrainAltFrame::Terrain => path[i].ground_amsl_m + y,
            };
        }
    }
    if keep.len() == 1 {
        path[0].flown_amsl_m = simplified.height[0]
            + match o.alt_frame {
                TerrainAltFrame::RelativeHome => 0.0,
                TerrainAltFrame::Terrain => home_ground,
            };
    }

    let stats = measure(&path, &leg_of, &vertices, frame, p, home_ground, mission)?;

    // The new items: each waypoint gets its altitude, preceded by the added waypoints of the
    // leg that leads to it.
    let alt_at = |i: usize| -> Altitude {
        match o.alt_frame {
            TerrainAltFrame::RelativeHome => {
                Altitude::relative_home(path[i].flown_amsl_m - home_ground)
            }
            TerrainAltFrame::Terrain => Altitude {
                alt_m: path[i].flown_amsl_m - path[i].ground_amsl_m,
                frame: AltFrame::Terrain,
            },
        }
    };
    let mut waypoints_amsl = vec![(mission.home.point, path[0].flown_amsl_m)];
    let added = |k: usize, items: &mut Vec<MissionItem>, wps: &mut Vec<(GeoPoint, f64)>| {
        for (i, s) in path
            .iter()
            .enumerate()
            .take(vertex_sample[k])
            .skip(vertex_sample[k - 1] + 1)
        {
            if kept[i] {
                let point = frame.unproject(s.at.x, s.at.y);
                wps.push((point, s.flown_amsl_m));
                items.push(MissionItem::Waypoint {
                    point,
                    alt: alt_at(i),
                    hold_s: 0.0,
                });
            }
        }
    };
    let mut items = Vec::with_capacity(mission.items.len() + keep.len());
    let mut new_index = Vec::with_capacity(mission.items.len());
    let mut next_vertex = 1;
    for (i, item) in mission.items.iter().enumerate() {
        if i == end && returns {
            added(next_vertex, &mut items, &mut waypoints_amsl);
            let last = vertex_sample[next_vertex];
            waypoints_amsl.push((mission.home.point, path[last].flown_amsl_m));
            items.push(MissionItem::Waypoint {
                point: mission.home.point,
                alt: alt_at(vertex_sample[next_vertex]),
                hold_s: 0.0,
            });
        }
        match item {
            MissionItem::Takeoff { .. } if i < end => items.push(MissionItem::Takeoff {
                alt: Altitude::relative_home(path[0].flown_amsl_m - home_ground),
            }),
            MissionItem::Waypoint { point, hold_s, .. } if i < end => {
                added(next_vertex, &mut items, &mut waypoints_amsl);
                waypoints_amsl.push((*point, path[vertex_sample[next_vertex]].flown_amsl_m));
                items.push(MissionItem::Waypoint {
                    point: *point,
                    alt: alt_at(vertex_sample[next_vertex]),
                    hold_s: *hold_s,
                });
                next_vertex += 1;
            }
            other => items.push(other.clone()),
        }
        new_index.push(items.len() - 1);
    }
    let waypoints_after = items
        .iter()
        .filter(|i| matches!(i, MissionItem::Waypoint { .. }))
        .count();
    let mut out = mission.clone();
    out.home = Home {
        point: mission.home.point,
        alt_amsl_m: home_ground,
    };
    out.items = items;
    Ok(FollowedMission {
        mission: out,
        new_index,
        stats: FollowStats {
            waypoints_after,
            ..stats
        },
        path,
        waypoints_amsl,
    })
}

/// Heights above ground along the flown path: the figures, and the refusals.
fn measure(
    path: &[PathSample],
    leg_of: &[usize],
    vertices: &[Vertex],
    frame: &LocalFrame,
    p: &FollowParams,
    home_ground: f64,
    mission: &Mission,
) -> Result<FollowStats, TerrainFollowError> {
    let agl = |s: &PathSample| s.flown_amsl_m - s.ground_amsl_m;
    let mut lowest = 0;
    let mut highest = 0;
    let mut worst = 0;
    for (i, s) in path.iter().enumerate() {
        if agl(s) < agl(&path[lowest]) {
            lowest = i;
        }
        if agl(s) > agl(&path[highest]) {
            highest = i;
        }
        if (agl(s) - p.target_agl_m).abs() > (agl(&path[worst]) - p.target_agl_m).abs() {
            worst = i;
        }
    }
    let place = |i: usize| frame.unproject(path[i].at.x, path[i].at.y);
    let what = |i: usize| vertices[leg_of[i]].what.clone();
    let (lo, hi) = (&path[lowest], &path[highest]);
    if agl(lo) < p.options.min_clearance_m {
        let at = place(lowest);
        return Err(TerrainFollowError::BelowClearance {
            lat_deg: at.lat_deg,
            lon_deg: at.lon_deg,
            what: what(lowest),
            agl_m: agl(lo),
            ground_amsl_m: lo.ground_amsl_m,
            min_clearance_m: p.options.min_clearance_m,
        });
    }
    if agl(hi) > p.max_agl_m {
        let at = place(highest);
        return Err(TerrainFollowError::AboveCeiling {
            lat_deg: at.lat_deg,
            lon_deg: at.lon_deg,
            what: what(highest),
            agl_m: agl(hi),
            ground_amsl_m: hi.ground_amsl_m,
            max_agl_m: p.max_agl_m,
            climb_gradient: p.climb_gradient(),
            descent_gradient: p.descent_gradient(),
        });
    }
    let (mut climb, mut descent, mut steeper) = (0.0f64, 0.0f64, 0.0);
    for w in path.windows(2) {
        let ds = w[1].along_m - w[0].along_m;
        if ds > 1e-6 {
            let g = (w[1].flown_amsl_m - w[0].flown_amsl_m) / ds;
            climb = climb.max(g);
            descent = descent.max(-g);
            if g > p.climb_gradient() + 1e-6 || -g > p.descent_gradient() + 1e-6 {
                steeper += ds;
            }
        }
    }
    Ok(FollowStats {
        target_agl_m: p.target_agl_m,
        min_agl_m: agl(lo),
        max_agl_m: agl(hi),
        max_deviation_m: (agl(&path[worst]) - p.target_agl_m).abs(),
        max_deviation_at: place(worst),
        max_climb_gradient: climb,
        max_descent_gradient: descent,
        steeper_than_limits_m: steeper,
        samples: path.len(),
        waypoints_before: mission
            .items
            .iter()
            .filter(|i| matches!(i, MissionItem::Waypoint { .. }))
            .count(),
        waypoints_after: 0,
        home_ground_amsl_m: home_ground,
    })
}

/// Where the flown path is at `at`, metres AMSL, searching legs from `*cursor` on (photos come
/// in flight order, so the search moves forward); `None` when `at` is not on the path.
pub(crate) fn flown_amsl_at(
    path: &[PathSample],
    at: PlaneCoord,
    cursor: &mut usize,
) -> Option<f64> {
    let on = |i: usize| -> Option<f64> {
        let (a, b) = (&path[i], &path[i + 1]);
        let (dx, dy) = (b.at.x - a.at.x, b.at.y - a.at.y);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((at.x - a.at.x) * dx + (at.y - a.at.y) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let off = (a.at.x + t * dx - at.x).hypot(a.at.y + t * dy - at.y);
        (off < 1e-3).then_some(a.flown_amsl_m + t * (b.flown_amsl_m - a.flown_amsl_m))
    };
    let n = path.len().saturating_sub(1);
    for i in (*cursor..n).chain(0..(*cursor).min(n)) {
        if let Some(h) = on(i) {
            *cursor = i;
            return Some(h);
        }
    }
    None
}
