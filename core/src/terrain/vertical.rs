//! Vertical datums: which surface a height is measured from.
//!
//! Elevation models are published against different surfaces: SRTM against the EGM96 geoid,
//! Copernicus GLO-30 against EGM2008, some lidar and photogrammetry products against the
//! WGS-84 ellipsoid. The [`crate::terrain::Terrain`] trait answers EGM96 AMSL heights, so
//! every DEM carries its datum and is converted on the way out; a height that has not been
//! converted travels as a [`DatumHeight`], which says its datum, never as a bare `f64`.

use crate::geodesy::GeoPoint;
use crate::terrain::geoid;
use thiserror::Error;

/// The surface a height is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerticalDatum {
    /// Orthometric height above the EGM96 geoid (EPSG:5773): SRTM, autopilot AMSL.
    Egm96,
    /// Orthometric height above the EGM2008 geoid (EPSG:3855): Copernicus GLO-30/90.
    Egm2008,
    /// Height above the WGS-84 ellipsoid (the vertical axis of EPSG:4979).
    EllipsoidWgs84,
}

impl VerticalDatum {
    /// The EPSG code GeoTIFF's VerticalCSTypeGeoKey uses for this datum.
    pub fn epsg(self) -> u16 {
        match self {
            VerticalDatum::Egm96 => 5773,
            VerticalDatum::Egm2008 => 3855,
            VerticalDatum::EllipsoidWgs84 => 4979,
        }
    }

    /// The datum of a VerticalCSTypeGeoKey EPSG code, if it is one we know.
    pub fn from_epsg(code: u16) -> Option<VerticalDatum> {
        match code {
            5773 => Some(VerticalDatum::Egm96),
            3855 => Some(VerticalDatum::Egm2008),
            4979 | 4326 => Some(VerticalDatum::EllipsoidWgs84),
            _ => None,
        }
    }
}

impl std::fmt::Display for VerticalDatum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerticalDatum::Egm96 => "EGM96 geoid (EPSG:5773)",
            VerticalDatum::Egm2008 => "EGM2008 geoid (EPSG:3855)",
            VerticalDatum::EllipsoidWgs84 => "WGS-84 ellipsoid (EPSG:4979)",
        })
    }
}

/// Why a height could not be moved to another datum.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DatumError {
    #[error("cannot convert a height from the {from} to the {to}: no {missing} geoid model ships with qly-core (only EGM96 does)")]
    NoGeoidModel {
        from: VerticalDatum,
        to: VerticalDatum,
        missing: &'static str,
    },
}

/// A height together with the surface it is measured from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatumHeight {
    pub height_m: f64,
    pub datum: VerticalDatum,
}

impl DatumHeight {
    /// This height at `p` measured from `to` instead.
    ///
    /// EGM96 <-> ellipsoid uses the shipped EGM96 grid (`h = H + N`). EGM2008 has no model
    /// here, so any conversion from or to it is an error rather than a silent zero
    /// undulation difference (EGM2008 - EGM96 reaches a few metres in high mountains).
    ///
    /// ```
    /// use qly_core::geodesy::GeoPoint;
    /// use qly_core::terrain::{DatumHeight, VerticalDatum};
    /// let rome = GeoPoint::new(41.801, 12.6483).unwrap();
    /// let h = DatumHeight { height_m: 100.0, datum: VerticalDatum::Egm96 };
    /// let e = h.to_datum(VerticalDatum::EllipsoidWgs84, rome).unwrap();
    /// assert!((e.height_m - 148.51).abs() < 0.01); // N = +48.51 m near Rome
    /// ```
    pub fn to_datum(self, to: VerticalDatum, p: GeoPoint) -> Result<DatumHeight, DatumError> {
        use VerticalDatum::*;
        let height_m = match (self.datum, to) {
            (a, b) if a == b => self.height_m,
            (Egm96, EllipsoidWgs84) => self.height_m + geoid::egm96_undulation_m(p),
            (EllipsoidWgs84, Egm96) => self.height_m - geoid::egm96_undulation_m(p),
            (from, to) => {
                return Err(DatumError::NoGeoidModel {
                    from,
                    to,
                    missing: "EGM2008",
                })
            }
        };
        Ok(DatumHeight {
            height_m,
            datum: to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_round_trip_and_egm2008_is_refused() {
        for d in [
            VerticalDatum::Egm96,
            VerticalDatum::Egm2008,
            VerticalDatum::EllipsoidWgs84,
        ] {
            assert_eq!(VerticalDatum::from_epsg(d.epsg()), Some(d));
        }
        assert_eq!(VerticalDatum::from_epsg(5703), None); // NAVD88: not ours
        let p = GeoPoint::new(30.0, 120.0).unwrap();
        let h = DatumHeight {
            height_m: 5.0,
            datum: VerticalDatum::Egm2008,
        };
        let e = h.to_datum(VerticalDatum::Egm96, p).unwrap_err();
        assert!(e.to_string().contains("no EGM2008 geoid model"), "{e}");
        assert_eq!(h.to_datum(VerticalDatum::Egm2008, p), Ok(h));
        let back = DatumHeight {
            height_m: 5.0,
            datum: VerticalDatum::Egm96,
        }
        .to_datum(VerticalDatum::EllipsoidWgs84, p)
        .and_then(|e| e.to_datum(VerticalDatum::Egm96, p))
        .unwrap();
        assert!((back.height_m - 5.0).abs() < 1e-12);
    }
}
