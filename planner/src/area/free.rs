//! The space the vehicle may fly in (the area's turnaround band minus holes and exclusions),
//! and shortest connecting legs through it.
//!
//! Connecting legs are routed on a visibility graph: the shortest path between two points
//! among polygonal obstacles bends only at reflex corners of the free space, so those corners
//! (nudged a little into the free space, so that a leg never grazes an obstacle exactly) are
//! the only graph nodes needed. A node's visibility is worked out the first time a search
//! reaches it and kept for the rest of the plan; each query adds its two end points.

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::{Coord, MultiPolygon};

/// Free space as plain rings, for fast segment and point tests.
#[derive(Debug, Clone)]
pub(crate) struct FreeSpace {
    /// Every boundary edge (exterior and interior rings alike).
    edges: Vec<(Coord<f64>, Coord<f64>)>,
    /// Which edges pass near each cell of a grid, so a test looks only at edges near it.
    grid: EdgeGrid,
    /// Graph nodes: reflex corners of the free space nudged inward.
    nodes: Vec<Coord<f64>>,
    /// Visibility between nodes: (other node, distance), worked out for a node the first
    /// time a route search reaches it.
    adjacency: Vec<OnceCell<Vec<(usize, f64)>>>,
}

/// Twice the signed area of the triangle (a, b, c): > 0 for a left (counter-clockwise) turn.
pub(crate) fn cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)
}

/// Squared distance from `p` to the segment `a`-`b`.
fn point_segment_dist2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let ab = b - a;
    let len2 = ab.x * ab.x + ab.y * ab.y;
    if len2 == 0.0 {
        return dist2(p, a);
    }
    let t = (((p.x - a.x) * ab.x + (p.y - a.y) * ab.y) / len2).clamp(0.0, 1.0);
    dist2(p, a + ab * t)
}

/// Whether the open segments a-b and c-d cross at a single interior point of both.
fn properly_cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let d1 = cross(a, b, c);
    let d2 = cross(a, b, d);
    let d3 = cross(c, d, a);
    let d4 = cross(c, d, b);
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// Signed area of a ring (without the closing repeat), > 0 when counter-clockwise.
pub(crate) fn ring_signed_area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

/// The vertices of a closed `LineString` without the closing repeat and without
/// consecutive duplicates.
pub(crate) fn open_ring(ls: &geo::LineString<f64>) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
    for &c in &ls.0 {
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    pts
}

impl FreeSpace {
    /// `node_offset_m`: how far reflex corners are nudged into the free space.
    pub(crate) fn new(free: &MultiPolygon<f64>, node_offset_m: f64) -> Self {
        let mut edges = Vec::new();
        // Rings oriented so that the free space lies on their left.
        let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
        for poly in &free.0 {
            let mut ext = open_ring(poly.exterior());
            if ring_signed_area(&ext) < 0.0 {
                ext.reverse();
            }
            rings.push(ext);
            for hole in poly.interiors() {
                let mut r = open_ring(hole);
                if ring_signed_area(&r) > 0.0 {
                    r.reverse();
                }
                rings.push(r);
            }
        }
        for ring in &rings {
            let n = ring.len();
            for i in 0..n {
                edges.push((ring[i], ring[(i + 1) % n]));
            }
        }
        let grid = EdgeGrid::new(&edges);
        let mut space = FreeSpace {
            edges,
            grid,
            nodes: Vec::new(),
            adjacency: Vec::new(),
        };
        let mut nodes = Vec::new();
        for ring in &rings {
            let n = ring.len();
            if n < 3 {
                continue;
            }
            for i in 0..n {
                let (prev, cur, next) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
                if cross(prev, cur, next) >= 0.0 {
                    continue; // convex or straight: a shortest path never bends here
                }
                let (a, b) = (cur - prev, next - cur);
                let (la, lb) = (a.x.hypot(a.y), b.x.hypot(b.y));
                if la == 0.0 || lb == 0.0 {
                    continue;
                }
                let bis = a / la - b / lb;
                let lbis = bis.x.hypot(bis.y);
                if lbis < 1e-12 {
                    continue;
                }
                let node = cur + bis * (node_offset_m / lbis);
                if space.contains(node) {
                    nodes.push(node);
                }
            }
        }
        let adjacency = (0..nodes.len()).map(|_| OnceCell::new()).collect();
        space.nodes = nodes;
        space.adjacency = adjacency;
        space
    }

    /// Boundary edges, for the sweep to intersect its lines with.
    pub(crate) fn edges(&self) -> &[(Coord<f64>, Coord<f64>)] {
        &self.edges
    }

    /// Even-odd point-in-polygon over all rings (a ray towards +x through the grid row).
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        let g = &self.grid;
        let (ix0, iy) = g.cell_of(p);
        let mut inside = false;
        for ix in ix0..g.nx {
            let (lo, hi) = (g.x0 + ix as f64 * g.cell, g.x0 + (ix + 1) as f64 * g.cell);
            for &k in &g.cells[iy * g.nx + ix] {
                let (a, b) = self.edges[k as usize];
                if (a.y > p.y) != (b.y > p.y) {
                    let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
                    // Count each crossing once: in the cell it falls in (the last cell
                    // takes everything beyond the grid).
                    let in_cell = (x >= lo || ix == 0) && (x < hi || ix + 1 == g.nx);
                    if x > p.x && in_cell {
                        inside = !inside;
                    }
                }
            }
        }
        inside
    }

    /// Whether the straight leg a-b stays inside the free space. Conservative: a leg that
    /// only touches a boundary vertex counts as blocked, so that rounding cannot let a leg
    /// slip through a corner.
    pub(crate) fn segment_clear(&self, a: Coord<f64>, b: Coord<f64>) -> bool {
        let touch_m = 1e-7 * (1.0 + a.x.abs().max(a.y.abs()));
        let touch2 = touch_m * touch_m;
        let clear = self.grid.visit_segment(a, b, |k| {
            let (c, d) = self.edges[k as usize];
            // A crossing, or a boundary vertex on the leg's interior.
            !(properly_cross(a, b, c, d)
                || (point_segment_dist2(c, a, b) < touch2
                    && dist2(c, a) > touch2
                    && dist2(c, b) > touch2))
        });
        clear && self.contains((a + b) * 0.5)
    }

    /// Via points of the shortest leg from `a` to `b` inside the free space: empty when the
    /// straight leg is clear, `None` when the two points are not connected. Corners near
    /// the leg are searched first (most blocked legs only need to round a nearby corner);
    /// all corners only when those do not connect.
    pub(crate) fn route(&self, a: Coord<f64>, b: Coord<f64>) -> Option<Vec<Coord<f64>>> {
        if self.segment_clear(a, b) {
            return Some(Vec::new());
        }
        let pad = dist(a, b).max(1.0);
        let near = [
            a.x.min(b.x) - pad,
            a.y.min(b.y) - pad,
            a.x.max(b.x) + pad,
            a.y.max(b.y) + pad,
        ];
        self.search(a, b, Some(near))
            .or_else(|| self.search(a, b, None))
    }

    /// Dijkstra from `a` to `b` over the corners inside `within` (all when `None`).
    fn search(
        &self,
        a: Coord<f64>,
        b: Coord<f64>,
        within: Option<[f64; 4]>,
    ) -> Option<Vec<Coord<f64>>> {
        let n = self.nodes.len();
        let usable = |j: usize| {
            within.is_none_or(|w| {
                let p = self.nodes[j];
                p.x >= w[0] && p.y >= w[1] && p.x <= w[2] && p.y <= w[3]
            })
        };
        // Node n = start, n + 1 = goal.
        let (start, goal) = (n, n + 1);
        let mut best = vec![f64::INFINITY; n + 2];
        let mut prev = vec![usize::MAX; n + 2];
        let mut heap = BinaryHeap::new();
        best[start] = 0.0;
        heap.push(State {
            cost: 0.0,
            node: start,
        });
        while let Some(State { cost, node }) = heap.pop() {
            if cost > best[node] {
                continue;
            }
            if node == goal {
                break;
            }
            let mut relax = |to: usize, d: f64, heap: &mut BinaryHeap<State>| {
                let c = cost + d;
                if c < best[to] {
                    best[to] = c;
                    prev[to] = node;
                    heap.push(State { cost: c, node: to });
                }
            };
            if node == start {
                for (j, &p) in self.nodes.iter().enumerate() {
                    if usable(j) && self.segment_clear(a, p) {
                        relax(j, dist(a, p), &mut heap);
                    }
                }
            } else {
                let p = self.nodes[node];
                if self.segment_clear(p, b) {
                    relax(goal, dist(p, b), &mut heap);
                }
                let visible = self.adjacency[node].get_or_init(|| {
                    (0..n)
                        .filter(|&j| j != node && self.segment_clear(p, self.nodes[j]))
                        .map(|j| (j, dist(p, self.nodes[j])))
                        .collect()
                });
                for &(j, d) in visible {
                    if usable(j) {
                        relax(j, d, &mut heap);
                    }
                }
            }
        }
        if !best[goal].is_finite() {
            return None;
        }
        let mut via = Vec::new();
        let mut at = prev[goal];
        while at != start {
            via.push(self.nodes[at]);
            at = prev[at];
        }
        via.reverse();
        Some(via)
    }
}

/// A uniform grid over the edges' bounding box; each cell lists the edges whose bounding
/// box (padded a hair) overlaps it.
#[derive(Debug, Clone)]
struct EdgeGrid {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Vec<u32>>,
}

impl EdgeGrid {
    fn new(edges: &[(Coord<f64>, Coord<f64>)]) -> Self {
        let (mut lo, mut hi) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        for &(a, b) in edges {
            for p in [a, b] {
                lo = Coord {
                    x: lo.x.min(p.x),
                    y: lo.y.min(p.y),
                };
                hi = Coord {
                    x: hi.x.max(p.x),
                    y: hi.y.max(p.y),
                };
            }
        }
        if edges.is_empty() {
            (lo, hi) = (Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 });
        }
        let side = (hi.x - lo.x).max(hi.y - lo.y).max(1e-9);
        let per_side = (edges.len() as f64).sqrt().ceil().clamp(1.0, 512.0);
        let cell = side / per_side;
        let nx = ((hi.x - lo.x) / cell) as usize + 1;
        let ny = ((hi.y - lo.y) / cell) as usize + 1;
        let mut grid = EdgeGrid {
            x0: lo.x,
            y0: lo.y,
            cell,
            nx,
            ny,
            cells: vec![Vec::new(); nx * ny],
        };
        let pad = 1e-6 * cell;
        for (k, &(a, b)) in edges.iter().enumerate() {
            let (i0, j0) = grid.cell_of(Coord {
                x: a.x.min(b.x) - pad,
                y: a.y.min(b.y) - pad,
            });
            let (i1, j1) = grid.cell_of(Coord {
                x: a.x.max(b.x) + pad,
                y: a.y.max(b.y) + pad,
            });
            for j in j0..=j1 {
                for i in i0..=i1 {
                    grid.cells[j * nx + i].push(k as u32);
                }
            }
        }
        grid
    }

    /// The cell holding `p`, clamped to the grid.
    fn cell_of(&self, p: Coord<f64>) -> (usize, usize) {
        let i = ((p.x - self.x0) / self.cell).floor().max(0.0) as usize;
        let j = ((p.y - self.y0) / self.cell).floor().max(0.0) as usize;
        (i.min(self.nx - 1), j.min(self.ny - 1))
    }

    /// Calls `f` with the edges listed in every cell the segment a-b passes through (an
    /// edge may come more than once), until `f` returns false; returns false then.
    fn visit_segment(&self, a: Coord<f64>, b: Coord<f64>, mut f: impl FnMut(u32) -> bool) -> bool {
        let (mut i, mut j) = self.cell_of(a);
        let (ei, ej) = self.cell_of(b);
        let d = b - a;
        let axis = |d: f64, from: f64, origin: f64, idx: usize| -> (f64, f64) {
            if d == 0.0 {
                return (f64::INFINITY, f64::INFINITY);
            }
            let edge = origin + (idx as f64 + if d > 0.0 { 1.0 } else { 0.0 }) * self.cell;
            ((edge - from) / d, self.cell / d.abs())
        };
        let (mut t_x, dt_x) = axis(d.x, a.x, self.x0, i);
        let (mut t_y, dt_y) = axis(d.y, a.y, self.y0, j);
        for _ in 0..(self.nx + self.ny + 2) {
            if !self.cells[j * self.nx + i].iter().all(|&k| f(k)) {
                return false;
            }
            if (i, j) == (ei, ej) || t_x.min(t_y) > 1.0 {
                break;
            }
            if t_x < t_y {
                t_x += dt_x;
                match (d.x > 0.0, i) {
                    (true, i2) if i2 + 1 < self.nx => i += 1,
                    (false, i2) if i2 > 0 => i -= 1,
                    _ => break,
                }
            } else {
                t_y += dt_y;
                match (d.y > 0.0, j) {
                    (true, j2) if j2 + 1 < self.ny => j += 1,
                    (false, j2) if j2 > 0 => j -= 1,
                    _ => break,
                }
            }
        }
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct State {
    cost: f64,
    node: usize,
}

impl Eq for State {}

impl Ord for State {
    fn cmp(&self, other: &Self) -> Ordering {
        // Min-heap on cost.
        other
            .cost
            .partial_cmp(&self.cost)
            .unwrap_or(Ordering::Equal)
            .then_with(|| self.node.cmp(&other.node))
    }
}

impl PartialOrd for State {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, polygon, BooleanOps};

    #[test]
    fn routes_around_a_square_obstacle() {
        let outer = polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)];
        let hole = polygon![(x: 40.0, y: 20.0), (x: 60.0, y: 20.0), (x: 60.0, y: 80.0), (x: 40.0, y: 80.0)];
        let free = outer.difference(&hole);
        let fs = FreeSpace::new(&free, 0.5);
        let (a, b) = (coord! {x: 10.0, y: 50.0}, coord! {x: 90.0, y: 50.0});
        assert!(!fs.segment_clear(a, b));
        let via = fs.route(a, b).unwrap();
        assert_eq!(via.len(), 2, "{via:?}");
        let mut pts = vec![a];
        pts.extend(&via);
        pts.push(b);
        for w in pts.windows(2) {
            assert!(fs.segment_clear(w[0], w[1]));
        }
        // Around the near side (y < 20 or y > 80), about 2 * hypot(30, 30) + 20 long.
        let len: f64 = pts.windows(2).map(|w| dist(w[0], w[1])).sum();
        assert!(
            (len - (2.0 * 30f64.hypot(30.0) + 20.0)).abs() < 2.0,
            "{len}"
        );
        // Straight legs that are clear need no via points.
        assert_eq!(fs.route(a, coord! {x: 10.0, y: 90.0}), Some(vec![]));
    }

    #[test]
    fn disconnected_space_has_no_route() {
        let outer = polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)];
        let wall = polygon![(x: 40.0, y: -10.0), (x: 60.0, y: -10.0), (x: 60.0, y: 110.0), (x: 40.0, y: 110.0)];
        let fs = FreeSpace::new(&outer.difference(&wall), 0.5);
        assert_eq!(
            fs.route(coord! {x: 10.0, y: 50.0}, coord! {x: 90.0, y: 50.0}),
            None
        );
    }

    /// The grid must find exactly what a scan over all edges finds.
    #[test]
    fn grid_tests_match_a_full_scan() {
        let n = 300;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * f64::from(i) / f64::from(n);
                let r = 100.0 * (1.0 + 0.3 * (7.0 * a).sin() + 0.1 * (29.0 * a).cos());
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let outer = geo::Polygon::new(geo::LineString::from(ring), vec![]);
        let hole = polygon![(x: -20.0, y: -20.0), (x: 25.0, y: -15.0), (x: 5.0, y: 30.0)];
        let fs = FreeSpace::new(&outer.difference(&hole), 0.5);
        let full_contains = |p: Coord<f64>| {
            let mut inside = false;
            for &(a, b) in fs.edges() {
                if (a.y > p.y) != (b.y > p.y) && a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x) > p.x
                {
                    inside = !inside;
                }
            }
            inside
        };
        let full_clear = |a: Coord<f64>, b: Coord<f64>| {
            !fs.edges().iter().any(|&(c, d)| properly_cross(a, b, c, d))
                && full_contains((a + b) * 0.5)
        };
        // A deterministic scatter of points (a simple LCG).
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) * 300.0 - 150.0
        };
        let pts: Vec<Coord<f64>> = (0..400).map(|_| coord! {x: next(), y: next()}).collect();
        for &p in &pts {
            assert_eq!(fs.contains(p), full_contains(p), "{p:?}");
        }
        let inside: Vec<Coord<f64>> = pts.into_iter().filter(|&p| fs.contains(p)).collect();
        let mut clear = 0;
        for w in inside.windows(2) {
            assert_eq!(
                fs.segment_clear(w[0], w[1]),
                full_clear(w[0], w[1]),
                "{w:?}"
            );
            clear += usize::from(fs.segment_clear(w[0], w[1]));
        }
        // Both outcomes occur.
        assert!(
            clear > 10 && clear + 10 < inside.len(),
            "{clear} of {}",
            inside.len()
        );
    }
}
