//! Horizontal datums of input coordinates: WGS-84, CGCS2000, GCJ-02 and BD-09.
//!
//! Drones fly WGS-84. Chinese government GIS uses CGCS2000, which agrees with WGS-84 to
//! centimetres and is taken as equal. Amap, Tencent and Google China maps show GCJ-02, an
//! obfuscated datum that moves points by several hundred metres: a river traced on those maps
//! must be converted before planning, or the drone flies beside the river. Baidu Maps show
//! BD-09, GCJ-02 offset once more ([`bd09`]); it is converted through GCJ-02.
//!
//! GCJ-02 forward is the public formula (Krasovsky 1940 ellipsoid constants, identity outside
//! China's bounding rectangle); the inverse has no closed form and is found by fixed-point
//! iteration, which converges to far below a centimetre.
//!
//! ```
//! use qly_core::datum::{gcj02_from_wgs84, wgs84_from_gcj02};
//! use qly_core::geodesy::GeoPoint;
//! let wgs = GeoPoint { lat_deg: 31.1774276, lon_deg: 121.5272106 };
//! let gcj = gcj02_from_wgs84(wgs);
//! assert!((gcj.lat_deg - 31.17530398364597).abs() < 1e-12);
//! let back = wgs84_from_gcj02(gcj);
//! assert!(back.distance_m(wgs) < 0.01);
//! ```

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use crate::geodesy::GeoPoint;

pub mod bd09;

/// Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses it.
const KRASOVSKY_A_M: f64 = 6_378_245.0;
/// Krasovsky 1940 eccentricity squared, as the GCJ-02 formula uses it (quoted with the digits
/// of the published formula, beyond what an f64 holds).
#[allow(clippy::excessive_precision)]
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;

/// The horizontal datum a coordinate was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Datum {
    #[default]
    Wgs84,
    /// China Geodetic Coordinate System 2000 (EPSG:4490); within centimetres of WGS-84.
    Cgcs2000,
    /// The offset datum of Amap, Tencent and Google China maps.
    Gcj02,
    /// Baidu Maps' datum: GCJ-02 offset again by Baidu's formula.
    Bd09,
}

impl Datum {
    /// Converts a point given in this datum to WGS-84.
    pub fn to_wgs84(self, p: GeoPoint) -> GeoPoint {
        match self {
            Datum::Wgs84 | Datum::Cgcs2000 => p,
            Datum::Gcj02 => wgs84_from_gcj02(p),
            Datum::Bd09 => wgs84_from_gcj02(bd09::gcj02_from_bd09(p)),
        }
    }

    /// Converts a WGS-84 point to this datum (for display on Chinese map apps).
    pub fn from_wgs84(self, p: GeoPoint) -> GeoPoint {
        match self {
            Datum::Wgs84 | Datum::Cgcs2000 => p,
            Datum::Gcj02 => gcj02_from_wgs84(p),
            Datum::Bd09 => bd09::bd09_from_gcj02(gcj02_from_wgs84(p)),
        }
    }
}

impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Datum::Wgs84 => "WGS-84",
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Gcj02 => "GCJ-02",
            Datum::Bd09 => "BD-09",
        })
    }
}

/// The spelling was not one of the datums we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown datum '{0}': expected WGS84, CGCS2000, GCJ02 or BD09")]
pub struct UnknownDatum(pub String);

impl FromStr for Datum {
    type Err = UnknownDatum;

    /// Accepts the usual spellings: `WGS84`, `WGS-84`, `EPSG:4326`, `CGCS2000`, `EPSG:4490`,
    /// `GCJ02`, `GCJ-02`, `BD09`, `BD-09`, `Baidu` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_uppercase();
        match key.as_str() {
            "WGS84" | "EPSG:4326" | "CRS84" => Ok(Datum::Wgs84),
            "CGCS2000" | "EPSG:4490" => Ok(Datum::Cgcs2000),
            "GCJ02" | "MARS" => Ok(Datum::Gcj02),
            "BD09" | "BD09LL" | "BAIDU" => Ok(Datum::Bd09),
            _ => Err(UnknownDatum(s.to_string())),
        }
    }
}

/// The rectangle inside which the GCJ-02 offset is applied (the common convention of
/// eviltransform and PRCoords); outside it GCJ-02 equals WGS-84.
pub fn in_gcj02_region(p: GeoPoint) -> bool {
    (72.004..=137.8347).contains(&p.lon_deg) && (0.8293..=55.8271).contains(&p.lat_deg)
}

/// The GCJ-02 offset (degrees of latitude, degrees of longitude) at a WGS-84 point.
fn gcj02_offset_deg(p: GeoPoint) -> (f64, f64) {
    let x = p.lon_deg - 105.0;
    let y = p.lat_deg - 35.0;
    let common = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let d_lat_m = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + common
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let d_lon_m = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + common
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let lat_rad = p.lat_deg.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * lat_rad.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat =
        d_lat_m * 180.0 / ((KRASOVSKY_A_M * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = d_lon_m * 180.0 / (KRASOVSKY_A_M / sqrt_magic * lat_rad.cos() * PI);
    (d_lat, d_lon)
}

/// WGS-84 to GCJ-02 by the public formula.
pub fn gcj02_from_wgs84(p: GeoPoint) -> GeoPoint {
    if !in_gcj02_region(p) {
        return p;
    }
    let (d_lat, d_lon) = gcj02_offset_deg(p);
    GeoPoint {
        lat_deg: p.lat_deg + d_lat,
        lon_deg: p.lon_deg + d_lon,
    }
}

/// GCJ-02 to WGS-84 by fixed-point iteration `w <- w - (f(w) - g)`, stopped when the
/// forward image of `w` is within 1e-10 degrees (about 0.01 mm) of the input.
pub fn wgs84_from_gcj02(g: GeoPoint) -> GeoPoint {
    if !in_gcj02_region(g) {
        return g;
    }
    let mut w = g;
    for _ in 0..30 {
        let f = gcj02_from_wgs84(w);
        let (d_lat, d_lon) = (f.lat_deg - g.lat_deg, f.lon_deg - g.lon_deg);
        w.lat_deg -= d_lat;
        w.lon_deg -= d_lon;
        if d_lat.abs() < 1e-10 && d_lon.abs() < 1e-10 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat_deg: f64, lon_deg: f64) -> GeoPoint {
        GeoPoint { lat_deg, lon_deg }
    }

    /// WGS-84 -> GCJ-02 vectors. V-G1..V-G3: googollee/eviltransform `go/transform_test.go`
    /// (also its `python/test.py`); V-G4: wandergis/coordtransform `test/app.js`.
    const VECTORS: [((f64, f64), (f64, f64)); 4] = [
        (
            (31.1774276, 121.5272106),
            (31.17530398364597, 121.531541859215),
        ),
        (
            (22.543847, 113.912316),
            (22.540796131694766, 113.9171764808363),
        ),
        (
            (39.911954, 116.377817),
            (39.91334545536069, 116.38404722455657),
        ),
        ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    ];

    #[test]
    fn forward_matches_published_vectors() {
        for ((lat, lon), (glat, glon)) in VECTORS {
            let g = gcj02_from_wgs84(p(lat, lon));
            assert!(
                (g.lat_deg - glat).abs() < 1e-11,
                "{lat},{lon}: lat {}",
                g.lat_deg
            );
            assert!(
                (g.lon_deg - glon).abs() < 1e-11,
                "{lat},{lon}: lon {}",
                g.lon_deg
            );
        }
    }

    #[test]
    fn inverse_recovers_published_inputs_to_a_centimetre() {
        for ((lat, lon), (glat, glon)) in VECTORS {
            let w = wgs84_from_gcj02(p(glat, glon));
            assert!(w.distance_m(p(lat, lon)) < 0.01);
        }
    }

    #[test]
    fn offset_is_hundreds_of_metres_in_china_and_zero_outside() {
        let kaiyang = p(27.06, 106.97);
        let d = kaiyang.distance_m(gcj02_from_wgs84(kaiyang));
        assert!((300.0..800.0).contains(&d), "offset {d} m");
        let zurich = p(47.376, 8.548);
        assert_eq!(gcj02_from_wgs84(zurich), zurich);
        assert_eq!(wgs84_from_gcj02(zurich), zurich);
    }

    #[test]
    fn datum_names_parse() {
        assert_eq!("wgs-84".parse::<Datum>(), Ok(Datum::Wgs84));
        assert_eq!("EPSG:4490".parse::<Datum>(), Ok(Datum::Cgcs2000));
        assert_eq!("GCJ_02".parse::<Datum>(), Ok(Datum::Gcj02));
        assert_eq!("bd-09".parse::<Datum>(), Ok(Datum::Bd09));
        assert!("BD09MC".parse::<Datum>().is_err());
    }

    proptest! {
        #[test]
        fn inverse_round_trip_below_a_centimetre(lat in 18.0f64..53.0, lon in 74.0f64..134.0) {
            let w = p(lat, lon);
            let back = wgs84_from_gcj02(gcj02_from_wgs84(w));
            prop_assert!(back.distance_m(w) < 0.01);
        }
    }
}
