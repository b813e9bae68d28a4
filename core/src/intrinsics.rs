//! The pixel camera model: pinhole projection with Brown-Conrady lens distortion, in the
//! OpenCV convention, so calibrations from OpenCV (or Agisoft/Pix4D converted to it) apply
//! unchanged.
//!
//! Pixel coordinates are continuous: `(0, 0)` is the top-left *corner* of the image and
//! `(width_px, height_px)` the bottom-right corner, so a detector's box coordinates can be
//! used as they are and the centred principal point is `(width_px / 2, height_px / 2)`.
//!
//! A pixel maps to a unit ray in the OpenCV camera frame (x right, y down, z forward):
//! normalised distorted coordinates `((u - cx) / fx, (v - cy) / fy)` are undistorted by
//! Newton's method (the distortion polynomial has no closed-form inverse), then `(x, y, 1)` is
//! normalised.
//!
//! ```
//! use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
//! let cam = CameraIntrinsics::new(4000, 3000, 3000.0, 3000.0, 2000.0, 1500.0,
//!     BrownConrady { k1: -0.11, k2: 0.02, k3: -0.01, p1: 1e-4, p2: -2e-4 }).unwrap();
//! let ray = cam.pixel_to_ray(3900.0, 2900.0).unwrap();
//! let (u, v) = cam.ray_to_pixel(ray).unwrap();
//! assert!((u - 3900.0).abs() < 1e-6 && (v - 2900.0).abs() < 1e-6);
//! ```

use crate::camera::{CameraError, CameraSpec};
use crate::rotation::Vec3;
use thiserror::Error;

/// Why an intrinsic calibration or a pixel was refused.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum IntrinsicsError {
    #[error("camera intrinsics: {field} = {value} is invalid: expected {expected}")]
    BadField {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("camera intrinsics from spec: {0}")]
    Spec(#[from] CameraError),
    #[error("pixel ({u}, {v}) is invalid: expected finite coordinates")]
    PixelNotFinite { u: f64, v: f64 },
    #[error("pixel ({u}, {v}) cannot be undistorted: the distortion model does not invert there within {iterations} Newton steps; is the pixel far outside the calibrated image?")]
    UndistortFailed { u: f64, v: f64, iterations: usize },
    #[error("ray ({x}, {y}, {z}) does not project into the image: expected a finite ray with z > 0 (in front of the camera)")]
    BehindCamera { x: f64, y: f64, z: f64 },
}

/// Brown-Conrady lens distortion, OpenCV's coefficients and formula: radial `k1, k2, k3`
/// and tangential (decentring) `p1, p2`, applied to normalised image coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BrownConrady {
    pub k1: f64,
    pub k2: f64,
    pub k3: f64,
    pub p1: f64,
    pub p2: f64,
}

impl BrownConrady {
    /// No distortion.
    pub const NONE: BrownConrady = BrownConrady {
        k1: 0.0,
        k2: 0.0,
        k3: 0.0,
        p1: 0.0,
        p2: 0.0,
    };

    /// Undistorted normalised coordinates -> distorted ones.
    pub fn distort(&self, x: f64, y: f64) -> (f64, f64) {
        let r2 = x * x + y * y;
        let radial = 1.0 + r2 * (self.k1 + r2 * (self.k2 + r2 * self.k3));
        (
            x * radial + 2.0 * self.p1 * x * y + self.p2 * (r2 + 2.0 * x * x),
            y * radial + self.p1 * (r2 + 2.0 * y * y) + 2.0 * self.p2 * x * y,
        )
    }

    /// `distort` and its Jacobian `[[dxd/dx, dxd/dy], [dyd/dx, dyd/dy]]`.
    fn distort_with_jacobian(&self, x: f64, y: f64) -> ((f64, f64), [[f64; 2]; 2]) {
        let r2 = x * x + y * y;
        let radial = 1.0 + r2 * (self.k1 + r2 * (self.k2 + r2 * self.k3));
        // d(radial)/d(r2)
        let g = self.k1 + r2 * (2.0 * self.k2 + 3.0 * self.k3 * r2);
        let cross = 2.0 * g * x * y + 2.0 * self.p1 * x + 2.0 * self.p2 * y;
        let j = [
            [
                radial + 2.0 * g * x * x + 2.0 * self.p1 * y + 6.0 * self.p2 * x,
                cross,
            ],
            [
                cross,
                radial + 2.0 * g * y * y + 6.0 * self.p1 * y + 2.0 * self.p2 * x,
            ],
        ];
        (self.distort(x, y), j)
    }

    /// Distorted normalised coordinates -> undistorted ones by Newton's method, to a
    /// residual below [`UNDISTORT_TOLERANCE`] in normalised units (1e-12 is 3e-9 px at
    /// fx = 3000 px; Newton converges quadratically, so the last factor 1000 costs at most
    /// one step). `None` where the polynomial does not invert (it folds over far outside
    /// the calibrated field).
    pub fn undistort(&self, xd: f64, yd: f64) -> Option<(f64, f64)> {
        let (mut x, mut y) = (xd, yd);
        for _ in 0..UNDISTORT_MAX_ITERATIONS {
            let ((fx, fy), j) = self.distort_with_jacobian(x, y);
            let (ex, ey) = (fx - xd, fy - yd);
            let residual = ex.hypot(ey);
            if residual < UNDISTORT_TOLERANCE {
                return Some((x, y));
            }
            let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
            // A non-positive determinant means the model has folded over: no unique inverse.
            if !(det.is_finite() && det > 1e-12) {
                return None;
            }
            x -= (j[1][1] * ex - j[0][1] * ey) / det;
            y -= (-j[1][0] * ex + j[0][0] * ey) / det;
        }
        let (fx, fy) = self.distort(x, y);
        let final_residual = (fx - xd).hypot(fy - yd);
        if final_residual < UNDISTORT_TOLERANCE {
            Some((x, y))
        } else {
            None
        }
    }
}

/// Undistortion stops when the re-distorted point is this close (normalised units).
pub const UNDISTORT_TOLERANCE: f64 = 1e-12;
/// At most this many Newton steps (typical: 2 to 4).
pub const UNDISTORT_MAX_ITERATIONS: usize = 20;

/// A calibrated pixel camera (OpenCV convention, pixel coordinates as in the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraIntrinsics {
    pub width_px: u32,
    pub height_px: u32,
    /// Focal length in pixels along the image x axis.
    pub fx_px: f64,
    /// Focal length in pixels along the image y axis.
    pub fy_px: f64,
    /// Principal point, pixels from the left edge.
    pub cx_px: f64,
    /// Principal point, pixels from the top edge.
    pub cy_px: f64,
    pub distortion: BrownConrady,
}

impl CameraIntrinsics {
    /// A checked calibration: positive image size and focal lengths, finite everything.
    pub fn new(
        width_px: u32,
        height_px: u32,
        fx_px: f64,
        fy_px: f64,
        cx_px: f64,
        cy_px: f64,
        distortion: BrownConrady,
    ) -> Result<CameraIntrinsics, IntrinsicsError> {
        let positive: [(&'static str, f64); 4] = [
            ("width_px", width_px as f64),
            ("height_px", height_px as f64),
            ("fx_px", fx_px),
            ("fy_px", fy_px),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(IntrinsicsError::BadField {
                    field,
                    value,
                    expected: "a finite number > 0",
                });
            }
        }
        let finite: [(&'static str, f64); 7] = [
            ("cx_px", cx_px),
            ("cy_px", cy_px),
            ("k1", distortion.k1),
            ("k2", distortion.k2),
            ("k3", distortion.k3),
            ("p1", distortion.p1),
            ("p2", distortion.p2),
        ];
        for (field, value) in finite {
            if !value.is_finite() {
                return Err(IntrinsicsError::BadField {
                    field,
                    value,
                    expected: "a finite number",
                });
            }
        }
        Ok(CameraIntrinsics {
            width_px,
            height_px,
            fx_px,
            fy_px,
            cx_px,
            cy_px,
            distortion,
        })
    }

    /// The ideal camera a spec sheet describes: focal length in pixels from the sensor size,
    /// principal point at the image centre, no distortion. Good to a few pixels for a
    /// survey camera; calibrate for better.
    pub fn from_spec(spec: &CameraSpec) -> Result<CameraIntrinsics, IntrinsicsError> {
        spec.validate()?;
        let (w, h) = (spec.image_width_px as f64, spec.image_height_px as f64);
        CameraIntrinsics::new(
            spec.image_width_px,
            spec.image_height_px,
            spec.focal_length_mm * w / spec.sensor_width_mm,
            spec.focal_length_mm * h / spec.sensor_height_mm,
            w / 2.0,
            h / 2.0,
            BrownConrady::NONE,
        )
    }

    /// The unit ray through pixel `(u_px, v_px)` in the OpenCV camera frame
    /// (x right, y down, z forward).
    pub fn pixel_to_ray(&self, u_px: f64, v_px: f64) -> Result<Vec3, IntrinsicsError> {
        if !(u_px.is_finite() && v_px.is_finite()) {
            return Err(IntrinsicsError::PixelNotFinite { u: u_px, v: v_px });
        }
        let xd = (u_px - self.cx_px) / self.fx_px;
        let yd = (v_px - self.cy_px) / self.fy_px;
        let (x, y) = if self.distortion == BrownConrady::NONE {
            (xd, yd)
        } else {
            match self.distortion.undistort(xd, yd) {
                Some((x, y)) => (x, y),
                None => {
                    return Err(IntrinsicsError::UndistortFailed {
                        u: u_px,
                        v: v_px,
                        iterations: UNDISTORT_MAX_ITERATIONS,
                    });
                }
            }
        };
        let n = (x * x + y * y + 1.0).sqrt();
        Ok([x / n, y / n, 1.0 / n])
    }

    /// The pixel a camera-frame ray (any length, z > 0) images to, with distortion.
    pub fn ray_to_pixel(&self, ray_cam: Vec3) -> Result<(f64, f64), IntrinsicsError> {
        let [x, y, z] = ray_cam;
        if !(x.is_finite() && y.is_finite() && z.is_finite() && z > 0.0) {
            return Err(IntrinsicsError::BehindCamera { x, y, z });
        }
        let (xd, yd) = self.distortion.distort(x / z, y / z);
        Ok((self.cx_px + self.fx_px * xd, self.cy_px + self.fy_px * yd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::CameraDatabase;

    fn realistic() -> CameraIntrinsics {
        // Magnitudes typical of a drone survey camera calibration (barrel distortion, small
        // decentring).
        CameraIntrinsics::new(
            5280,
            3956,
            3751.0,
            3751.0,
            2652.3,
            1961.8,
            BrownConrady {
                k1: -0.112,
                k2: 0.0135,
                k3: -0.0213,
                p1: 0.00031,
                p2: -0.00024,
            },
        )
        .unwrap()
    }

    #[test]
    fn round_trip_over_the_whole_image_below_1e_6_px() {
        let cam = realistic();
        let mut worst = 0.0f64;
        let n = 60;
        for i in 0..=n {
            for j in 0..=n {
                let u = cam.width_px as f64 * i as f64 / n as f64;
                let v = cam.height_px as f64 * j as f64 / n as f64;
                let ray = cam.pixel_to_ray(u, v).unwrap();
                assert!((ray[0].powi(2) + ray[1].powi(2) + ray[2].powi(2) - 1.0).abs() < 1e-12);
                let (u2, v2) = cam.ray_to_pixel(ray).unwrap();
                worst = worst.max((u2 - u).hypot(v2 - v));
            }
        }
        assert!(worst < 1e-6, "worst round trip {worst} px");
    }

    #[test]
    fn distortion_moves_corners_and_newton_inverts_it() {
        let cam = realistic();
        // Barrel distortion: the corner ray is further from the axis than the pinhole says.
        let ray = cam.pixel_to_ray(0.0, 0.0).unwrap();
        let pinhole_x = (0.0 - cam.cx_px) / cam.fx_px;
        assert!(ray[0] / ray[2] < pinhole_x - 0.01, "{}", ray[0] / ray[2]);
        // Ray -> pixel -> ray for rays spread over the field.
        for &(x, y) in &[(0.0, 0.0), (0.3, -0.2), (-0.69, 0.52), (0.5, 0.5)] {
            let (u, v) = cam.ray_to_pixel([x, y, 1.0]).unwrap();
            let r = cam.pixel_to_ray(u, v).unwrap();
            assert!((r[0] / r[2] - x).abs() < 1e-9 && (r[1] / r[2] - y).abs() < 1e-9);
        }
    }

    #[test]
    fn from_spec_gives_a_centred_pinhole() {
        let db = CameraDatabase::builtin();
        let m3e = db.find("DJI Mavic 3 Enterprise wide").unwrap();
        let cam = CameraIntrinsics::from_spec(m3e).unwrap();
        assert!((cam.fx_px - 12.29 * 5280.0 / 17.3).abs() < 1e-9);
        assert!((cam.fy_px - 12.29 * 3956.0 / 13.0).abs() < 1e-9);
        assert_eq!((cam.cx_px, cam.cy_px), (2640.0, 1978.0));
        let c = cam.pixel_to_ray(2640.0, 1978.0).unwrap();
        assert_eq!(c, [0.0, 0.0, 1.0]);
        // The image edge is at half the horizontal field of view.
        let e = cam.pixel_to_ray(5280.0, 1978.0).unwrap();
        let half_fov = m3e.fov_rad().0 / 2.0;
        assert!((e[0].atan2(e[2]) - half_fov).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_refused() {
        let e = CameraIntrinsics::new(0, 10, 1.0, 1.0, 0.0, 0.0, BrownConrady::NONE).unwrap_err();
        assert!(e.to_string().contains("width_px"), "{e}");
        let e = CameraIntrinsics::new(
            10,
            10,
            1.0,
            1.0,
            0.0,
            0.0,
            BrownConrady {
                k1: f64::NAN,
                ..BrownConrady::NONE
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("k1"), "{e}");
        let cam = realistic();
        assert!(matches!(
            cam.pixel_to_ray(f64::NAN, 1.0),
            Err(IntrinsicsError::PixelNotFinite { .. })
        ));
        assert!(matches!(
            cam.ray_to_pixel([0.0, 0.0, -1.0]),
            Err(IntrinsicsError::BehindCamera { .. })
        ));
        // Far outside the image strong barrel distortion folds over: refused, not garbage.
        let strong = CameraIntrinsics::new(
            1000,
            1000,
            500.0,
            500.0,
            500.0,
            500.0,
            BrownConrady {
                k1: -0.3,
                ..BrownConrady::NONE
            },
        )
        .unwrap();
        let e = strong.pixel_to_ray(5000.0, 5000.0).unwrap_err();
        assert!(matches!(e, IntrinsicsError::UndistortFailed { .. }), "{e}");
    }
}
