//! Coordinate reference systems of survey input files: geographic WGS-84 / CGCS2000 and the
//! projected CGCS2000 Gauss-Kruger zones that Chinese surveying offices hand out.
//!
//! A river traced by a county surveying office usually comes as easting/northing metres in a
//! CGCS2000 Gauss-Kruger zone: EPSG:4491-4501 (6-degree zones 13-23, the zone number in front
//! of the easting), EPSG:4502-4512 (6-degree, central meridian 75E-135E, plain easting),
//! EPSG:4513-4533 (3-degree zones 25-45, zone number in front) and EPSG:4534-4554 (3-degree,
//! central meridian 75E-135E). Each is a transverse Mercator projection of the GRS80
//! ellipsoid (scale 1 on the central meridian, latitude of origin 0, false northing 0).
//!
//! The inverse projection is the `proj4rs` crate's Poder/Engsager algorithm (PROJ's own
//! `tmerc` default, exact to well below a millimetre within a zone); the tests compare it
//! with PROJ 9.5.1's values (through pyproj 3.7.2).
//!
//! CGCS2000 geographic coordinates are taken as WGS-84: the two frames agree to a few
//! centimetres in China (ITRF97 at epoch 2000.0 against WGS-84 (G1762)), far below what a
//! survey photo resolves, and no published transformation between them is more accurate.
//!
//! ```
//! use qly_core::crs::Crs;
//! let crs: Crs = "EPSG:4549".parse().unwrap(); // CGCS2000 / 3-degree Gauss-Kruger CM 120E
//! let p = crs.to_wgs84(640412.315, 3457455.489).unwrap();
//! assert!((p.lat_deg - 31.2304).abs() < 1e-8 && (p.lon_deg - 121.4737).abs() < 1e-8);
//! ```

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::datum::Datum;
use crate::geodesy::GeoPoint;

pub mod geojson;
mod wkt;
pub use wkt::WktError;

/// GRS80, the CGCS2000 ellipsoid (its flattening differs from GRS80's by 1e-10; PROJ uses
/// GRS80 for every CGCS2000 projection).
const GRS80: &str = "+ellps=GRS80";

/// Farthest easting from the central meridian accepted, metres: a 6-degree zone is 334 km
/// wide each side at the equator; beyond 800 km the coordinates belong to another zone (or
/// another projection) and the series loses accuracy.
pub const MAX_ZONE_OFFSET_M: f64 = 800_000.0;

/// A coordinate reference system an input file may use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crs {
    /// Longitude/latitude in degrees, in this datum.
    Geographic(Datum),
    /// Easting/northing metres of a transverse Mercator projection of CGCS2000.
    TransverseMercator(TmParams),
}

/// Parameters of a CGCS2000 transverse Mercator (Gauss-Kruger) projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TmParams {
    /// The EPSG code, when the projection is one of the registered zones.
    pub epsg: Option<u32>,
    pub central_meridian_deg: f64,
    pub latitude_of_origin_deg: f64,
    pub scale_factor: f64,
    pub false_easting_m: f64,
    pub false_northing_m: f64,
}

impl TmParams {
    /// A Gauss-Kruger zone: scale 1, latitude of origin 0, false northing 0.
    pub fn gauss_kruger(central_meridian_deg: f64, false_easting_m: f64) -> TmParams {
        TmParams {
            epsg: None,
            central_meridian_deg,
            latitude_of_origin_deg: 0.0,
            scale_factor: 1.0,
            false_easting_m,
            false_northing_m: 0.0,
        }
    }
}

/// Why a CRS name or a projected coordinate was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CrsError {
    #[error(
        "'{0}': expected EPSG:4326 or CRS84 (WGS-84), EPSG:4490 (CGCS2000) or a CGCS2000 \
         Gauss-Kruger zone EPSG:4491-4554"
    )]
    Unknown(String),
    #[error(
        "easting {easting_m} m is {offset_km:.0} km from the central meridian {central_meridian_deg}E: \
         expected within {} km (a Gauss-Kruger zone; easting and northing swapped, or the wrong zone?)",
        MAX_ZONE_OFFSET_M / 1000.0
    )]
    OutsideZone {
        easting_m: f64,
        offset_km: f64,
        central_meridian_deg: f64,
    },
    #[error("northing {0} m: expected 0 to 10 000 000 m (the northern hemisphere)")]
    Northing(f64),
    #[error("easting {easting_m}, northing {northing_m}: not finite numbers")]
    NotFinite { easting_m: f64, northing_m: f64 },
    #[error("the transverse Mercator inverse failed: {0}")]
    Projection(String),
}

impl Crs {
    /// The CRS of an EPSG code, when it is one we read.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        let tm = |cm: f64, fe: f64| {
            Some(Crs::TransverseMercator(TmParams {
                epsg: Some(code),
                ..TmParams::gauss_kruger(cm, fe)
            }))
        };
        match code {
            4326 => Some(Crs::Geographic(Datum::Wgs84)),
            4490 => Some(Crs::Geographic(Datum::Cgcs2000)),
            // 6-degree zones 13..23 with the zone number in front of the easting.
            4491..=4501 => {
                let zone = f64::from(code - 4491 + 13);
                tm(6.0 * zone - 3.0, zone * 1e6 + 500_000.0)
            }
            // 6-degree, central meridian 75E..135E.
            4502..=4512 => tm(75.0 + 6.0 * f64::from(code - 4502), 500_000.0),
            // 3-degree zones 25..45 with the zone number in front of the easting.
            4513..=4533 => {
                let zone = f64::from(code - 4513 + 25);
                tm(3.0 * zone, zone * 1e6 + 500_000.0)
            }
            // 3-degree, central meridian 75E..135E.
            4534..=4554 => tm(75.0 + 3.0 * f64::from(code - 4534), 500_000.0),
            _ => None,
        }
    }

    /// Whether coordinates are easting/northing metres (else longitude/latitude degrees).
    pub fn is_projected(&self) -> bool {
        matches!(self, Crs::TransverseMercator(_))
    }

    /// The datum of the coordinates (a projection is of CGCS2000).
    pub fn datum(&self) -> Datum {
        match self {
            Crs::Geographic(d) => *d,
            Crs::TransverseMercator(_) => Datum::Cgcs2000,
        }
    }

    /// A projected coordinate to WGS-84 (CGCS2000 taken as WGS-84, see the module
    /// documentation). For a geographic CRS, `x` is the longitude and `y` the latitude,
    /// converted from the datum.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<GeoPoint, CrsError> {
        match self {
            Crs::Geographic(d) => Ok(d.to_wgs84(GeoPoint {
                lat_deg: y,
                lon_deg: x,
            })),
            Crs::TransverseMercator(tm) => tm_inverse(tm, x, y),
        }
    }
}

/// The transverse Mercator inverse of one easting/northing, checked to lie in the zone.
fn tm_inverse(tm: &TmParams, easting_m: f64, northing_m: f64) -> Result<GeoPoint, CrsError> {
    if !easting_m.is_finite() || !northing_m.is_finite() {
        return Err(CrsError::NotFinite {
            easting_m,
            northing_m,
        });
    }
    let offset_m = easting_m - tm.false_easting_m;
    if offset_m.abs() > MAX_ZONE_OFFSET_M {
        return Err(CrsError::OutsideZone {
            easting_m,
            offset_km: offset_m / 1000.0,
            central_meridian_deg: tm.central_meridian_deg,
        });
    }
    if !(0.0..=10_000_000.0).contains(&(northing_m - tm.false_northing_m)) {
        return Err(CrsError::Northing(northing_m));
    }
    let proj_err = |e: proj4rs::errors::Error| CrsError::Projection(e.to_string());
    let src = proj4rs::Proj::from_proj_string(&format!(
        "+proj=tmerc +lat_0={} +lon_0={} +k={} +x_0={} +y_0={} {GRS80} +units=m",
        tm.latitude_of_origin_deg,
        tm.central_meridian_deg,
        tm.scale_factor,
        tm.false_easting_m,
        tm.false_northing_m
    ))
    .map_err(proj_err)?;
    let dst =
        proj4rs::Proj::from_proj_string(&format!("+proj=longlat {GRS80}")).map_err(proj_err)?;
    let mut xy = (easting_m, northing_m);
    proj4rs::transform::transform(&src, &dst, &mut xy).map_err(proj_err)?;
    // proj4rs gives geographic coordinates in radians.
    Ok(GeoPoint {
        lat_deg: xy.1.to_degrees(),
        lon_deg: xy.0.to_degrees(),
    })
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crs::Geographic(Datum::Wgs84) => f.write_str("EPSG:4326 (WGS-84)"),
            Crs::Geographic(Datum::Cgcs2000) => {
                f.write_str("EPSG:4490 (CGCS2000, taken as WGS-84: they agree to centimetres)")
            }
            Crs::Geographic(d) => write!(f, "{d} longitude/latitude"),
            Crs::TransverseMercator(tm) => {
                if let Some(code) = tm.epsg {
                    write!(f, "EPSG:{code} ")?;
                }
                write!(
                    f,
                    "(CGCS2000 Gauss-Kruger, central meridian {}E, false easting {} m)",
                    tm.central_meridian_deg, tm.false_easting_m
                )
            }
        }
    }
}

impl FromStr for Crs {
    type Err = CrsError;

    /// `EPSG:4549`, `epsg:4549`, `urn:ogc:def:crs:EPSG::4549`, `EPSG::4549`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84` / `CRS84`, or a bare `4549`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_uppercase();
        if key.ends_with("CRS84") {
            return Ok(Crs::Geographic(Datum::Wgs84));
        }
        let code = match key.rfind("EPSG:") {
            Some(i) => key[i + 5..].trim_start_matches(':'),
            None => key.as_str(),
        };
        // `urn:ogc:def:crs:EPSG:9.8.15:4549` carries a version between the colons.
        let code = code.rsplit(':').next().unwrap_or(code);
        code.parse::<u32>()
            .ok()
            .and_then(Crs::from_epsg)
            .ok_or_else(|| CrsError::Unknown(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (EPSG, easting m, northing m, longitude, latitude): PROJ 9.5.1 through pyproj 3.7.2,
    /// `Transformer.from_crs(epsg, 4490, always_xy=True).transform(e, n)`, for points across
    /// China, zone edges included (4491: 2.5 degrees west of its meridian; 4554: 1.4 east).
    const PROJ_VECTORS: [(u32, f64, f64, f64, f64); 13] = [
        (
            4549,
            640412.315,
            3457455.489,
            121.473699999674,
            31.230400003772,
        ),
        (
            4545,
            500000.000,
            2522389.056,
            108.000000000000,
            22.800000003387,
        ),
        (
            4534,
            620421.101,
            4374950.028,
            76.400000001947,
            39.499999999212,
        ),
        (
            4554,
            394921.209,
            5286020.988,
            133.600000003900,
            47.699999999546,
        ),
        (
            4527,
            39500000.000,
            4318503.985,
            117.000000000000,
            39.000000002779,
        ),
        (
            4513,
            25500000.000,
            4207498.019,
            75.000000000000,
            37.999999999608,
        ),
        (
            4491,
            13280401.825,
            4210448.643,
            72.500000000204,
            38.000000000846,
        ),
        (
            4497,
            19816556.829,
            3391271.643,
            114.300000001680,
            30.599999998775,
        ),
        (
            4501,
            23301521.916,
            5188297.111,
            132.400000004771,
            46.800000002299,
        ),
        (
            4502,
            770529.582,
            3989707.845,
            78.000000001593,
            35.999999996597,
        ),
        (
            4512,
            492580.833,
            5351790.401,
            134.899999996841,
            48.299999997642,
        ),
        (
            4546,
            341398.672,
            2024838.549,
            109.500000001729,
            18.300000003792,
        ),
        (
            4549,
            424322.462,
            3531043.041,
            119.200000003353,
            31.899999999236,
        ),
    ];

    #[test]
    fn inverse_matches_proj_to_a_millimetre() {
        for (epsg, e, n, lon, lat) in PROJ_VECTORS {
            let crs = Crs::from_epsg(epsg).unwrap();
            let p = crs.to_wgs84(e, n).unwrap();
            let d = p.distance_m(GeoPoint {
                lat_deg: lat,
                lon_deg: lon,
            });
            assert!(d < 0.001, "EPSG:{epsg} {e},{n}: {p:?} is {d} m from PROJ's");
        }
    }

    #[test]
    fn zone_tables_match_the_epsg_registry() {
        // PROJ's definitions of the first and last code of each range.
        let tm = |code| match Crs::from_epsg(code) {
            Some(Crs::TransverseMercator(t)) => (t.central_meridian_deg, t.false_easting_m),
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(tm(4491), (75.0, 13_500_000.0));
        assert_eq!(tm(4501), (135.0, 23_500_000.0));
        assert_eq!(tm(4502), (75.0, 500_000.0));
        assert_eq!(tm(4512), (135.0, 500_000.0));
        assert_eq!(tm(4513), (75.0, 25_500_000.0));
        assert_eq!(tm(4533), (135.0, 45_500_000.0));
        assert_eq!(tm(4534), (75.0, 500_000.0));
        assert_eq!(tm(4549), (120.0, 500_000.0));
        assert_eq!(tm(4554), (135.0, 500_000.0));
        assert_eq!(Crs::from_epsg(4490), Some(Crs::Geographic(Datum::Cgcs2000)));
        assert_eq!(Crs::from_epsg(4555), None);
        assert_eq!(Crs::from_epsg(3857), None);
    }

    #[test]
    fn names_parse_in_their_usual_spellings() {
        let want = Crs::from_epsg(4549).unwrap();
        for s in [
            "EPSG:4549",
            "epsg:4549",
            "urn:ogc:def:crs:EPSG::4549",
            "4549",
        ] {
            assert_eq!(s.parse::<Crs>(), Ok(want), "{s}");
        }
        assert_eq!(
            "urn:ogc:def:crs:OGC:1.3:CRS84".parse::<Crs>(),
            Ok(Crs::Geographic(Datum::Wgs84))
        );
        let e = "EPSG:3857".parse::<Crs>().unwrap_err().to_string();
        assert!(
            e.contains("'EPSG:3857'") && e.contains("EPSG:4491-4554"),
            "{e}"
        );
    }

    #[test]
    fn swapped_or_foreign_coordinates_are_refused_with_figures() {
        let crs = Crs::from_epsg(4549).unwrap();
        // Northing first: 3 457 km "east" of the central meridian.
        let e = crs.to_wgs84(3457455.489, 640412.315).unwrap_err();
        assert!(matches!(e, CrsError::OutsideZone { .. }), "{e}");
        assert!(e.to_string().contains("2957 km"), "{e}");
        // A 3-degree zone-prefixed easting read with a plain central-meridian code.
        assert!(crs.to_wgs84(39_500_000.0, 4318503.985).is_err());
        assert!(crs.to_wgs84(500_000.0, -5.0).is_err());
        assert!(crs.to_wgs84(f64::NAN, 0.0).is_err());
    }
}
