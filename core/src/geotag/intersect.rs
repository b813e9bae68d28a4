//! Ray-terrain intersection in the camera's local frame (see "Intersection" in the parent
//! module's doc).

use super::{GeotagError, Hit, Problem};
use crate::geodesy::{Enu, GeoPosition};

/// Mean Earth radius, metres: only for the curvature term of a Newton derivative, where a
/// 0.3 % error costs one more iteration at most.
const EARTH_RADIUS_M: f64 = 6_371_000.0;
/// Newton on a constant-height surface stops when the height error is below this, metres.
const FLAT_TOLERANCE_M: f64 = 1e-4;
const FLAT_MAX_ITERATIONS: usize = 12;

fn at(origin: Enu, dir: Enu, s: f64) -> Enu {
    Enu::new(
        origin.e_m + s * dir.e_m,
        origin.n_m + s * dir.n_m,
        origin.u_m + s * dir.u_m,
    )
}

/// Where the ray from `origin` along unit `dir` (ENU of the camera's frame) meets the ground.
pub(super) fn intersect(p: &Problem, origin: Enu, dir: Enu) -> Result<Hit, GeotagError> {
    if dir.u_m.is_nan() || dir.u_m >= 0.0 {
        return Err(GeotagError::RayAboveHorizon {
            elevation_deg: dir.u_m.clamp(-1.0, 1.0).asin().to_degrees(),
        });
    }
    let depression_deg = (-dir.u_m).clamp(-1.0, 1.0).asin().to_degrees();
    let no_hit = || GeotagError::NoIntersection {
        max_range_m: p.settings.max_range_m,
        depression_deg,
    };
    let geo_at = |s: f64| -> GeoPosition { p.frame.to_geodetic(at(origin, dir, s)) };
    if let Some(ground_amsl_m) = p.terrain.constant_height_amsl_m() {
        let clearance_m = geo_at(0.0).h_ellipsoid_m - ground_amsl_m;
        if clearance_m <= 0.0 {
            return Err(GeotagError::CameraBelowGround { clearance_m });
        }
        // The plane through the ground height, then Newton on the true (curved) height.
        let mut s = clearance_m / -dir.u_m;
        for _ in 0..FLAT_MAX_ITERATIONS {
            if !(s.is_finite() && s <= p.settings.max_range_m) {
                return Err(no_hit());
            }
            let f = geo_at(s).h_ellipsoid_m - ground_amsl_m;
            if f.abs() < FLAT_TOLERANCE_M {
                return Ok(Hit {
                    enu: at(origin, dir, s),
                    slant_range_m: s,
                    ground_amsl_m,
                });
            }
            let slope = dir.u_m + s * (1.0 - dir.u_m * dir.u_m) / EARTH_RADIUS_M;
            if slope >= 0.0 {
                // Grazing: the ray leaves the curved surface before meeting it.
                return Err(no_hit());
            }
            s -= f / slope;
        }
        return Err(no_hit());
    }

    // General terrain: clearance above the ground along the ray.
    let clearance = |s: f64| -> Result<(f64, f64), GeotagError> {
        let g = geo_at(s);
        let ground = p.terrain.height_amsl_m(g.point())?;
        Ok((g.h_ellipsoid_m - ground, ground))
    };
    let (clearance0, _) = clearance(0.0)?;
    if clearance0 <= 0.0 {
        return Err(GeotagError::CameraBelowGround {
            clearance_m: clearance0,
        });
    }
    let settings = &p.settings;
    // Slant range if the ground stayed at the height under the camera: the scale of the
    // problem, so the first steps are already a fixed fraction of the expected range.
    let s_flat = clearance0 / -dir.u_m;
    let (mut a, mut ca) = (0.0f64, clearance0);
    let (mut b, mut cb);
    loop {
        let step = (settings.step_fraction * a.max(s_flat)).max(settings.min_step_m);
        b = (a + step).min(settings.max_range_m);
        cb = clearance(b)?.0;
        if cb <= 0.0 {
            break;
        }
        if b >= settings.max_range_m {
            return Err(no_hit());
        }
        (a, ca) = (b, cb);
    }
    // Bisection of the bracket [a, b]: clearance(a) > 0 >= clearance(b).
    while b - a > settings.tolerance_m {
        let m = 0.5 * (a + b);
        let cm = clearance(m)?.0;
        if cm > 0.0 {
            (a, ca) = (m, cm);
        } else {
            (b, cb) = (m, cm);
        }
    }
    // Linear interpolation inside the final (sub-centimetre) bracket.
    let s = a + (b - a) * ca / (ca - cb);
    let (_, ground_amsl_m) = clearance(s)?;
    Ok(Hit {
        enu: at(origin, dir, s),
        slant_range_m: s,
        ground_amsl_m,
    })
}
