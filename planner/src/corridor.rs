//! River-corridor flight lanes: parallel lanes either side of a river centreline, flown
//! back and forth (serpentine), each with a straight run-in and run-out.
//!
//! # Compared with QGroundControl's Corridor Scan
//!
//! QGroundControl (`src/MissionManager/CorridorScanComplexItem.cc`, lanes from
//! `QGCMapPolyline::offsetPolyline`) is the tool pilots know; its unit test
//! `test/MissionManager/CorridorScanComplexItemTest.{h,cc}` (mavlink/qgroundcontrol) uses a
//! centreline of two 200 m legs (north, then azimuth 20°), width 50 m, footprint side 26 m
//! at zero overlap (spacing 26 m), and expects 2 transects, each entry + one "polyline
//! turn" + exit, plus a turnaround point at each end when the turnaround is 50 m. We
//! reproduce that: 2 lanes of 3 path points each, run-in/out 50 m beyond the ends, and the
//! outer lane's corner is exactly QGC's mitre point (test `qgc_unit_test_case`).
//!
//! We deliberately differ in two places:
//! * **Centred lanes.** QGC places lane `i` at `W/2 − (s/2 + i·s)`: for W = 50, s = 26 that
//!   is +12 / −14 m, so one bank gets 1 m more margin than the other and, whenever W/s is not
//!   an integer, the lanes are off-centre. We place `n = ceil(W/s)` lanes at
//!   `((n−1)/2 − i)·s` (+13 / −13 m): symmetric about the river, and since `n·s ≥ W` the
//!   `s`-wide strips of the lanes cover `[−W/2, W/2]` with the excess split evenly between
//!   the banks. Pilots surveying both banks of a river want neither bank short-changed.
//! * **Round joins, folds removed.** QGC offsets each edge and intersects neighbouring
//!   offset edges as infinite lines (a mitre join without limit, no fold handling): at a
//!   160° bend a 25 m lane gets a vertex 25/cos 80° = 144 m from the river, and on the inner
//!   side of a sharp bend the lane loops backwards. Ours uses round joins on the outer side
//!   (arcs drawn as chords: no vertex further than `|offset|` from the river, no chord more
//!   than [`JOIN_TOLERANCE_M`] inside the arc) and cuts inner folds, so a lane cuts the
//!   inside corner at its offset distance and keeps the river's direction. See [`offset`]
//!   for the method.

pub mod offset;

use geo::{Coord, LineString};

use crate::survey::{CorridorOptions, PlaneCoord, Transect};
use crate::PlanError;

pub use offset::{JOIN_TOLERANCE_M, SIMPLIFY_TOLERANCE_M};

/// Most lanes a corridor may have (both banks and the extra lanes together); more means a
/// spacing far too small for the width, a unit mistake rather than a survey.
pub const MAX_LANES: usize = 1000;

/// Consecutive centreline points closer than this are one point, metres.
const DUPLICATE_POINT_M: f64 = 1e-6;

/// Number of lanes across the corridor itself (without extra lanes): the fewest lanes whose
/// `spacing`-wide strips cover the width. `None` for a width or spacing that is not finite
/// and positive, or more than [`MAX_LANES`] lanes.
fn corridor_lane_count(width_m: f64, spacing_m: f64) -> Option<usize> {
    if !(width_m.is_finite() && width_m > 0.0 && spacing_m.is_finite() && spacing_m > 0.0) {
        return None;
    }
    let ratio = width_m / spacing_m;
    // A ratio that is an integer up to rounding (0.3 / 0.1) must not get an extra lane.
    let n = (ratio - 1e-9 * ratio).ceil().max(1.0);
    if n > MAX_LANES as f64 {
        return None;
    }
    Some(n as usize)
}

/// Lane offsets from the centreline, metres, positive = left of the centreline's drawn
/// direction, ordered from the left-most lane to the right-most.
///
/// `n = ceil(width/spacing)` lanes cover the corridor (so `n·spacing >= width`), centred on
/// the centreline (a centre lane when `n` is odd), plus `extra_lanes_per_bank` lanes beyond
/// each bank at the same spacing. Empty when the width or spacing is not finite and
/// positive, or when there would be more than [`MAX_LANES`] lanes; [`corridor_transects`]
/// reports those cases as errors.
///
/// ```
/// use planner::corridor::lane_offsets_m;
/// assert_eq!(lane_offsets_m(50.0, 26.0, 0), vec![13.0, -13.0]);
/// assert_eq!(lane_offsets_m(60.0, 20.0, 1), vec![40.0, 20.0, 0.0, -20.0, -40.0]);
/// ```
pub fn lane_offsets_m(width_m: f64, spacing_m: f64, extra_lanes_per_bank: u32) -> Vec<f64> {
    let Some(n) = corridor_lane_count(width_m, spacing_m) else {
        return Vec::new();
    };
    let total = n.saturating_add(2usize.saturating_mul(extra_lanes_per_bank as usize));
    if total > MAX_LANES {
        return Vec::new();
    }
    let half = (total - 1) as f64 / 2.0;
    (0..total).map(|i| (half - i as f64) * spacing_m).collect()
}

fn check_param(
    field: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), PlanError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(PlanError::BadParam {
            field,
            value,
            expected,
        })
    }
}

/// The centreline's points without consecutive repeats, checked: finite, at least two
/// distinct points, not crossing itself.
fn clean_centreline(centreline: &LineString<f64>) -> Result<Vec<PlaneCoord>, PlanError> {
    for (i, c) in centreline.0.iter().enumerate() {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(PlanError::BadGeometry {
                what: format!(
                    "corridor centreline point {i} is not finite (x = {}, y = {}); expected \
                     metres east/north in the local plane",
                    c.x, c.y
                ),
            });
        }
    }
    let mut pts: Vec<PlaneCoord> = centreline.0.clone();
    pts.dedup_by(|b, a| (a.x - b.x).hypot(a.y - b.y) < DUPLICATE_POINT_M);
    if pts.len() < 2 {
        return Err(PlanError::BadGeometry {
            what: format!(
                "corridor centreline has {} distinct point(s) (of {} given); expected at \
                 least 2 points with a length above zero",
                pts.len(),
                centreline.0.len()
            ),
        });
    }
    if let Some((i, j, at)) = first_self_crossing(&pts) {
        return Err(PlanError::BadGeometry {
            what: format!(
                "corridor centreline crosses itself: segment {i} meets segment {j} near \
                 x = {:.1} m, y = {:.1} m; a river centreline must not cross or retrace \
                 itself (split it into separate corridors)",
                at.x, at.y
            ),
        });
    }
    Ok(pts)
}

/// First pair of segments `(i, j)` that meet other than at the vertex shared by neighbours,
/// with a point where they meet.
fn first_self_crossing(pts: &[PlaneCoord]) -> Option<(usize, usize, PlaneCoord)> {
    let tree = offset::segment_tree(pts);
    let nseg = pts.len() - 1;
    for i in 0..nseg {
        let (p, p2) = (pts[i], pts[i + 1]);
        let mut near: Vec<usize> = offset::segments_near(&tree, p, p2, 1e-9)
            .map(|s| s.data)
            .filter(|&j| j > i)
            .collect();
        near.sort_unstable();
        for j in near {
            let (q, q2) = (pts[j], pts[j + 1]);
            if j == i + 1 {
                // Neighbours share pts[i + 1]; they only overlap if the second turns back
                // along the first.
                let u = p2 - p;
                let v = q2 - q;
                let cross = u.x * v.y - u.y * v.x;
                let dot = u.x * v.x + u.y * v.y;
                if dot < 0.0 && cross.abs() <= 1e-12 * u.x.hypot(u.y) * v.x.hypot(v.y) {
                    return Some((i, j, q));
                }
                continue;
            }
            if let Some((t, _)) = offset::segment_crossing(p, p2, q, q2) {
                return Some((i, j, p + (p2 - p) * t));
            }
        }
    }
    None
}

/// Flight lanes of a corridor, in flight order (serpentine), each a
/// [`Transect`] (approach empty, turn_in, path, turn_out), in the
/// local plane (x east m, y north m).
///
/// Lanes are at [`lane_offsets_m`]`(width_m, spacing_m, options.extra_lanes_per_bank)`.
/// The flight starts on the left-most lane (left of the centreline's drawn direction),
/// flown in the centreline's direction; the next lane is flown back, and so on. Starting
/// at the left bank is a fixed, documented choice so that a plan is reproducible; reverse
/// the centreline to start on the other bank at its other end.
///
/// Each lane keeps `|offset|` from the centreline, with round joins on the outer side of
/// bends and inner folds cut off (see [`offset`]): no point of a lane is further than
/// `|offset| +` [`SIMPLIFY_TOLERANCE_M`] from the centreline. A lane that lies wholly
/// closer than `|offset|` to the centreline (inside the corridor of other stretches of a
/// river that bends back within `2·|offset|` of itself) vanishes and is left out; the
/// serpentine alternation counts the lanes flown.
/// `turn_in` lies `turnaround_m` before the first path point on the extension of the first
/// segment, `turn_out` the same beyond the last.
///
/// Errors: a width, spacing or turnaround that is not finite or out of range
/// ([`PlanError::BadParam`]); a centreline with non-finite points, fewer than two distinct
/// points, or crossing itself ([`PlanError::BadGeometry`]).
pub fn corridor_transects(
    centreline: &LineString<f64>,
    width_m: f64,
    spacing_m: f64,
    turnaround_m: f64,
    options: &CorridorOptions,
) -> Result<Vec<Transect>, PlanError> {
    check_param(
        "width_m",
        width_m,
        width_m > 0.0,
        "a corridor width above 0 m",
    )?;
    check_param(
        "spacing_m",
        spacing_m,
        spacing_m > 0.0,
        "a lane spacing above 0 m",
    )?;
    check_param(
        "turnaround_m",
        turnaround_m,
        turnaround_m >= 0.0,
        "a turnaround distance of 0 m or more",
    )?;
    if corridor_lane_count(width_m, spacing_m).is_none() {
        return Err(PlanError::BadParam {
            field: "spacing_m",
            value: spacing_m,
            expected: "a lane spacing giving at most 1000 lanes across the corridor width",
        });
    }
    let offsets = lane_offsets_m(width_m, spacing_m, options.extra_lanes_per_bank);
    if offsets.is_empty() {
        return Err(PlanError::BadParam {
            field: "extra_lanes_per_bank",
            value: f64::from(options.extra_lanes_per_bank),
            expected: "at most 1000 lanes in all, extra lanes on both banks included",
        });
    }
    let pts = clean_centreline(centreline)?;

    let mut transects = Vec::with_capacity(offsets.len());
    for d in offsets {
        let mut path = offset::offset_lane(&pts, d);
        if path.len() < 2 {
            continue;
        }
        if transects.len() % 2 == 1 {
            path.reverse();
        }
        let turn_in = extend(path[1], path[0], turnaround_m);
        let turn_out = extend(path[path.len() - 2], path[path.len() - 1], turnaround_m);
        transects.push(Transect {
            approach: Vec::new(),
            turn_in,
            path,
            turn_out,
        });
    }
    if transects.is_empty() {
        return Err(PlanError::BadGeometry {
            what: "corridor centreline is too short and sharply bent for any lane at the \
                   given width and spacing"
                .to_string(),
        });
    }
    Ok(transects)
}

/// The point `by_m` beyond `to` on the line from `from` through `to`.
fn extend(from: Coord<f64>, to: Coord<f64>, by_m: f64) -> Coord<f64> {
    let v = to - from;
    let len = v.x.hypot(v.y);
    if len == 0.0 {
        return to;
    }
    to + v * (by_m / len)
}

#[cfg(test)]
mod tests;
