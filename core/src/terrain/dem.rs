//! Gridded elevation models on WGS-84 latitude/longitude: one grid ([`Dem`]), and tiles
//! mosaicked into a [`Terrain`] ([`DemMosaic`]).
//!
//! # Where a sample is
//!
//! A [`Georef`] gives the *outer edges* of the grid (GDAL's convention and GeoTIFF's
//! PixelIsArea): sample `(col, row)` stands for the cell whose centre is at
//! `lon = west + (col + 0.5) * lon_step`, `lat = north - (row + 0.5) * lat_step`. A file
//! that declares PixelIsPoint ties its coordinates to sample centres instead; the GeoTIFF
//! reader shifts those by half a cell when building the `Georef` (getting this wrong moves
//! every height by half a cell, 15 m at 1 arc-second).
//!
//! # Sampling
//!
//! Bilinear between the four nearest sample centres. A point inside the grid's edges but
//! outside its outermost centres (the outer half cell) uses the nearest edge samples, or,
//! in a mosaic, the neighbouring tile's samples, so heights are continuous across seams.
//! A void (no-data) sample that carries any weight makes the height an error
//! ([`TerrainError::NoData`]) rather than a guess.

use crate::geodesy::GeoPoint;
use crate::terrain::geoid;
use crate::terrain::vertical::{DatumError, DatumHeight, VerticalDatum};
use crate::terrain::{Terrain, TerrainError};
use thiserror::Error;

/// Why an elevation model could not be read, built or written. Every variant names the file
/// (or the label the caller gave the bytes).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DemError {
    #[error("{file}: cannot read the file: {detail}")]
    Io { file: String, detail: String },
    #[error("{file}: not a readable TIFF ({detail})")]
    Tiff { file: String, detail: String },
    #[error("{file}: {what} is {found}: expected {expected}")]
    Unsupported {
        file: String,
        what: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("{file}: no {what}: expected {expected}")]
    Missing {
        file: String,
        what: &'static str,
        expected: &'static str,
    },
    #[error("{file}: coordinate reference system {found} is not supported: expected EPSG:4326 (WGS 84 geographic latitude/longitude in degrees)")]
    UnsupportedCrs { file: String, found: String },
    #[error("{file}: vertical datum: {detail}")]
    VerticalDatum { file: String, detail: String },
    #[error("{file}: {what}: {detail}")]
    BadGrid {
        file: String,
        what: &'static str,
        detail: String,
    },
    #[error("{file}: {error}")]
    Datum { file: String, error: DatumError },
    #[error("an elevation model mosaic needs at least one tile")]
    EmptyMosaic,
}

/// Where a grid lies: its outer edges and cell size, in WGS-84 degrees (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Georef {
    /// Longitude of the western edge of the first column, degrees.
    pub west_lon_deg: f64,
    /// Latitude of the northern edge of the first row, degrees.
    pub north_lat_deg: f64,
    /// Cell width, degrees of longitude (> 0; columns go east).
    pub lon_step_deg: f64,
    /// Cell height, degrees of latitude (> 0; rows go south).
    pub lat_step_deg: f64,
}

impl Georef {
    /// The centre of cell (`col`, `row`): where a pixel-is-area raster's value stands.
    ///
    /// ```
    /// use qly_core::terrain::Georef;
    /// let g = Georef { west_lon_deg: 106.0, north_lat_deg: 27.0, lon_step_deg: 0.001, lat_step_deg: 0.002 };
    /// let p = g.cell_centre(0, 1); // first column, second row: south of the northern edge
    /// assert!((p.lon_deg - 106.0005).abs() < 1e-12 && (p.lat_deg - 26.997).abs() < 1e-12);
    /// ```
    pub fn cell_centre(&self, col: usize, row: usize) -> GeoPoint {
        GeoPoint {
            lat_deg: self.north_lat_deg - (row as f64 + 0.5) * self.lat_step_deg,
            lon_deg: self.west_lon_deg + (col as f64 + 0.5) * self.lon_step_deg,
        }
    }
}

/// A north-up grid of heights, row-major from the northern row; `NaN` marks a void.
#[derive(Debug, Clone, PartialEq)]
pub struct DemGrid {
    pub cols: usize,
    pub rows: usize,
    /// `rows * cols` heights, metres in the DEM's [`VerticalDatum`].
    pub heights_m: Vec<f32>,
}

impl DemGrid {
    /// The height of sample `(col, row)`; `None` for a void.
    pub fn get(&self, col: usize, row: usize) -> Option<f32> {
        let v = *self.heights_m.get(row * self.cols + col)?;
        (!v.is_nan()).then_some(v)
    }
}

/// One elevation model grid: heights, where they are, and which datum they use.
#[derive(Debug, Clone, PartialEq)]
pub struct Dem {
    name: String,
    grid: DemGrid,
    georef: Georef,
    datum: VerticalDatum,
}

/// The bilinear stencil of a point in one grid: fractional sample coordinates.
struct Stencil {
    fx: f64,
    fy: f64,
}

impl Dem {
    /// A `cols` x `rows` DEM on `georef` holding `height_m` of each cell's centre
    /// ([`Georef::cell_centre`]): how a height function (a synthetic valley, a simulated
    /// world's relief) becomes a raster the planner and `write_dem_file` take.
    pub fn sample_cell_centres(
        name: impl Into<String>,
        georef: Georef,
        cols: usize,
        rows: usize,
        datum: VerticalDatum,
        mut height_m: impl FnMut(GeoPoint) -> f32,
    ) -> Result<Dem, DemError> {
        let mut heights_m = Vec::with_capacity(cols.saturating_mul(rows));
        for row in 0..rows {
            for col in 0..cols {
                heights_m.push(height_m(georef.cell_centre(col, row)));
            }
        }
        let grid = DemGrid {
            cols,
            rows,
            heights_m,
        };
        Dem::new(name, grid, georef, datum)
    }

    /// A DEM from its parts. `name` labels it in errors (the file name for a file).
    pub fn new(
        name: impl Into<String>,
        grid: DemGrid,
        georef: Georef,
        datum: VerticalDatum,
    ) -> Result<Dem, DemError> {
        let name = name.into();
        let bad = |what: &'static str, detail: String| DemError::BadGrid {
            file: name.clone(),
            what,
            detail,
        };
        if grid.cols == 0 || grid.rows == 0 {
            return Err(bad(
                "size",
                format!(
                    "{} x {} samples, expected at least 1 x 1",
                    grid.cols, grid.rows
                ),
            ));
        }
        if grid.cols.checked_mul(grid.rows) != Some(grid.heights_m.len()) {
            return Err(bad(
                "size",
                format!(
                    "{} heights for {} x {} samples",
                    grid.heights_m.len(),
                    grid.cols,
                    grid.rows
                ),
            ));
        }
        let g = georef;
        let steps_ok = [g.lon_step_deg, g.lat_step_deg]
            .iter()
            .all(|s| s.is_finite() && *s > 0.0);
        if !steps_ok {
            return Err(bad(
                "cell size",
                format!(
                    "{} x {} degrees, expected finite and > 0 (a north-up grid)",
                    g.lon_step_deg, g.lat_step_deg
                ),
            ));
        }
        let east = g.west_lon_deg + grid.cols as f64 * g.lon_step_deg;
        let south = g.north_lat_deg - grid.rows as f64 * g.lat_step_deg;
        // Half a cell past the poles or the antimeridian is normal for PixelIsPoint tiles.
        let (sx, sy) = (g.lon_step_deg, g.lat_step_deg);
        let inside = g.west_lon_deg >= -180.0 - sx
            && east <= 180.0 + sx
            && south >= -90.0 - sy
            && g.north_lat_deg <= 90.0 + sy;
        if !inside {
            return Err(bad(
                "extent",
                format!(
                    "longitude {} to {}, latitude {} to {}: expected within -180..180 and -90..90 degrees (give or take a cell)",
                    g.west_lon_deg, east, south, g.north_lat_deg
                ),
            ));
        }
        Ok(Dem {
            name,
            grid,
            georef,
            datum,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn grid(&self) -> &DemGrid {
        &self.grid
    }
    pub fn georef(&self) -> &Georef {
        &self.georef
    }
    pub fn vertical_datum(&self) -> VerticalDatum {
        self.datum
    }

    /// Coverage as `(south, west, north, east)` edges in degrees.
    pub fn bounds_deg(&self) -> (f64, f64, f64, f64) {
        let g = &self.georef;
        (
            g.north_lat_deg - self.grid.rows as f64 * g.lat_step_deg,
            g.west_lon_deg,
            g.north_lat_deg,
            g.west_lon_deg + self.grid.cols as f64 * g.lon_step_deg,
        )
    }

    /// Coverage in words, for error messages.
    pub fn coverage(&self) -> String {
        let (s, w, n, e) = self.bounds_deg();
        format!(
            "{}: latitude {s:.6} to {n:.6}, longitude {w:.6} to {e:.6}",
            self.name
        )
    }

    /// Whether `p` lies within the grid's outer edges.
    pub fn covers(&self, p: GeoPoint) -> bool {
        let (s, w, n, e) = self.bounds_deg();
        (s..=n).contains(&p.lat_deg) && (w..=e).contains(&p.lon_deg)
    }

    fn stencil(&self, p: GeoPoint) -> Stencil {
        let g = &self.georef;
        Stencil {
            fx: (p.lon_deg - g.west_lon_deg) / g.lon_step_deg - 0.5,
            fy: (g.north_lat_deg - p.lat_deg) / g.lat_step_deg - 0.5,
        }
    }

    /// The centre of sample `(col, row)`, which may lie outside the grid.
    fn centre(&self, col: i64, row: i64) -> (f64, f64) {
        let g = &self.georef;
        (
            g.north_lat_deg - (row as f64 + 0.5) * g.lat_step_deg,
            g.west_lon_deg + (col as f64 + 0.5) * g.lon_step_deg,
        )
    }

    /// The sample at `(col, row)` if it is inside the grid: `Some(None)` for a void.
    fn sample(&self, col: i64, row: i64) -> Option<Option<f32>> {
        if col < 0 || row < 0 || col >= self.grid.cols as i64 || row >= self.grid.rows as i64 {
            return None;
        }
        Some(self.grid.get(col as usize, row as usize))
    }

    /// The sample whose cell contains `(lat, lon)`, if this grid covers it.
    fn nearest(&self, lat_deg: f64, lon_deg: f64) -> Option<Option<f32>> {
        let g = &self.georef;
        let c = ((lon_deg - g.west_lon_deg) / g.lon_step_deg).floor() as i64;
        let r = ((g.north_lat_deg - lat_deg) / g.lat_step_deg).floor() as i64;
        self.sample(c, r)
    }

    /// Bilinear height at `p` in this DEM's own datum.
    ///
    /// ```
    /// use qly_core::geodesy::GeoPoint;
    /// use qly_core::terrain::{Dem, DemGrid, Georef, VerticalDatum};
    /// let grid = DemGrid { cols: 2, rows: 1, heights_m: vec![10.0, 20.0] };
    /// let georef = Georef { west_lon_deg: 0.0, north_lat_deg: 1.0, lon_step_deg: 1.0, lat_step_deg: 1.0 };
    /// let dem = Dem::new("two.tif", grid, georef, VerticalDatum::Egm96).unwrap();
    /// // Halfway between the two cell centres (0.5 E and 1.5 E).
    /// let h = dem.height_in_datum(GeoPoint::new(0.5, 1.0).unwrap()).unwrap();
    /// assert_eq!(h.height_m, 15.0);
    /// ```
    pub fn height_in_datum(&self, p: GeoPoint) -> Result<DatumHeight, TerrainError> {
        if !self.covers(p) {
            return Err(TerrainError::OutsideCoverage {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                coverage: self.coverage(),
            });
        }
        let height_m = self.bilinear_with(p, |_, _| None)?;
        Ok(DatumHeight {
            height_m,
            datum: self.datum,
        })
    }

    /// Bilinear height at `p` (which this grid covers). A stencil sample outside the grid
    /// comes from `neighbour(lat, lon)` of its centre (another tile's sample whose cell
    /// contains it), else from the nearest edge sample of this grid.
    fn bilinear_with(
        &self,
        p: GeoPoint,
        neighbour: impl Fn(f64, f64) -> Option<Option<f32>>,
    ) -> Result<f64, TerrainError> {
        let Stencil { fx, fy } = self.stencil(p);
        let (c0, r0) = (fx.floor() as i64, fy.floor() as i64);
        let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
        let mut acc = 0.0;
        for (dc, dr, w) in [
            (0, 0, (1.0 - tx) * (1.0 - ty)),
            (1, 0, tx * (1.0 - ty)),
            (0, 1, (1.0 - tx) * ty),
            (1, 1, tx * ty),
        ] {
            if w == 0.0 {
                continue;
            }
            let (c, r) = (c0 + dc, r0 + dr);
            let value = self.sample(c, r).or_else(|| {
                let (lat, lon) = self.centre(c, r);
                neighbour(lat, lon).or_else(|| {
                    let cc = c.clamp(0, self.grid.cols as i64 - 1);
                    let rc = r.clamp(0, self.grid.rows as i64 - 1);
                    self.sample(cc, rc)
                })
            });
            match value.flatten() {
                Some(v) => acc += w * f64::from(v),
                None => {
                    return Err(TerrainError::NoData {
                        lat_deg: p.lat_deg,
                        lon_deg: p.lon_deg,
                        dem: self.name.clone(),
                    })
                }
            }
        }
        Ok(acc)
    }
}

/// Elevation tiles answering EGM96 AMSL heights: the first tile that covers a point wins,
/// and bilinear sampling near its edge borrows the neighbouring tiles' samples (from tiles
/// on the same vertical datum; otherwise the edge sample is used).
///
/// Tiles in EGM96 pass through; ellipsoidal tiles are converted with the shipped EGM96
/// geoid; EGM2008 tiles are refused when the mosaic is built (no EGM2008 model ships).
#[derive(Debug, Clone, PartialEq)]
pub struct DemMosaic {
    tiles: Vec<Dem>,
    /// How each tile's heights become EGM96 AMSL, decided once in [`DemMosaic::new`].
    to_egm96: Vec<ToEgm96>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ToEgm96 {
    AlreadyEgm96,
    SubtractEgm96Undulation,
}

impl DemMosaic {
    pub fn new(tiles: Vec<Dem>) -> Result<DemMosaic, DemError> {
        if tiles.is_empty() {
            return Err(DemError::EmptyMosaic);
        }
        let mut to_egm96 = Vec::with_capacity(tiles.len());
        for t in &tiles {
            to_egm96.push(match t.datum {
                VerticalDatum::Egm96 => ToEgm96::AlreadyEgm96,
                VerticalDatum::EllipsoidWgs84 => ToEgm96::SubtractEgm96Undulation,
                VerticalDatum::Egm2008 => {
                    return Err(DemError::Datum {
                        file: t.name.clone(),
                        error: DatumError::NoGeoidModel {
                            from: VerticalDatum::Egm2008,
                            to: VerticalDatum::Egm96,
                            missing: "EGM2008",
                        },
                    });
                }
            });
        }
        Ok(DemMosaic { tiles, to_egm96 })
    }

    pub fn tiles(&self) -> &[Dem] {
        &self.tiles
    }

    /// Height at `p` in the datum of the tile that answers it.
    pub fn height_in_datum(&self, p: GeoPoint) -> Result<DatumHeight, TerrainError> {
        self.answer(p).map(|(_, h)| h)
    }

    /// The index of the tile that answers `p`, and its height in that tile's datum.
    fn answer(&self, p: GeoPoint) -> Result<(usize, DatumHeight), TerrainError> {
        let Some(i) = self.tiles.iter().position(|t| t.covers(p)) else {
            let coverage: Vec<String> = self.tiles.iter().map(Dem::coverage).collect();
            return Err(TerrainError::OutsideCoverage {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                coverage: coverage.join("; "),
            });
        };
        let tile = &self.tiles[i];
        // Samples past this tile's edge come from the other tiles in mosaic order, only
        // those on the same vertical datum (a blend across datums would be off by the
        // geoid undulation).
        let height_m = tile.bilinear_with(p, |lat, lon| {
            self.tiles
                .iter()
                .enumerate()
                .filter(|&(j, t)| j != i && t.datum == tile.datum)
                .find_map(|(_, t)| t.nearest(lat, lon))
        })?;
        Ok((
            i,
            DatumHeight {
                height_m,
                datum: tile.datum,
            },
        ))
    }
}

impl Terrain for DemMosaic {
    /// EGM96 AMSL height (see the module doc of [`crate::terrain`]).
    fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
        let (i, h) = self.answer(p)?;
        Ok(match self.to_egm96[i] {
            ToEgm96::AlreadyEgm96 => h.height_m,
            ToEgm96::SubtractEgm96Undulation => h.height_m - geoid::egm96_undulation_m(p),
        })
    }
}
