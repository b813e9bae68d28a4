//! The world's relief: any [`Terrain`] (a [`qly_core::terrain::SyntheticValley`] along the
//! corridor, or a [`qly_core::terrain::DemMosaic`] read from GeoTIFF files) resampled once
//! onto a regular grid in the world plane.
//!
//! Why a grid: the renderer asks for a height a dozen times per pixel ray (bracketing and
//! bisection), millions of times a frame; the valley's own height function walks every
//! centreline segment and a DEM needs a plane-to-geodetic conversion per call. Bilinear
//! lookup in a plane grid costs a few multiplications. The grid is the world's ground for
//! everything (rendering, truth heights, [`Terrain`] answers, the exported DEM), so all of
//! them agree exactly; against the source terrain it differs by the bilinear interpolation
//! error (about a centimetre at 2 m cells on the valley's terraces, measured by the tests).

use qly_core::geodesy::LocalFrame;
use qly_core::terrain::{Dem, DemError, Georef, Terrain, VerticalDatum};
use rayon::prelude::*;

use super::WorldError;

/// Heights (metres AMSL, EGM96) on a regular plane grid: row `j`, column `i` is the point
/// `(origin_e_m + i * cell_m, origin_n_m + j * cell_m)`.
#[derive(Debug, Clone)]
pub struct ReliefGrid {
    /// Where the heights came from ("valley", a DEM's file names): for messages and truth.
    pub source: String,
    pub origin_e_m: f64,
    pub origin_n_m: f64,
    pub cell_m: f64,
    pub nx: usize,
    pub ny: usize,
    heights_amsl_m: Vec<f32>,
}

impl ReliefGrid {
    /// Samples `terrain` over the plane box `lo..hi` (metres east, north of `frame`'s
    /// origin) every `cell_m` metres. A point the terrain cannot answer (outside a DEM's
    /// coverage, a void) is an error naming it.
    pub fn sample(
        terrain: &(dyn Terrain + Sync),
        source: &str,
        frame: &LocalFrame,
        lo: (f64, f64),
        hi: (f64, f64),
        cell_m: f64,
    ) -> Result<ReliefGrid, WorldError> {
        if !(cell_m.is_finite() && cell_m > 0.0) {
            return Err(WorldError::BadField {
                field: "relief cell_m",
                value: cell_m,
                expected: "a finite cell size > 0 m",
            });
        }
        let nx = ((hi.0 - lo.0) / cell_m).ceil().max(1.0) as usize + 1;
        let ny = ((hi.1 - lo.1) / cell_m).ceil().max(1.0) as usize + 1;
        let heights: Result<Vec<f32>, WorldError> = (0..nx * ny)
            .into_par_iter()
            .map(|k| {
                let (i, j) = (k % nx, k / nx);
                let (e, n) = (lo.0 + i as f64 * cell_m, lo.1 + j as f64 * cell_m);
                terrain
                    .height_amsl_m(frame.unproject(e, n))
                    .map(|h| h as f32)
                    .map_err(|err| WorldError::Relief {
                        source_name: source.to_string(),
                        problem: format!(
                            "the world's ground at plane point ({e:.0} m E, {n:.0} m N): {err}"
                        ),
                    })
            })
            .collect();
        Ok(ReliefGrid {
            source: source.to_string(),
            origin_e_m: lo.0,
            origin_n_m: lo.1,
            cell_m,
            nx,
            ny,
            heights_amsl_m: heights?,
        })
    }

    /// Bilinear height at plane point `(e, n)`; outside the grid, the nearest edge's.
    #[inline]
    pub fn height_m(&self, e: f64, n: f64) -> f64 {
        let fx = ((e - self.origin_e_m) / self.cell_m).clamp(0.0, (self.nx - 1) as f64);
        let fy = ((n - self.origin_n_m) / self.cell_m).clamp(0.0, (self.ny - 1) as f64);
        let (i, j) = (
            (fx as usize).min(self.nx.saturating_sub(2)),
            (fy as usize).min(self.ny.saturating_sub(2)),
        );
        let (tx, ty) = (fx - i as f64, fy - j as f64);
        let at = |ii: usize, jj: usize| -> f64 {
            let ii = ii.min(self.nx - 1);
            let jj = jj.min(self.ny - 1);
            f64::from(self.heights_amsl_m[jj * self.nx + ii])
        };
        let a = at(i, j) * (1.0 - tx) + at(i + 1, j) * tx;
        let b = at(i, j + 1) * (1.0 - tx) + at(i + 1, j + 1) * tx;
        a * (1.0 - ty) + b * ty
    }

    /// The plane box the grid covers, ((min e, min n), (max e, max n)).
    pub fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        (
            (self.origin_e_m, self.origin_n_m),
            (
                self.origin_e_m + (self.nx - 1) as f64 * self.cell_m,
                self.origin_n_m + (self.ny - 1) as f64 * self.cell_m,
            ),
        )
    }

    /// The relief as an EGM96 [`Dem`] in EPSG:4326 (`cell_deg` degrees a cell, sampled at
    /// cell centres), covering the geographic box inside the plane grid, for
    /// [`qly_core::terrain::write_dem_file`] and the planner's `--dem`.
    pub fn to_dem(&self, name: &str, frame: &LocalFrame, cell_deg: f64) -> Result<Dem, DemError> {
        if !(cell_deg.is_finite() && cell_deg > 0.0) {
            return Err(DemError::BadGrid {
                file: name.into(),
                what: "raster",
                detail: format!("cell {cell_deg} degrees: expected > 0"),
            });
        }
        let ((e0, n0), (e1, n1)) = self.bounds();
        let corners = [(e0, n0), (e1, n0), (e0, n1), (e1, n1)].map(|(e, n)| frame.unproject(e, n));
        // The largest lat/lon box inside the (slightly rotated) plane box.
        let south = corners[0].lat_deg.max(corners[1].lat_deg);
        let north = corners[2].lat_deg.min(corners[3].lat_deg);
        let west = corners[0].lon_deg.max(corners[2].lon_deg);
        let east = corners[1].lon_deg.min(corners[3].lon_deg);
        let west = (west / cell_deg).ceil() * cell_deg;
        let north = (north / cell_deg).floor() * cell_deg;
        let cols = ((east - west) / cell_deg).floor().max(1.0) as usize;
        let rows = ((north - south) / cell_deg).floor().max(1.0) as usize;
        let georef = Georef {
            west_lon_deg: west,
            north_lat_deg: north,
            lon_step_deg: cell_deg,
            lat_step_deg: cell_deg,
        };
        Dem::sample_cell_centres(name, georef, cols, rows, VerticalDatum::Egm96, |p| {
            let (e, n) = frame.project(p);
            self.height_m(e, n) as f32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::geodesy::GeoPoint;
    use qly_core::terrain::TerrainError;

    struct Tilted;
    impl Terrain for Tilted {
        fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
            Ok(100.0 + (p.lon_deg - 106.9) * 1e4)
        }
    }

    #[test]
    fn bilinear_is_exact_on_a_plane_and_clamps_outside() {
        let f = LocalFrame::at(GeoPoint::new(27.0, 106.9).unwrap());
        let g = ReliefGrid::sample(&Tilted, "tilted", &f, (-100.0, -100.0), (100.0, 100.0), 2.0)
            .unwrap();
        let want = |e: f64, n: f64| Tilted.height_amsl_m(f.unproject(e, n)).unwrap();
        for (e, n) in [(0.0, 0.0), (13.3, -47.1), (99.0, 99.0)] {
            assert!((g.height_m(e, n) - want(e, n)).abs() < 1e-3);
        }
        assert!((g.height_m(500.0, 0.0) - want(100.0, 0.0)).abs() < 1e-3);
        assert!(ReliefGrid::sample(&Tilted, "t", &f, (0.0, 0.0), (1.0, 1.0), 0.0).is_err());
    }
}
