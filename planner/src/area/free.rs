//! The space the vehicle may fly in (the area's turnaround band minus holes and exclusions),
//! and shortest connecting legs through it.
//!
//! Connecting legs are routed on a visibility graph: the shortest path between two points
//! among polygonal obstacles bends only at reflex corners of the free space, so those corners
//! (nudged a little into the free space, so that a leg never grazes an obstacle exactly) are
//! the only graph nodes needed. The node-to-node visibility is computed once per plan; each
//! query adds its two end points.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::{Coord, MultiPolygon};

/// Free space as plain rings, for fast segment and point tests.
#[derive(Debug, Clone)]
pub(crate) struct FreeSpace {
    /// Every boundary edge (exterior and interior rings alike).
    edges: Vec<(Coord<f64>, Coord<f64>)>,
    /// Bounding box of each edge, to skip most of them quickly.
    edge_boxes: Vec<[f64; 4]>,
    /// Graph nodes: reflex corners of the free space nudged inward.
    nodes: Vec<Coord<f64>>,
    /// Visibility between nodes: (other node, distance).
    adjacency: Vec<Vec<(usize, f64)>>,
}

/// Twice the signed area of the triangle (a, b, c): > 0 for a left (counter-clockwise) turn.
pub(crate) fn cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// Distance from `p` to the segment `a`-`b`.
fn point_segment_dist(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let ab = b - a;
    let len2 = ab.x * ab.x + ab.y * ab.y;
    if len2 == 0.0 {
        return dist(p, a);
    }
    let t = (((p.x - a.x) * ab.x + (p.y - a.y) * ab.y) / len2).clamp(0.0, 1.0);
    dist(p, a + ab * t)
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
        let edge_boxes = edges
            .iter()
            .map(|(a, b)| [a.x.min(b.x), a.y.min(b.y), a.x.max(b.x), a.y.max(b.y)])
            .collect();
        let mut space = FreeSpace {
            edges,
            edge_boxes,
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
        let mut adjacency = vec![Vec::new(); nodes.len()];
        for i in 0..nodes.len() {
            for j in i + 1..nodes.len() {
                if space.segment_clear(nodes[i], nodes[j]) {
                    let d = dist(nodes[i], nodes[j]);
                    adjacency[i].push((j, d));
                    adjacency[j].push((i, d));
                }
            }
        }
        space.nodes = nodes;
        space.adjacency = adjacency;
        space
    }

    /// Boundary edges, for the sweep to intersect its lines with.
    pub(crate) fn edges(&self) -> &[(Coord<f64>, Coord<f64>)] {
        &self.edges
    }

    /// Even-odd point-in-polygon over all rings.
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        let mut inside = false;
        for &(a, b) in &self.edges {
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
                if x > p.x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Whether the straight leg a-b stays inside the free space. Conservative: a leg that
    /// only touches a boundary vertex counts as blocked, so that rounding cannot let a leg
    /// slip through a corner.
    pub(crate) fn segment_clear(&self, a: Coord<f64>, b: Coord<f64>) -> bool {
        let bx = [a.x.min(b.x), a.y.min(b.y), a.x.max(b.x), a.y.max(b.y)];
        let touch_m = 1e-7 * (1.0 + a.x.abs().max(a.y.abs()));
        for (k, &(c, d)) in self.edges.iter().enumerate() {
            let eb = &self.edge_boxes[k];
            if eb[0] > bx[2] + touch_m
                || eb[2] < bx[0] - touch_m
                || eb[1] > bx[3] + touch_m
                || eb[3] < bx[1] - touch_m
            {
                continue;
            }
            if properly_cross(a, b, c, d) {
                return false;
            }
            // A boundary vertex on the leg's interior.
            if point_segment_dist(c, a, b) < touch_m && dist(c, a) > touch_m && dist(c, b) > touch_m
            {
                return false;
            }
        }
        self.contains((a + b) * 0.5)
    }

    /// Via points of the shortest leg from `a` to `b` inside the free space: empty when the
    /// straight leg is clear, `None` when the two points are not connected.
    pub(crate) fn route(&self, a: Coord<f64>, b: Coord<f64>) -> Option<Vec<Coord<f64>>> {
        if self.segment_clear(a, b) {
            return Some(Vec::new());
        }
        let n = self.nodes.len();
        // Node n = start, n + 1 = goal.
        let (start, goal) = (n, n + 1);
        let to_goal: Vec<Option<f64>> = self
            .nodes
            .iter()
            .map(|&p| self.segment_clear(p, b).then(|| dist(p, b)))
            .collect();
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
                    if self.segment_clear(a, p) {
                        relax(j, dist(a, p), &mut heap);
                    }
                }
            } else {
                for &(j, d) in &self.adjacency[node] {
                    relax(j, d, &mut heap);
                }
                if let Some(d) = to_goal[node] {
                    relax(goal, d, &mut heap);
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
}
