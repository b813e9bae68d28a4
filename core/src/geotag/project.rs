//! The inverse of geotagging: where in a photo a ground point appears. Used to draw a known
//! ground position (a confirmed finding) into every photo that saw it, e.g. when turning
//! inspectors' decisions into training labels.
//!
//! Same frames and heights as [`super::geotag`]: a local frame centred on the camera with
//! AMSL heights in the ellipsoidal slot, NED rotated into the OpenCV camera frame by the
//! transpose of [`CameraPose::r_ned_camera`], then the calibration with its distortion
//! ([`CameraIntrinsics::ray_to_pixel`]).

use super::CameraPose;
use crate::geodesy::{GeoPosition, LocalFrame};
use crate::intrinsics::CameraIntrinsics;
use crate::pose::AmslPosition;

/// The pixel `(u, v)` (x right, y down, OpenCV: `(0, 0)` is the top-left pixel's corner)
/// where `point` (altitude above mean sea level) images in a camera at `pose`; `None` when it
/// is behind the camera. The pixel may lie outside the image: compare with the image size.
pub fn ground_to_pixel(
    point: AmslPosition,
    intrinsics: &CameraIntrinsics,
    pose: &CameraPose,
) -> Option<(f64, f64)> {
    let p = pose.position;
    let frame = LocalFrame::new(GeoPosition::new(p.lat_deg, p.lon_deg, p.alt_amsl_m));
    let enu = frame.to_enu(GeoPosition::new(
        point.lat_deg,
        point.lon_deg,
        point.alt_amsl_m,
    ));
    let ned = [enu.n_m, enu.e_m, -enu.u_m];
    let ray_cam = pose.r_ned_camera().transpose().mul_vec(ned);
    intrinsics.ray_to_pixel(ray_cam).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geotag::{geotag, CameraMount, Uncertainty};
    use crate::intrinsics::BrownConrady;
    use crate::rotation::Quat;
    use crate::terrain::FlatGround;

    /// Projecting the ground point that a pixel geotags to gives that pixel back, for an
    /// oblique, turned camera with distortion.
    #[test]
    fn projection_inverts_geotagging() {
        let cam = CameraIntrinsics::new(
            4000,
            3000,
            3000.0,
            3010.0,
            2010.0,
            1490.0,
            BrownConrady {
                k1: -0.1,
                k2: 0.01,
                k3: 0.0,
                p1: 0.0005,
                p2: -0.0003,
            },
        )
        .unwrap();
        let pose = CameraPose {
            position: AmslPosition::new(27.05, 106.95, 1180.0).unwrap(),
            q_ned_body: Quat::from_ypr_deg(35.0, 2.0, -1.5),
            mount: CameraMount::HeadingFrame(Quat::from_ypr_deg(0.0, -70.0, 0.0)),
        };
        let ground = FlatGround {
            height_amsl_m: 1100.0,
        };
        for (u, v) in [(2000.0, 1500.0), (150.0, 2900.0), (3900.0, 80.0)] {
            let g = geotag((u, v), &cam, &pose, &ground, &Uncertainty::default()).unwrap();
            let point =
                AmslPosition::new(g.point.lat_deg, g.point.lon_deg, g.height_amsl_m).unwrap();
            let (pu, pv) = ground_to_pixel(point, &cam, &pose).unwrap();
            assert!(
                (pu - u).abs() < 0.01 && (pv - v).abs() < 0.01,
                "({u}, {v}) -> ({pu}, {pv})"
            );
        }
        // A point behind a camera looking north and down is not imaged.
        let behind = AmslPosition::new(27.0, 106.95, 1100.0).unwrap();
        let north = CameraPose {
            mount: CameraMount::EarthFrame(Quat::from_ypr_deg(0.0, -10.0, 0.0)),
            ..pose
        };
        assert_eq!(ground_to_pixel(behind, &cam, &north), None);
    }
}
