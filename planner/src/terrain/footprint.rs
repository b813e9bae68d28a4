//! How big each photo's footprint is on the real ground, for the coverage proof.
//!
//! A nadir photo taken `h` metres above flat ground sees a rectangle proportional to `h`. Over
//! terrain, each ray from the camera meets the ground after its own vertical drop: nearer
//! where the ground rises (a slope beside the lane), farther where it falls. The rays to the
//! image centre, its corners and the middles of its edges are intersected with the terrain,
//! and the smallest drop over the design height is the photo's scale: the rectangle of the
//! design footprint times that scale lies inside what the photo really sees (each edge ray
//! reaches at least that far, and the footprint is star-shaped about the nadir), so coverage
//! measured with it never overstates.

use qly_core::camera::Footprint;
use qly_core::geodesy::LocalFrame;
use qly_core::terrain::Terrain;

use super::TerrainFollowError;
use crate::survey::{PhotoPoint, PlaneCoord};

/// Step of the ray march, metres of vertical drop (then refined by bisection to 1 cm).
const MARCH_M: f64 = 2.0;

/// For each photo (taken at `photo_amsl_m`, metres AMSL, looking straight down with
/// `footprint` at `design_agl_m` above flat ground), the scale of its footprint on `terrain`
/// relative to `footprint` (see the module doc).
pub fn photo_footprint_scales(
    photos: &[PhotoPoint],
    photo_amsl_m: &[f64],
    footprint: Footprint,
    design_agl_m: f64,
    frame: &LocalFrame,
    terrain: &dyn Terrain,
) -> Result<Vec<f64>, TerrainFollowError> {
    photos
        .iter()
        .zip(photo_amsl_m)
        .enumerate()
        .map(|(k, (photo, &amsl))| {
            let what = || format!("the footprint of photo {}", k + 1);
            let ground = |x: f64, y: f64| {
                terrain
                    .height_amsl_m(frame.unproject(x, y))
                    .map_err(|source| TerrainFollowError::Terrain {
                        what: what(),
                        source,
                    })
            };
            let h = photo.heading_deg.to_radians();
            let along = (h.sin(), h.cos());
            let across = (h.cos(), -h.sin());
            let (half_side, half_front) = (
                footprint.side_m / 2.0 / design_agl_m,
                footprint.front_m / 2.0 / design_agl_m,
            );
            let mut scale = f64::INFINITY;
            for u in [-1.0, 0.0, 1.0] {
                for v in [-1.0, 0.0, 1.0] {
                    // Offset on the ground per metre of vertical drop.
                    let d = (
                        u * half_side * across.0 + v * half_front * along.0,
                        u * half_side * across.1 + v * half_front * along.1,
                    );
                    let drop = ray_drop_m(photo.at, amsl, d, &ground)?;
                    scale = scale.min(drop / design_agl_m);
                }
            }
            Ok(scale)
        })
        .collect()
}

/// Vertical drop at which the ray from `(at, amsl)` going `d` metres sideways per metre down
/// meets the ground; the drop at the march's end when it has not met it by then (ground
/// falling away faster than the ray), which is already far more than any design height.
fn ray_drop_m(
    at: PlaneCoord,
    amsl: f64,
    d: (f64, f64),
    ground: &dyn Fn(f64, f64) -> Result<f64, TerrainFollowError>,
) -> Result<f64, TerrainFollowError> {
    let above = |t: f64| -> Result<f64, TerrainFollowError> {
        Ok(amsl - t - ground(at.x + t * d.0, at.y + t * d.1)?)
    };
    let start = above(0.0)?;
    if start <= 0.0 {
        return Ok(0.0);
    }
    let limit = 3.0 * start + 100.0;
    let mut lo = 0.0;
    let mut hi = MARCH_M;
    while above(hi)? > 0.0 {
        lo = hi;
        hi += MARCH_M;
        if hi > limit {
            return Ok(limit);
        }
    }
    while hi - lo > 0.01 {
        let mid = 0.5 * (lo + hi);
        if above(mid)? > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::geodesy::GeoPoint;
    use qly_core::terrain::{FlatGround, TerrainError};

    struct Slope {
        frame: LocalFrame,
    }
    impl Terrain for Slope {
        /// Rises 0.5 m per metre east.
        fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
            Ok(0.5 * self.frame.project(p).0)
        }
    }

    #[test]
    fn flat_ground_scales_by_height_and_a_cross_slope_shrinks_the_uphill_side() {
        let frame = LocalFrame::at(GeoPoint::new(27.0, 107.0).unwrap());
        let fp = Footprint {
            side_m: 100.0,
            front_m: 75.0,
        };
        let photo = PhotoPoint {
            at: PlaneCoord { x: 0.0, y: 0.0 },
            transect: 0,
            heading_deg: 0.0,
        };
        let flat = FlatGround {
            height_amsl_m: 10.0,
        };
        let s = photo_footprint_scales(&[photo], &[90.0], fp, 80.0, &frame, &flat).unwrap();
        assert!((s[0] - 1.0).abs() < 1e-3, "{s:?}");
        let s = photo_footprint_scales(&[photo], &[130.0], fp, 80.0, &frame, &flat).unwrap();
        assert!((s[0] - 1.5).abs() < 1e-3, "{s:?}");
        // Flying north over ground rising east: the east edge ray (0.625 m east per metre
        // down) meets it after 80 / (1 + 0.5 * 0.625) = 60.95 m.
        let slope = Slope { frame };
        let s = photo_footprint_scales(&[photo], &[80.0], fp, 80.0, &frame, &slope).unwrap();
        assert!((s[0] - 60.95 / 80.0).abs() < 1e-3, "{s:?}");
    }
}
