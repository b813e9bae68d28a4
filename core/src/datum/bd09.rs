//! BD-09, Baidu Maps' datum: GCJ-02 further offset by Baidu's published formula.
//!
//! Baidu's forward formula (GCJ-02 -> BD-09) is a small rotation and scaling about the
//! origin plus a constant shift; the inverse used everywhere (Baidu's own SDK conversion,
//! wandergis/coordtransform, hutool's `CoordinateUtil`) is the closed form below, which
//! undoes the forward formula to about 1e-6 degrees (a few decimetres); a pilot's trace on a
//! Baidu map is not that accurate anyway. BD-09 -> WGS-84 goes through GCJ-02.

use std::f64::consts::PI;

use crate::geodesy::GeoPoint;

/// Baidu's angular constant: pi * 3000 / 180.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 to BD-09 by Baidu's formula.
pub fn bd09_from_gcj02(g: GeoPoint) -> GeoPoint {
    let (x, y) = (g.lon_deg, g.lat_deg);
    let z = x.hypot(y) + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    GeoPoint {
        lat_deg: z * theta.sin() + 0.006,
        lon_deg: z * theta.cos() + 0.0065,
    }
}

/// BD-09 to GCJ-02 by the published closed-form inverse.
pub fn gcj02_from_bd09(b: GeoPoint) -> GeoPoint {
    let (x, y) = (b.lon_deg - 0.0065, b.lat_deg - 0.006);
    let z = x.hypot(y) - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    GeoPoint {
        lat_deg: z * theta.sin(),
        lon_deg: z * theta.cos(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datum::Datum;

    fn p(lat_deg: f64, lon_deg: f64) -> GeoPoint {
        GeoPoint { lat_deg, lon_deg }
    }

    /// wandergis/coordtransform `test/app.js` (also hutool's `CoordinateUtilTest`):
    /// bd09togcj02(116.404, 39.915) and gcj02tobd09(116.404, 39.915), longitude first.
    #[test]
    fn matches_published_vectors() {
        let g = gcj02_from_bd09(p(39.915, 116.404));
        assert!((g.lon_deg - 116.39762729119315).abs() < 1e-12, "{g:?}");
        assert!((g.lat_deg - 39.90865673957631).abs() < 1e-12, "{g:?}");
        let b = bd09_from_gcj02(p(39.915, 116.404));
        assert!((b.lon_deg - 116.41036949371029).abs() < 1e-12, "{b:?}");
        assert!((b.lat_deg - 39.92133699351021).abs() < 1e-12, "{b:?}");
    }

    /// Beijing railway station as Jun Cai's R package geoChina (CRAN, `R/cst.R`, the
    /// `bd2gcj` example) gives it: GCJ-02 (39.90245, 116.42703), BD-09 (39.90851,
    /// 116.43351), to the 5 decimals quoted (about a metre).
    #[test]
    fn beijing_railway_station_to_quoted_decimals() {
        let g = gcj02_from_bd09(p(39.90851, 116.43351));
        assert!((g.lat_deg - 39.90245).abs() < 1e-5 && (g.lon_deg - 116.42703).abs() < 1e-5);
    }

    #[test]
    fn round_trip_through_wgs84_within_a_metre() {
        for (lat, lon) in [
            (27.06, 106.97),
            (39.915, 116.404),
            (22.54, 113.91),
            (45.75, 126.6),
        ] {
            let w = p(lat, lon);
            let back = Datum::Bd09.to_wgs84(Datum::Bd09.from_wgs84(w));
            assert!(
                back.distance_m(w) < 1.0,
                "{lat},{lon}: {} m",
                back.distance_m(w)
            );
            // And BD-09 really is offset: several hundred metres from WGS-84.
            let off = Datum::Bd09.from_wgs84(w).distance_m(w);
            assert!(
                (500.0..1500.0).contains(&off),
                "{lat},{lon}: offset {off} m"
            );
        }
    }
}
