//! Where a photo lies on the ground: its four corner pixels geotagged with core's
//! [`qly_core::geotag`] (the same ray/terrain intersection that places candidates), from the
//! frame record's camera pose and the flight header's intrinsics, on flat ground at the
//! height the record gives under the camera.
//!
//! The frame record keeps the optical axis (pitch and yaw) but not the camera's roll about
//! it, and at nadir the axis has no yaw. The image's "up" is taken as the axis yaw when the
//! camera looks at least 1 degree off nadir, else the vehicle's heading (a gimbal held level
//! that turns with the vehicle, as the companion's camera is); the image is held level.

use qly_core::geotag::{geotag, CameraMount, CameraPose, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use qly_core::terrain::FlatGround;
use qly_flight::header::CameraInfo;
use qly_flight::record::FrameRecord;

/// A photo's ground footprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// Pixel corners `(u, v)`: top-left, top-right, bottom-right, bottom-left.
    pub corners_px: [(f64, f64); 4],
    /// Their ground points, metres east and north of the camera.
    pub corners_en_m: [(f64, f64); 4],
    /// Their ground points, WGS-84 `(lat_deg, lon_deg)`.
    pub corners_deg: [(f64, f64); 4],
}

/// The intrinsics the header records.
pub fn intrinsics(c: &CameraInfo) -> Option<CameraIntrinsics> {
    let [k1, k2, p1, p2, k3] = c.distortion;
    CameraIntrinsics::new(
        c.width_px,
        c.height_px,
        c.fx_px,
        c.fy_px,
        c.cx_px,
        c.cy_px,
        BrownConrady { k1, k2, k3, p1, p2 },
    )
    .ok()
}

/// The footprint of `frame`, or `None` when its pose does not put every corner on the
/// ground (no height above ground recorded, a corner above the horizon).
pub fn footprint(frame: &FrameRecord, intrinsics: &CameraIntrinsics) -> Option<Footprint> {
    let cam = &frame.camera;
    let hag = cam
        .height_above_ground_m
        .filter(|h| h.is_finite() && *h > 0.0)?;
    let up_deg = if cam.camera_pitch_deg > -89.0 {
        cam.camera_yaw_deg
    } else {
        cam.yaw_deg
    };
    let pose = CameraPose {
        position: AmslPosition::new(cam.lat_deg, cam.lon_deg, cam.alt_amsl_m).ok()?,
        q_ned_body: Quat::IDENTITY,
        mount: CameraMount::EarthFrame(Quat::from_ypr_deg(up_deg, cam.camera_pitch_deg, 0.0)),
    };
    let ground = FlatGround {
        height_amsl_m: cam.alt_amsl_m - hag,
    };
    let (w, h) = (f64::from(frame.width_px), f64::from(frame.height_px));
    let corners_px = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let mut corners_en_m = [(0.0, 0.0); 4];
    let mut corners_deg = [(0.0, 0.0); 4];
    for (i, px) in corners_px.iter().enumerate() {
        // Frame sizes in records may differ from the header's (a resized photo): scale.
        let s = (
            f64::from(intrinsics.width_px) / w,
            f64::from(intrinsics.height_px) / h,
        );
        let g = geotag(
            (px.0 * s.0, px.1 * s.1),
            intrinsics,
            &pose,
            &ground,
            &Uncertainty::default(),
        )
        .ok()?;
        corners_en_m[i] = (g.east_m, g.north_m);
        corners_deg[i] = (g.point.lat_deg, g.point.lon_deg);
    }
    Some(Footprint {
        corners_px,
        corners_en_m,
        corners_deg,
    })
}
