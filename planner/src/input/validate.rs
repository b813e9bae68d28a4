//! Coordinate checks shared by every reader: finite numbers, latitude/longitude ranges, the
//! latitude/longitude swap, and enough distinct points for a line or a ring.
//!
//! Before anything is planned, [`check_extent`] refuses geometry whose size alone would make
//! planning run for hours and take gigabytes (a mistyped vertex that jumps a continent): the
//! work of planning grows with the corridor's length, the surveyed extent and the corridor's
//! width, so they are bounded here, where the geometry is read, with the figure named.
//!
//! The swap is the most common hand-made mistake: GeoJSON and KML store longitude first,
//! WPL and `.plan` latitude first. A swap is reported when:
//! 1. some point is out of range as given but every point is in range swapped; or
//! 2. (China heuristic) every point is in range both ways, the file says its datum is
//!    GCJ-02 or CGCS2000 (so it was drawn on a Chinese map), no point as given lies in China's
//!    GCJ-02 rectangle (lon 72.004..137.8347, lat 0.8293..55.8271) and every point swapped
//!    does. This catches western China (longitude below 90) written latitude-first, which
//!    the range test cannot see. Without a Chinese datum tag we never guess.

use qly_core::datum::{in_gcj02_region, Datum};
use qly_core::geodesy::GeoPoint;

use super::{Ctx, InputError};
use crate::survey::{InputGeometry, SurveyInput};

/// Longest corridor centreline planned at once, metres. The sample corridor is 8 km; a river
/// patrol longer than this is planned in sections. Planning cost grows with the length (lanes,
/// photos, mission items, the coverage raster); at this length a plan takes seconds and well
/// under a gigabyte (BENCHMARKS.md, "Input bounds").
pub const MAX_CORRIDOR_LENGTH_M: f64 = 100_000.0;
/// Largest side of the box around every point of the survey geometry and the exclusions,
/// metres (east-west measured at the box's middle latitude). Bounds the coverage raster's tile
/// index and the area an area survey can sweep.
pub const MAX_SURVEY_EXTENT_M: f64 = 100_000.0;
/// Widest corridor, metres: a wider strip is an area survey.
pub const MAX_CORRIDOR_WIDTH_M: f64 = 2_000.0;
/// Metres per degree of latitude (and of longitude at the equator), for the extent estimate.
const M_PER_DEG: f64 = 111_320.0;

/// The hint for files that store longitude first.
pub const SWAP_HINT_LON_LAT: &str =
    "coordinates look swapped: GeoJSON/KML order is longitude, latitude";
/// The hint for files that store latitude first.
pub const SWAP_HINT_LAT_LON: &str =
    "coordinates look swapped: WPL/.plan order is latitude, longitude";

/// Whether a point lies in the rectangle where China's GCJ-02 offset applies (used by the
/// swap heuristic).
pub fn in_china(p: GeoPoint) -> bool {
    in_gcj02_region(p)
}

/// The order a file stores a coordinate pair in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AxisOrder {
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
/// them as WGS-84 points in the file's datum (not yet converted). `field` names the whole
/// list (used for a swap); `point_field(i)` names point `i`.
pub(crate) fn check_pairs(
    ctx: &Ctx,
    field: &str,
    point_field: &dyn Fn(usize) -> String,
    pairs: &[(f64, f64)],
    order: AxisOrder,
    datum: Datum,
) -> Result<Vec<GeoPoint>, InputError> {
    for (i, (a, b)) in pairs.iter().enumerate() {
        if !a.is_finite() || !b.is_finite() {
            return Err(ctx.err(
                point_field(i),
                format!("non-finite number ({a}, {b}): expected finite degrees"),
            ));
        }
    }
    let pts: Vec<GeoPoint> = pairs.iter().map(|&(a, b)| order.to_point(a, b)).collect();
    if let Some(i) = pts.iter().position(|p| !in_range(*p)) {
        if pts.iter().all(|p| in_range(swapped(*p))) {
            return Err(ctx.err(
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
        return Err(ctx.err(point_field(i), what));
    }
    let chinese_datum = matches!(datum, Datum::Gcj02 | Datum::Bd09 | Datum::Cgcs2000);
    if chinese_datum
        && !pts.is_empty()
        && pts.iter().all(|p| !in_china(*p))
        && pts.iter().all(|p| in_china(swapped(*p)))
    {
        return Err(ctx.err(
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
/// checks that at least `min_distinct` different points remain.
pub(crate) fn clean_points(
    ctx: &Ctx,
    field: &str,
    points: Vec<GeoPoint>,
    ring: bool,
) -> Result<Vec<GeoPoint>, InputError> {
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
        return Err(ctx.err(
            field,
            format!(
                "{} distinct point(s): expected at least {min} for {what}",
                distinct.len()
            ),
        ));
    }
    Ok(out)
}

/// Checks a corridor width.
pub(crate) fn check_width(ctx: &Ctx, field: &str, width_m: f64) -> Result<f64, InputError> {
    if !width_m.is_finite() || width_m <= 0.0 {
        return Err(ctx.err(
            field,
            format!("width_m = {width_m}: expected a finite width in metres > 0"),
        ));
    }
    if width_m > MAX_CORRIDOR_WIDTH_M {
        return Err(ctx.err(
            field,
            format!(
                "width_m = {width_m}: expected at most {MAX_CORRIDOR_WIDTH_M} m (a wider strip \
                 is an area: give a Polygon)"
            ),
        ));
    }
    Ok(width_m)
}

/// Refuses survey geometry too large to plan (see the module doc): a corridor longer than
/// [`MAX_CORRIDOR_LENGTH_M`], or geometry (with exclusions) spanning more than
/// [`MAX_SURVEY_EXTENT_M`]. Runs in time linear in the number of points and allocates
/// nothing, so it can run before any planning work is estimated or allocated.
pub(crate) fn check_extent(ctx: &Ctx, input: &SurveyInput) -> Result<(), InputError> {
    if let InputGeometry::Centreline(line) = &input.geometry {
        let mut length_m = 0.0;
        let mut longest = (0usize, 0.0f64);
        for (i, w) in line.windows(2).enumerate() {
            let d = w[0].distance_m(w[1]);
            length_m += d;
            if d > longest.1 {
                longest = (i, d);
            }
        }
        if length_m > MAX_CORRIDOR_LENGTH_M {
            let (i, d) = longest;
            return Err(ctx.err(
                "centreline",
                format!(
                    "the corridor is {:.1} km long: expected at most {:.0} km (plan a longer \
                     river in sections); its longest step, point {i} to point {}, is {:.1} km \
                     (a mistyped coordinate?)",
                    length_m / 1000.0,
                    MAX_CORRIDOR_LENGTH_M / 1000.0,
                    i + 1,
                    d / 1000.0
                ),
            ));
        }
    }
    let main: Box<dyn Iterator<Item = &GeoPoint>> = match &input.geometry {
        InputGeometry::Centreline(line) => Box::new(line.iter()),
        InputGeometry::Area { boundary, holes } => {
            Box::new(boundary.iter().chain(holes.iter().flatten()))
        }
    };
    let mut lat = (f64::INFINITY, f64::NEG_INFINITY);
    let mut lon = (f64::INFINITY, f64::NEG_INFINITY);
    for p in main.chain(input.exclusions.iter().flatten()) {
        lat = (lat.0.min(p.lat_deg), lat.1.max(p.lat_deg));
        lon = (lon.0.min(p.lon_deg), lon.1.max(p.lon_deg));
    }
    if lat.0 > lat.1 {
        return Ok(());
    }
    let north_south_m = (lat.1 - lat.0) * M_PER_DEG;
    let mid_lat = ((lat.0 + lat.1) / 2.0).to_radians();
    let east_west_m = (lon.1 - lon.0) * M_PER_DEG * mid_lat.cos();
    let extent_m = north_south_m.max(east_west_m);
    if extent_m > MAX_SURVEY_EXTENT_M {
        return Err(ctx.err(
            "geometry",
            format!(
                "the survey spans {:.1} km east-west by {:.1} km north-south (latitude \
                 {:.5}..{:.5}, longitude {:.5}..{:.5}, exclusions included): expected at most \
                 {:.0} km either way (a mistyped coordinate?)",
                east_west_m / 1000.0,
                north_south_m / 1000.0,
                lat.0,
                lat.1,
                lon.0,
                lon.1,
                MAX_SURVEY_EXTENT_M / 1000.0
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            file: "t.geojson".into(),
        }
    }

    #[test]
    fn western_china_swap_needs_a_chinese_datum() {
        // Kashgar (39.47 N, 75.99 E) written latitude first in a lon-lat file.
        let pairs = [(39.47, 75.99), (39.48, 76.0)];
        let f = |i: usize| format!("c[{i}]");
        let ok = check_pairs(&ctx(), "c", &f, &pairs, AxisOrder::LonLat, Datum::Wgs84);
        assert!(ok.is_ok());
        let e = check_pairs(&ctx(), "c", &f, &pairs, AxisOrder::LonLat, Datum::Gcj02)
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
        assert_eq!(clean_points(&ctx(), "r", ring, true).unwrap().len(), 3);
    }
}
