//! River geometry in the world plane: the smoothed centreline, river coordinates
//! (station `s` along the flow, signed offset `d`, positive on the left bank looking
//! downstream) for any plane point, and the channel's width and meander along it.
//!
//! Nearest-segment queries run millions of times per frame, so segments are bucketed on a
//! uniform grid at build time: each cell keeps only the segments that can be nearest to some
//! point of the cell (within the cell diagonal of the nearest one to its centre).

use super::noise;

/// Smoothed centreline resampling step, metres.
const STEP_M: f64 = 5.0;
/// Grid cell size, metres.
const CELL_M: f64 = 10.0;
/// Points farther than this from the centreline have no river coordinates ("far land").
pub const REACH_M: f64 = 220.0;

/// Where a plane point is relative to the river.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiverCoord {
    /// Station along the centreline from its upstream end, metres.
    pub s_m: f64,
    /// Signed offset from the centreline, metres; positive to the left looking downstream.
    pub d_m: f64,
    /// Unit tangent (downstream) of the nearest segment, (east, north).
    pub tangent: (f64, f64),
}

/// The smoothed centreline with its segment grid.
#[derive(Debug, Clone)]
pub struct River {
    pts: Vec<(f64, f64)>,
    /// Cumulative station at each vertex.
    s_at: Vec<f64>,
    origin: (f64, f64),
    nx: usize,
    ny: usize,
    cell_start: Vec<u32>,
    cell_segs: Vec<u32>,
    seed: u64,
    /// Corridor width, metres.
    pub corridor_width_m: f64,
}

fn catmull_rom(
    p0: (f64, f64),
    p1: (f64, f64),
    p2: (f64, f64),
    p3: (f64, f64),
    t: f64,
) -> (f64, f64) {
    let t2 = t * t;
    let t3 = t2 * t;
    let f = |a: f64, b: f64, c: f64, d: f64| {
        0.5 * (2.0 * b
            + (-a + c) * t
            + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
            + (-a + 3.0 * b - 3.0 * c + d) * t3)
    };
    (f(p0.0, p1.0, p2.0, p3.0), f(p0.1, p1.1, p2.1, p3.1))
}

fn seg_dist(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + t * dx, a.1 + t * dy);
    (noise::len2(p.0 - qx, p.1 - qy), t)
}

impl River {
    /// Builds the river from centreline vertices in the plane (metres east, north).
    pub fn new(vertices: &[(f64, f64)], corridor_width_m: f64, seed: u64) -> River {
        // Catmull-Rom through the vertices, resampled at about STEP_M.
        let n = vertices.len();
        let get = |i: isize| vertices[i.clamp(0, n as isize - 1) as usize];
        let mut pts = vec![vertices[0]];
        for i in 0..n - 1 {
            let (p0, p1, p2, p3) = (
                get(i as isize - 1),
                get(i as isize),
                get(i as isize + 1),
                get(i as isize + 2),
            );
            let len = noise::len2(p2.0 - p1.0, p2.1 - p1.1);
            let k = (len / STEP_M).ceil().max(1.0) as usize;
            for j in 1..=k {
                pts.push(catmull_rom(p0, p1, p2, p3, j as f64 / k as f64));
            }
        }
        let mut s_at = Vec::with_capacity(pts.len());
        let mut s = 0.0;
        s_at.push(0.0);
        for w in pts.windows(2) {
            s += noise::len2(w[1].0 - w[0].0, w[1].1 - w[0].1);
            s_at.push(s);
        }
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for p in &pts {
            lo = (lo.0.min(p.0), lo.1.min(p.1));
            hi = (hi.0.max(p.0), hi.1.max(p.1));
        }
        let origin = (lo.0 - REACH_M - CELL_M, lo.1 - REACH_M - CELL_M);
        let nx = ((hi.0 - origin.0 + REACH_M + CELL_M) / CELL_M).ceil() as usize + 1;
        let ny = ((hi.1 - origin.1 + REACH_M + CELL_M) / CELL_M).ceil() as usize + 1;
        let half_diag = CELL_M * std::f64::consts::FRAC_1_SQRT_2;
        // (cell, seg, distance from the cell centre)
        let mut cand: Vec<(u32, u32, f32)> = Vec::new();
        for (k, w) in pts.windows(2).enumerate() {
            let (a, b) = (w[0], w[1]);
            let r = REACH_M + half_diag;
            let cx0 = (((a.0.min(b.0) - r - origin.0) / CELL_M).floor().max(0.0)) as usize;
            let cx1 = (((a.0.max(b.0) + r - origin.0) / CELL_M).ceil() as usize).min(nx - 1);
            let cy0 = (((a.1.min(b.1) - r - origin.1) / CELL_M).floor().max(0.0)) as usize;
            let cy1 = (((a.1.max(b.1) + r - origin.1) / CELL_M).ceil() as usize).min(ny - 1);
            for cy in cy0..=cy1 {
                for cx in cx0..=cx1 {
                    let c = (
                        origin.0 + (cx as f64 + 0.5) * CELL_M,
                        origin.1 + (cy as f64 + 0.5) * CELL_M,
                    );
                    let (dist, _) = seg_dist(c, a, b);
                    if dist <= r {
                        cand.push(((cy * nx + cx) as u32, k as u32, dist as f32));
                    }
                }
            }
        }
        cand.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.2.total_cmp(&y.2)));
        let mut cell_start = vec![0u32; nx * ny + 1];
        let mut cell_segs = Vec::new();
        let mut i = 0;
        let diag = 2.0 * half_diag as f32;
        for (cell, start) in cell_start.iter_mut().take(nx * ny).enumerate() {
            *start = cell_segs.len() as u32;
            let mut min = None;
            while i < cand.len() && cand[i].0 as usize == cell {
                let m = *min.get_or_insert(cand[i].2);
                if cand[i].2 <= m + diag + 0.01 {
                    cell_segs.push(cand[i].1);
                }
                i += 1;
            }
        }
        cell_start[nx * ny] = cell_segs.len() as u32;
        River {
            pts,
            s_at,
            origin,
            nx,
            ny,
            cell_start,
            cell_segs,
            seed,
            corridor_width_m,
        }
    }

    /// Bounding box of the centreline, ((min e, min n), (max e, max n)).
    pub fn bbox(&self) -> ((f64, f64), (f64, f64)) {
        let mut lo = (f64::MAX, f64::MAX);
        let mut hi = (f64::MIN, f64::MIN);
        for p in &self.pts {
            lo = (lo.0.min(p.0), lo.1.min(p.1));
            hi = (hi.0.max(p.0), hi.1.max(p.1));
        }
        (lo, hi)
    }

    /// Length of the centreline, metres.
    pub fn length_m(&self) -> f64 {
        *self.s_at.last().unwrap_or(&0.0)
    }

    /// River coordinates of plane point `(e, n)`, or `None` farther than [`REACH_M`] from
    /// the centreline.
    pub fn coord(&self, e: f64, n: f64) -> Option<RiverCoord> {
        let fx = (e - self.origin.0) / CELL_M;
        let fy = (n - self.origin.1) / CELL_M;
        if fx < 0.0 || fy < 0.0 {
            return None;
        }
        let (cx, cy) = (fx as usize, fy as usize);
        if cx >= self.nx || cy >= self.ny {
            return None;
        }
        let cell = cy * self.nx + cx;
        let segs =
            &self.cell_segs[self.cell_start[cell] as usize..self.cell_start[cell + 1] as usize];
        let mut best: Option<(f64, usize, f64)> = None;
        for &k in segs {
            let k = k as usize;
            let (dist, t) = seg_dist((e, n), self.pts[k], self.pts[k + 1]);
            if best.is_none_or(|b| dist < b.0) {
                best = Some((dist, k, t));
            }
        }
        let (dist, k, t) = best?;
        if dist > REACH_M {
            return None;
        }
        let (a, b) = (self.pts[k], self.pts[k + 1]);
        let len = noise::len2(b.0 - a.0, b.1 - a.1).max(1e-9);
        let tangent = ((b.0 - a.0) / len, (b.1 - a.1) / len);
        let cross = tangent.0 * (n - a.1) - tangent.1 * (e - a.0);
        Some(RiverCoord {
            s_m: self.s_at[k] + t * len,
            d_m: if cross >= 0.0 { dist } else { -dist },
            tangent,
        })
    }

    /// Plane point and unit tangent at station `s_m` on the centreline (clamped to it).
    pub fn at(&self, s_m: f64) -> ((f64, f64), (f64, f64)) {
        let s = s_m.clamp(0.0, self.length_m());
        let k = match self.s_at.binary_search_by(|v| v.total_cmp(&s)) {
            Ok(i) => i.min(self.pts.len() - 2),
            Err(i) => i.saturating_sub(1).min(self.pts.len() - 2),
        };
        let (a, b) = (self.pts[k], self.pts[k + 1]);
        let len = noise::len2(b.0 - a.0, b.1 - a.1).max(1e-9);
        let t = ((s - self.s_at[k]) / len).clamp(0.0, 1.0);
        (
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)),
            ((b.0 - a.0) / len, (b.1 - a.1) / len),
        )
    }

    /// Plane point at river coordinates `(s, d)`.
    pub fn point(&self, s_m: f64, d_m: f64) -> (f64, f64) {
        let (p, t) = self.at(s_m);
        (p.0 - t.1 * d_m, p.1 + t.0 * d_m)
    }

    /// Offset of the channel's middle from the centreline at `s_m`, metres (left positive).
    pub fn channel_offset_m(&self, s_m: f64) -> f64 {
        let w = self.corridor_width_m;
        0.1 * w * (noise::value(self.seed ^ 0x0ff5, s_m / 400.0, 0.5) as f64 - 0.5) * 2.0
    }

    /// Half the water width at `s_m` (smooth part), metres.
    pub fn half_width_m(&self, s_m: f64) -> f64 {
        let w = self.corridor_width_m;
        w * (0.24 + 0.14 * noise::value(self.seed ^ 0x817d, s_m / 350.0, 0.5) as f64)
    }

    /// Distance inward from the waterline on bank `side` (+1 left, -1 right) at `(s, d)`:
    /// negative on the bank, positive in the water. Includes the small-scale irregularity
    /// of a natural waterline.
    pub fn inward_m(&self, s_m: f64, d_m: f64, side: f64) -> f64 {
        let c = self.channel_offset_m(s_m);
        let wig_seed = if side > 0.0 { 0x3a1 } else { 0x3a2 };
        let wiggle = 0.9 * (noise::value(self.seed ^ wig_seed, s_m / 6.0, 0.5) as f64 - 0.5);
        self.half_width_m(s_m) + wiggle - side * (d_m - c)
    }

    /// Plane point on the smooth waterline (no wiggle) of bank `side` at `s_m`, moved
    /// `inward_m` towards the water.
    pub fn bank_point(&self, s_m: f64, side: f64, inward_m: f64) -> (f64, f64) {
        let d = self.channel_offset_m(s_m) + side * (self.half_width_m(s_m) - inward_m);
        self.point(s_m, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_of_a_straight_river() {
        let r = River::new(&[(0.0, 0.0), (1000.0, 0.0)], 60.0, 1);
        let c = r.coord(250.0, 10.0).unwrap();
        assert!(
            (c.s_m - 250.0).abs() < 1e-6 && (c.d_m - 10.0).abs() < 1e-6,
            "{c:?}"
        );
        let c = r.coord(250.0, -30.0).unwrap();
        assert!((c.d_m + 30.0).abs() < 1e-6);
        assert!(r.coord(250.0, 500.0).is_none());
        let p = r.point(250.0, 10.0);
        assert!((p.0 - 250.0).abs() < 1e-9 && (p.1 - 10.0).abs() < 1e-9);
    }

    #[test]
    fn grid_answers_like_brute_force_on_a_meander() {
        let verts: Vec<(f64, f64)> = (0..60)
            .map(|i| {
                let x = i as f64 * 40.0;
                (x, 120.0 * (x / 300.0).sin())
            })
            .collect();
        let r = River::new(&verts, 60.0, 2);
        for i in 0..400 {
            let e = (i * 37 % 2400) as f64;
            let n = ((i * 91) % 400) as f64 - 200.0;
            let brute = r
                .pts
                .windows(2)
                .map(|w| seg_dist((e, n), w[0], w[1]).0)
                .fold(f64::MAX, f64::min);
            match r.coord(e, n) {
                Some(c) => assert!((c.d_m.abs() - brute).abs() < 1e-9, "{e},{n}"),
                None => assert!(brute > REACH_M - 1e-9, "{e},{n}: {brute}"),
            }
        }
    }
}
