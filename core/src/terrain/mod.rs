//! Ground heights for geotagging: the [`Terrain`] trait, the simplest terrain,
//! [`FlatGround`], and offline elevation models read from GeoTIFF ([`DemMosaic`]).
//!
//! - [`vertical`]: which surface a height is measured from ([`VerticalDatum`]).
//! - [`geoid`]: the EGM96 geoid shipped with the crate, for ellipsoidal <-> AMSL heights.
//! - [`dem`]: one georeferenced height grid ([`Dem`]), bilinear sampling, tile mosaics.
//! - [`geotiff`]: GeoTIFF bytes <-> [`Dem`] (EPSG:4326 only), and the float32 writer.
//! - [`dem_file`]: the only part that touches the file system: open a file, hand its bytes
//!   to [`geotiff`].
//!
//! # Vertical datum
//!
//! Every height a `Terrain` returns is **orthometric: metres above mean sea level (AMSL)**,
//! the EGM96 geoid as autopilots report (`GLOBAL_POSITION_INT.alt`, `GPS_RAW_INT.alt`) and
//! as elevation models such as SRTM and Copernicus GLO-30 are published. It is *not* the
//! height above the WGS-84 ellipsoid ([`crate::geodesy::GeoPosition::h_ellipsoid_m`]); the
//! two differ by the geoid undulation (about -40 m to +10 m over China). Geotagging compares
//! a camera AMSL altitude with a terrain AMSL height, so both sides use the same datum;
//! [`DemMosaic`] converts ellipsoidal DEMs to AMSL with the shipped EGM96 geoid
//! ([`geoid`]) before answering, and refuses EGM2008 DEMs (no EGM2008 model ships) rather
//! than mixing datums silently.
//!
//! The trait is object-safe, so geotagging takes `&dyn Terrain` and a flat plane, a DEM
//! tile cache or a test surface are interchangeable.
//!
//! ```
//! use qly_core::geodesy::GeoPoint;
//! use qly_core::terrain::{FlatGround, Terrain};
//! let ground: &dyn Terrain = &FlatGround { height_amsl_m: 12.5 };
//! let h = ground.height_amsl_m(GeoPoint::new(30.0, 120.0).unwrap()).unwrap();
//! assert_eq!(h, 12.5);
//! ```

pub mod dem;
pub mod dem_file;
pub mod geoid;
pub mod geotiff;
pub mod synthetic;
pub mod vertical;

pub use dem::{Dem, DemError, DemGrid, DemMosaic, Georef};
pub use dem_file::{read_dem_file, write_dem_file};
pub use geotiff::{inspect_geotiff, parse_geotiff, write_geotiff, DatumChoice, GeoTiffInfo};
pub use synthetic::{SyntheticValley, ValleySpec};
pub use vertical::{DatumHeight, VerticalDatum};

use crate::geodesy::GeoPoint;
use thiserror::Error;

/// Why a terrain could not give a height.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TerrainError {
    #[error("no terrain height at {lat_deg:.7}, {lon_deg:.7}: outside the elevation model's coverage ({coverage})")]
    OutsideCoverage {
        lat_deg: f64,
        lon_deg: f64,
        coverage: String,
    },
    #[error("no terrain height at {lat_deg:.7}, {lon_deg:.7}: the elevation model {dem} has a void (no-data cell) there")]
    NoData {
        lat_deg: f64,
        lon_deg: f64,
        /// Which elevation model (file name or label).
        dem: String,
    },
}

/// A surface giving the ground height above mean sea level (see the module doc for the
/// datum) under any WGS-84 horizontal position.
pub trait Terrain {
    /// Ground height above mean sea level (EGM96 orthometric), metres.
    fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError>;

    /// `Some(h)` when the terrain is one constant height everywhere, which lets geotagging
    /// intersect analytically instead of marching. Defaults to `None`.
    fn constant_height_amsl_m(&self) -> Option<f64> {
        None
    }
}

/// Level ground at one height above mean sea level: over water (a river surface) or flat
/// land, or when no elevation model is available (then use the take-off point's height).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatGround {
    pub height_amsl_m: f64,
}

impl Terrain for FlatGround {
    fn height_amsl_m(&self, _p: GeoPoint) -> Result<f64, TerrainError> {
        Ok(self.height_amsl_m)
    }

    fn constant_height_amsl_m(&self) -> Option<f64> {
        Some(self.height_amsl_m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Void;
    impl Terrain for Void {
        fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
            Err(TerrainError::NoData {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                dem: "void.tif".into(),
            })
        }
    }

    #[test]
    fn trait_objects_and_defaults() {
        let p = GeoPoint::new(30.0, 120.0).unwrap();
        let terrains: [&dyn Terrain; 2] = [&FlatGround { height_amsl_m: 3.0 }, &Void];
        assert_eq!(terrains[0].height_amsl_m(p), Ok(3.0));
        assert_eq!(terrains[0].constant_height_amsl_m(), Some(3.0));
        assert_eq!(terrains[1].constant_height_amsl_m(), None);
        let e = terrains[1].height_amsl_m(p).unwrap_err();
        assert!(e.to_string().contains("30.0000000, 120.0000000"), "{e}");
        assert!(e.to_string().contains("void.tif"), "{e}");
    }
}
