//! Boustrophedon cell decomposition and lane placement in the sweep frame.
//!
//! The sweep frame is the plan's plane turned so that lanes run along `x`; lanes sit at
//! constant `y`. Cutting the region at the `y` of every vertex gives slabs in which each
//! horizontal line meets the region in the same intervals (trapezoids). A trapezoid joins the
//! one below it into a cell when each is the other's only neighbour, so a cell is met by
//! every lane in exactly one interval and a serpentine inside it never crosses a gap.
//! Cells split and merge only where the boundary folds back (concave corners, holes).
//!
//! Lanes are placed per cell so that the spacing-wide strips around them tile the cell's
//! height exactly: the first lane half a spacing inside the cell's lowest point, the last
//! half a spacing inside its highest, equally spaced in between at no more than the
//! spacing. Each lane is then stretched along its line over the cell's whole extent within
//! its strip, so the slivers a sloping edge leaves beside the lane's own chord are covered.

use geo::Coord;

/// An edge of the region in the sweep frame, with `y0 < y1`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    y0: f64,
    y1: f64,
    x0: f64,
    x1: f64,
}

impl Edge {
    fn x_at(&self, y: f64) -> f64 {
        let t = ((y - self.y0) / (self.y1 - self.y0)).clamp(0.0, 1.0);
        self.x0 + t * (self.x1 - self.x0)
    }
}

/// A piece of a cell between two consecutive vertex heights: left and right boundary `x`
/// at its bottom (`y0`) and top (`y1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Trap {
    pub y0: f64,
    pub y1: f64,
    pub l0: f64,
    pub l1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Trap {
    fn lerp(&self, a: f64, b: f64, y: f64) -> f64 {
        let h = self.y1 - self.y0;
        if h <= 0.0 {
            return a.min(b);
        }
        let t = ((y - self.y0) / h).clamp(0.0, 1.0);
        a + t * (b - a)
    }
    pub fn left(&self, y: f64) -> f64 {
        self.lerp(self.l0, self.l1, y)
    }
    pub fn right(&self, y: f64) -> f64 {
        self.lerp(self.r0, self.r1, y)
    }
}

/// A cell: trapezoids stacked bottom to top, each met by a horizontal line in one interval.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub traps: Vec<Trap>,
}

/// A lane of a cell in the sweep frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lane {
    pub y: f64,
    /// The lane's own chord through the cell (`lo < hi`).
    pub chord: (f64, f64),
    /// The cell's extent along the lane within the lane's strip (contains the chord).
    pub cover: (f64, f64),
    /// The half of the strip below the lane and the half above.
    pub halves: [HalfStrip; 2],
}

/// One half of a lane's strip: the cell's extent along the lane within it, and the heights
/// at which that extent is reached towards -x and towards +x. A spur is needed when the
/// lane itself cannot be stretched over the extent (an obstacle or the band's edge is in
/// the way on its line). A spur at any height inside the half has a strip that covers the
/// whole half, so it flies where the cell reaches farthest, where its line is inside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HalfStrip {
    pub extent: (f64, f64),
    /// Spur heights for the -x and the +x end (kept a hair inside the cell).
    pub spur_y: (f64, f64),
    /// The half's heights, kept a hair inside the cell.
    pub span: (f64, f64),
}

/// Decomposes the region bounded by `edges` (all rings, sweep frame, even-odd filling) into
/// cells. `eps` is the length below which heights and widths count as zero.
pub(crate) fn decompose(edges: &[(Coord<f64>, Coord<f64>)], eps: f64) -> Vec<Cell> {
    let mut es: Vec<Edge> = edges
        .iter()
        .filter(|(a, b)| (a.y - b.y).abs() > 0.0)
        .map(|&(a, b)| {
            if a.y < b.y {
                Edge {
                    y0: a.y,
                    y1: b.y,
                    x0: a.x,
                    x1: b.x,
                }
            } else {
                Edge {
                    y0: b.y,
                    y1: a.y,
                    x0: b.x,
                    x1: a.x,
                }
            }
        })
        .collect();
    es.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    let mut ys: Vec<f64> = es.iter().flat_map(|e| [e.y0, e.y1]).collect();
    ys.sort_by(f64::total_cmp);
    ys.dedup_by(|b, a| (*b - *a).abs() <= eps);

    let mut cells: Vec<Cell> = Vec::new();
    // Trapezoids of the previous slab: (trap, cell index).
    let mut prev: Vec<(Trap, usize)> = Vec::new();
    let mut active: Vec<Edge> = Vec::new();
    let mut next_edge = 0;
    for w in ys.windows(2) {
        let (ya, yb) = (w[0], w[1]);
        active.retain(|e| e.y1 > ya + eps);
        while next_edge < es.len() && es[next_edge].y0 <= ya + eps {
            if es[next_edge].y1 > ya + eps {
                active.push(es[next_edge]);
            }
            next_edge += 1;
        }
        let ym = 0.5 * (ya + yb);
        let mut xs: Vec<(f64, &Edge)> = active.iter().map(|e| (e.x_at(ym), e)).collect();
        xs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut cur: Vec<Trap> = xs
            .chunks_exact(2)
            .map(|p| Trap {
                y0: ya,
                y1: yb,
                l0: p[0].1.x_at(ya),
                l1: p[0].1.x_at(yb),
                r0: p[1].1.x_at(ya),
                r1: p[1].1.x_at(yb),
            })
            .collect();
        cur.retain(|t| t.r0 - t.l0 > -eps && t.r1 - t.l1 > -eps);
        // Neighbours across the shared height `ya`.
        let overlaps =
            |lower: &Trap, upper: &Trap| lower.r1.min(upper.r0) - lower.l1.max(upper.l0) > eps;
        let up_count: Vec<usize> = prev
            .iter()
            .map(|(p, _)| cur.iter().filter(|c| overlaps(p, c)).count())
            .collect();
        let mut next_prev = Vec::with_capacity(cur.len());
        for t in cur {
            let downs: Vec<usize> = (0..prev.len())
                .filter(|&i| overlaps(&prev[i].0, &t))
                .collect();
            let cell = match downs.as_slice() {
                [i] if up_count[*i] == 1 => prev[*i].1,
                _ => {
                    cells.push(Cell { traps: Vec::new() });
                    cells.len() - 1
                }
            };
            cells[cell].traps.push(t);
            next_prev.push((t, cell));
        }
        prev = next_prev;
    }
    cells
}

/// Lane heights that tile `[y_lo, y_hi]` with strips of width `spacing`: the first and last
/// half a spacing inside the ends, equally spaced at no more than `spacing`; one lane in the
/// middle when the height is less than a spacing.
pub(crate) fn lane_heights(y_lo: f64, y_hi: f64, spacing: f64) -> Vec<f64> {
    let h = y_hi - y_lo;
    if h <= spacing {
        return vec![y_lo + 0.5 * h];
    }
    // The relative slack keeps an exact multiple (up to rounding) from gaining a lane.
    let n = ((h / spacing) * (1.0 - 1e-9)).ceil().max(2.0) as usize;
    let step = (h - spacing) / (n - 1) as f64;
    (0..n)
        .map(|k| y_lo + 0.5 * spacing + k as f64 * step)
        .collect()
}

/// The lanes of a cell, bottom to top.
pub(crate) fn cell_lanes(cell: &Cell, spacing: f64) -> Vec<Lane> {
    let (Some(first), Some(last)) = (cell.traps.first(), cell.traps.last()) else {
        return Vec::new();
    };
    let (y_lo, y_hi) = (first.y0, last.y1);
    let half = 0.5 * spacing;
    lane_heights(y_lo, y_hi, spacing)
        .into_iter()
        .map(|y| {
            let k = cell
                .traps
                .partition_point(|t| t.y1 < y)
                .min(cell.traps.len() - 1);
            let t = &cell.traps[k];
            let chord = (t.left(y), t.right(y));
            // The cell's extent over heights [s0, s1].
            // Spurs at the cell's very edge would run along its boundary; nudge them in.
            let nudge = 1e-6 * spacing;
            // (A cell thinner than the nudge, which random shapes produce, keeps its middle:
            // `clamp` with min > max would panic.)
            let inside = |v: f64| {
                if y_hi - y_lo > 2.0 * nudge {
                    v.clamp(y_lo + nudge, y_hi - nudge)
                } else {
                    0.5 * (y_lo + y_hi)
                }
            };
            // The cell's extent over heights [s0, s1], and where it is reached.
            let half_strip = |s0: f64, s1: f64| {
                let (mut lo, mut hi) = ((chord.0, y), (chord.1, y));
                let mut widen = |t: &Trap| {
                    let (ya, yb) = (t.y0.max(s0), t.y1.min(s1));
                    if ya > yb {
                        return;
                    }
                    for v in [ya, yb] {
                        if t.left(v) < lo.0 {
                            lo = (t.left(v), v);
                        }
                        if t.right(v) > hi.0 {
                            hi = (t.right(v), v);
                        }
                    }
                };
                for t in cell.traps[..k].iter().rev() {
                    if t.y1 < s0 {
                        break;
                    }
                    widen(t);
                }
                for t in &cell.traps[k..] {
                    if t.y0 > s1 {
                        break;
                    }
                    widen(t);
                }
                HalfStrip {
                    extent: (lo.0, hi.0),
                    spur_y: (inside(lo.1), inside(hi.1)),
                    span: (inside(s0), inside(s1)),
                }
            };
            let below = half_strip(y - half, y);
            let above = half_strip(y, y + half);
            let cover = (
                below.extent.0.min(above.extent.0),
                below.extent.1.max(above.extent.1),
            );
            Lane {
                y,
                chord,
                cover,
                halves: [below, above],
            }
        })
        .collect()
}

/// The intervals in which the line at height `y` lies inside the rings `edges` (even-odd),
/// sorted.
pub(crate) fn line_intervals(edges: &[(Coord<f64>, Coord<f64>)], y: f64) -> Vec<(f64, f64)> {
    let mut xs: Vec<f64> = edges
        .iter()
        .filter(|(a, b)| (a.y > y) != (b.y > y))
        .map(|(a, b)| a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    fn ring_edges(pts: &[(f64, f64)]) -> Vec<(Coord<f64>, Coord<f64>)> {
        let n = pts.len();
        (0..n)
            .map(|i| {
                let (a, b) = (pts[i], pts[(i + 1) % n]);
                (coord! {x: a.0, y: a.1}, coord! {x: b.0, y: b.1})
            })
            .collect()
    }

    #[test]
    fn lane_heights_tile_the_extent() {
        assert_eq!(lane_heights(0.0, 100.0, 25.0), vec![12.5, 37.5, 62.5, 87.5]);
        assert_eq!(lane_heights(0.0, 10.0, 25.0), vec![5.0]);
        let l = lane_heights(0.0, 100.0, 49.0);
        assert_eq!(l.len(), 3);
        assert!((l[0] - 24.5).abs() < 1e-12 && (l[2] - 75.5).abs() < 1e-12);
    }

    #[test]
    fn u_shape_splits_into_base_and_two_arms() {
        // U opening upwards: base 0..100 x 0..30, arms 0..30 and 70..100 up to y = 100.
        let e = ring_edges(&[
            (0.0, 0.0),
            (100.0, 0.0),
            (100.0, 100.0),
            (70.0, 100.0),
            (70.0, 30.0),
            (30.0, 30.0),
            (30.0, 100.0),
            (0.0, 100.0),
        ]);
        let cells = decompose(&e, 1e-9);
        assert_eq!(cells.len(), 3, "{cells:?}");
        let lanes: Vec<Vec<Lane>> = cells.iter().map(|c| cell_lanes(c, 10.0)).collect();
        assert_eq!(
            lanes.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![3, 7, 7]
        );
        // No lane of an arm reaches across the gap between the arms.
        for l in lanes[1].iter().chain(&lanes[2]) {
            assert!(l.cover.1 - l.cover.0 <= 30.0 + 1e-9, "{l:?}");
        }
    }

    #[test]
    fn sloping_edge_widens_the_lane_to_its_strip() {
        // Triangle with apex up: the lane's chord is narrower than the strip below it.
        let e = ring_edges(&[(0.0, 0.0), (100.0, 0.0), (50.0, 50.0)]);
        let cells = decompose(&e, 1e-9);
        assert_eq!(cells.len(), 1);
        let lanes = cell_lanes(&cells[0], 20.0);
        assert_eq!(lanes.len(), 3);
        let l0 = lanes[0];
        assert!((l0.y - 10.0).abs() < 1e-9);
        assert!((l0.chord.0 - 10.0).abs() < 1e-9 && (l0.chord.1 - 90.0).abs() < 1e-9);
        assert!(l0.cover.0.abs() < 1e-9 && (l0.cover.1 - 100.0).abs() < 1e-9);
    }

    #[test]
    fn line_intervals_of_a_ring_with_a_hole() {
        let mut e = ring_edges(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        e.extend(ring_edges(&[
            (4.0, 4.0),
            (4.0, 6.0),
            (6.0, 6.0),
            (6.0, 4.0),
        ]));
        assert_eq!(line_intervals(&e, 5.0), vec![(0.0, 4.0), (6.0, 10.0)]);
        assert_eq!(line_intervals(&e, 1.0), vec![(0.0, 10.0)]);
    }
}
