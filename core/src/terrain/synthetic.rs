//! A SYNTHETIC karst river valley: an invented landscape for tests, samples and the
//! simulator, never a survey of real ground.
//!
//! The planner's sample corridor (`missions/sample-corridor.geojson`) and the simulated world
//! both need relief like the phosphorus rivers of Kaiyang: a narrow valley floor along the
//! river, slopes with terraces rising well over 100 m within a kilometre, and karst cones
//! (fenglin bumps) on the slopes. [`SyntheticValley`] is that relief as a pure function of
//! position, so the planner (through a rasterised [`Dem`] written to a GeoTIFF) and the
//! simulator (directly, as a [`Terrain`]) stand on the same ground.
//!
//! Shape, with `d` the horizontal distance from the river centreline and `s` the distance
//! along it from its first point:
//! - floor: `floor_start_amsl_m` at `s = 0`, dropping `floor_drop_m` evenly to the last
//!   point (the river flows from the first point), and `cascade_drop_m` more through a
//!   cascade (a karst knickpoint) `cascade_length_m` long centred at `cascade_at` of the
//!   reach; constant across within `floor_half_width_m`;
//! - slopes: `rise_m * terrace(1 - exp(-(d - floor_half_width_m) / rise_scale_m))` beyond the
//!   floor, where `terrace` flattens `terraces` steps into the rise;
//! - karst cones: Gaussian bumps `bump_height_m` high on a jittered grid `bump_spacing_m`
//!   apart, faded in between `floor_half_width_m + 40 m` and `+ 160 m` from the river so
//!   that the floor stays clear.
//!
//! Everything is deterministic (`seed`), so the same spec always gives the same heights.

use crate::geodesy::{GeoPoint, LocalFrame};
use crate::terrain::dem::{Dem, DemError, Georef};
use crate::terrain::vertical::VerticalDatum;
use crate::terrain::{Terrain, TerrainError};

/// The numbers that shape a [`SyntheticValley`] (see the module doc for the formula).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValleySpec {
    /// Valley floor height at the river's first point, metres AMSL (EGM96).
    pub floor_start_amsl_m: f64,
    /// How much the floor drops from the first to the last point of the river, metres.
    pub floor_drop_m: f64,
    /// Extra drop through the cascade, metres.
    pub cascade_drop_m: f64,
    /// Where the cascade is centred, as a fraction of the reach (0 to 1).
    pub cascade_at: f64,
    /// Length of the cascade along the river, metres.
    pub cascade_length_m: f64,
    /// Half width of the flat floor about the centreline, metres.
    pub floor_half_width_m: f64,
    /// Height the slopes approach far from the river, metres above the floor.
    pub rise_m: f64,
    /// Distance over which the slopes rise by 63 % of `rise_m`, metres.
    pub rise_scale_m: f64,
    /// Number of terrace steps in the rise (0: a smooth slope).
    pub terraces: u32,
    /// Height of the karst cones, metres.
    pub bump_height_m: f64,
    /// Spacing of the karst cones, metres (their radius is a quarter of it).
    pub bump_spacing_m: f64,
    /// Jitters the cones' positions and heights.
    pub seed: u64,
}

impl Default for ValleySpec {
    /// A Kaiyang-like gorge: floor at 900 m dropping 40 m along the reach plus 60 m through
    /// a 600 m cascade at 45 % of it, 20 m half width, slopes rising 160 m with four terraces
    /// (about 100 m within the first 600 m), 35 m cones 250 m apart.
    fn default() -> Self {
        ValleySpec {
            floor_start_amsl_m: 900.0,
            floor_drop_m: 40.0,
            cascade_drop_m: 60.0,
            cascade_at: 0.45,
            cascade_length_m: 600.0,
            floor_half_width_m: 20.0,
            rise_m: 160.0,
            rise_scale_m: 600.0,
            terraces: 4,
            bump_height_m: 35.0,
            bump_spacing_m: 250.0,
            seed: 7,
        }
    }
}

/// The synthetic valley about one river centreline: a [`Terrain`] answering EGM96 heights
/// everywhere (no coverage limit, no voids).
#[derive(Debug, Clone)]
pub struct SyntheticValley {
    spec: ValleySpec,
    frame: LocalFrame,
    /// Centreline in the frame's plane (metres east, north) and the distance along it.
    river: Vec<(f64, f64)>,
    along_m: Vec<f64>,
}

impl SyntheticValley {
    /// The valley of the river `centreline` (at least 2 points, flowing from the first).
    pub fn new(centreline: &[GeoPoint], spec: ValleySpec) -> Result<SyntheticValley, DemError> {
        let bad = |detail: String| DemError::BadGrid {
            file: "synthetic valley".into(),
            what: "centreline",
            detail,
        };
        let Some(&first) = centreline.first() else {
            return Err(bad("no points: expected at least 2".into()));
        };
        if centreline.len() < 2 {
            return Err(bad("1 point: expected at least 2".into()));
        }
        let numbers = [
            spec.floor_start_amsl_m,
            spec.floor_drop_m,
            spec.cascade_drop_m,
            spec.cascade_at,
            spec.cascade_length_m,
            spec.floor_half_width_m,
            spec.rise_m,
            spec.bump_height_m,
        ];
        if numbers.iter().any(|v| !v.is_finite())
            || !(spec.rise_scale_m.is_finite() && spec.rise_scale_m > 0.0)
            || !(spec.bump_spacing_m.is_finite() && spec.bump_spacing_m > 0.0)
        {
            return Err(DemError::BadGrid {
                file: "synthetic valley".into(),
                what: "spec",
                detail: format!(
                    "{spec:?}: expected finite numbers, rise_scale_m and bump_spacing_m > 0"
                ),
            });
        }
        let frame = LocalFrame::at(first);
        let river: Vec<(f64, f64)> = centreline.iter().map(|&p| frame.project(p)).collect();
        let mut along_m = vec![0.0];
        for w in river.windows(2) {
            let prev = along_m.last().copied().unwrap_or(0.0);
            along_m.push(prev + (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1));
        }
        Ok(SyntheticValley {
            spec,
            frame,
            river,
            along_m,
        })
    }

    pub fn spec(&self) -> &ValleySpec {
        &self.spec
    }

    /// Distance from the river and distance along it of the nearest centreline point.
    fn nearest(&self, x: f64, y: f64) -> (f64, f64) {
        let mut best = (f64::INFINITY, 0.0);
        for (i, w) in self.river.windows(2).enumerate() {
            let (ax, ay) = w[0];
            let (dx, dy) = (w[1].0 - ax, w[1].1 - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((x - ax) * dx + (y - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d = (x - ax - t * dx).hypot(y - ay - t * dy);
            if d < best.0 {
                best = (d, self.along_m[i] + t * len2.sqrt());
            }
        }
        best
    }

    /// Height at plane point `(x, y)` (metres east, north of the first centreline point).
    pub fn height_at_plane_m(&self, x: f64, y: f64) -> f64 {
        let s = &self.spec;
        let (d, along) = self.nearest(x, y);
        let total = self.along_m.last().copied().unwrap_or(0.0).max(1e-9);
        let centre = s.cascade_at * total;
        let half = s.cascade_length_m.max(1e-9) / 2.0;
        let floor = s.floor_start_amsl_m
            - s.floor_drop_m * (along / total).clamp(0.0, 1.0)
            - s.cascade_drop_m * smoothstep(centre - half, centre + half, along);
        let beyond = (d - s.floor_half_width_m).max(0.0);
        let v = 1.0 - (-beyond / s.rise_scale_m).exp();
        let slope = s.rise_m * terrace(v, s.terraces);
        let fade = smoothstep(s.floor_half_width_m + 40.0, s.floor_half_width_m + 160.0, d);
        floor + slope + fade * self.bumps(x, y)
    }

    /// Karst cones on a jittered grid: the sum of the nearby cones' Gaussians.
    fn bumps(&self, x: f64, y: f64) -> f64 {
        let s = &self.spec;
        let g = s.bump_spacing_m;
        let radius = g / 4.0;
        let (ci, cj) = ((x / g).floor() as i64, (y / g).floor() as i64);
        let mut h = 0.0;
        for i in ci - 1..=ci + 1 {
            for j in cj - 1..=cj + 1 {
                let r = hash3(s.seed, i, j);
                let cx = (i as f64 + 0.2 + 0.6 * unit(r)) * g;
                let cy = (j as f64 + 0.2 + 0.6 * unit(r >> 21)) * g;
                let height = s.bump_height_m * (0.5 + unit(r >> 42));
                let d2 = (x - cx).powi(2) + (y - cy).powi(2);
                h += height * (-d2 / (2.0 * radius * radius)).exp();
            }
        }
        h
    }

    /// The valley rasterised as an EGM96 [`Dem`] named `name`, covering the centreline's
    /// bounding box plus `margin_m` on every side, `cell_deg` degrees a cell (1/3600 is SRTM's
    /// one arc-second), sampled at cell centres.
    pub fn to_dem(&self, name: &str, margin_m: f64, cell_deg: f64) -> Result<Dem, DemError> {
        if !(cell_deg.is_finite() && cell_deg > 0.0 && margin_m.is_finite() && margin_m >= 0.0) {
            return Err(DemError::BadGrid {
                file: name.into(),
                what: "raster",
                detail: format!(
                    "cell {cell_deg} degrees, margin {margin_m} m: expected a cell > 0 and a margin >= 0"
                ),
            });
        }
        let geo: Vec<GeoPoint> = self
            .river
            .iter()
            .map(|&(x, y)| self.frame.unproject(x, y))
            .collect();
        let fold = |f: fn(f64, f64) -> f64, init: f64, g: fn(&GeoPoint) -> f64| {
            geo.iter().map(g).fold(init, f)
        };
        let (s, n) = (
            fold(f64::min, f64::INFINITY, |p| p.lat_deg),
            fold(f64::max, f64::NEG_INFINITY, |p| p.lat_deg),
        );
        let (w, e) = (
            fold(f64::min, f64::INFINITY, |p| p.lon_deg),
            fold(f64::max, f64::NEG_INFINITY, |p| p.lon_deg),
        );
        let dlat = margin_m / 110_574.0;
        let dlon = margin_m / (111_320.0 * ((s + n) / 2.0).to_radians().cos().max(1e-6));
        // Edges on whole cells, so tiles made with the same cell line up.
        let west = ((w - dlon) / cell_deg).floor() * cell_deg;
        let north = ((n + dlat) / cell_deg).ceil() * cell_deg;
        let cols = (((e + dlon) - west) / cell_deg).ceil().max(1.0) as usize;
        let rows = ((north - (s - dlat)) / cell_deg).ceil().max(1.0) as usize;
        let georef = Georef {
            west_lon_deg: west,
            north_lat_deg: north,
            lon_step_deg: cell_deg,
            lat_step_deg: cell_deg,
        };
        Dem::sample_cell_centres(name, georef, cols, rows, VerticalDatum::Egm96, |p| {
            let (x, y) = self.frame.project(p);
            self.height_at_plane_m(x, y) as f32
        })
    }
}

impl Terrain for SyntheticValley {
    fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
        let (x, y) = self.frame.project(p);
        Ok(self.height_at_plane_m(x, y))
    }
}

/// `v` in 0..1 with `steps` flat treads: each step rises steeply in its middle.
fn terrace(v: f64, steps: u32) -> f64 {
    if steps == 0 {
        return v;
    }
    let n = f64::from(steps);
    let u = v * n;
    let k = u.floor();
    // A smoothstep per step: flat at both ends of each step, steep in between.
    (k + smoothstep(0.0, 1.0, u - k)) / n
}

fn smoothstep(a: f64, b: f64, x: f64) -> f64 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A well-mixed 64-bit hash of a seed and two integers (SplitMix64 finaliser).
fn hash3(seed: u64, i: i64, j: i64) -> u64 {
    let mut z = seed
        .wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add((j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The low 21 bits of `r` as a number in 0..1.
fn unit(r: u64) -> f64 {
    (r & 0x1F_FFFF) as f64 / 0x1F_FFFF as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn river() -> Vec<GeoPoint> {
        let f = LocalFrame::at(GeoPoint::new(27.035, 106.935).unwrap());
        (0..=40)
            .map(|k| f.unproject(0.0, k as f64 * 100.0))
            .collect()
    }

    #[test]
    fn floor_is_flat_across_and_slopes_rise_over_100_m_within_a_km() {
        let v = SyntheticValley::new(&river(), ValleySpec::default()).unwrap();
        // On the floor: the floor height, dropping downstream, 60 m more past the cascade
        // (centred 1800 m along, 600 m long).
        assert!((v.height_at_plane_m(0.0, 0.0) - 900.0).abs() < 1e-9);
        assert!((v.height_at_plane_m(15.0, 4000.0) - 800.0).abs() < 1e-9);
        assert!((v.height_at_plane_m(-15.0, 1000.0) - 890.0).abs() < 1e-9);
        assert!((v.height_at_plane_m(0.0, 1800.0) - 852.0).abs() < 1e-9);
        // 1 km out from mid-reach (cones included): over 100 m above the floor.
        let rise = v.height_at_plane_m(1000.0, 2000.0) - 820.0;
        assert!(rise > 100.0, "{rise}");
        // Deterministic.
        let again = SyntheticValley::new(&river(), ValleySpec::default()).unwrap();
        assert_eq!(
            v.height_at_plane_m(333.0, 1234.0),
            again.height_at_plane_m(333.0, 1234.0)
        );
    }

    #[test]
    fn raster_matches_the_function_at_cell_centres_and_refuses_bad_input() {
        let v = SyntheticValley::new(&river(), ValleySpec::default()).unwrap();
        let dem = v.to_dem("valley.tif", 300.0, 1.0 / 3600.0).unwrap();
        assert_eq!(dem.vertical_datum(), VerticalDatum::Egm96);
        let g = *dem.georef();
        let p = GeoPoint::new(
            g.north_lat_deg - 10.5 * g.lat_step_deg,
            g.west_lon_deg + 7.5 * g.lon_step_deg,
        )
        .unwrap();
        let h = dem.height_in_datum(p).unwrap().height_m;
        assert!((h - v.height_amsl_m(p).unwrap()).abs() < 1e-3, "{h}");
        assert!(SyntheticValley::new(&river()[..1], ValleySpec::default()).is_err());
        assert!(v.to_dem("x", 10.0, 0.0).is_err());
    }
}
