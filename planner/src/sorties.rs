//! Splitting a survey into sorties that each fit one battery.
//!
//! Every sortie is a standalone mission: take off at home, fly straight to where its part of
//! the survey starts, survey, return to launch. A sortie may start and stop in the middle of a
//! lane. It stops halfway between two photos, so the last photo it owes is taken and the next
//! one is not; the next sortie resumes `resume_overlap_photos` photos earlier, from a run-in
//! on the extension of that lane segment, with "trigger now" exactly where that photo was
//! taken, setting the trigger distance in force there (lanes change distance where they bend,
//! see [`crate::photos::lane_triggers`]). Because the distance trigger measures from the last
//! photo, the resumed sortie then takes the very same photos the single mission would have.
//!
//! Sorties are cut greedily, each as long as the budget allows (the time of a sortie grows
//! with the photos it takes: the way back from a later stop is at most the extra way flown).
//! Straight transits to and from home do not route around exclusion zones; the survey
//! pattern's own connecting legs do.

use std::ops::Range;

use qly_core::geodesy::LocalFrame;
use qly_core::mission::{Home, Mission, MissionType};

use crate::error::PlanError;
use crate::estimate::wpnav_params;
use crate::mission_build::{full_mission, step_points, steps_to_items, transect_steps, Step};
use crate::photos::{dist, trace_lane_photos, LaneTriggers, TracedPhoto, TriggerAt, SAME_PLACE_M};
use crate::survey::{BatteryBudget, PlaneCoord, Sortie, Transect};
use qly_core::wpnav::{land_time_s, path_time_s, vertical_time_s, LandParams};

mod launch;

pub use launch::split_sorties_from_launches;

/// What the splitter needs besides the transects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortieParams {
    pub home: Home,
    pub alt_rel_home_m: f64,
    pub cruise_speed_m_s: f64,
    /// `None`: one sortie, the whole survey.
    pub battery: Option<BatteryBudget>,
    /// Photos re-taken at the start of each sortie before where the previous one stopped.
    pub resume_overlap_photos: u32,
    /// Most mission items (home included, as `MISSION_COUNT` counts them) one sortie may
    /// have: the vehicle's mission store. `None`: no limit.
    pub max_items: Option<usize>,
}

/// Mission items a common ArduPilot board holds, home included: ArduPilot keeps the mission
/// in fixed-size storage of 15-byte commands (`AP_Mission::write_cmd_to_storage`,
/// `num_commands_max`), and the ArduCopter 4.7 SITL build we flew held 650
/// (`MAV_MISSION_NO_SPACE` at 651). Boards that keep missions on an SD card hold more: raise
/// `--max-items` for them.
pub const DEFAULT_MAX_ITEMS: usize = 650;

/// Take-off to landing time of a flight through `points` (plane, metres) from and back to
/// `home`, as ArduCopter flies the sortie's mission (see [`crate::estimate`]): a vertical
/// climb to `alt_rel_home_m`, the waypoints from rest at the take-off point to a stop at the
/// last one (the return to launch is not a waypoint, so the last one is not passed), the
/// return leg home, RTL_LOIT_TIME hovering and the landing.
pub fn flight_time_s(
    home: PlaneCoord,
    points: impl IntoIterator<Item = PlaneCoord>,
    alt_rel_home_m: f64,
    cruise_speed_m_s: f64,
) -> f64 {
    let h = alt_rel_home_m;
    let mut path = vec![[home.x, home.y, h]];
    path.extend(points.into_iter().map(|p| [p.x, p.y, h]));
    let last = path.last().copied().unwrap_or([home.x, home.y, h]);
    let p = wpnav_params(cruise_speed_m_s);
    let land = LandParams::default();
    vertical_time_s(h, &p)
        + path_time_s(&path, cruise_speed_m_s, &p)
        + path_time_s(&[last, [home.x, home.y, h]], cruise_speed_m_s, &p)
        + land.rtl_loiter_s
        + land_time_s(h, &p, &land)
}

/// The survey of `transects`, flown with the camera commands `triggers` (one list per
/// transect), as sorties within `params.battery` (one sortie, the whole mission, without a
/// budget). Each sortie's `photos` is its range of
/// [`crate::photos::lane_photo_points`]`(transects, triggers)`.
pub fn split_sorties(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    frame: &LocalFrame,
    params: &SortieParams,
) -> Result<Vec<Sortie>, PlanError> {
    split_sorties_with_transits(transects, triggers, frame, params, &|_, _| Vec::new())
}

/// Via points of the transit between two plane points (empty: straight).
pub type TransitRoute<'a> = &'a (dyn Fn(PlaneCoord, PlaneCoord) -> Vec<PlaneCoord> + Sync);

/// [`split_sorties`] timing each sortie with its transits from home to its first waypoint and
/// from its last back home flown through the via points `transit` gives (the plan routes them
/// around no-fly zones and adds them to the missions afterwards), so that a detour cannot
/// take a sortie past its battery.
pub fn split_sorties_with_transits(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    frame: &LocalFrame,
    params: &SortieParams,
    transit: TransitRoute,
) -> Result<Vec<Sortie>, PlanError> {
    split_sorties_within(transects, triggers, frame, params, transit, &|m| {
        Ok(OnVehicle {
            items: m.wire_items(MissionType::Mission).len(),
            flight_time_s: None,
        })
    })
}

/// A sortie's mission as the vehicle will hold and fly it, which a later step may change:
/// terrain following adds waypoints, climbs and descents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnVehicle {
    /// Mission items, home included, as `MISSION_COUNT` counts them.
    pub items: usize,
    /// Take-off to landing as flown, seconds; `None`: as the splitter times it.
    pub flight_time_s: Option<f64>,
}

/// What a sortie's mission becomes on the vehicle (see [`OnVehicle`]).
pub type OnVehicleFn<'a> = &'a dyn Fn(&Mission) -> Result<OnVehicle, PlanError>;

/// [`split_sorties_with_transits`] within `params.max_items` as well, where `on_vehicle`
/// gives the items a sortie's mission will have on the vehicle (more than the mission itself
/// when a later step adds items, as terrain following does) and, when that step changes the
/// flight, its time as flown, which must fit the battery too. One sortie, the whole mission,
/// when it fits both the battery and the item limit.
pub fn split_sorties_within(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    frame: &LocalFrame,
    params: &SortieParams,
    transit: TransitRoute,
    on_vehicle: OnVehicleFn,
) -> Result<Vec<Sortie>, PlanError> {
    check_params(params)?;
    let ctx = Ctx::new(transects, triggers, frame, params, transit);
    let n = ctx.traced.len();
    let whole = transect_steps(transects, triggers, true);
    let home = Launch {
        home: params.home,
        at: ctx.home,
        index: None,
    };
    let whole_time = ctx.time_s(home.at, &whole);
    let whole_mission = ctx.mission(home.home, &whole);
    let limit_s = match params.battery {
        Some(budget) => budget_s(&budget)?,
        None => f64::INFINITY,
    };
    check_max_items(params)?;
    if whole_time <= limit_s && ctx.vehicle_fits(&whole_mission, limit_s, on_vehicle)? {
        return Ok(vec![Sortie {
            survey_time_s: ctx.survey_time_s(&whole),
            mission: whole_mission,
            photos: 0..n,
            flight_time_s: whole_time,
            launch: None,
        }]);
    }
    if n == 0 {
        return Err(match params.max_items {
            Some(max) if whole_time <= limit_s => PlanError::TooManyItems {
                first_photo: 0,
                photos: 0,
                photos_taken: 0,
                items: on_vehicle(&whole_mission)?.items,
                max_items: max,
            },
            _ => too_small(params),
        });
    }
    let overlap = params.resume_overlap_photos as usize;
    let mut sorties = Vec::new();
    let mut a = 0usize;
    loop {
        let min_b = if a == 0 { 1 } else { (a + overlap + 1).min(n) };
        let (lo, best) = ctx.longest(a, min_b, n, &home, limit_s, on_vehicle)??;
        sorties.push(ctx.sortie(a..lo, best, &home));
        if lo == n {
            return Ok(sorties);
        }
        a = lo.saturating_sub(overlap);
    }
}

/// Refuses a speed or height that no sortie can be timed with.
fn check_params(params: &SortieParams) -> Result<(), PlanError> {
    if !(params.cruise_speed_m_s.is_finite() && params.cruise_speed_m_s > 0.0) {
        return Err(PlanError::BadParam {
            field: "cruise_speed_m_s",
            value: params.cruise_speed_m_s,
            expected: "a finite speed > 0 m/s",
        });
    }
    if !(params.alt_rel_home_m.is_finite() && params.alt_rel_home_m > 0.0) {
        return Err(PlanError::BadParam {
            field: "alt_rel_home_m",
            value: params.alt_rel_home_m,
            expected: "a finite height > 0 m",
        });
    }
    Ok(())
}

/// Refuses an item limit too small for any mission.
fn check_max_items(params: &SortieParams) -> Result<(), PlanError> {
    if let Some(max) = params.max_items {
        if max < 4 {
            return Err(PlanError::BadParam {
                field: "max_items",
                value: max as f64,
                expected: "at least 4 mission items (home, take-off, a waypoint, return)",
            });
        }
    }
    Ok(())
}

/// The error for a battery too small to fly any sortie.
fn too_small(params: &SortieParams) -> PlanError {
    PlanError::BadParam {
        field: "battery.usable_min",
        value: params.battery.map_or(f64::NAN, |b| b.usable_min),
        expected: "enough minutes, after the reserve, to take off, fly to the survey, take \
                   at least resume_overlap_photos + 1 photos and fly back",
    }
}

/// Where a sortie takes off and lands.
struct Launch {
    home: Home,
    /// `home` in the plane.
    at: PlaneCoord,
    /// Index of the launch point, when sorties take off from launch points.
    index: Option<usize>,
}

/// A sortie that fits: its steps, flight time in seconds and mission.
type Candidate = (Vec<Step>, f64, Mission);

/// The flying time a budget allows, seconds.
fn budget_s(b: &BatteryBudget) -> Result<f64, PlanError> {
    if !(b.usable_min.is_finite() && b.usable_min > 0.0) {
        return Err(PlanError::BadParam {
            field: "battery.usable_min",
            value: b.usable_min,
            expected: "a finite number of minutes > 0",
        });
    }
    if !(b.reserve_min.is_finite() && b.reserve_min >= 0.0 && b.reserve_min < b.usable_min) {
        return Err(PlanError::BadParam {
            field: "battery.reserve_min",
            value: b.reserve_min,
            expected: "a finite number of minutes >= 0 and below battery.usable_min",
        });
    }
    Ok((b.usable_min - b.reserve_min) * 60.0)
}

/// Distance along a path at each of its vertices.
fn cumulative(path: &[PlaneCoord]) -> Vec<f64> {
    let mut along = Vec::with_capacity(path.len());
    let mut s = 0.0;
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            s += dist(path[i - 1], *p);
        }
        along.push(s);
    }
    along
}

struct Ctx<'a> {
    transects: &'a [Transect],
    triggers: &'a [LaneTriggers],
    traced: Vec<TracedPhoto>,
    vertex_along: Vec<Vec<f64>>,
    /// `params.home` in the plane.
    home: PlaneCoord,
    frame: &'a LocalFrame,
    params: &'a SortieParams,
    transit: TransitRoute<'a>,
}

impl<'a> Ctx<'a> {
    fn new(
        transects: &'a [Transect],
        triggers: &'a [LaneTriggers],
        frame: &'a LocalFrame,
        params: &'a SortieParams,
        transit: TransitRoute<'a>,
    ) -> Ctx<'a> {
        let (hx, hy) = frame.project(params.home.point);
        Ctx {
            transects,
            triggers,
            traced: trace_lane_photos(transects, triggers),
            vertex_along: transects.iter().map(|t| cumulative(&t.path)).collect(),
            home: PlaneCoord { x: hx, y: hy },
            frame,
            params,
            transit,
        }
    }

    /// Take-off to landing at `home` of the sortie flying `steps`, seconds.
    fn time_s(&self, home: PlaneCoord, steps: &[Step]) -> f64 {
        let pts: Vec<PlaneCoord> = step_points(steps).collect();
        let (Some(&first), Some(&last)) = (pts.first(), pts.last()) else {
            return flight_time_s(
                home,
                pts,
                self.params.alt_rel_home_m,
                self.params.cruise_speed_m_s,
            );
        };
        let mut path = (self.transit)(home, first);
        path.extend(pts);
        path.extend((self.transit)(last, home));
        flight_time_s(
            home,
            path,
            self.params.alt_rel_home_m,
            self.params.cruise_speed_m_s,
        )
    }

    /// The survey pattern's share of a sortie flying `steps`: from rest at its first
    /// waypoint to rest at its last, seconds.
    fn survey_time_s(&self, steps: &[Step]) -> f64 {
        let pts: Vec<PlaneCoord> = step_points(steps).collect();
        crate::estimate::polyline_time_s(&pts, self.params.cruise_speed_m_s)
    }

    fn mission(&self, home: Home, steps: &[Step]) -> qly_core::mission::Mission {
        let items = steps_to_items(steps, self.frame, self.params.alt_rel_home_m);
        full_mission(
            home,
            items,
            self.params.alt_rel_home_m,
            self.params.cruise_speed_m_s,
        )
        .0
    }

    /// Whether `m` on the vehicle fits the item limit and, as flown, `limit_s`.
    fn vehicle_fits(
        &self,
        m: &Mission,
        limit_s: f64,
        on_vehicle: OnVehicleFn,
    ) -> Result<bool, PlanError> {
        if self.params.max_items.is_none() && !limit_s.is_finite() {
            return Ok(true);
        }
        let v = on_vehicle(m)?;
        Ok(v.flight_time_s.is_none_or(|t| t <= limit_s)
            && self.params.max_items.is_none_or(|max| v.items <= max))
    }

    /// Whether photos `a..b` fit one sortie from `home`: the candidate, or why not.
    fn fits(
        &self,
        a: usize,
        b: usize,
        home: &Launch,
        limit_s: f64,
        on_vehicle: OnVehicleFn,
    ) -> Result<Result<Candidate, PlanError>, PlanError> {
        let steps = self.range_steps(a, b);
        let t = self.time_s(home.at, &steps);
        if t > limit_s {
            return Ok(Err(PlanError::OutOfReach {
                first_photo: a + 1,
                photos: self.traced.len(),
                distance_from_home_m: dist(home.at, self.traced[a].photo.at),
                photos_taken: b - a,
                needed_min: t / 60.0,
                allowed_min: limit_s / 60.0,
            }));
        }
        let mission = self.mission(home.home, &steps);
        if self.params.max_items.is_none() && !limit_s.is_finite() {
            return Ok(Ok((steps, t, mission)));
        }
        let v = on_vehicle(&mission)?;
        if let Some(flown_s) = v.flight_time_s.filter(|&f| f > limit_s) {
            return Ok(Err(PlanError::OutOfReach {
                first_photo: a + 1,
                photos: self.traced.len(),
                distance_from_home_m: dist(home.at, self.traced[a].photo.at),
                photos_taken: b - a,
                needed_min: flown_s / 60.0,
                allowed_min: limit_s / 60.0,
            }));
        }
        if let Some(max) = self.params.max_items.filter(|&max| v.items > max) {
            return Ok(Err(PlanError::TooManyItems {
                first_photo: a + 1,
                photos: self.traced.len(),
                photos_taken: b - a,
                items: v.items,
                max_items: max,
            }));
        }
        Ok(Ok((steps, t, mission)))
    }

    /// The longest sortie from `home` that starts at photo `a` and takes photos `a..b` with
    /// `min_b <= b <= max_b` (the time and size of a sortie grow with its photos, so a
    /// bisection finds it): `b` and the sortie, or why not even `a..min_b` fits.
    #[allow(clippy::type_complexity)]
    fn longest(
        &self,
        a: usize,
        min_b: usize,
        max_b: usize,
        home: &Launch,
        limit_s: f64,
        on_vehicle: OnVehicleFn,
    ) -> Result<Result<(usize, Candidate), PlanError>, PlanError> {
        let mut best = match self.fits(a, min_b, home, limit_s, on_vehicle)? {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let (mut lo, mut hi) = (min_b, max_b);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            match self.fits(a, mid, home, limit_s, on_vehicle)? {
                Ok(found) => {
                    lo = mid;
                    best = found;
                }
                Err(_) => hi = mid - 1,
            }
        }
        Ok(Ok((lo, best)))
    }

    /// The sortie taking `photos` as the candidate `c` flies them from `home`.
    fn sortie(&self, photos: Range<usize>, c: Candidate, home: &Launch) -> Sortie {
        let (steps, t, mission) = c;
        Sortie {
            survey_time_s: self.survey_time_s(&steps),
            mission,
            photos,
            flight_time_s: t,
            launch: home.index,
        }
    }

    fn is_first_of_transect(&self, k: usize) -> bool {
        k == 0 || self.traced[k - 1].photo.transect != self.traced[k].photo.transect
    }

    fn is_last_of_transect(&self, k: usize) -> bool {
        k + 1 == self.traced.len()
            || self.traced[k + 1].photo.transect != self.traced[k].photo.transect
    }

    /// Steps that take photos `a..b` (`a < b <= n`) and nothing else.
    fn range_steps(&self, a: usize, b: usize) -> Vec<Step> {
        let n = self.traced.len();
        let (first, last) = (self.traced[a], self.traced[b - 1]);
        // Whole transects before the first photo / after the last only at the mission's ends.
        let t_start = if a == 0 { 0 } else { first.photo.transect };
        let t_end = if b == n {
            self.transects.len() - 1
        } else {
            last.photo.transect
        };
        let mid_start = !self.is_first_of_transect(a);
        let mid_end = !self.is_last_of_transect(b - 1);
        let mut steps = Vec::new();
        for ti in t_start..=t_end {
            let t = &self.transects[ti];
            let lane: &[TriggerAt] = lane_slice(self.triggers, ti)
                .first()
                .map_or(&[], |l| l.as_slice());
            let along = &self.vertex_along[ti];
            let (Some(&entry), Some(&exit)) = (t.path.first(), t.path.last()) else {
                steps.extend(transect_steps(
                    std::slice::from_ref(t),
                    lane_slice(self.triggers, ti),
                    ti > 0 || a == 0,
                ));
                continue;
            };
            let path_len = along.last().copied().unwrap_or(0.0);
            // The entry command, as the whole mission has it (see `transect_steps`).
            let entry_cmd = lane.first().filter(|c| c.seg == 0 && c.at_vertex(&t.path));
            let from_along = if ti == t_start && mid_start {
                // Resume on the lane: run-in on the extension of the photo's segment.
                let seg_dir = t
                    .path
                    .get(first.seg + 1)
                    .map(|&q| q - t.path[first.seg])
                    .filter(|v| v.x.hypot(v.y) > 1e-9)
                    .map(|v| v / v.x.hypot(v.y));
                let run_in_m = dist(t.turn_in, entry);
                if let Some(dir) = seg_dir.filter(|_| run_in_m > 1e-9) {
                    steps.push(Step::Waypoint(first.photo.at - dir * run_in_m));
                }
                if !self.is_last_of_transect(a) {
                    steps.push(Step::Waypoint(first.photo.at));
                    steps.push(Step::Camera {
                        distance_m: first.distance_m,
                        once: true,
                    });
                }
                first.along_m
            } else {
                if ti > t_start || a == 0 {
                    steps.extend(t.approach.iter().map(|&p| Step::Waypoint(p)));
                }
                steps.push(Step::Waypoint(t.turn_in));
                steps.push(Step::Waypoint(entry));
                steps.push(Step::Camera {
                    distance_m: entry_cmd.map_or(0.0, |c| c.distance_m),
                    once: true,
                });
                0.0
            };
            let to_along = if ti == t_end && mid_end {
                (last.along_m + self.traced[b].along_m) / 2.0
            } else {
                path_len
            };
            // Inner vertices and the lane's commands on the way, in path order as the whole
            // mission has them.
            let on_the_way = |s: f64| s > from_along + SAME_PLACE_M && s < to_along - SAME_PLACE_M;
            let mut next = lane[usize::from(entry_cmd.is_some())..].iter().peekable();
            for (k, &along_k) in along
                .iter()
                .enumerate()
                .take(t.path.len().saturating_sub(1))
            {
                if k > 0 && on_the_way(along_k) {
                    steps.push(Step::Waypoint(t.path[k]));
                }
                while next.next_if(|c| c.seg < k).is_some() {}
                while let Some(c) = next.next_if(|c| c.seg == k) {
                    if !on_the_way(along_k + dist(t.path[k], c.at)) {
                        continue;
                    }
                    if !c.at_vertex(&t.path) {
                        steps.push(Step::Waypoint(c.at));
                    }
                    steps.push(Step::Camera {
                        distance_m: c.distance_m,
                        once: true,
                    });
                }
            }
            if ti == t_end && mid_end {
                steps.push(Step::Waypoint(point_at(&t.path, along, to_along)));
                steps.push(Step::Camera {
                    distance_m: 0.0,
                    once: false,
                });
            } else {
                steps.push(Step::Waypoint(exit));
                steps.push(Step::Camera {
                    distance_m: 0.0,
                    once: true,
                });
                steps.push(Step::Waypoint(t.turn_out));
            }
        }
        steps
    }
}

/// The commands of transect `ti` (none when `triggers` has no list for it).
fn lane_slice(triggers: &[LaneTriggers], ti: usize) -> &[LaneTriggers] {
    triggers.get(ti..ti + 1).unwrap_or(&[])
}

/// The point `s` metres along `path` (with vertex distances `along`).
fn point_at(path: &[PlaneCoord], along: &[f64], s: f64) -> PlaneCoord {
    let k = along.partition_point(|&v| v <= s).clamp(1, path.len() - 1);
    let (a, b) = (path[k - 1], path[k]);
    let len = along[k] - along[k - 1];
    if len <= 1e-12 {
        return b;
    }
    let f = ((s - along[k - 1]) / len).clamp(0.0, 1.0);
    a + (b - a) * f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mission_build::survey_items;
    use crate::photos::{mission_photos, photo_points, trace_photos, uniform_triggers};
    use geo::coord;
    use qly_core::geodesy::GeoPoint;
    use qly_core::mission::MissionItem;

    fn frame() -> LocalFrame {
        LocalFrame::at(GeoPoint {
            lat_deg: 27.05,
            lon_deg: 106.95,
        })
    }

    /// Six 1 km lanes 30 m apart, alternating direction, the second with a bend.
    fn lanes() -> Vec<Transect> {
        (0..6)
            .map(|i| {
                let x = 30.0 * i as f64;
                let (y0, y1, s) = if i % 2 == 0 {
                    (0.0, 1000.0, 1.0)
                } else {
                    (1000.0, 0.0, -1.0)
                };
                let mut path = vec![coord! {x: x, y: y0}];
                if i == 1 {
                    path.push(coord! {x: x + 10.0, y: 500.0});
                }
                path.push(coord! {x: x, y: y1});
                Transect {
                    approach: vec![],
                    turn_in: coord! {x: x, y: y0 - 20.0 * s},
                    path,
                    turn_out: coord! {x: x, y: y1 + 20.0 * s},
                }
            })
            .collect()
    }

    fn params(battery: Option<BatteryBudget>, overlap: u32) -> SortieParams {
        let f = frame();
        SortieParams {
            home: Home {
                point: f.unproject(-100.0, -100.0),
                alt_amsl_m: 1000.0,
            },
            alt_rel_home_m: 60.0,
            cruise_speed_m_s: 10.0,
            battery,
            resume_overlap_photos: overlap,
            max_items: None,
        }
    }

    #[test]
    fn no_budget_gives_the_whole_mission() {
        let f = frame();
        let p = params(None, 2);
        let s = split_sorties(&lanes(), &uniform_triggers(&lanes(), 15.0), &f, &p).unwrap();
        assert_eq!(s.len(), 1);
        let survey = survey_items(&lanes(), &uniform_triggers(&lanes(), 15.0), &f, 60.0);
        let whole = full_mission(p.home, survey, 60.0, 10.0).0;
        assert_eq!(s[0].mission, whole);
        assert_eq!(s[0].photos, 0..photo_points(&lanes(), 15.0).len());
        // 6390 m of survey pattern and 396 m of transits at 10 m/s (679 s), the climb (26.5 s)
        // and the return's hover and landing (5 + 36 + 1 s), starts and stops (6.5 s each)
        // and the corners at the lane ends, as ArduCopter flies them.
        assert!(
            (s[0].flight_time_s - 835.0).abs() < 3.0,
            "{}",
            s[0].flight_time_s
        );
        // The same as timing the mission itself.
        let t = crate::estimate::mission_flight_time_s(&s[0].mission, &f, 10.0);
        assert!((t - s[0].flight_time_s).abs() < 0.01, "{t}");
    }

    #[test]
    fn range_of_everything_equals_the_whole_pattern() {
        let f = frame();
        let p = params(None, 0);
        let (hx, hy) = f.project(p.home.point);
        let ts = lanes();
        let ctx = Ctx {
            transects: &ts,
            triggers: &uniform_triggers(&ts, 15.0),
            traced: trace_photos(&ts, 15.0),
            vertex_along: ts.iter().map(|t| cumulative(&t.path)).collect(),
            home: coord! {x: hx, y: hy},
            frame: &f,
            params: &p,
            transit: &|_, _| Vec::new(),
        };
        let n = ctx.traced.len();
        assert_eq!(
            ctx.range_steps(0, n),
            transect_steps(&ts, &uniform_triggers(&ts, 15.0), true)
        );
    }

    fn check_split(overlap: u32, usable_min: f64) {
        let ts = lanes();
        check_split_with(&ts, &uniform_triggers(&ts, 15.0), overlap, usable_min);
    }

    /// Six lanes 30 m apart, alternating direction, wiggling: a bend of 20 degrees every
    /// 40 m for a stretch, a sharp 100 degree corner and back, straight stretches between.
    fn bendy_lanes() -> Vec<Transect> {
        (0..6)
            .map(|i| {
                let x0 = 30.0 * i as f64;
                let mut path = vec![coord! {x: x0, y: 0.0}];
                let mut heading: f64 = 0.0;
                let steps: Vec<(f64, f64)> = (0..30)
                    .map(|k| match k {
                        5..=12 => (40.0, if k % 2 == 0 { 20.0 } else { -20.0 }),
                        18 => (60.0, 100.0),
                        19 => (60.0, -100.0),
                        _ => (40.0, 0.0),
                    })
                    .collect();
                for (len, turn) in steps {
                    heading += f64::to_radians(turn);
                    let p = *path.last().unwrap();
                    path.push(p + coord! {x: len * heading.sin() * 0.2, y: len * heading.cos()});
                }
                if i % 2 == 1 {
                    path.reverse();
                }
                let (a, b) = (path[0], path[1]);
                let (y, z) = (path[path.len() - 2], path[path.len() - 1]);
                let u = (a - b) / dist(a, b);
                let v = (z - y) / dist(y, z);
                Transect {
                    approach: vec![],
                    turn_in: a + u * 20.0,
                    turn_out: z + v * 20.0,
                    path,
                }
            })
            .collect()
    }

    #[test]
    fn sorties_resume_with_the_distance_in_force_on_bending_lanes() {
        let ts = bendy_lanes();
        let triggers = crate::photos::lane_triggers(&ts, 15.0, 15.0);
        // The lanes do get mid-lane commands, at several distances.
        let inner: Vec<f64> = triggers
            .iter()
            .flat_map(|l| l[1..].iter().map(|c| c.distance_m))
            .collect();
        assert!(inner.len() >= 12, "{triggers:?}");
        assert!(inner.iter().any(|&d| d < 15.0 * 0.9) && inner.contains(&15.0));
        for overlap in [0, 1, 2, 3] {
            for k in 0..8 {
                check_split_with(&ts, &triggers, overlap, 8.0 + 0.6 * k as f64);
            }
        }
    }

    fn check_split_with(ts: &[Transect], triggers: &[LaneTriggers], overlap: u32, usable_min: f64) {
        let f = frame();
        let budget = BatteryBudget {
            usable_min,
            reserve_min: 1.0,
        };
        let p = params(Some(budget), overlap);
        let sorties = split_sorties(ts, triggers, &f, &p).unwrap();
        let photos = crate::photos::lane_photo_points(ts, triggers);
        assert!(sorties.len() > 1, "{}", sorties.len());
        assert_eq!(sorties[0].photos.start, 0);
        assert_eq!(sorties.last().unwrap().photos.end, photos.len());
        for w in sorties.windows(2) {
            assert_eq!(w[0].photos.end - w[1].photos.start, overlap as usize);
        }
        let home = {
            let (x, y) = f.project(p.home.point);
            coord! {x: x, y: y}
        };
        for s in &sorties {
            assert!(s.flight_time_s <= (usable_min - 1.0) * 60.0 + 1e-9);
            let items = &s.mission.items;
            assert!(matches!(items[0], MissionItem::Takeoff { .. }));
            assert_eq!(items.last(), Some(&MissionItem::ReturnToLaunch));
            // Flying the sortie takes exactly its photos of the whole plan.
            let flown = mission_photos(items, &f, home);
            let want = &photos[s.photos.clone()];
            assert_eq!(flown.len(), want.len(), "{:?}", s.photos);
            for (a, b) in flown.iter().zip(want) {
                assert!(dist(a.0, b.at) < 1e-3, "{:?} vs {:?}", a.0, b.at);
            }
            // The time is that of its own waypoints.
            let pts = items.iter().filter_map(|i| match i {
                MissionItem::Waypoint { point, .. } => {
                    let (x, y) = f.project(*point);
                    Some(coord! {x: x, y: y})
                }
                _ => None,
            });
            let t = flight_time_s(home, pts, 60.0, 10.0);
            assert!((t - s.flight_time_s).abs() < 1e-3);
            let t = crate::estimate::mission_flight_time_s(&s.mission, &f, 10.0);
            assert!(
                (t - s.flight_time_s).abs() < 0.01,
                "{t} vs {}",
                s.flight_time_s
            );
        }
    }

    #[test]
    fn sorties_fit_the_budget_and_overlap_by_the_requested_photos() {
        check_split(3, 8.0);
        check_split(0, 9.0);
        check_split(1, 7.5);
        check_split(5, 11.0);
        for overlap in [0, 1, 2, 4] {
            for k in 0..12 {
                let usable_min = 7.5 + 0.5 * k as f64;
                if usable_min < 14.0 {
                    check_split(overlap, usable_min);
                }
            }
        }
    }

    #[test]
    fn an_item_limit_splits_the_survey_into_sorties_that_fit() {
        let f = frame();
        let ts = bendy_lanes();
        let triggers = uniform_triggers(&ts, 15.0);
        let photos = crate::photos::lane_photo_points(&ts, &triggers);
        let whole = split_sorties(&ts, &triggers, &f, &params(None, 2)).unwrap();
        assert_eq!(whole.len(), 1);
        let whole_items = whole[0].mission.wire_items(MissionType::Mission).len();
        for max in [whole_items, whole_items - 1, whole_items / 2, 30] {
            let p = SortieParams {
                max_items: Some(max),
                ..params(None, 2)
            };
            let sorties = split_sorties(&ts, &triggers, &f, &p).unwrap();
            assert_eq!(sorties.len() == 1, max >= whole_items, "max {max}");
            assert_eq!(sorties[0].photos.start, 0);
            assert_eq!(sorties.last().unwrap().photos.end, photos.len());
            for w in sorties.windows(2) {
                assert_eq!(w[0].photos.end - w[1].photos.start, 2, "max {max}");
            }
            for s in &sorties {
                let n = s.mission.wire_items(MissionType::Mission).len();
                assert!(n <= max, "{n} items > {max}");
            }
        }
        // The counter decides: one that adds items (as terrain following does) gives more
        // sorties for the same limit.
        let p = SortieParams {
            max_items: Some(whole_items / 2),
            ..params(None, 2)
        };
        let plain = split_sorties(&ts, &triggers, &f, &p).unwrap().len();
        let padded = split_sorties_within(&ts, &triggers, &f, &p, &|_, _| Vec::new(), &|m| {
            Ok(OnVehicle {
                items: 2 * m.wire_items(MissionType::Mission).len(),
                flight_time_s: None,
            })
        })
        .unwrap();
        assert!(padded.len() > plain, "{} vs {plain}", padded.len());
        for s in &padded {
            assert!(2 * s.mission.wire_items(MissionType::Mission).len() <= whole_items / 2);
        }
    }

    #[test]
    fn an_item_limit_too_small_for_one_photo_names_the_figures() {
        let f = frame();
        let p = SortieParams {
            max_items: Some(5),
            ..params(None, 2)
        };
        let e = split_sorties(&lanes(), &uniform_triggers(&lanes(), 15.0), &f, &p).unwrap_err();
        assert!(
            matches!(e, PlanError::TooManyItems { max_items: 5, .. }),
            "{e}"
        );
        let text = e.to_string();
        assert!(text.contains("at most 5 (--max-items)"), "{text}");
        let p = SortieParams {
            max_items: Some(2),
            ..params(None, 2)
        };
        let e = split_sorties(&lanes(), &uniform_triggers(&lanes(), 15.0), &f, &p).unwrap_err();
        assert!(e.to_string().contains("max_items = 2"), "{e}");
    }

    #[test]
    fn a_budget_for_the_whole_survey_gives_one_sortie() {
        let f = frame();
        let p = params(
            Some(BatteryBudget {
                usable_min: 30.0,
                reserve_min: 5.0,
            }),
            2,
        );
        assert_eq!(
            split_sorties(&lanes(), &uniform_triggers(&lanes(), 15.0), &f, &p)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn too_small_or_bad_budgets_are_refused_by_name() {
        let f = frame();
        let cases = [
            (0.9, 0.5, "battery.usable_min"),
            (f64::NAN, 0.5, "battery.usable_min"),
            (5.0, 5.0, "battery.reserve_min"),
            (5.0, -1.0, "battery.reserve_min"),
        ];
        for (usable_min, reserve_min, field) in cases {
            let p = params(
                Some(BatteryBudget {
                    usable_min,
                    reserve_min,
                }),
                2,
            );
            let err =
                split_sorties(&lanes(), &uniform_triggers(&lanes(), 15.0), &f, &p).unwrap_err();
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn a_survey_beyond_a_battery_s_reach_names_the_photo_and_the_minutes() {
        let f = frame();
        // Enough for 1 km lanes from home 141 m away, not for the far end of a 6 km lane.
        let far: Vec<Transect> = lanes()
            .into_iter()
            .map(|mut t| {
                for p in t.path.iter_mut().chain([&mut t.turn_in, &mut t.turn_out]) {
                    p.y *= 6.0;
                }
                t
            })
            .collect();
        let p = params(
            Some(BatteryBudget {
                usable_min: 12.0,
                reserve_min: 2.0,
            }),
            2,
        );
        let err = split_sorties(&far, &uniform_triggers(&far, 15.0), &f, &p).unwrap_err();
        let PlanError::OutOfReach {
            first_photo,
            photos,
            distance_from_home_m,
            needed_min,
            allowed_min,
            ..
        } = err
        else {
            panic!("expected OutOfReach, got {err}");
        };
        assert!(first_photo > 1 && first_photo <= photos, "{err}");
        assert!(distance_from_home_m > 2000.0, "{err}");
        assert!(needed_min > allowed_min && allowed_min == 10.0, "{err}");
        assert!(err.to_string().contains("--home"), "{err}");
    }

    #[test]
    fn point_at_walks_the_path() {
        let path = [
            coord! {x: 0.0, y: 0.0},
            coord! {x: 10.0, y: 0.0},
            coord! {x: 10.0, y: 10.0},
        ];
        let along = cumulative(&path);
        assert_eq!(point_at(&path, &along, 5.0), coord! {x: 5.0, y: 0.0});
        assert_eq!(point_at(&path, &along, 15.0), coord! {x: 10.0, y: 5.0});
        assert_eq!(point_at(&path, &along, 25.0), coord! {x: 10.0, y: 10.0});
    }
}
