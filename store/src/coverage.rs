//! A photo's ground footprint: where its four corner rays meet the ground, on a level plane
//! `height_above_ground_m` below the camera (the height the companion's terrain model gave
//! at the photo's centre). "A flight passed a site" means the site lies inside one of these.
//!
//! The camera frame follows the journal's [`CameraRecord`]: the optical axis points at
//! `camera_yaw_deg` (clockwise from true north) and `camera_pitch_deg` (below the horizon is
//! negative, -90 nadir), the image's x axis points right of that direction, its y axis down
//! the image, so a nadir photo's top edge faces the yaw. Roll about the optical axis is taken
//! as zero (a stabilised gimbal). Offsets become WGS-84 through core's local east/north plane.

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_flight::header::CameraInfo;
use qly_flight::record::CameraRecord;

/// A corner ray flatter than this (degrees below the horizon) reaches too far for the photo
/// to count as covering that ground; such a photo counts as covering nothing.
pub const MIN_CORNER_DEPRESSION_DEG: f64 = 10.0;

/// Four corners, `[lat_deg, lon_deg]` WGS-84, in image order (top-left, top-right,
/// bottom-right, bottom-left).
pub type Corners = [[f64; 2]; 4];

/// The footprint of a photo taken with `camera` from `pose`; `None` when the ground under the
/// camera is unknown or a corner ray is too flat ([`MIN_CORNER_DEPRESSION_DEG`]).
pub fn footprint(camera: &CameraInfo, pose: &CameraRecord) -> Option<Corners> {
    let h = pose.height_above_ground_m?;
    if !(h.is_finite() && h > 0.0) || camera.fx_px <= 0.0 || camera.fy_px <= 0.0 {
        return None;
    }
    let (yaw, pitch) = (
        pose.camera_yaw_deg.to_radians(),
        pose.camera_pitch_deg.to_radians(),
    );
    // East, north, up.
    let forward = [
        pitch.cos() * yaw.sin(),
        pitch.cos() * yaw.cos(),
        pitch.sin(),
    ];
    let right = [yaw.cos(), -yaw.sin(), 0.0];
    let down = cross(forward, right);
    let frame = LocalFrame::at(GeoPoint {
        lat_deg: pose.lat_deg,
        lon_deg: pose.lon_deg,
    });
    let (w, hgt) = (f64::from(camera.width_px), f64::from(camera.height_px));
    let pixels = [(0.0, 0.0), (w, 0.0), (w, hgt), (0.0, hgt)];
    let min_down = MIN_CORNER_DEPRESSION_DEG.to_radians().sin();
    let mut out = [[0.0; 2]; 4];
    for (k, (u, v)) in pixels.into_iter().enumerate() {
        let (x, y) = (
            (u - camera.cx_px) / camera.fx_px,
            (v - camera.cy_px) / camera.fy_px,
        );
        let ray: [f64; 3] = std::array::from_fn(|i| forward[i] + x * right[i] + y * down[i]);
        let norm = (ray[0] * ray[0] + ray[1] * ray[1] + ray[2] * ray[2]).sqrt();
        if -ray[2] / norm < min_down {
            return None;
        }
        let t = h / -ray[2];
        let p = frame.unproject(t * ray[0], t * ray[1]);
        out[k] = [p.lat_deg, p.lon_deg];
    }
    Some(out)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `(min_lat, max_lat, min_lon, max_lon)` of the corners.
pub fn bbox(c: &Corners) -> (f64, f64, f64, f64) {
    let lats = c.iter().map(|p| p[0]);
    let lons = c.iter().map(|p| p[1]);
    (
        lats.clone().fold(f64::INFINITY, f64::min),
        lats.fold(f64::NEG_INFINITY, f64::max),
        lons.clone().fold(f64::INFINITY, f64::min),
        lons.fold(f64::NEG_INFINITY, f64::max),
    )
}

/// Whether the point lies inside the footprint (a convex quadrilateral; edges included),
/// tested in the local plane at the point.
pub fn contains(c: &Corners, lat_deg: f64, lon_deg: f64) -> bool {
    let frame = LocalFrame::at(GeoPoint { lat_deg, lon_deg });
    let p: Vec<(f64, f64)> = c
        .iter()
        .map(|q| {
            frame.project(GeoPoint {
                lat_deg: q[0],
                lon_deg: q[1],
            })
        })
        .collect();
    // The point is the origin: inside when it is on the same side of every edge.
    let mut sign = 0.0f64;
    for i in 0..4 {
        let (a, b) = (p[i], p[(i + 1) % 4]);
        let z = a.0 * b.1 - a.1 * b.0;
        if z.abs() < 1e-12 {
            continue;
        }
        if sign == 0.0 {
            sign = z.signum();
        } else if z.signum() != sign {
            return false;
        }
    }
    true
}

/// The footprint as WKT (longitude first), for PostGIS.
pub fn wkt(c: &Corners) -> String {
    let pts: Vec<String> = c
        .iter()
        .chain(std::iter::once(&c[0]))
        .map(|p| format!("{} {}", p[1], p[0]))
        .collect();
    format!("POLYGON(({}))", pts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> CameraInfo {
        CameraInfo {
            name: "t".into(),
            width_px: 400,
            height_px: 300,
            fx_px: 200.0,
            fy_px: 200.0,
            cx_px: 200.0,
            cy_px: 150.0,
            distortion: [0.0; 5],
        }
    }

    fn pose(yaw_deg: f64, h: Option<f64>) -> CameraRecord {
        CameraRecord {
            lat_deg: 27.0,
            lon_deg: 107.0,
            alt_amsl_m: 1100.0,
            height_above_ground_m: h,
            roll_deg: 0.0,
            pitch_deg: 0.0,
            yaw_deg,
            camera_pitch_deg: -90.0,
            camera_yaw_deg: yaw_deg,
        }
    }

    fn offset(e: f64, n: f64) -> (f64, f64) {
        let p = LocalFrame::at(GeoPoint {
            lat_deg: 27.0,
            lon_deg: 107.0,
        })
        .unproject(e, n);
        (p.lat_deg, p.lon_deg)
    }

    #[test]
    fn a_nadir_photo_covers_its_half_widths_along_and_across_the_yaw() {
        // 100 m up, half-widths 100 m across (x: 200 px / 200 px) and 75 m along.
        let c = footprint(&camera(), &pose(0.0, Some(100.0))).unwrap();
        for (e, n, inside) in [
            (95.0, 70.0, true),
            (-95.0, -70.0, true),
            (105.0, 0.0, false),
            (0.0, 80.0, false),
        ] {
            let (lat, lon) = offset(e, n);
            assert_eq!(contains(&c, lat, lon), inside, "({e}, {n})");
        }
        // Flying east, the long side lies north-south.
        let c = footprint(&camera(), &pose(90.0, Some(100.0))).unwrap();
        let (lat, lon) = offset(0.0, 95.0);
        assert!(contains(&c, lat, lon));
        let (lat, lon) = offset(80.0, 0.0);
        assert!(!contains(&c, lat, lon));
    }

    #[test]
    fn no_ground_or_a_flat_ray_covers_nothing() {
        assert!(footprint(&camera(), &pose(0.0, None)).is_none());
        let mut p = pose(0.0, Some(100.0));
        p.camera_pitch_deg = -20.0;
        assert!(footprint(&camera(), &p).is_none());
    }

    #[test]
    fn wkt_closes_the_ring_longitude_first() {
        let c = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]];
        assert_eq!(wkt(&c), "POLYGON((2 1, 4 3, 6 5, 8 7, 2 1))");
    }
}
