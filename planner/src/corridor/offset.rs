//! One-sided offset of an open polyline: round joins on the outer side of each bend, inner
//! folds cut away, so that a lane never spikes away from the river nor doubles back on itself.
//!
//! Why not a mitre join (QGroundControl's `offsetPolyline`): the mitre vertex of a bend of
//! `θ` at offset `d` lies `d / cos(θ/2)` from the centreline, 144 m for 25 m at 160°.
//! Why not `geo::Buffer`: it returns the buffered *area* (an i_overlay polygon with caps and
//! holes), not the ordered one-sided line a drone flies; recovering which boundary pieces
//! belong to which side, and in which order, is more work and less robust than building the
//! side directly.
//!
//! The method:
//! 1. The raw offset: each segment shifted by `d` along its left normal; at a bend, the
//!    outer side gets the arc of radius `|d|` round the vertex as chords (of at most
//!    [`max_join_step_rad`], cutting at most [`JOIN_TOLERANCE_M`] inside the arc), the inner
//!    side a straight connector that folds back. Chords rather than a circumscribed polygon:
//!    every vertex then lies exactly `|d|` from the segment or vertex it comes from, so the
//!    fold test below can tell a point inside the buffer from one on its boundary.
//! 2. Loops are cut: walking the raw curve, the first crossing with a later piece whose loop
//!    lies wholly closer than `|d|` to the centreline (a fold, inside the corridor's
//!    buffer) is short-cut. A loop that reaches the buffer boundary (the lane really passes
//!    there, e.g. round the inside of a meander whose neck is narrower than `2|d|`) is kept:
//!    the lane then crosses or closes on itself at the neck rather than skip the meander.
//! 3. Each end is trimmed back to where the lane first reaches the buffer boundary (distance
//!    `|d|` from the whole centreline): before that it runs in the fold of a sharp bend next
//!    to the end, which step 2 cannot close since nothing comes before it, or inside the
//!    corridor of another stretch of the river. A lane that never reaches the boundary lies
//!    wholly inside the other lanes' corridor and vanishes.
//!
//! Every point of the result lies on a piece of the raw offset, so it is at most `|d|` from
//! the centreline by construction (`|d| +` [`SIMPLIFY_TOLERANCE_M`] after dropping nearly
//! colinear vertices).

use geo::{Coord, Line, LineString, Point, Simplify};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

type C = Coord<f64>;
/// A segment with its index, for the R-trees.
pub(crate) type Indexed = GeomWithData<Line<f64>, usize>;

pub(crate) fn segment_tree(pts: &[C]) -> RTree<Indexed> {
    RTree::bulk_load(
        pts.windows(2)
            .enumerate()
            .map(|(k, w)| GeomWithData::new(Line::new(w[0], w[1]), k))
            .collect(),
    )
}

/// The segments of `tree` whose bounding boxes meet the box round `a`, `b` grown by
/// `grow`.
pub(crate) fn segments_near(
    tree: &RTree<Indexed>,
    a: C,
    b: C,
    grow: f64,
) -> impl Iterator<Item = &Indexed> {
    let lo = Point::new(a.x.min(b.x) - grow, a.y.min(b.y) - grow);
    let hi = Point::new(a.x.max(b.x) + grow, a.y.max(b.y) + grow);
    tree.locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
}

/// Most a chord of a round join cuts inside its arc (the sagitta), metres.
pub const JOIN_TOLERANCE_M: f64 = 0.25;
/// Largest angle one piece of a round join may turn, whatever the offset.
const MAX_JOIN_STEP_DEG: f64 = 30.0;
/// Colinear vertices closer than this to the line through their neighbours are dropped.
pub const SIMPLIFY_TOLERANCE_M: f64 = 0.1;

/// Angle of one chord of a round join at offset `d_abs`, so that its sagitta
/// `d_abs·(1 − cos(step/2))` is at most [`JOIN_TOLERANCE_M`].
pub fn max_join_step_rad(d_abs: f64) -> f64 {
    let by_tolerance = 2.0 * (1.0 - JOIN_TOLERANCE_M / d_abs).max(-1.0).acos();
    by_tolerance.min(MAX_JOIN_STEP_DEG.to_radians())
}

fn sub(a: C, b: C) -> C {
    C {
        x: a.x - b.x,
        y: a.y - b.y,
    }
}
fn add(a: C, b: C) -> C {
    C {
        x: a.x + b.x,
        y: a.y + b.y,
    }
}
fn mul(a: C, k: f64) -> C {
    C {
        x: a.x * k,
        y: a.y * k,
    }
}
fn dot(a: C, b: C) -> f64 {
    a.x * b.x + a.y * b.y
}
fn cross(a: C, b: C) -> f64 {
    a.x * b.y - a.y * b.x
}
fn norm(a: C) -> f64 {
    a.x.hypot(a.y)
}
/// Left normal of a unit direction.
fn left(u: C) -> C {
    C { x: -u.y, y: u.x }
}
fn rotate(w: C, angle_rad: f64) -> C {
    let (s, c) = angle_rad.sin_cos();
    C {
        x: w.x * c - w.y * s,
        y: w.x * s + w.y * c,
    }
}

/// Where segment `p`–`p2` meets segment `q`–`q2`: parameters `(t, u)` along each, the first
/// common point along `p`–`p2` when they overlap colinearly.
pub fn segment_crossing(p: C, p2: C, q: C, q2: C) -> Option<(f64, f64)> {
    const EPS: f64 = 1e-12;
    let r = sub(p2, p);
    let s = sub(q2, q);
    let rr = dot(r, r);
    let ss = dot(s, s);
    if rr == 0.0 || ss == 0.0 {
        return None;
    }
    let qp = sub(q, p);
    let denom = cross(r, s);
    if denom.abs() <= EPS * rr.sqrt() * ss.sqrt() {
        // Parallel: only a colinear overlap meets.
        if cross(qp, r).abs() > 1e-9 * rr.sqrt() * (1.0 + norm(qp)) {
            return None;
        }
        let t0 = dot(qp, r) / rr;
        let t1 = dot(sub(q2, p), r) / rr;
        let lo = t0.min(t1).max(0.0);
        let hi = t0.max(t1).min(1.0);
        if lo > hi {
            return None;
        }
        let at = add(p, mul(r, lo));
        let u = (dot(sub(at, q), s) / ss).clamp(0.0, 1.0);
        return Some((lo, u));
    }
    let t = cross(qp, s) / denom;
    let u = cross(qp, r) / denom;
    let tol = 1e-9;
    if (-tol..=1.0 + tol).contains(&t) && (-tol..=1.0 + tol).contains(&u) {
        Some((t.clamp(0.0, 1.0), u.clamp(0.0, 1.0)))
    } else {
        None
    }
}

/// The lane at signed offset `d_m` (positive = left) of `centreline` (at least two points,
/// consecutive points distinct), drawn in the centreline's direction, simplified. Fewer
/// than two points when the lane vanishes: it lies wholly closer than `|d_m|` to the
/// centreline (in the folds of a short, sharply bent centreline, or between two stretches
/// of a river less than `2·|d_m|` apart).
pub fn offset_lane(centreline: &[C], d_m: f64) -> Vec<C> {
    let n = centreline.len();
    if n < 2 {
        return Vec::new();
    }
    if d_m == 0.0 {
        return simplify(centreline.to_vec());
    }
    let d_abs = d_m.abs();
    let dirs: Vec<C> = centreline
        .windows(2)
        .map(|w| {
            let v = sub(w[1], w[0]);
            mul(v, 1.0 / norm(v))
        })
        .collect();
    let nseg_cl = dirs.len();

    // 1: the raw offset.
    let mut raw: Vec<C> = Vec::with_capacity(2 * n + 8);
    raw.push(add(centreline[0], mul(left(dirs[0]), d_m)));
    let step_max = max_join_step_rad(d_abs);
    for i in 0..nseg_cl - 1 {
        let p = centreline[i + 1];
        let (u0, u1) = (dirs[i], dirs[i + 1]);
        let b = add(p, mul(left(u0), d_m));
        let a = add(p, mul(left(u1), d_m));
        raw.push(b);
        let turn = cross(u0, u1).atan2(dot(u0, u1));
        if turn.abs() < 1e-12 {
            continue;
        }
        if d_m * turn < 0.0 {
            // Outer side: arc of radius |d| round the vertex, as chords.
            let pieces = (turn.abs() / step_max).ceil().max(1.0) as usize;
            let step = turn / pieces as f64;
            let w0 = mul(left(u0), d_m.signum());
            for j in 1..pieces {
                raw.push(add(p, mul(rotate(w0, j as f64 * step), d_abs)));
            }
        }
        raw.push(a);
    }
    let last_dir = dirs[nseg_cl - 1];
    raw.push(add(centreline[n - 1], mul(left(last_dir), d_m)));
    raw.dedup_by(|b, a| norm(sub(*a, *b)) < 1e-9);
    if raw.len() < 2 {
        return Vec::new();
    }

    // 2: cut folds.
    let inside_limit = d_abs - INSIDE_EPS_M;
    let cl_tree = segment_tree(centreline);
    let is_fold = |pieces: &[(C, C)]| {
        pieces
            .iter()
            .all(|&(a, b)| first_boundary_param(a, b, &cl_tree, inside_limit).is_none())
    };
    let mut lane = cut_folds(&raw, is_fold);

    // 3: trim the ends that lie inside the buffer.
    trim_inside_start(&mut lane, &cl_tree, inside_limit);
    lane.reverse();
    trim_inside_start(&mut lane, &cl_tree, inside_limit);
    lane.reverse();

    let mut pts = lane;
    pts.dedup_by(|b, a| norm(sub(*a, *b)) < 1e-9);
    if pts.len() < 2 {
        return Vec::new();
    }
    simplify(pts)
}

fn simplify(pts: Vec<C>) -> Vec<C> {
    LineString::new(pts).simplify(SIMPLIFY_TOLERANCE_M).0
}

/// A point closer than `|d| − INSIDE_EPS_M` to the centreline is inside the buffer; points
/// built at distance `|d|` are on its boundary despite rounding (1e-11 m at 100 km).
const INSIDE_EPS_M: f64 = 1e-7;
/// Stretches of the boundary shorter than this are ignored by the fold test: the cusp
/// where two offsets cross is on the boundary for `INSIDE_EPS_M / sin(angle)`, while
/// an arc vertex is for `sqrt(2·|d|·INSIDE_EPS_M)` (2 mm at 25 m).
const BOUNDARY_GAP_M: f64 = 1e-4;

/// Parameter interval of the segment `a + t·(b − a)` closer than `r` to the segment
/// `q0`–`q1` (a capsule, convex: the union of the intervals of its two discs and its
/// rectangle is one interval).
fn capsule_interval(a: C, b: C, q0: C, q1: C, r: f64) -> Option<(f64, f64)> {
    let v = sub(b, a);
    let vv = dot(v, v);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for q in [q0, q1] {
        let w = sub(a, q);
        let (bq, cq) = (2.0 * dot(v, w), dot(w, w) - r * r);
        let disc = bq * bq - 4.0 * vv * cq;
        if disc > 0.0 {
            let sq = disc.sqrt();
            lo = lo.min((-bq - sq) / (2.0 * vv));
            hi = hi.max((-bq + sq) / (2.0 * vv));
        }
    }
    let e = sub(q1, q0);
    let len = norm(e);
    if len > 0.0 {
        let e = mul(e, 1.0 / len);
        let nrm = left(e);
        let w = sub(a, q0);
        // 0 < s0 + t·sv < len and −r < h0 + t·hv < r.
        let (s0, sv) = (dot(w, e), dot(v, e));
        let (h0, hv) = (dot(w, nrm), dot(v, nrm));
        let (mut rlo, mut rhi) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut empty = false;
        for (x0, xv, min, max) in [(s0, sv, 0.0, len), (h0, hv, -r, r)] {
            if xv.abs() < 1e-300 {
                if x0 <= min || x0 >= max {
                    empty = true;
                }
            } else {
                let (t1, t2) = ((min - x0) / xv, (max - x0) / xv);
                rlo = rlo.max(t1.min(t2));
                rhi = rhi.min(t1.max(t2));
            }
        }
        if !empty && rlo < rhi {
            lo = lo.min(rlo);
            hi = hi.max(rhi);
        }
    }
    (lo < hi).then_some((lo, hi))
}

/// Where the segment `a`–`b` first reaches the boundary of the buffer of radius `r` round
/// the polyline of `tree` (as a parameter from 0 at `a` to 1 at `b`); `None` when it lies
/// wholly closer than `r`, but for stretches shorter than [`BOUNDARY_GAP_M`].
fn first_boundary_param(a: C, b: C, tree: &RTree<Indexed>, r: f64) -> Option<f64> {
    let len = norm(sub(b, a));
    if len < BOUNDARY_GAP_M {
        return None;
    }
    let mut intervals: Vec<(f64, f64)> = segments_near(tree, a, b, r)
        .filter_map(|s| capsule_interval(a, b, s.geom().start, s.geom().end, r))
        .filter(|&(lo, hi)| hi > 0.0 && lo < 1.0)
        .collect();
    intervals.sort_by(|x, y| x.0.total_cmp(&y.0));
    let gap = BOUNDARY_GAP_M / len;
    let mut covered = 0.0;
    for (lo, hi) in intervals {
        if lo > covered + gap {
            return Some(covered);
        }
        covered = f64::max(covered, hi);
        if covered >= 1.0 - gap {
            return None;
        }
    }
    Some(covered)
}

/// Walks the raw offset and short-cuts each loop that `is_fold` accepts (given the loop as
/// segments), at the first crossing along the way. Returns the lane's vertices.
fn cut_folds(raw: &[C], is_fold: impl Fn(&[(C, C)]) -> bool) -> Vec<C> {
    let nseg = raw.len() - 1;
    let tree = segment_tree(raw);
    let mut out = vec![raw[0]];
    let mut i = 0;
    let mut cur = raw[0];
    while i < nseg {
        let end = raw[i + 1];
        let mut candidates: Vec<(f64, usize, C)> = segments_near(&tree, cur, end, 1e-9)
            .map(|s| s.data)
            .filter(|&k| k >= i + 2)
            .filter_map(|k| {
                let (t, _) = segment_crossing(cur, end, raw[k], raw[k + 1])?;
                Some((t, k, add(cur, mul(sub(end, cur), t))))
            })
            .collect();
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let loop_of = |k: usize, x: C| {
            let mut pieces = vec![(x, end)];
            pieces.extend((i + 1..k).map(|j| (raw[j], raw[j + 1])));
            pieces.push((raw[k], x));
            pieces
        };
        let jump = candidates
            .into_iter()
            .find(|&(_, k, x)| is_fold(&loop_of(k, x)));
        match jump {
            Some((_, k, x)) => {
                out.push(x);
                cur = x;
                i = k;
            }
            None => {
                out.push(raw[i + 1]);
                cur = end;
                i += 1;
            }
        }
    }
    out
}

/// Drops the start of the lane up to where it first reaches the buffer boundary: what lies
/// before is a fold next to the end, or a stretch that runs inside the corridor of another
/// part of the river. Empties a lane that never reaches it.
fn trim_inside_start(lane: &mut Vec<C>, tree: &RTree<Indexed>, r: f64) {
    for j in 0..lane.len().saturating_sub(1) {
        let (a, b) = (lane[j], lane[j + 1]);
        if let Some(t) = first_boundary_param(a, b, tree, r) {
            lane.drain(..j);
            lane[0] = add(a, mul(sub(b, a), t));
            return;
        }
    }
    lane.clear();
}
