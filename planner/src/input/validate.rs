//! The coordinate checks of `qly_core::coord_check` (ranges, the latitude/longitude swap,
//! repeats), with errors that name the file being read.
//!
//! Before anything is planned, [`check_extent`] refuses geometry whose size alone would make
//! planning run for hours and take gigabytes (a mistyped vertex that jumps a continent): the
//! work of planning grows with the corridor's length, the surveyed extent and the corridor's
//! width, so they are bounded here, where the geometry is read, with the figure named.

pub(crate) use qly_core::coord_check::AxisOrder;
use qly_core::coord_check::{self, FieldError};
use qly_core::datum::Datum;
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
pub use qly_core::coord_check::MAX_CORRIDOR_WIDTH_M;
/// Metres per degree of latitude (and of longitude at the equator), for the extent estimate.
const M_PER_DEG: f64 = 111_320.0;

fn in_file(ctx: &Ctx) -> impl Fn(FieldError) -> InputError + '_ {
    |e| ctx.err(e.field, e.message)
}

/// [`coord_check::check_pairs`] for the file of `ctx`.
pub(crate) fn check_pairs(
    ctx: &Ctx,
    field: &str,
    point_field: &dyn Fn(usize) -> String,
    pairs: &[(f64, f64)],
    order: AxisOrder,
    datum: Datum,
) -> Result<Vec<GeoPoint>, InputError> {
    coord_check::check_pairs(field, point_field, pairs, order, datum).map_err(in_file(ctx))
}

/// [`coord_check::clean_points`] for the file of `ctx`.
pub(crate) fn clean_points(
    ctx: &Ctx,
    field: &str,
    points: Vec<GeoPoint>,
    ring: bool,
) -> Result<Vec<GeoPoint>, InputError> {
    coord_check::clean_points(field, points, ring).map_err(in_file(ctx))
}

/// [`coord_check::check_width`] for the file of `ctx`.
pub(crate) fn check_width(ctx: &Ctx, field: &str, width_m: f64) -> Result<f64, InputError> {
    coord_check::check_width(field, width_m).map_err(in_file(ctx))
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
