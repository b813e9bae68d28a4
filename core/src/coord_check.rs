//! Coordinate checks every reader of pilots' and GIS files shares (the corridor file here,
//! the planner's KML, `.plan` and WPL readers): finite numbers, latitude/longitude ranges,
//! the latitude/longitude swap, and enough distinct points for a line or a ring. Errors name
//! the field (a path in the file) and what was expected; the caller adds the file.
//!
//! The swap is the most common hand-made mistake: GeoJSON and KML store longitude first,
//! WPL and `.plan` latitude first. A swap is reported when:
//! 1. some point is out of range as given but every point is in range swapped; or
//! 2. (China heuristic) every point is in range both ways, the file says its datum is
//!    GCJ-02 or CGCS2000 (so it was drawn on a Chinese map), no point as given lies in China's
//!    GCJ-02 rectangle (lon 72.004..137.8347, lat 0.8293..55.8271) and every point swapped
//!    does. This catches western China (longitude below 90) written latitude-first, which
//!    the range test cannot see. Without a Chinese datum tag we never guess.

use thiserror::Error;

use crate::datum::{in_gcj02_region, Datum};
use crate::geodesy::GeoPoint;

/// The hint for files that store longitude first.
pub const SWAP_HINT_LON_LAT: &str =
    "coordinates look swapped: GeoJSON/KML order is longitude, latitude";
/// The hint for files that store latitude first.
pub const SWAP_HINT_LAT_LON: &str =
    "coordinates look swapped: WPL/.plan order is latitude, longitude";

/// A refused field: where in the file and what is wrong (with what was expected).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Where in the file: a JSON path, a KML element path or a line/column.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Whether a point lies in the rectangle where China's GCJ-02 offset applies (used by the
/// swap heuristic).
pub fn in_china(p: GeoPoint) -> bool {
    in_gcj02_region(p)
}

/// The order a file stores a coordinate pair in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisOrder {
    LonLat,
    LatLon,
}

impl AxisOrder {
    fn to_point(self, a: f64, b: f64) -> GeoPoint {
        match self {
            AxisOrder::LonLat => GeoPoint {
                lat_deg: b,
                lon_deg: a,
            },
            AxisOrder::LatLon => GeoPoint {
                lat_deg: a,
                lon_deg: b,
            },
        }
    }

    fn hint(self) -> &'static str {
        match self {
            AxisOrder::LonLat => SWAP_HINT_LON_LAT,
            AxisOrder::LatLon => SWAP_HINT_LAT_LON,
        }
    }
}

fn in_range(p: GeoPoint) -> bool {
    p.lat_deg.abs() <= 90.0 && p.lon_deg.abs() <= 180.0
}

fn swapped(p: GeoPoint) -> GeoPoint {
    GeoPoint {
        lat_deg: p.lon_deg,
        lon_deg: p.lat_deg,
    }
}

/// Checks coordinate pairs as stored in a file (`(first, second)` in file order) and returns
/// them as points in the file's datum (not yet converted). `field` names the whole list
/// (used for a swap); `point_field(i)` names point `i`.
pub fn check_pairs(
    field: &str,
    point_field: &dyn Fn(usize) -> String,
    pairs: &[(f64, f64)],
    order: AxisOrder,
    datum: Datum,
) -> Result<Vec<GeoPoint>, FieldError> {
    for (i, (a, b)) in pairs.iter().enumerate() {
        if !a.is_finite() || !b.is_finite() {
            return Err(FieldError::new(
                point_field(i),
                format!("non-finite number ({a}, {b}): expected finite degrees"),
            ));
        }
    }
    let pts: Vec<GeoPoint> = pairs.iter().map(|&(a, b)| order.to_point(a, b)).collect();
    if let Some(i) = pts.iter().position(|p| !in_range(*p)) {
        if pts.iter().all(|p| in_range(swapped(*p))) {
            return Err(FieldError::new(
                field,
                format!(
                    "{}; as given, point {i} has latitude {} (expected -90..90)",
                    order.hint(),
                    pts[i].lat_deg
                ),
            ));
        }
        let p = pts[i];
        let what = if p.lat_deg.abs() > 90.0 {
            format!("latitude {} out of range: expected -90..90", p.lat_deg)
        } else {
            format!("longitude {} out of range: expected -180..180", p.lon_deg)
        };
        return Err(FieldError::new(point_field(i), what));
    }
    let chinese_datum = matches!(datum, Datum::Gcj02 | Datum::Cgcs2000);
    if chinese_datum
        && !pts.is_empty()
        && pts.iter().all(|p| !in_china(*p))
        && pts.iter().all(|p| in_china(swapped(*p)))
    {
        return Err(FieldError::new(
            field,
            format!(
                "{}; the file's datum is {datum} (a Chinese map) but the points lie outside \
                 China as given and inside it swapped",
                order.hint()
            ),
        ));
    }
    Ok(pts)
}

/// Drops consecutive repeats (and, for a ring, the closing repeat of the first point) and
/// checks that at least two (a line) or three (a ring) different points remain.
pub fn clean_points(
    field: &str,
    points: Vec<GeoPoint>,
    ring: bool,
) -> Result<Vec<GeoPoint>, FieldError> {
    let mut out: Vec<GeoPoint> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if ring && out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    let (min, what) = if ring {
        (3, "a ring (polygon boundary)")
    } else {
        (2, "a line")
    };
    // Only whether `min` distinct points exist matters: stop there, so that a long line costs
    // linear time (a full distinct count would be quadratic).
    let mut distinct: Vec<GeoPoint> = Vec::with_capacity(min);
    for p in &out {
        if distinct.len() >= min {
            break;
        }
        if !distinct.contains(p) {
            distinct.push(*p);
        }
    }
    if distinct.len() < min {
        return Err(FieldError::new(
            field,
            format!(
                "{} distinct point(s): expected at least {min} for {what}",
                distinct.len()
            ),
        ));
    }
    Ok(out)
}

/// Widest corridor, metres: a wider strip is an area survey.
pub const MAX_CORRIDOR_WIDTH_M: f64 = 2_000.0;

/// Checks a corridor width: finite, positive and at most [`MAX_CORRIDOR_WIDTH_M`].
pub fn check_width(field: &str, width_m: f64) -> Result<f64, FieldError> {
    if !width_m.is_finite() || width_m <= 0.0 {
        return Err(FieldError::new(
            field,
            format!("width_m = {width_m}: expected a finite width in metres > 0"),
        ));
    }
    if width_m > MAX_CORRIDOR_WIDTH_M {
        return Err(FieldError::new(
            field,
            format!(
                "width_m = {width_m}: expected at most {MAX_CORRIDOR_WIDTH_M} m (a wider strip \
                 is an area: give a Polygon)"
            ),
        ));
    }
    Ok(width_m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn western_china_swap_needs_a_chinese_datum() {
        // Kashgar (39.47 N, 75.99 E) written latitude first in a lon-lat file.
        let pairs = [(39.47, 75.99), (39.48, 76.0)];
        let f = |i: usize| format!("c[{i}]");
        let ok = check_pairs("c", &f, &pairs, AxisOrder::LonLat, Datum::Wgs84);
        assert!(ok.is_ok());
        let e = check_pairs("c", &f, &pairs, AxisOrder::LonLat, Datum::Gcj02)
            .unwrap_err()
            .to_string();
        assert!(e.contains("swapped"), "{e}");
    }

    #[test]
    fn ring_closing_repeat_is_dropped() {
        let p = |lat, lon| GeoPoint {
            lat_deg: lat,
            lon_deg: lon,
        };
        let ring = vec![p(0.0, 0.0), p(0.0, 1.0), p(1.0, 1.0), p(0.0, 0.0)];
        assert_eq!(clean_points("r", ring, true).unwrap().len(), 3);
    }
}
