//! Where the photos of a plan are taken, found by emulating the autopilot's camera trigger.
//!
//! The mission switches distance triggering on at each lane entry with "trigger once now"
//! (`DO_SET_CAM_TRIGG_DIST` p1 = d, p3 = 1) and off at the exit with a final "trigger once"
//! (p1 = 0, p3 = 1). ArduPilot's `AP_Camera` takes the next photo when the *straight-line*
//! distance from the position of the last photo reaches `d`
//! (`current_loc.get_distance(last_location)`), not when `d` metres of path have been flown.
//! On a bending lane the chord is shorter than the arc, so photos come slightly further apart
//! along the path than `d`; predicting them the way the vehicle takes them is what makes the
//! coverage check honest.
//!
//! Where a lane bends, photos must come closer than on straight stretches (the strips of two
//! photos either side of a turn open a wedge at the strip's edge). Only there: the mission
//! issues `DO_SET_CAM_TRIGG_DIST` (p3 = 1) at chosen points of the lane, each taking a photo
//! on the spot and restarting the distance count from it with a new distance
//! ([`lane_triggers`], [`TriggerAt`]); [`lane_photo_points`] predicts the photos such a
//! mission takes, and [`mission_photos`] checks any mission independently.

use qly_core::geodesy::LocalFrame;
use qly_core::mission::MissionItem;

use crate::survey::{PhotoPoint, PlaneCoord, Transect};

/// A "trigger once" this close to the previous photo photographs the same ground again; it is
/// counted as that photo, not as a new one, metres.
pub const SAME_PLACE_M: f64 = 0.01;

/// Segments shorter than this are flown without moving, metres.
const DEGENERATE_M: f64 = 1e-9;

/// Direction from `from` to `to`, degrees clockwise from north in `[0, 360)`.
pub fn heading_deg(from: PlaneCoord, to: PlaneCoord) -> f64 {
    let h = (to.x - from.x).atan2(to.y - from.y).to_degrees();
    if h < 0.0 {
        h + 360.0
    } else {
        h
    }
}

/// The photos the autopilot takes flying `transects` with distance triggering at
/// `trigger_distance_m`: each lane's entry, every point where the chord from the previous
/// photo reaches the trigger distance, and the exit (unless the last distance photo was taken
/// there already).
///
/// A trigger distance that is not a finite number > 0 means no distance triggering, as
/// `DO_SET_CAM_TRIGG_DIST` with p1 = 0 does: only the entry and exit photos are taken.
///
/// ```
/// use geo::coord;
/// use planner::photos::photo_points;
/// use planner::survey::Transect;
/// let lane = Transect {
///     approach: vec![],
///     turn_in: coord! {x: 0.0, y: -10.0},
///     path: vec![coord! {x: 0.0, y: 0.0}, coord! {x: 0.0, y: 25.0}],
///     turn_out: coord! {x: 0.0, y: 35.0},
/// };
/// let photos = photo_points(&[lane], 10.0);
/// let north: Vec<f64> = photos.iter().map(|p| p.at.y).collect();
/// assert_eq!(north, vec![0.0, 10.0, 20.0, 25.0]);
/// assert!(photos.iter().all(|p| p.heading_deg == 0.0));
/// ```
pub fn photo_points(transects: &[Transect], trigger_distance_m: f64) -> Vec<PhotoPoint> {
    trace_photos(transects, trigger_distance_m)
        .into_iter()
        .map(|t| t.photo)
        .collect()
}

/// Photos are never spaced closer than this share of the camera's trigger distance, however
/// sharply a lane bends (a sharp corner cannot be closed by spacing alone).
pub const MIN_TRIGGER_SHARE: f64 = 0.5;

/// One distance for a whole plan so that the requested front overlap holds across the whole
/// strip a lane is responsible for, also where the lane bends: the sharpest bend of any lane
/// decides for every photo. The planner uses [`lane_triggers`], which shortens the distance
/// only where a lane bends, with the same rule.
///
/// Each photo's share of ground is `trigger_distance_m` along by the lane spacing across,
/// turned to the photo's heading. Between two photos on either side of a bend of angle `phi`
/// the two shares open a wedge on the outside of the bend: at `half_strip_m` from the lane
/// their edges are `half_strip_m * sin(phi)` further apart than on the lane. Flying
/// `d (1 + cos phi) / 2 - h sin phi` between photos (`h` the half strip, `phi` the most
/// turning of any lane within one trigger distance) closes the wedge; on straight lanes it is
/// `d`. The result is at least [`MIN_TRIGGER_SHARE`] of `d`.
pub fn bend_trigger_distance_m(
    transects: &[Transect],
    trigger_distance_m: f64,
    half_strip_m: f64,
) -> f64 {
    let d = trigger_distance_m;
    if !(d.is_finite() && d > 0.0 && half_strip_m.is_finite() && half_strip_m >= 0.0) {
        return d;
    }
    let phi = transects
        .iter()
        .map(|t| max_turn_within_rad(&t.path, d))
        .fold(0.0, f64::max)
        .min(std::f64::consts::FRAC_PI_2);
    let bent = d * (1.0 + phi.cos()) / 2.0 - half_strip_m * phi.sin();
    bent.clamp(MIN_TRIGGER_SHARE * d, d)
}

/// Turns sharper than this at a single vertex get a photo exactly there, radians.
pub const SHARP_TURN_RAD: f64 = 0.5;

/// Trigger distance for a pair of photos whose headings differ by `phi`: see
/// [`bend_trigger_distance_m`].
fn bent_distance_m(d: f64, half_strip_m: f64, phi: f64) -> f64 {
    let phi = phi.min(std::f64::consts::FRAC_PI_2);
    (d * (1.0 + phi.cos()) / 2.0 - half_strip_m * phi.sin()).clamp(MIN_TRIGGER_SHARE * d, d)
}

/// Per-lane camera commands that shorten the trigger distance only where a lane bends.
///
/// At each point of a lane the turn a pair of photos can straddle is the most turning
/// within a window of `trigger_distance_m` of path containing the point; it needs the
/// distance of [`bend_trigger_distance_m`] for that turn. That requirement only changes
/// `trigger_distance_m` before and after a turning vertex, so the lane is cut there into
/// stretches, each flown at its own requirement; neighbouring stretches are joined (at the
/// shorter distance) where a stretch of its own would save less than the one photo its
/// command costs. Each change of distance is a command (a photo there, the new distance,
/// the count from there), and so is every vertex turning more than [`SHARP_TURN_RAD`]:
/// no pair of photos straddles a sharp corner. Straight stretches keep
/// `trigger_distance_m`; distances are never below [`MIN_TRIGGER_SHARE`] of it.
///
/// ```
/// use geo::coord;
/// use planner::photos::lane_triggers;
/// use planner::survey::Transect;
/// // 500 m north, a right angle, 500 m east.
/// let path = vec![coord! {x: 0.0, y: 0.0}, coord! {x: 0.0, y: 500.0}, coord! {x: 500.0, y: 500.0}];
/// let lane = Transect { approach: vec![], turn_in: coord! {x: 0.0, y: -10.0}, turn_out: coord! {x: 510.0, y: 500.0}, path };
/// let cmds = &lane_triggers(&[lane], 16.0, 15.0)[0];
/// let d: Vec<f64> = cmds.iter().map(|c| c.distance_m).collect();
/// // Nominal from the entry, half from 16 m before the corner, a photo at the corner,
/// // nominal again from 16 m after it.
/// assert_eq!(d, vec![16.0, 8.0, 8.0, 16.0]);
/// assert_eq!(cmds[1].at, coord! {x: 0.0, y: 484.0});
/// assert_eq!(cmds[2].at, coord! {x: 0.0, y: 500.0});
/// assert_eq!(cmds[3].at, coord! {x: 16.0, y: 500.0});
/// ```
pub fn lane_triggers(
    transects: &[Transect],
    trigger_distance_m: f64,
    half_strip_m: f64,
) -> Vec<LaneTriggers> {
    let d = trigger_distance_m;
    if !(d.is_finite() && d > 0.0 && half_strip_m.is_finite() && half_strip_m >= 0.0) {
        return uniform_triggers(transects, d);
    }
    transects
        .iter()
        .map(|t| one_lane_triggers(&t.path, d, half_strip_m))
        .collect()
}

fn one_lane_triggers(path: &[PlaneCoord], d: f64, half_strip_m: f64) -> LaneTriggers {
    let n = path.len();
    let Some(&entry) = path.first() else {
        return Vec::new();
    };
    let mut out = vec![TriggerAt {
        seg: 0,
        at: entry,
        distance_m: d,
    }];
    if n < 3 {
        return out;
    }
    // Distance along the path at each vertex, and the turn at each inner vertex.
    let mut along = vec![0.0; n];
    for k in 1..n {
        along[k] = along[k - 1] + dist(path[k - 1], path[k]);
    }
    let total = along[n - 1];
    let mut turn = vec![0.0; n];
    let mut prev: Option<PlaneCoord> = None;
    for k in 0..n - 1 {
        let len = along[k + 1] - along[k];
        if len <= DEGENERATE_M {
            continue;
        }
        let u = (path[k + 1] - path[k]) / len;
        if let Some(p) = prev {
            turn[k] = (p.x * u.x + p.y * u.y).clamp(-1.0, 1.0).acos();
        }
        prev = Some(u);
    }
    let turning: Vec<usize> = (1..n - 1).filter(|&k| turn[k] > 0.0).collect();
    if turning.is_empty() {
        return out;
    }
    // The turn a pair of photos around `s` can straddle is that of a window of `d` of path
    // containing `s`; it changes only `d` before and after turning vertices. Cut the path
    // there (and at the vertices) into pieces of constant requirement.
    let mut cuts: Vec<f64> = along.clone();
    for &k in &turning {
        cuts.extend([along[k] - d, along[k] + d]);
    }
    cuts.retain(|&c| c > 0.0 && c < total);
    cuts.push(0.0);
    cuts.sort_by(f64::total_cmp);
    cuts.dedup_by(|a, b| *a - *b <= 1e-6);
    cuts.push(total);
    // Turning vertices within `d` of a piece's middle, by two pointers.
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut levels = Vec::with_capacity(cuts.len());
    for w in cuts.windows(2) {
        let m = (w[0] + w[1]) / 2.0;
        while lo < turning.len() && along[turning[lo]] < m - d {
            lo += 1;
        }
        hi = hi.max(lo);
        while hi < turning.len() && along[turning[hi]] <= m + d {
            hi += 1;
        }
        let (mut best, mut sum, mut s) = (0.0f64, 0.0, lo);
        for e in lo..hi {
            sum += turn[turning[e]];
            while along[turning[e]] - along[turning[s]] > d {
                sum -= turn[turning[s]];
                s += 1;
            }
            best = best.max(sum);
        }
        // Rounded down to a step of the nominal distance, so that neighbouring pieces of
        // nearly the same need become one.
        let need = bent_distance_m(d, half_strip_m, best);
        let step = d * DISTANCE_STEP_SHARE;
        levels.push(if need >= d {
            d
        } else {
            (((need / step) + 1e-9).floor() * step).clamp(MIN_TRIGGER_SHARE * d, d)
        });
    }
    merge_short_runs(&cuts, &mut levels);
    out[0].distance_m = levels[0];
    // A command where the level changes, and at every sharp vertex.
    let mut seg = 0usize;
    for (i, &c) in cuts.iter().enumerate().take(levels.len()).skip(1) {
        while seg + 2 < n && along[seg + 1] <= c + 1e-6 {
            seg += 1;
        }
        let at_vertex = (c - along[seg]).abs() <= 1e-6;
        let sharp = at_vertex && turn[seg] > SHARP_TURN_RAD;
        if levels[i] == levels[i - 1] && !sharp {
            continue;
        }
        let len = along[seg + 1] - along[seg];
        let at = if at_vertex || len <= DEGENERATE_M {
            path[seg]
        } else {
            path[seg] + (path[seg + 1] - path[seg]) * ((c - along[seg]) / len)
        };
        out.push(TriggerAt {
            seg,
            at,
            distance_m: levels[i],
        });
    }
    out
}

/// Longest run of pieces (of different requirements) one stretch may join; a bound on
/// the work of [`merge_short_runs`], at the cost of at most one command more per this many
/// pieces.
const MAX_JOINED_PIECES: usize = 128;

/// Distances a stretch needs are rounded down to a multiple of this share of the nominal
/// distance (at most that share more photos), so that pieces of nearly the same need join.
const DISTANCE_STEP_SHARE: f64 = 0.005;

/// Chooses the stretches of a lane: each change of distance costs a command and a photo, so
/// neighbouring pieces are joined into one stretch, flown at the shortest distance any of them
/// needs, where that takes fewer photos in all (the fewest, by dynamic programming over
/// stretches of up to [`MAX_JOINED_PIECES`] pieces). Only ever shortens distances, so no
/// piece is flown at more than it needs. `dist_m[i]` is the distance piece
/// `cuts[i]..cuts[i + 1]` needs.
fn merge_short_runs(cuts: &[f64], dist_m: &mut [f64]) {
    // Neighbouring pieces needing the same distance are one piece: (first, end, distance).
    let mut pieces: Vec<(usize, usize, f64)> = Vec::new();
    for (i, &dm) in dist_m.iter().enumerate() {
        match pieces.last_mut() {
            Some(p) if p.2 == dm => p.1 = i + 1,
            _ => pieces.push((i, i + 1, dm)),
        }
    }
    let m = pieces.len();
    // best[j]: fewest photos (one per command, plus the distance photos) for pieces ..j.
    let mut best = vec![f64::INFINITY; m + 1];
    let mut from = vec![0usize; m + 1];
    best[0] = 0.0;
    for j in 1..=m {
        let (mut need, mut len) = (f64::INFINITY, 0.0);
        for i in (j.saturating_sub(MAX_JOINED_PIECES)..j).rev() {
            let (a, b, dm) = pieces[i];
            need = need.min(dm);
            len += cuts[b] - cuts[a];
            let photos = best[i] + 1.0 + len / need;
            if photos < best[j] {
                best[j] = photos;
                from[j] = i;
            }
        }
    }
    let mut j = m;
    while j > 0 {
        let i = from[j];
        let need = pieces[i..j]
            .iter()
            .map(|p| p.2)
            .fold(f64::INFINITY, f64::min);
        dist_m[pieces[i].0..pieces[j - 1].1]
            .iter_mut()
            .for_each(|x| *x = need);
        j = i;
    }
}

/// Makes every photo the mission commands (a lane command's "trigger once", the exit's "once
/// more") come at least `min_gap_m` after the photo before it on the lane, so that a camera
/// that needs `min_gap_m / speed` seconds between photos (its `min_trigger_interval_s`) can take
/// it. The distance trigger already keeps its photos a trigger distance apart; a commanded
/// photo can fall just after one of them. Then:
/// * a lane command is moved forward along the lane to `min_gap_m` after that photo (its
///   photo still comes no further from the one before than the distance it ends, so the
///   overlap holds); one that would pass the next command or the exit is dropped;
/// * at the exit, a command is added half way between the photo before last and the exit, at
///   the distance in force, so the last three photos are evenly spaced instead of the last
///   two crowding the exit.
///
/// A lane too short for this keeps its photos. Returns the commands, lane by lane.
pub fn space_commanded_photos(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    min_gap_m: f64,
) -> Vec<LaneTriggers> {
    let mut out: Vec<LaneTriggers> = triggers.to_vec();
    if !(min_gap_m.is_finite() && min_gap_m > 0.0) {
        return out;
    }
    for (ti, t) in transects.iter().enumerate() {
        let Some(lane) = out.get_mut(ti) else { break };
        let n = t.path.len();
        if n < 2 {
            continue;
        }
        let mut along = vec![0.0; n];
        for k in 1..n {
            along[k] = along[k - 1] + dist(t.path[k - 1], t.path[k]);
        }
        let total = along[n - 1];
        let at_along = |s: f64| -> (usize, PlaneCoord) {
            let k = along.partition_point(|&v| v <= s).clamp(1, n - 1);
            let len = along[k] - along[k - 1];
            let f = if len > DEGENERATE_M {
                ((s - along[k - 1]) / len).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (k - 1, t.path[k - 1] + (t.path[k] - t.path[k - 1]) * f)
        };
        let cmd_along =
            |c: &TriggerAt| along[c.seg.min(n - 1)] + dist(t.path[c.seg.min(n - 1)], c.at);
        // Each fix moves a photo forward or adds one; a lane has at most this many to fix.
        let max_fixes = 4 + 4 * (total / min_gap_m).ceil() as usize;
        for _ in 0..max_fixes {
            let traced = trace_lane_photos(std::slice::from_ref(t), std::slice::from_ref(lane));
            let commanded = |p: &TracedPhoto| {
                p.along_m >= total - SAME_PLACE_M
                    || lane
                        .iter()
                        .any(|c| (cmd_along(c) - p.along_m).abs() <= SAME_PLACE_M)
            };
            let bad = (1..traced.len()).find(|&k| {
                commanded(&traced[k])
                    && dist(traced[k].photo.at, traced[k - 1].photo.at) < min_gap_m - 1e-6
            });
            let Some(k) = bad else { break };
            let (prev, this) = (traced[k - 1], traced[k]);
            if this.along_m < total - SAME_PLACE_M {
                // A lane command: move it forward, or drop it if it would pass the next.
                let Some(i) = lane
                    .iter()
                    .position(|c| (cmd_along(c) - this.along_m).abs() <= SAME_PLACE_M)
                else {
                    break;
                };
                // The first point on from here as far (straight-line, as the camera measures)
                // from the photo before as the camera needs.
                let far = |s: f64| dist(at_along(s).1, prev.photo.at) >= min_gap_m;
                let (mut lo, mut hi) = (this.along_m, (prev.along_m + 2.0 * min_gap_m).min(total));
                let to = if far(hi) {
                    for _ in 0..50 {
                        let mid = 0.5 * (lo + hi);
                        if far(mid) {
                            hi = mid;
                        } else {
                            lo = mid;
                        }
                    }
                    hi
                } else {
                    total
                };
                let limit = lane.get(i + 1).map_or(total, &cmd_along);
                if i == 0 || to >= limit - SAME_PLACE_M {
                    if i == 0 {
                        break; // the entry command is not moved
                    }
                    let removed = lane.remove(i);
                    // Its distance holds from the command before it on (never longer).
                    if let Some(before) = lane.get_mut(i - 1) {
                        before.distance_m = before.distance_m.min(removed.distance_m);
                    }
                } else {
                    let (seg, at) = at_along(to);
                    lane[i] = TriggerAt { seg, at, ..lane[i] };
                }
            } else {
                // The exit: even out the last two spacings with a command between.
                let Some(before) = (k >= 2).then(|| traced[k - 2]) else {
                    break;
                };
                let mid = 0.5 * (before.along_m + total);
                if commanded(&prev) || mid - before.along_m < min_gap_m {
                    break;
                }
                let (seg, at) = at_along(mid);
                let pos = lane.partition_point(|c| cmd_along(c) < mid);
                if pos == 0 {
                    break;
                }
                lane.insert(
                    pos,
                    TriggerAt {
                        seg,
                        at,
                        distance_m: before.distance_m,
                    },
                );
            }
        }
    }
    out
}

/// A camera command on a lane's path: `DO_SET_CAM_TRIGG_DIST` with p1 = `distance_m` and
/// p3 = 1, issued on arrival at `at`. The vehicle takes a photo there and counts the next
/// trigger distance from that point. A command at a vertex (`at == path[seg]`) follows that
/// vertex's waypoint; one further along the segment gets a waypoint of its own at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriggerAt {
    /// The path segment (`path[seg]` to `path[seg + 1]`) the command is on.
    pub seg: usize,
    /// Where: `path[seg]` or a point further along the segment.
    pub at: PlaneCoord,
    /// Trigger distance from here on, metres.
    pub distance_m: f64,
}

impl TriggerAt {
    /// Whether the command is at the segment's first vertex (no waypoint of its own).
    pub fn at_vertex(&self, path: &[PlaneCoord]) -> bool {
        path.get(self.seg)
            .is_some_and(|&v| dist(v, self.at) <= DEGENERATE_M)
    }
}

/// The camera commands along one transect's path, in path order, the first at the entry
/// (`seg` 0, `at` = `path[0]`). Triggering stops at the exit (the mission's "off, once more now"), which is
/// not listed. The plan's lanes have one such list each, side by side with
/// [`SurveyPlan::transects`](crate::survey::SurveyPlan::transects).
pub type LaneTriggers = Vec<TriggerAt>;

/// One trigger distance for every lane: a single command at each entry.
pub fn uniform_triggers(transects: &[Transect], trigger_distance_m: f64) -> Vec<LaneTriggers> {
    transects
        .iter()
        .map(|t| {
            t.path
                .first()
                .map(|&entry| TriggerAt {
                    seg: 0,
                    at: entry,
                    distance_m: trigger_distance_m,
                })
                .into_iter()
                .collect()
        })
        .collect()
}

/// The photos the autopilot takes flying `transects` with the camera commands `triggers`
/// (one list per transect, see [`LaneTriggers`]): at each command's vertex, and where the
/// chord from the previous photo reaches the distance in force, and at the exit (unless the
/// last photo was taken there already).
pub fn lane_photo_points(transects: &[Transect], triggers: &[LaneTriggers]) -> Vec<PhotoPoint> {
    trace_lane_photos(transects, triggers)
        .into_iter()
        .map(|t| t.photo)
        .collect()
}

/// The largest total turn (sum of absolute heading changes at vertices), radians, of `path`
/// within any stretch of `window_m` along it.
pub(crate) fn max_turn_within_rad(path: &[PlaneCoord], window_m: f64) -> f64 {
    // Turns at the inner vertices with their distance along the path.
    let mut turns: Vec<(f64, f64)> = Vec::new();
    let mut along = 0.0;
    let mut prev: Option<PlaneCoord> = None;
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = dist(a, b);
        if len <= DEGENERATE_M {
            continue;
        }
        let u = (b - a) / len;
        if let Some(p) = prev {
            let cos = (p.x * u.x + p.y * u.y).clamp(-1.0, 1.0);
            turns.push((along, cos.acos()));
        }
        prev = Some(u);
        along += len;
    }
    let (mut best, mut sum, mut start) = (0.0f64, 0.0, 0);
    for end in 0..turns.len() {
        sum += turns[end].1;
        while turns[end].0 - turns[start].0 > window_m {
            sum -= turns[start].1;
            start += 1;
        }
        best = best.max(sum);
    }
    best
}

/// A photo together with where on its transect's path it is taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TracedPhoto {
    pub photo: PhotoPoint,
    /// Index of the path segment (`path[seg]` to `path[seg + 1]`) it is taken on.
    pub seg: usize,
    /// Distance along the path from the entry, metres.
    pub along_m: f64,
    /// Trigger distance in force after this photo, metres: what a sortie resuming here sets.
    pub distance_m: f64,
}

/// [`photo_points`] with the position of each photo along its path, for cutting sorties.
pub(crate) fn trace_photos(transects: &[Transect], trigger_distance_m: f64) -> Vec<TracedPhoto> {
    trace_lane_photos(transects, &uniform_triggers(transects, trigger_distance_m))
}

/// [`lane_photo_points`] with the position of each photo along its path.
pub(crate) fn trace_lane_photos(
    transects: &[Transect],
    triggers: &[LaneTriggers],
) -> Vec<TracedPhoto> {
    let mut out = Vec::new();
    for (ti, t) in transects.iter().enumerate() {
        let path = &t.path;
        let Some((&entry, &exit)) = path.first().zip(path.last()) else {
            continue;
        };
        let lane: &[TriggerAt] = triggers.get(ti).map_or(&[], |l| l.as_slice());
        // The entry command (the first, at the entry) switches triggering on; without one
        // the entry photo is taken with triggering off, as the mission builder does.
        let entry_cmd = lane.first().filter(|c| c.seg == 0 && c.at_vertex(path));
        let entry_d = entry_cmd.map_or(0.0, |c| c.distance_m);
        // Heading at the entry and exit: of the first and last segments that have a length.
        let segs: Vec<(usize, PlaneCoord, PlaneCoord)> = path
            .windows(2)
            .enumerate()
            .filter(|(_, w)| dist(w[0], w[1]) > DEGENERATE_M)
            .map(|(i, w)| (i, w[0], w[1]))
            .collect();
        let (first_heading, last_heading, last_seg) = match (segs.first(), segs.last()) {
            (Some(f), Some(l)) => (heading_deg(f.1, f.2), heading_deg(l.1, l.2), l.0),
            // A path of one repeated point: photographed once, heading of the run-in.
            _ => {
                let h = heading_deg(t.turn_in, entry);
                out.push(TracedPhoto {
                    photo: PhotoPoint {
                        at: entry,
                        transect: ti,
                        heading_deg: h,
                    },
                    seg: 0,
                    along_m: 0.0,
                    distance_m: entry_d,
                });
                continue;
            }
        };
        out.push(TracedPhoto {
            photo: PhotoPoint {
                at: entry,
                transect: ti,
                heading_deg: first_heading,
            },
            seg: segs[0].0,
            along_m: 0.0,
            distance_m: entry_d,
        });
        let mut d = usable(entry_d);
        let mut last = entry;
        let mut heading = first_heading;
        let mut along_start = 0.0;
        let mut next_cmd = lane[usize::from(entry_cmd.is_some())..].iter().peekable();
        let inner_end = path.len() - 1;
        for (i, w) in path.windows(2).enumerate() {
            let (a, b) = (w[0], w[1]);
            let mut pos = a;
            let mut pos_along = along_start;
            // Fly from `pos` to `to` (on this segment), taking the distance photos.
            let fly = |to: PlaneCoord,
                       pos: &mut PlaneCoord,
                       pos_along: &mut f64,
                       heading: &mut f64,
                       last: &mut PlaneCoord,
                       d: Option<f64>,
                       out: &mut Vec<TracedPhoto>| {
                let len = dist(*pos, to);
                if len > DEGENERATE_M {
                    *heading = heading_deg(*pos, to);
                    if let Some(d) = d {
                        let (h, from) = (*heading, *pos_along);
                        fly_segment(*pos, to, d, last, |at, s| {
                            out.push(TracedPhoto {
                                photo: PhotoPoint {
                                    at,
                                    transect: ti,
                                    heading_deg: h,
                                },
                                seg: i,
                                along_m: from + s * len,
                                distance_m: d,
                            })
                        });
                    }
                }
                *pos = to;
                *pos_along += len;
            };
            // Commands on this segment, in order (any listed out of order are skipped, as the
            // mission builder does): fly there, then a photo now, the new distance, and the
            // count from here.
            while next_cmd.next_if(|c| c.seg < i).is_some() {}
            while let Some(c) = next_cmd.next_if(|c| c.seg == i && i < inner_end) {
                let to = if c.at_vertex(path) { a } else { c.at };
                fly(
                    to,
                    &mut pos,
                    &mut pos_along,
                    &mut heading,
                    &mut last,
                    d,
                    &mut out,
                );
                d = usable(c.distance_m);
                if dist(pos, last) > SAME_PLACE_M {
                    out.push(TracedPhoto {
                        photo: PhotoPoint {
                            at: pos,
                            transect: ti,
                            heading_deg: heading,
                        },
                        seg: i,
                        along_m: pos_along,
                        distance_m: c.distance_m,
                    });
                } else if let Some(prev) = out.last_mut() {
                    prev.distance_m = c.distance_m;
                }
                last = pos;
            }
            fly(
                b,
                &mut pos,
                &mut pos_along,
                &mut heading,
                &mut last,
                d,
                &mut out,
            );
            along_start += dist(a, b);
        }
        if dist(exit, last) > SAME_PLACE_M {
            out.push(TracedPhoto {
                photo: PhotoPoint {
                    at: exit,
                    transect: ti,
                    heading_deg: last_heading,
                },
                seg: last_seg,
                along_m: along_start,
                distance_m: 0.0,
            });
        } else if let Some(prev) = out.last_mut() {
            prev.distance_m = 0.0;
        }
    }
    out
}

/// A trigger distance that triggers: finite and > 0.
fn usable(d: f64) -> Option<f64> {
    (d.is_finite() && d > 0.0).then_some(d)
}

/// Flies the straight segment `a` to `b` with distance triggering at `d` metres from `last`
/// (the position of the previous photo), calling `shot(point, s)` for every photo with `s`
/// the fraction of the segment flown, and updating `last`.
///
/// The distance from `last` along the segment is convex in `s`, and below `d` where the
/// segment starts (otherwise the previous segment would have triggered), so the next photo is
/// at the larger root of `|a + s (b - a) - last| = d`.
fn fly_segment(
    a: PlaneCoord,
    b: PlaneCoord,
    d: f64,
    last: &mut PlaneCoord,
    mut shot: impl FnMut(PlaneCoord, f64),
) {
    let u = b - a;
    let uu = u.x * u.x + u.y * u.y;
    if uu <= DEGENERATE_M * DEGENERATE_M {
        return;
    }
    let mut s0 = 0.0;
    loop {
        let w = a - *last;
        let wu = w.x * u.x + w.y * u.y;
        let c = w.x * w.x + w.y * w.y - d * d;
        let disc = (wu * wu - uu * c).max(0.0);
        let s = ((-wu + disc.sqrt()) / uu).max(s0);
        if s > 1.0 {
            return;
        }
        let at = a + u * s;
        shot(at, s);
        *last = at;
        s0 = s;
    }
}

/// Plane distance, metres.
pub(crate) fn dist(a: PlaneCoord, b: PlaneCoord) -> f64 {
    (b.x - a.x).hypot(b.y - a.y)
}

/// The photos a vehicle takes flying `items` from `start` (the take-off point, in the plane of
/// `frame`), as ArduPilot's distance trigger takes them: positions and headings in flight
/// order. Waypoints are flown as straight legs; emulation stops at the first return-to-launch
/// or land item. A "trigger once" within [`SAME_PLACE_M`] of the previous photo is counted as
/// that photo.
///
/// This checks a mission as the vehicle will fly it, independently of how it was planned.
pub fn mission_photos(
    items: &[MissionItem],
    frame: &LocalFrame,
    start: PlaneCoord,
) -> Vec<(PlaneCoord, f64)> {
    let mut photos: Vec<(PlaneCoord, f64)> = Vec::new();
    let mut pos = start;
    let mut heading = 0.0;
    let mut distance_m: Option<f64> = None;
    // AP_Camera measures from the last photo (or from where triggering was switched on).
    let mut last = start;
    for item in items {
        match item {
            MissionItem::Waypoint { point, .. } => {
                let (x, y) = frame.project(*point);
                let to = PlaneCoord { x, y };
                if dist(pos, to) > DEGENERATE_M {
                    heading = heading_deg(pos, to);
                    if let Some(d) = distance_m {
                        let h = heading;
                        fly_segment(pos, to, d, &mut last, |at, _| photos.push((at, h)));
                    }
                }
                pos = to;
            }
            MissionItem::CamTriggerDistance {
                distance_m: d,
                trigger_once,
            } => {
                let d = *d as f64;
                distance_m = (d.is_finite() && d > 0.0).then_some(d);
                if *trigger_once {
                    let repeat = photos
                        .last()
                        .is_some_and(|(at, _)| dist(*at, pos) <= SAME_PLACE_M);
                    if !repeat {
                        photos.push((pos, heading));
                    }
                }
                last = pos;
            }
            MissionItem::ReturnToLaunch | MissionItem::Land { .. } => break,
            _ => {}
        }
    }
    photos
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    fn lane(path: Vec<PlaneCoord>) -> Transect {
        Transect {
            approach: vec![],
            turn_in: path[0],
            turn_out: *path.last().unwrap(),
            path,
        }
    }

    #[test]
    fn commanded_photos_wait_for_the_camera() {
        let gaps = |p: &[PhotoPoint]| -> Vec<f64> {
            p.windows(2).map(|w| dist(w[0].at, w[1].at)).collect()
        };
        // 100.5 m at 12.5 m: the exit photo would come 0.5 m after the last distance photo.
        let t = lane(vec![coord! {x: 0.0, y: 0.0}, coord! {x: 100.5, y: 0.0}]);
        let triggers = uniform_triggers(std::slice::from_ref(&t), 12.5);
        let before = lane_photo_points(std::slice::from_ref(&t), &triggers);
        assert!((gaps(&before).last().unwrap() - 0.5).abs() < 1e-9);
        let spaced = space_commanded_photos(std::slice::from_ref(&t), &triggers, 5.6);
        let after = lane_photo_points(std::slice::from_ref(&t), &spaced);
        let g = gaps(&after);
        assert!(g.iter().all(|&g| g >= 5.6 - 1e-9), "{g:?}");
        // The last two spacings are even, from the photo before last, and no spacing is longer
        // than the trigger distance, so the overlap holds.
        let n = g.len();
        assert!(
            (g[n - 1] - 6.5).abs() < 1e-9 && (g[n - 2] - 6.5).abs() < 1e-9,
            "{g:?}"
        );
        assert!(g.iter().all(|&g| g <= 12.5 + 1e-9), "{g:?}");
        assert_eq!(after.last().unwrap().at, coord! {x: 100.5, y: 0.0});
        // The mission emulation agrees with the prediction.
        let f = LocalFrame::at(qly_core::geodesy::GeoPoint {
            lat_deg: 27.0,
            lon_deg: 106.9,
        });
        let items = crate::mission_build::survey_items(std::slice::from_ref(&t), &spaced, &f, 50.0);
        let flown = mission_photos(&items, &f, coord! {x: 0.0, y: -10.0});
        assert_eq!(flown.len(), after.len());

        // A bend command 0.5 m after a distance photo moves to 5.6 m after that photo.
        let bent = lane(vec![
            coord! {x: 0.0, y: 0.0},
            coord! {x: 40.5, y: 0.0},
            coord! {x: 80.5, y: 40.0},
        ]);
        let cmds = vec![vec![
            TriggerAt {
                seg: 0,
                at: coord! {x: 0.0, y: 0.0},
                distance_m: 10.0,
            },
            TriggerAt {
                seg: 1,
                at: coord! {x: 40.5, y: 0.0},
                distance_m: 8.0,
            },
        ]];
        let spaced = space_commanded_photos(std::slice::from_ref(&bent), &cmds, 5.6);
        let moved = spaced[0][1];
        assert_eq!((moved.seg, moved.distance_m), (1, 8.0));
        assert!(
            (dist(moved.at, coord! {x: 40.0, y: 0.0}) - 5.6).abs() < 0.05,
            "{moved:?}"
        );
        let g = gaps(&lane_photo_points(std::slice::from_ref(&bent), &spaced));
        assert!(g.iter().all(|&g| g >= 5.6 - 1e-3), "{g:?}");
    }

    #[test]
    fn straight_lane_photos_every_trigger_distance_plus_exit() {
        let t = lane(vec![coord! {x: 0.0, y: 0.0}, coord! {x: 95.0, y: 0.0}]);
        let p = photo_points(&[t], 10.0);
        assert_eq!(p.len(), 11);
        for (i, ph) in p.iter().take(10).enumerate() {
            assert!((ph.at.x - 10.0 * i as f64).abs() < 1e-9);
            assert!((ph.heading_deg - 90.0).abs() < 1e-12);
        }
        assert_eq!(p[10].at, coord! {x: 95.0, y: 0.0});
    }

    #[test]
    fn exit_photo_skipped_when_last_distance_photo_is_there() {
        let t = lane(vec![coord! {x: 0.0, y: 0.0}, coord! {x: 0.0, y: -40.0}]);
        let p = photo_points(&[t], 10.0);
        assert_eq!(p.len(), 5);
        assert!((p[4].at.y + 40.0).abs() < 1e-9);
        assert!((p[4].heading_deg - 180.0).abs() < 1e-12);
    }

    #[test]
    fn bend_uses_chord_distance_not_path_length() {
        // A right-angle bend at (10, 0): after the photo at the corner, the next photo is
        // where the straight-line distance from it reaches 10 m.
        let t = lane(vec![
            coord! {x: 0.0, y: 0.0},
            coord! {x: 8.0, y: 0.0},
            coord! {x: 8.0, y: 30.0},
        ]);
        let p = photo_points(&[t], 10.0);
        // Second photo: chord from (0,0) reaches 10 on the northbound leg at y = 6.
        assert!((p[1].at.x - 8.0).abs() < 1e-9 && (p[1].at.y - 6.0).abs() < 1e-9);
        assert!((p[1].heading_deg - 0.0).abs() < 1e-12);
        for w in p.windows(2).take(p.len() - 2) {
            assert!((dist(w[0].at, w[1].at) - 10.0).abs() < 1e-9);
        }
    }

    #[test]
    fn zero_trigger_distance_takes_entry_and_exit_only() {
        let t = lane(vec![coord! {x: 0.0, y: 0.0}, coord! {x: 50.0, y: 50.0}]);
        for d in [0.0, -1.0, f64::NAN] {
            let p = photo_points(std::slice::from_ref(&t), d);
            assert_eq!(p.len(), 2);
            assert!((p[0].heading_deg - 45.0).abs() < 1e-9);
        }
    }

    #[test]
    fn photos_carry_their_transect_and_path_position() {
        let a = lane(vec![coord! {x: 0.0, y: 0.0}, coord! {x: 30.0, y: 0.0}]);
        let b = lane(vec![
            coord! {x: 30.0, y: 20.0},
            coord! {x: 15.0, y: 20.0},
            coord! {x: 0.0, y: 20.0},
        ]);
        let traced = trace_photos(&[a, b], 10.0);
        let transects: Vec<usize> = traced.iter().map(|t| t.photo.transect).collect();
        assert_eq!(transects, vec![0, 0, 0, 0, 1, 1, 1, 1]);
        for (t, want) in traced[4..].iter().zip([0.0, 10.0, 20.0, 30.0]) {
            assert!((t.along_m - want).abs() < 1e-9, "{t:?}");
        }
        assert_eq!(traced[5].seg, 0);
        assert_eq!(traced[6].seg, 1);
        assert!((traced[6].photo.heading_deg - 270.0).abs() < 1e-12);
    }

    #[test]
    fn bends_shorten_the_trigger_distance() {
        let straight = lane(vec![coord! {x: 0.0, y: 0.0}, coord! {x: 0.0, y: 100.0}]);
        assert_eq!(bend_trigger_distance_m(&[straight], 20.0, 15.0), 20.0);
        // Turns of 0.1 rad every 5 m: 0.5 rad within 20 m (five vertices, both ends counted).
        let mut pts = vec![coord! {x: 0.0, y: 0.0}];
        let mut heading: f64 = 0.0;
        for _ in 0..30 {
            let p = *pts.last().unwrap();
            pts.push(p + coord! {x: 5.0 * heading.sin(), y: 5.0 * heading.cos()});
            heading += 0.1;
        }
        assert!((max_turn_within_rad(&pts, 20.0) - 0.5).abs() < 1e-9);
        let bent = bend_trigger_distance_m(&[lane(pts)], 20.0, 15.0);
        let want = 20.0 * (1.0 + 0.5f64.cos()) / 2.0 - 15.0 * 0.5f64.sin();
        assert!((bent - want).abs() < 1e-9, "{bent}");
        // A right angle would need more than half: clamped.
        let corner = lane(vec![
            coord! {x: 0.0, y: 0.0},
            coord! {x: 0.0, y: 50.0},
            coord! {x: 50.0, y: 50.0},
        ]);
        assert_eq!(bend_trigger_distance_m(&[corner], 20.0, 15.0), 10.0);
    }

    #[test]
    fn straight_lanes_get_one_command_at_the_nominal_distance() {
        let t = lane(vec![
            coord! {x: 0.0, y: 0.0},
            coord! {x: 0.0, y: 50.0},
            coord! {x: 0.0, y: 300.0},
        ]);
        let cmds = lane_triggers(std::slice::from_ref(&t), 15.8, 15.8);
        assert_eq!(
            cmds,
            vec![vec![TriggerAt {
                seg: 0,
                at: coord! {x: 0.0, y: 0.0},
                distance_m: 15.8
            }]]
        );
        assert_eq!(
            lane_photo_points(std::slice::from_ref(&t), &cmds),
            photo_points(&[t], 15.8)
        );
    }

    /// A long lane with one gentle bend in the middle: only the photos near the bend come
    /// closer, so the count is that of the straight lane plus a few.
    #[test]
    fn only_the_bend_is_flown_at_a_shorter_distance() {
        let mut pts = vec![coord! {x: 0.0, y: 0.0}, coord! {x: 0.0, y: 1000.0}];
        let mut heading: f64 = 0.0;
        for _ in 0..6 {
            heading += 0.1;
            let p = *pts.last().unwrap();
            pts.push(p + coord! {x: 10.0 * heading.sin(), y: 10.0 * heading.cos()});
        }
        let p = *pts.last().unwrap();
        pts.push(p + coord! {x: 1000.0 * heading.sin(), y: 1000.0 * heading.cos()});
        let t = lane(pts.clone());
        let (d, h) = (15.8, 15.8);
        let cmds = &lane_triggers(std::slice::from_ref(&t), d, h)[0].clone();
        // Nominal, shorter over the bend (0.1 rad every 10 m: 0.2 rad within one trigger
        // distance), nominal again.
        assert_eq!(cmds.first().unwrap().distance_m, d);
        assert_eq!(cmds.last().unwrap().distance_m, d);
        let shortest = cmds.iter().map(|c| c.distance_m).fold(d, f64::min);
        let want = d * (1.0 + 0.2f64.cos()) / 2.0 - h * 0.2f64.sin();
        assert!(shortest <= want + 1e-9, "{shortest} vs {want}: {cmds:?}");
        // Commands only within a trigger distance of the bend (1000 m to 1060 m along).
        for c in &cmds[1..] {
            let along = if c.seg == 0 {
                c.at.y
            } else if c.seg <= 6 {
                1000.0 + 10.0 * (c.seg - 1) as f64 + dist(pts[c.seg], c.at)
            } else {
                1060.0 + dist(pts[c.seg], c.at)
            };
            assert!(
                (1000.0 - d - 1e-6..=1060.0 + d + 1e-6).contains(&along),
                "{c:?}"
            );
        }
        let local = lane_photo_points(std::slice::from_ref(&t), std::slice::from_ref(cmds)).len();
        let straight = photo_points(std::slice::from_ref(&t), d).len();
        let ts = [t];
        let global = photo_points(&ts, bend_trigger_distance_m(&ts, d, h)).len();
        assert!(local <= straight + 8, "{local} vs {straight}");
        assert!(global > straight + 25, "{global} vs {straight}");
    }

    #[test]
    fn sharp_vertices_get_a_photo_of_their_own() {
        let t = lane(vec![
            coord! {x: 0.0, y: 0.0},
            coord! {x: 0.0, y: 400.0},
            coord! {x: 50.0, y: 30.0},
        ]);
        let cmds = &lane_triggers(std::slice::from_ref(&t), 15.8, 15.8)[0];
        assert!(
            cmds.iter().any(|c| c.seg == 1 && c.at == t.path[1]),
            "{cmds:?}"
        );
        let photos = lane_photo_points(std::slice::from_ref(&t), std::slice::from_ref(cmds));
        assert!(photos.iter().any(|p| dist(p.at, t.path[1]) <= SAME_PLACE_M));
        // No distance below the floor.
        assert!(cmds
            .iter()
            .all(|c| c.distance_m >= MIN_TRIGGER_SHARE * 15.8));
    }

    proptest::proptest! {
        /// On any path: the entry first, the exit last, every photo in between where the
        /// chord from the previous one reaches the trigger distance, in path order.
        #[test]
        fn photos_follow_the_chord_rule(
            steps in proptest::collection::vec((1.0f64..60.0, -2.5f64..2.5), 1..12),
            d in 2.0f64..40.0,
        ) {
            let mut pts = vec![coord! {x: 0.0, y: 0.0}];
            let mut heading: f64 = 0.3;
            for (len, turn) in &steps {
                heading += turn;
                let p = *pts.last().unwrap();
                pts.push(p + coord! {x: len * heading.sin(), y: len * heading.cos()});
            }
            let (entry, exit) = (pts[0], *pts.last().unwrap());
            let traced = trace_photos(&[lane(pts)], d);
            proptest::prop_assert_eq!(traced[0].photo.at, entry);
            proptest::prop_assert!(dist(traced.last().unwrap().photo.at, exit) <= SAME_PLACE_M);
            for w in traced.windows(2) {
                proptest::prop_assert!(w[1].along_m >= w[0].along_m);
                let chord = dist(w[0].photo.at, w[1].photo.at);
                proptest::prop_assert!(chord <= d + 1e-6, "chord {} > {}", chord, d);
            }
            // All but the exit photo are exactly one trigger distance from the previous.
            let n = traced.len();
            let exit_is_extra = n >= 2 && (dist(traced[n - 2].photo.at, traced[n - 1].photo.at) - d).abs() > 1e-6;
            let inner = if exit_is_extra { n - 1 } else { n };
            for w in traced[..inner].windows(2) {
                proptest::prop_assert!((dist(w[0].photo.at, w[1].photo.at) - d).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn heading_convention_is_clockwise_from_north() {
        let o = coord! {x: 0.0, y: 0.0};
        assert_eq!(heading_deg(o, coord! {x: 0.0, y: 1.0}), 0.0);
        assert_eq!(heading_deg(o, coord! {x: 1.0, y: 0.0}), 90.0);
        assert_eq!(heading_deg(o, coord! {x: 0.0, y: -1.0}), 180.0);
        assert_eq!(heading_deg(o, coord! {x: -1.0, y: 0.0}), 270.0);
    }
}
