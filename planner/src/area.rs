//! Survey lanes over an area: a polygon with holes, minus no-fly exclusions.
//!
//! The region to photograph is the polygon minus its holes minus the exclusions. The vehicle
//! may fly anywhere in the *free space*: the polygon's outer ring buffered by the turnaround
//! distance (plus a few centimetres, so that a full turnaround fits beside a straight edge
//! while lane ends keep clear of the boundary), minus holes and exclusions. Every leg
//! (lanes, run-ins and run-outs, connecting legs and their via points) stays in the free
//! space.
//!
//! How a layout is made, for one sweep angle:
//! 1. `sweep::decompose` cuts the region into boustrophedon cells, each met by every lane
//!    in a single interval, so no lane flies across a concavity or a hole.
//! 2. `sweep::cell_lanes` places lanes per cell so that the spacing-wide strips around them
//!    tile the cell (first lane half a spacing inside the cell's edge), and stretches each
//!    lane over the cell's extent within its strip, so slivers beside sloping edges are
//!    photographed too.
//! 3. Each lane, with its run-in and run-out of `turnaround_m`, is clipped to the free
//!    interval of its line: where an exclusion, a hole or the band's edge is nearer, the
//!    turnaround (and, if need be, the sliver stretch) is shortened, down to zero. What a
//!    clipped stretch leaves out is flown as a short *spur* lane inside the same strip,
//!    at the height where the cell reaches farthest (or wherever the spur gets longest),
//!    next to its lane: a spur anywhere inside half a strip covers that whole half.
//! 4. Cells are flown one after the other, serpentine inside each; the cell order and
//!    entry corners are chosen greedily to keep connecting legs short (every starting cell
//!    is tried when there are few cells).
//! 5. A connecting leg that would leave the free space gets via points: the shortest path on
//!    a visibility graph over the free space's reflex corners (`free::FreeSpace::route`).
//!
//! Without a requested angle, every whole degree in [0, 180) and the directions of the outer
//! ring's 16 longest edges are tried. They are ranked by flight time
//! ([`crate::estimate::transects_flight_time_s`], turns included) with straight connecting
//! legs, which is cheap; the best six then get their legs routed, and the fastest routed
//! layout wins. Each layout costs O(lanes x edges), so a 5 km2 concave area at 20 m spacing
//! plans in tens of milliseconds (see the `area_timing` test).
//!
//! # Where we deliberately differ from QGroundControl
//!
//! Compared with `SurveyComplexItem` (`src/MissionManager/SurveyComplexItem.cc`) and its
//! unit test `test/MissionManager/SurveyComplexItemTest.cc` (repository mavlink/qgroundcontrol):
//!
//! * **Edge anchoring.** QGC lays its grid from the bounding-box centre
//!   (`x = cx - maxWidth/2 + k * spacing`, `maxWidth = max(w, h) + 2000`), so where the first
//!   lane falls relative to the edge is an accident of the box size. Its unit test square
//!   (100 m, spacing 49 m, grid angle 0) gets 2 lanes at 29 m and 78 m from the west edge:
//!   the strips they stand for leave the westmost 4.5 m unphotographed at the requested
//!   overlap. We place the first lane half a spacing inside the edge and the last half a
//!   spacing inside the opposite edge, spacing them evenly at no more than the requested
//!   spacing, so the same square gets 3 lanes (24.5, 50, 75.5 m); at a spacing of 50 m both
//!   give 2 lanes (ours at 25 and 75 m). See the `qgc_*` tests. Anchoring at the edge
//!   also means no lane can fall exactly on an extreme vertex (QGC's grid can, at 0 and
//!   90 degrees, and then yields a zero-length transect or none depending on rounding).
//! * **Concave areas.** QGC intersects each line with the polygon and keeps the two farthest
//!   intersections, so a lane of a U or L flies across the concavity and out of the area
//!   (its "split concave polygons" option is compiled out). We decompose into cells and
//!   never fly a lane across a gap.
//! * **Holes and exclusions.** QGC has neither for surveys; we honour both, shorten
//!   turnarounds at them and route connecting legs around them.
//! * **Angle.** QGC flies the angle the user sets (default 0); we search for the fastest
//!   angle when none is given. A given angle is used as is (folded into [0, 180)), and
//!   QGC's grid-angle convention is the same: the heading of the lanes, clockwise from north.
//!
//! # Known limits
//!
//! * Coverage of the region by the lanes' spacing-wide strips is complete when lanes may
//!   stretch freely (turnaround at least half a spacing, no holes or exclusions; checked by
//!   the proptest). Otherwise spurs fill the slivers, except at a thin spike slanted to the
//!   lanes that straight lanes confined to it cannot reach exactly (over 99.5 % in the
//!   proptest), and slivers under 1 % of a spacing wide, left to the photos' overlap.
//! * A stretched lane end lies outside the region, within half a spacing of it; in a thin
//!   or spiky area it can pass over a neighbouring cell on its way (photographed twice).
//! * If holes or exclusions cut the free space into parts, there is no legal connecting leg
//!   and planning fails with [`PlanError::BadGeometry`].

mod free;
mod sweep;

use geo::{Area, BooleanOps, Buffer, Coord, MultiPolygon, Polygon, Validation};

use crate::estimate::transects_flight_time_s;
use crate::survey::Transect;
use crate::PlanError;
use free::{open_ring, ring_signed_area, FreeSpace};
use sweep::Lane;

/// How lanes are laid over an area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaOptions {
    /// Distance between neighbouring lanes, metres (> 0).
    pub spacing_m: f64,
    /// Straight run-in and run-out beyond each lane end, metres (>= 0); also how far the
    /// vehicle may fly outside the area.
    pub turnaround_m: f64,
    /// Heading of the lanes, degrees clockwise from north; `None`: the fastest.
    pub sweep_angle_deg: Option<f64>,
    /// Speed the flight time is estimated at when searching the angle, m/s (> 0).
    pub cruise_speed_m_s: f64,
    /// Distance every leg keeps from the holes and exclusions, metres (>= 0). The region to
    /// photograph is not shrunk: what lies within the margin of a no-fly zone and only a lane
    /// through the margin would have photographed is left out, and the coverage proof shows
    /// it.
    pub exclusion_margin_m: f64,
}

/// The lanes over an area, in flight order.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaLayout {
    pub transects: Vec<crate::survey::Transect>,
    /// degrees clockwise from north
    pub sweep_angle_deg: f64,
}

/// Lays survey lanes over `polygon` (outer ring + holes, local plane: x east m, y north m),
/// avoiding the holes and the extra no-fly polygons `exclusions`.
///
/// ```
/// use geo::polygon;
/// use planner::area::{area_transects, AreaOptions};
///
/// let field = polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 60.0), (x: 0.0, y: 60.0)];
/// let opts = AreaOptions { spacing_m: 20.0, turnaround_m: 10.0, sweep_angle_deg: Some(90.0), cruise_speed_m_s: 8.0, exclusion_margin_m: 0.0 };
/// let layout = area_transects(&field, &[], &opts).unwrap();
/// // East-west lanes half a spacing inside the southern and northern edges and between.
/// let mut ys: Vec<f64> = layout.transects.iter().map(|t| t.path[0].y).collect();
/// ys.sort_by(f64::total_cmp);
/// assert_eq!(ys.len(), 3);
/// assert!((ys[0] - 10.0).abs() < 1e-6 && (ys[2] - 50.0).abs() < 1e-6);
/// ```
pub fn area_transects(
    polygon: &geo::Polygon<f64>,
    exclusions: &[geo::Polygon<f64>],
    options: &AreaOptions,
) -> Result<AreaLayout, crate::PlanError> {
    check_options(options)?;
    check_polygon(polygon, "area")?;
    for (i, e) in exclusions.iter().enumerate() {
        if !e.interiors().is_empty() {
            return Err(PlanError::BadGeometry {
                what: format!(
                    "exclusion {} has holes; give exclusions as outer rings only",
                    i + 1
                ),
            });
        }
        check_polygon(e, &format!("exclusion {}", i + 1))?;
    }
    let planner = Prepared::new(polygon, exclusions, options)?;
    let fail = || PlanError::BadGeometry {
        what: "holes or exclusions cut the area and its turnaround band into parts that \
               cannot be joined without flying over them; remove or reshape an exclusion, \
               or widen the turnaround"
            .to_string(),
    };
    match options.sweep_angle_deg {
        Some(angle) => {
            let angle = angle.rem_euclid(180.0);
            let (_, transects) = planner.layout(angle, true).ok_or_else(fail)?;
            Ok(AreaLayout {
                transects,
                sweep_angle_deg: angle,
            })
        }
        None => {
            // Rank every candidate by its flight time with straight connecting legs (cheap),
            // then route the legs of the best few and keep the fastest routed layout.
            let mut ranked: Vec<(f64, f64)> = planner
                .candidate_angles()
                .into_iter()
                .filter_map(|a| planner.layout(a, false).map(|(t, _)| (t, a)))
                .collect();
            ranked.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
            let mut best: Option<(f64, f64, Vec<Transect>)> = None;
            let mut routed = 0;
            for &(_, angle) in &ranked {
                if routed == ROUTED_CANDIDATES {
                    break;
                }
                if let Some((time_s, transects)) = planner.layout(angle, true) {
                    routed += 1;
                    if best.as_ref().is_none_or(|b| time_s < b.0 - 1e-9) {
                        best = Some((time_s, angle, transects));
                    }
                }
            }
            let (_, angle, transects) = best.ok_or_else(fail)?;
            Ok(AreaLayout {
                transects,
                sweep_angle_deg: angle,
            })
        }
    }
}

/// The way from `from` to `to` (take-off to the survey, the survey's end back home) that keeps
/// `margin_m` from the holes of `polygon` and the `exclusions`, as via points: empty when the
/// straight way does (or there is nothing to avoid), `None` when no way does (an end point
/// within the margin of a zone, or enclosed). The way may leave the area: transits are not
/// confined to the turnaround band.
pub fn transit_via(
    polygon: &Polygon<f64>,
    exclusions: &[Polygon<f64>],
    margin_m: f64,
    from: Coord<f64>,
    to: Coord<f64>,
) -> Option<Vec<Coord<f64>>> {
    let obstacles: Vec<Polygon<f64>> = polygon
        .interiors()
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]))
        .chain(exclusions.iter().cloned())
        .collect();
    if obstacles.is_empty() {
        return Some(Vec::new());
    }
    let blocked = obstacles
        .iter()
        .fold(MultiPolygon::new(vec![]), |acc, p| acc.union(p));
    let blocked = if margin_m > 0.0 {
        blocked.buffer(margin_m)
    } else {
        blocked
    };
    let pts = open_ring(polygon.exterior());
    let (mut lo, mut hi) = (from, from);
    for c in pts.iter().chain([&from, &to]) {
        lo = Coord {
            x: lo.x.min(c.x),
            y: lo.y.min(c.y),
        };
        hi = Coord {
            x: hi.x.max(c.x),
            y: hi.y.max(c.y),
        };
    }
    let pad = 100.0 + 2.0 * margin_m;
    let frame = Polygon::new(
        geo::LineString::from(vec![
            (lo.x - pad, lo.y - pad),
            (hi.x + pad, lo.y - pad),
            (hi.x + pad, hi.y + pad),
            (lo.x - pad, hi.y + pad),
            (lo.x - pad, lo.y - pad),
        ]),
        vec![],
    );
    let free = frame.difference(&blocked);
    let space = FreeSpace::new(&free, 0.05);
    if !(space.contains(from) && space.contains(to)) {
        return None;
    }
    space.route(from, to)
}

/// How many of the angles ranked best with straight connecting legs get their legs routed
/// around obstacles before the fastest is chosen.
const ROUTED_CANDIDATES: usize = 6;

/// How many of the outer ring's longest edges lend their direction to the angle search.
const EDGE_CANDIDATES: usize = 16;

fn check_options(o: &AreaOptions) -> Result<(), PlanError> {
    let bad = |field, value, expected| {
        Err(PlanError::BadParam {
            field,
            value,
            expected,
        })
    };
    if !(o.spacing_m.is_finite() && o.spacing_m > 0.0) {
        return bad("spacing_m", o.spacing_m, "a finite lane spacing > 0 m");
    }
    if !(o.turnaround_m.is_finite() && o.turnaround_m >= 0.0) {
        return bad("turnaround_m", o.turnaround_m, "a finite turnaround >= 0 m");
    }
    if !(o.cruise_speed_m_s.is_finite() && o.cruise_speed_m_s > 0.0) {
        return bad(
            "cruise_speed_m_s",
            o.cruise_speed_m_s,
            "a finite cruise speed > 0 m/s",
        );
    }
    if let Some(a) = o.sweep_angle_deg {
        if !a.is_finite() {
            return bad("sweep_angle_deg", a, "a finite heading in degrees");
        }
    }
    if !(o.exclusion_margin_m.is_finite() && o.exclusion_margin_m >= 0.0) {
        return bad(
            "exclusion_margin_m",
            o.exclusion_margin_m,
            "a finite distance >= 0 m",
        );
    }
    Ok(())
}

fn check_polygon(p: &Polygon<f64>, what: &str) -> Result<(), PlanError> {
    let bad = |msg: String| Err(PlanError::BadGeometry { what: msg });
    let rings = std::iter::once(("outer ring".to_string(), p.exterior())).chain(
        p.interiors()
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("hole {}", i + 1), r)),
    );
    for (name, ring) in rings {
        if let Some((i, c)) = ring
            .0
            .iter()
            .enumerate()
            .find(|(_, c)| !(c.x.is_finite() && c.y.is_finite()))
        {
            return bad(format!(
                "{what}: {name} vertex {} is ({}, {}); expected finite plane coordinates in metres",
                i + 1,
                c.x,
                c.y
            ));
        }
        let pts = open_ring(ring);
        let mut distinct = pts.clone();
        distinct.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        distinct.dedup();
        if distinct.len() < 3 {
            return bad(format!(
                "{what}: {name} has {} distinct vertices; a polygon needs at least 3",
                distinct.len()
            ));
        }
        let (mut lo, mut hi) = (pts[0], pts[0]);
        for c in &pts {
            lo = Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            };
            hi = Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            };
        }
        let diag = (hi.x - lo.x).hypot(hi.y - lo.y);
        if ring_signed_area(&pts).abs() <= 1e-9 * diag * diag {
            // A bow tie's two lobes cancel to zero signed area: that is a crossing ring, which
            // the validity check below names.
            if !p.validation_errors().is_empty() {
                break;
            }
            return bad(format!(
                "{what}: {name} has zero area (its vertices are collinear)"
            ));
        }
    }
    let problems = p.validation_errors();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|e| e.to_string()).collect();
        return bad(format!(
            "{what} is not a simple polygon: {} (holes must lie inside the outer ring, and no \
             ring may cross itself or another)",
            list.join("; ")
        ));
    }
    Ok(())
}

/// What every sweep angle shares: the region, the free space and the parameters.
struct Prepared {
    /// Edges of the region to photograph (all rings).
    region_edges: Vec<(Coord<f64>, Coord<f64>)>,
    free: FreeSpace,
    outer_ring: Vec<Coord<f64>>,
    spacing_m: f64,
    turnaround_m: f64,
    speed_m_s: f64,
    /// Lengths below this are zero (relative to the area's size).
    eps_m: f64,
    /// Distance kept from the free space's boundary by lane ends.
    margin_m: f64,
}

impl Prepared {
    fn new(
        polygon: &Polygon<f64>,
        exclusions: &[Polygon<f64>],
        o: &AreaOptions,
    ) -> Result<Self, PlanError> {
        let outer = Polygon::new(polygon.exterior().clone(), vec![]);
        let obstacles: Vec<Polygon<f64>> = polygon
            .interiors()
            .iter()
            .map(|r| Polygon::new(r.clone(), vec![]))
            .chain(exclusions.iter().cloned())
            .collect();
        let blocked = obstacles
            .iter()
            .fold(MultiPolygon::new(vec![]), |acc, p| acc.union(p));
        let region = if obstacles.is_empty() {
            MultiPolygon::new(vec![outer.clone()])
        } else {
            outer.difference(&blocked)
        };
        if region.unsigned_area() <= 1e-9 * outer.unsigned_area() {
            return Err(PlanError::BadGeometry {
                what: "nothing left to survey: holes and exclusions cover the whole area".into(),
            });
        }
        let margin_m = (0.002 * o.spacing_m).min(0.05);
        // Widened by twice the margin lane ends keep from the boundary, so that a full
        // turnaround fits beside a straight edge.
        let band = outer.buffer(o.turnaround_m + 2.0 * margin_m);
        let free_mp = if obstacles.is_empty() {
            band
        } else if o.exclusion_margin_m > 0.0 {
            // Flying keeps the exclusion margin from every obstacle; photographing does not.
            band.difference(&blocked.buffer(o.exclusion_margin_m))
        } else {
            band.difference(&blocked)
        };
        let outer_ring = open_ring(polygon.exterior());
        let (mut lo, mut hi) = (outer_ring[0], outer_ring[0]);
        for c in &outer_ring {
            lo = Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            };
            hi = Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            };
        }
        let size_m = (hi.x - lo.x).hypot(hi.y - lo.y);
        let mut region_edges = Vec::new();
        for poly in &region.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let pts = open_ring(ring);
                let n = pts.len();
                region_edges.extend((0..n).map(|i| (pts[i], pts[(i + 1) % n])));
            }
        }
        Ok(Prepared {
            region_edges,
            free: FreeSpace::new(&free_mp, (0.02 * o.spacing_m).min(0.5)),
            outer_ring,
            spacing_m: o.spacing_m,
            turnaround_m: o.turnaround_m,
            speed_m_s: o.cruise_speed_m_s,
            eps_m: 1e-9 * size_m.max(1.0),
            margin_m,
        })
    }

    /// Whole degrees in [0, 180) and the headings of the outer ring's longest edges.
    fn candidate_angles(&self) -> Vec<f64> {
        let mut angles: Vec<f64> = (0..180).map(f64::from).collect();
        let n = self.outer_ring.len();
        let mut edges: Vec<Coord<f64>> = (0..n)
            .map(|i| self.outer_ring[(i + 1) % n] - self.outer_ring[i])
            .filter(|d| d.x != 0.0 || d.y != 0.0)
            .collect();
        edges.sort_by(|a, b| b.x.hypot(b.y).total_cmp(&a.x.hypot(a.y)));
        for d in edges.iter().take(EDGE_CANDIDATES) {
            angles.push(d.x.atan2(d.y).to_degrees().rem_euclid(180.0));
        }
        angles.sort_by(f64::total_cmp);
        angles.dedup_by(|b, a| (*b - *a).abs() < 1e-6);
        angles
    }

    /// The layout at `angle_deg` and its flight time, or `None` when some connecting leg
    /// cannot be routed inside the free space. With `route` false, connecting legs are left
    /// straight (a quick estimate for ranking angles).
    fn layout(&self, angle_deg: f64, route: bool) -> Option<(f64, Vec<Transect>)> {
        let th = angle_deg.to_radians();
        // Lane direction u and the lane-normal v (u, v right-handed).
        let u = Coord {
            x: th.sin(),
            y: th.cos(),
        };
        let v = Coord { x: -u.y, y: u.x };
        let to_sweep = |p: Coord<f64>| Coord {
            x: p.x * u.x + p.y * u.y,
            y: p.x * v.x + p.y * v.y,
        };
        let to_plane = |x: f64, y: f64| u * x + v * y;
        let rot = |edges: &[(Coord<f64>, Coord<f64>)]| -> Vec<(Coord<f64>, Coord<f64>)> {
            edges
                .iter()
                .map(|&(a, b)| (to_sweep(a), to_sweep(b)))
                .collect()
        };
        let region = rot(&self.region_edges);
        let free = rot(self.free.edges());

        let cells: Vec<Vec<Run>> = sweep::decompose(&region, self.eps_m)
            .iter()
            .map(|c| {
                sweep::cell_lanes(c, self.spacing_m)
                    .iter()
                    .filter_map(|l| self.clip(l, &free))
                    .collect::<Vec<Run>>()
            })
            .filter(|runs| !runs.is_empty())
            .collect();

        let mut transects: Vec<Transect> = Vec::new();
        for (cell, top_down, left_to_right) in order_cells(&cells) {
            let runs = &cells[cell];
            let n = runs.len();
            // Spurs of the half-strip nearer the previous lane first.
            let halves = if top_down { [1, 0] } else { [0, 1] };
            for k in 0..n {
                let run = if top_down { &runs[n - 1 - k] } else { &runs[k] };
                let forward = left_to_right == (k & 1 == 0);
                // Spurs on the entry side are flown before the lane, the others after it.
                let (entry, exit) = if forward { (0, 1) } else { (1, 0) };
                let spurs = |side: usize| {
                    halves
                        .into_iter()
                        .filter_map(move |h| run.spurs[side][h].as_ref().map(|s| (s, None)))
                };
                let segs: Vec<(&Seg, Option<bool>)> = spurs(entry)
                    .chain(std::iter::once((&run.main, Some(forward))))
                    .chain(spurs(exit))
                    .collect();
                for (seg, dir) in segs {
                    let prev = transects.last().map(|t| t.turn_out);
                    // A spur is flown from whichever end is nearer.
                    let fwd = dir.unwrap_or_else(|| match prev {
                        Some(p) => {
                            let q = to_sweep(p);
                            (q.x - seg.run.0).abs() <= (q.x - seg.run.1).abs()
                        }
                        None => true,
                    });
                    let [a, b, c, d] = seg.points(fwd).map(|x| to_plane(x, seg.y));
                    let approach = match prev {
                        Some(p) if route => self.free.route(p, a)?,
                        _ => Vec::new(),
                    };
                    transects.push(Transect {
                        approach,
                        turn_in: a,
                        path: vec![b, c],
                        turn_out: d,
                    });
                }
            }
        }
        if transects.is_empty() {
            return None;
        }
        let time_s = transects_flight_time_s(&transects, self.speed_m_s);
        Some((time_s, transects))
    }

    /// The part of `want` at height `y` inside one free interval of that line (shrunk by the
    /// margin), with turnarounds; `None` when no more than `min_len_m` of it is left. The
    /// interval is the one containing `anchor` if given, else the one overlapping `want`
    /// the most.
    fn segment(
        &self,
        free_edges: &[(Coord<f64>, Coord<f64>)],
        y: f64,
        want: (f64, f64),
        anchor: Option<f64>,
        min_len_m: f64,
    ) -> Option<Seg> {
        let intervals = sweep::line_intervals(free_edges, y);
        let (lo, hi) = match anchor {
            Some(x) => intervals.into_iter().find(|&(a, b)| a <= x && x <= b)?,
            None => intervals.into_iter().max_by(|p, q| {
                let overlap = |(a, b): (f64, f64)| b.min(want.1) - a.max(want.0);
                overlap(*p).total_cmp(&overlap(*q))
            })?,
        };
        let (lo, hi) = (lo + self.margin_m, hi - self.margin_m);
        let (p0, p1) = (want.0.max(lo), want.1.min(hi));
        if p1 - p0 <= min_len_m {
            return None;
        }
        Some(Seg {
            y,
            path: (p0, p1),
            run: (
                (p0 - self.turnaround_m).max(lo).min(p0),
                (p1 + self.turnaround_m).min(hi).max(p1),
            ),
        })
    }

    /// A lane stretched over its strip's extent as far as the free interval of its line
    /// allows, plus spurs for what it could not reach; `None` when nothing of it is left (a
    /// sliver narrower than the boundary margin).
    fn clip(&self, lane: &Lane, free_edges: &[(Coord<f64>, Coord<f64>)]) -> Option<Run> {
        // The chord lies in the region, so its free interval is the one around its middle.
        let mid = 0.5 * (lane.chord.0 + lane.chord.1);
        let main = self.segment(free_edges, lane.y, lane.cover, Some(mid), self.eps_m)?;
        let (p0, p1) = main.path;
        let min_spur_m = SPUR_MIN_SPACINGS * self.spacing_m;
        let mut spurs = [[None, None], [None, None]];
        for (h, half) in lane.halves.iter().enumerate() {
            // Where the cell reaches farthest is usually the best height for a spur, but a
            // thin spike may be inside only near its root: try the half's ends and middle
            // too and keep the longest.
            let (a, b) = half.span;
            let best = |reach_y: f64, want: (f64, f64)| {
                [reach_y, a, b, 0.5 * (a + b)]
                    .into_iter()
                    .filter_map(|y| self.segment(free_edges, y, want, None, min_spur_m))
                    .max_by(|s, t| (s.path.1 - s.path.0).total_cmp(&(t.path.1 - t.path.0)))
            };
            if half.extent.0 < p0 - min_spur_m {
                spurs[0][h] = best(half.spur_y.0, (half.extent.0, p0));
            }
            if half.extent.1 > p1 + min_spur_m {
                spurs[1][h] = best(half.spur_y.1, (p1, half.extent.1));
            }
        }
        Some(Run { main, spurs })
    }
}

/// A straight piece of flight in the sweep frame: photographed path and run-in/out
/// extremes along `x`, at height `y`.
#[derive(Debug, Clone, Copy)]
struct Seg {
    y: f64,
    path: (f64, f64),
    run: (f64, f64),
}

impl Seg {
    /// Run-in, entry, exit, run-out `x`, flying towards +x when `forward`.
    fn points(&self, forward: bool) -> [f64; 4] {
        if forward {
            [self.run.0, self.path.0, self.path.1, self.run.1]
        } else {
            [self.run.1, self.path.1, self.path.0, self.run.0]
        }
    }
}

/// A lane ready to fly, with its spurs: `spurs[side][half]`, side 0 = towards -x, 1 =
/// towards +x; half 0 = below the lane, 1 = above.
#[derive(Debug, Clone, Copy)]
struct Run {
    main: Seg,
    spurs: [[Option<Seg>; 2]; 2],
}

/// Slivers narrower than this many spacings along a lane are left to the photo's overlap
/// rather than flown as a spur.
const SPUR_MIN_SPACINGS: f64 = 0.01;

/// A cell's place in the flight: (cell, flown top-down, first lane flown towards +x).
type Visit = (usize, bool, bool);

/// Flight order of cells: greedy nearest entry from each cell's exit, from the best of
/// several starting cells.
fn order_cells(cells: &[Vec<Run>]) -> Vec<Visit> {
    let ends = |cell: usize, top_down: bool, ltr: bool| -> (Coord<f64>, Coord<f64>) {
        let runs = &cells[cell];
        let n = runs.len();
        let (first, last) = if top_down {
            (&runs[n - 1], &runs[0])
        } else {
            (&runs[0], &runs[n - 1])
        };
        let last_forward = ltr == ((n - 1) & 1 == 0);
        let entry = Coord {
            x: first.main.points(ltr)[0],
            y: first.main.y,
        };
        let exit = Coord {
            x: last.main.points(last_forward)[3],
            y: last.main.y,
        };
        (entry, exit)
    };
    const OPTIONS: [(bool, bool); 4] = [(false, true), (false, false), (true, true), (true, false)];
    // Squared distances to compare; the total only ranks whole orders.
    let dist2 = |a: Coord<f64>, b: Coord<f64>| (a.x - b.x).powi(2) + (a.y - b.y).powi(2);
    let mut best: Option<(f64, Vec<Visit>)> = None;
    // Every start when there are few cells, else the lowest and the highest.
    let starts: Vec<usize> = if cells.len() <= 12 {
        (0..cells.len()).collect()
    } else {
        vec![0, cells.len() - 1]
    };
    for start in starts {
        for &(td, ltr) in &OPTIONS {
            let mut order = vec![(start, td, ltr)];
            let mut done = vec![false; cells.len()];
            done[start] = true;
            let mut at = ends(start, td, ltr).1;
            let mut total = 0.0;
            while order.len() < cells.len() {
                let mut pick: Option<(f64, usize, bool, bool)> = None;
                for c in (0..cells.len()).filter(|&c| !done[c]) {
                    for &(td, ltr) in &OPTIONS {
                        let d = dist2(at, ends(c, td, ltr).0);
                        if pick.is_none_or(|p| d < p.0) {
                            pick = Some((d, c, td, ltr));
                        }
                    }
                }
                let Some((d, c, td, ltr)) = pick else { break };
                done[c] = true;
                order.push((c, td, ltr));
                at = ends(c, td, ltr).1;
                total += d.sqrt();
            }
            if best.as_ref().is_none_or(|b| total < b.0) {
                best = Some((total, order));
            }
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}

#[cfg(test)]
mod tests;
