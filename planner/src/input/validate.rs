//! The coordinate checks of `qly_core::coord_check` (ranges, the latitude/longitude swap,
//! repeats), with errors that name the file being read.

pub(crate) use qly_core::coord_check::AxisOrder;
use qly_core::coord_check::{self, FieldError};
use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;

use super::{Ctx, InputError};

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
