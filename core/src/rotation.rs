//! Rotations for geotagging: a unit quaternion [`Quat`] and a 3x3 matrix [`Mat3`], with the
//! frames they connect written into every name.
//!
//! # Frames
//!
//! | frame | axes | used for |
//! |---|---|---|
//! | camera (OpenCV) | x right in the image, y down in the image, z forward (optical axis) | rays from pixels |
//! | gimbal | x forward (optical axis), y right, z down (FRD) | gimbal angles |
//! | body | x forward (nose), y right wing, z down (FRD) | vehicle attitude |
//! | NED | x north, y east, z down, tangent to the ellipsoid at the camera | the local level frame |
//!
//! A rotation named `q_a_b` (or `r_a_b`) maps a vector's coordinates in frame `b` to its
//! coordinates in frame `a`: `v_a = q_a_b.rotate(v_b)`, and they chain like
//! `q_a_c = q_a_b * q_b_c`. The MAVLink attitude quaternion (ATTITUDE_QUATERNION `q1..q4` =
//! `w, x, y, z`) is `q_ned_body` in this convention, and aerospace yaw/pitch/roll (Z-Y-X
//! intrinsic: yaw about down, then pitch about the new right axis, then roll about the new
//! forward axis) give `q_ned_body = Rz(yaw) * Ry(pitch) * Rx(roll)`.
//!
//! With these conventions a gimbal at pitch -90 degrees looks straight down (its forward axis
//! is NED down), and yaw 90 degrees turns forward from north to east.
//!
//! # Why our own types
//!
//! Geotagging needs a dozen operations on 3-vectors, 3x3 matrices and quaternions. A small
//! own implementation (tested here against the definitions) keeps `qly-core` free of a large
//! linear-algebra dependency and its compile time, and lets the frame conventions live next to
//! the maths. If later work needs general linear algebra, `nalgebra` can replace it behind the
//! same names.
//!
//! ```
//! use qly_core::rotation::Quat;
//! // A camera gimbal pitched to nadir: its forward axis points down in NED.
//! let q_ned_gimbal = Quat::from_ypr_deg(0.0, -90.0, 0.0);
//! let fwd = q_ned_gimbal.rotate([1.0, 0.0, 0.0]);
//! assert!((fwd[2] - 1.0).abs() < 1e-12);
//! // Yaw 90 turns forward to the east.
//! let east = Quat::from_ypr_deg(90.0, 0.0, 0.0).rotate([1.0, 0.0, 0.0]);
//! assert!((east[1] - 1.0).abs() < 1e-12);
//! ```

use thiserror::Error;

/// A 3-vector; its frame is given by the name of the variable holding it.
pub type Vec3 = [f64; 3];

/// Dot product.
pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Euclidean length.
pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

/// Cross product `a x b`.
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Why a rotation was refused.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RotationError {
    #[error("quaternion {field} = ({w}, {x}, {y}, {z}) is invalid: expected finite components with a non-zero norm")]
    BadQuaternion {
        field: &'static str,
        w: f64,
        x: f64,
        y: f64,
        z: f64,
    },
    #[error("{field} = {value} is invalid: expected a finite angle")]
    BadAngle { field: &'static str, value: f64 },
}

/// A unit quaternion `w + xi + yj + zk` (Hamilton convention) representing a rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quat {
    pub w: f64,
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Default for Quat {
    fn default() -> Self {
        Quat::IDENTITY
    }
}

impl Quat {
    /// The null rotation.
    pub const IDENTITY: Quat = Quat {
        w: 1.0,
        x: 0.0,
        y: 0.0,
        z: 0.0,
    };

    /// A rotation from components in MAVLink order (`w, x, y, z`), normalised. Telemetry
    /// quaternions are `f32` and drift slightly off unit length, hence the normalisation; a
    /// zero or non-finite quaternion is refused, naming `field`.
    pub fn from_wxyz(
        field: &'static str,
        w: f64,
        x: f64,
        y: f64,
        z: f64,
    ) -> Result<Quat, RotationError> {
        let n = (w * w + x * x + y * y + z * z).sqrt();
        if !(n.is_finite() && n > 1e-6) {
            return Err(RotationError::BadQuaternion { field, w, x, y, z });
        }
        Ok(Quat {
            w: w / n,
            x: x / n,
            y: y / n,
            z: z / n,
        })
    }

    /// A rotation from a MAVLink `q: [f32; 4]` field (w, x, y, z).
    pub fn from_mavlink(field: &'static str, q: [f32; 4]) -> Result<Quat, RotationError> {
        Quat::from_wxyz(field, q[0] as f64, q[1] as f64, q[2] as f64, q[3] as f64)
    }

    /// A rotation of `angle_rad` about a unit `axis` (right-handed).
    pub fn from_axis_angle(axis: Vec3, angle_rad: f64) -> Quat {
        let n = norm(axis);
        if n == 0.0 {
            return Quat::IDENTITY;
        }
        let (s, c) = (angle_rad / 2.0).sin_cos();
        Quat {
            w: c,
            x: axis[0] / n * s,
            y: axis[1] / n * s,
            z: axis[2] / n * s,
        }
    }

    /// Aerospace Euler angles in radians (Z-Y-X: yaw, then pitch, then roll), as MAVLink
    /// ATTITUDE gives them: `Rz(yaw) * Ry(pitch) * Rx(roll)`.
    pub fn from_euler_rad(roll_rad: f64, pitch_rad: f64, yaw_rad: f64) -> Quat {
        let (sr, cr) = (roll_rad / 2.0).sin_cos();
        let (sp, cp) = (pitch_rad / 2.0).sin_cos();
        let (sy, cy) = (yaw_rad / 2.0).sin_cos();
        Quat {
            w: cr * cp * cy + sr * sp * sy,
            x: sr * cp * cy - cr * sp * sy,
            y: cr * sp * cy + sr * cp * sy,
            z: cr * cp * sy - sr * sp * cy,
        }
    }

    /// Aerospace yaw, pitch, roll in degrees (the order people say them; Z-Y-X rotation).
    /// For a gimbal, pitch -90 is nadir.
    pub fn from_ypr_deg(yaw_deg: f64, pitch_deg: f64, roll_deg: f64) -> Quat {
        Quat::from_euler_rad(
            roll_deg.to_radians(),
            pitch_deg.to_radians(),
            yaw_deg.to_radians(),
        )
    }

    /// Like [`Quat::from_ypr_deg`] but refusing non-finite angles, naming the field.
    pub fn try_from_ypr_deg(
        yaw_deg: f64,
        pitch_deg: f64,
        roll_deg: f64,
    ) -> Result<Quat, RotationError> {
        for (field, value) in [
            ("yaw_deg", yaw_deg),
            ("pitch_deg", pitch_deg),
            ("roll_deg", roll_deg),
        ] {
            if !value.is_finite() {
                return Err(RotationError::BadAngle { field, value });
            }
        }
        Ok(Quat::from_ypr_deg(yaw_deg, pitch_deg, roll_deg))
    }

    /// Aerospace Euler angles `(roll, pitch, yaw)` in radians; yaw in (-pi, pi]. At pitch
    /// +-90 degrees roll and yaw are not separable (gimbal lock): the split returned there
    /// is one of many equivalent ones.
    pub fn to_euler_rad(self) -> (f64, f64, f64) {
        let Quat { w, x, y, z } = self;
        let roll = (2.0 * (w * x + y * z)).atan2(1.0 - 2.0 * (x * x + y * y));
        let sinp = (2.0 * (w * y - z * x)).clamp(-1.0, 1.0);
        let pitch = sinp.asin();
        let yaw = (2.0 * (w * z + x * y)).atan2(1.0 - 2.0 * (y * y + z * z));
        (roll, pitch, yaw)
    }

    /// The yaw (heading) of the rotation's forward axis, radians from north, clockwise.
    pub fn yaw_rad(self) -> f64 {
        self.to_euler_rad().2
    }

    /// The inverse rotation (`q_b_a` from `q_a_b`).
    pub fn conjugate(self) -> Quat {
        Quat {
            w: self.w,
            x: -self.x,
            y: -self.y,
            z: -self.z,
        }
    }

    pub fn dot(self, o: Quat) -> f64 {
        self.w * o.w + self.x * o.x + self.y * o.y + self.z * o.z
    }

    /// Rescaled to unit length (identity if degenerate).
    pub fn normalized(self) -> Quat {
        let n = self.dot(self).sqrt();
        if !(n.is_finite() && n > 0.0) {
            return Quat::IDENTITY;
        }
        Quat {
            w: self.w / n,
            x: self.x / n,
            y: self.y / n,
            z: self.z / n,
        }
    }

    /// Rotates a vector: `v_a = q_a_b.rotate(v_b)`.
    pub fn rotate(self, v: Vec3) -> Vec3 {
        // v' = v + 2 w (u x v) + 2 u x (u x v), u = vector part.
        let u = [self.x, self.y, self.z];
        let t = cross(u, v);
        let t = [2.0 * t[0], 2.0 * t[1], 2.0 * t[2]];
        let ut = cross(u, t);
        [
            v[0] + self.w * t[0] + ut[0],
            v[1] + self.w * t[1] + ut[1],
            v[2] + self.w * t[2] + ut[2],
        ]
    }

    /// The rotation angle between two attitudes, radians in [0, pi].
    pub fn angle_to(self, o: Quat) -> f64 {
        2.0 * self.dot(o).abs().clamp(0.0, 1.0).acos()
    }

    /// Spherical linear interpolation along the shorter arc: `t = 0` gives `a`, `t = 1` gives
    /// `b` (or `-b`, the same rotation).
    pub fn slerp(a: Quat, b: Quat, t: f64) -> Quat {
        let mut d = a.dot(b);
        let b = if d < 0.0 {
            d = -d;
            Quat {
                w: -b.w,
                x: -b.x,
                y: -b.y,
                z: -b.z,
            }
        } else {
            b
        };
        let (ka, kb) = if d > 0.9995 {
            // Nearly parallel: linear interpolation is exact to rounding and avoids 0/0.
            (1.0 - t, t)
        } else {
            let theta = d.acos();
            let s = theta.sin();
            (((1.0 - t) * theta).sin() / s, (t * theta).sin() / s)
        };
        Quat {
            w: ka * a.w + kb * b.w,
            x: ka * a.x + kb * b.x,
            y: ka * a.y + kb * b.y,
            z: ka * a.z + kb * b.z,
        }
        .normalized()
    }

    /// The same rotation as a matrix.
    pub fn to_mat3(self) -> Mat3 {
        let Quat { w, x, y, z } = self;
        Mat3 {
            rows: [
                [
                    1.0 - 2.0 * (y * y + z * z),
                    2.0 * (x * y - w * z),
                    2.0 * (x * z + w * y),
                ],
                [
                    2.0 * (x * y + w * z),
                    1.0 - 2.0 * (x * x + z * z),
                    2.0 * (y * z - w * x),
                ],
                [
                    2.0 * (x * z - w * y),
                    2.0 * (y * z + w * x),
                    1.0 - 2.0 * (x * x + y * y),
                ],
            ],
        }
    }
}

impl std::ops::Mul for Quat {
    type Output = Quat;
    /// Composition: `(q_a_b * q_b_c).rotate(v) == q_a_b.rotate(q_b_c.rotate(v))`.
    fn mul(self, o: Quat) -> Quat {
        Quat {
            w: self.w * o.w - self.x * o.x - self.y * o.y - self.z * o.z,
            x: self.w * o.x + self.x * o.w + self.y * o.z - self.z * o.y,
            y: self.w * o.y - self.x * o.z + self.y * o.w + self.z * o.x,
            z: self.w * o.z + self.x * o.y - self.y * o.x + self.z * o.w,
        }
    }
}

/// A 3x3 matrix, row-major. As a rotation `r_a_b`, its columns are frame `b`'s axes written
/// in frame `a`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mat3 {
    pub rows: [[f64; 3]; 3],
}

impl Mat3 {
    pub const IDENTITY: Mat3 = Mat3 {
        rows: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };

    /// `r_gimbal_camera`: from the OpenCV camera frame (x right, y down, z forward) to the
    /// gimbal frame (x forward, y right, z down). A camera on a gimbal at yaw = pitch = roll
    /// = 0 looks along the gimbal's x axis with the image top up.
    pub const GIMBAL_FROM_CAMERA: Mat3 = Mat3 {
        rows: [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    };

    pub fn mul_vec(&self, v: Vec3) -> Vec3 {
        let r = &self.rows;
        [dot(r[0], v), dot(r[1], v), dot(r[2], v)]
    }

    pub fn transpose(&self) -> Mat3 {
        let r = &self.rows;
        Mat3 {
            rows: [
                [r[0][0], r[1][0], r[2][0]],
                [r[0][1], r[1][1], r[2][1]],
                [r[0][2], r[1][2], r[2][2]],
            ],
        }
    }
}

impl std::ops::Mul for Mat3 {
    type Output = Mat3;
    fn mul(self, o: Mat3) -> Mat3 {
        let mut rows = [[0.0; 3]; 3];
        for (i, row) in rows.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (0..3).map(|k| self.rows[i][k] * o.rows[k][j]).sum();
            }
        }
        Mat3 { rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Vec3, b: Vec3, tol: f64) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < tol)
    }

    fn rx(a: f64) -> Mat3 {
        let (s, c) = a.sin_cos();
        Mat3 {
            rows: [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]],
        }
    }
    fn ry(a: f64) -> Mat3 {
        let (s, c) = a.sin_cos();
        Mat3 {
            rows: [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]],
        }
    }
    fn rz(a: f64) -> Mat3 {
        let (s, c) = a.sin_cos();
        Mat3 {
            rows: [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn euler_matches_the_matrix_definition() {
        for &(r, p, y) in &[(0.1, -0.4, 2.0), (-1.0, 0.7, -3.0), (0.0, -1.5, 0.3)] {
            let m = rz(y) * ry(p) * rx(r);
            let q = Quat::from_euler_rad(r, p, y);
            let qm = q.to_mat3();
            for i in 0..3 {
                assert!(close(m.rows[i], qm.rows[i], 1e-12));
            }
            let v = [0.3, -0.5, 0.8];
            assert!(close(q.rotate(v), m.mul_vec(v), 1e-12));
            let (r2, p2, y2) = q.to_euler_rad();
            assert!((r2 - r).abs() < 1e-12 && (p2 - p).abs() < 1e-12 && (y2 - y).abs() < 1e-12);
        }
    }

    #[test]
    fn composition_and_inverse() {
        let a = Quat::from_ypr_deg(30.0, 10.0, -5.0);
        let b = Quat::from_ypr_deg(-100.0, -60.0, 20.0);
        let v = [1.0, 2.0, 3.0];
        assert!(close((a * b).rotate(v), a.rotate(b.rotate(v)), 1e-12));
        assert!(close(a.conjugate().rotate(a.rotate(v)), v, 1e-12));
        let m = (a * b).to_mat3();
        let m2 = a.to_mat3() * b.to_mat3();
        for i in 0..3 {
            assert!(close(m.rows[i], m2.rows[i], 1e-12));
        }
        let t = m.transpose() * m;
        for i in 0..3 {
            assert!(close(t.rows[i], Mat3::IDENTITY.rows[i], 1e-12));
        }
    }

    #[test]
    fn camera_axes_map_to_gimbal_axes() {
        let g = Mat3::GIMBAL_FROM_CAMERA;
        assert_eq!(g.mul_vec([0.0, 0.0, 1.0]), [1.0, 0.0, 0.0]); // optical axis = forward
        assert_eq!(g.mul_vec([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0]); // image right = right
        assert_eq!(g.mul_vec([0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]); // image down = down
    }

    #[test]
    fn slerp_halfway_and_shortest_path() {
        let a = Quat::from_ypr_deg(10.0, 0.0, 0.0);
        let b = Quat::from_ypr_deg(50.0, 0.0, 0.0);
        let m = Quat::slerp(a, b, 0.5);
        assert!((m.yaw_rad().to_degrees() - 30.0).abs() < 1e-9);
        // Across +-180: 170 -> -170 goes through 180, not through 0.
        let c = Quat::from_ypr_deg(170.0, 0.0, 0.0);
        let d = Quat::from_ypr_deg(-170.0, 0.0, 0.0);
        let h = Quat::slerp(c, d, 0.5);
        assert!((h.yaw_rad().to_degrees().abs() - 180.0).abs() < 1e-9);
        // Sign-flipped b is the same rotation.
        let nb = Quat {
            w: -b.w,
            x: -b.x,
            y: -b.y,
            z: -b.z,
        };
        assert!(Quat::slerp(a, nb, 0.5).angle_to(m) < 1e-12);
        assert!(Quat::slerp(a, b, 0.0).angle_to(a) < 1e-7);
        assert!(Quat::slerp(a, b, 1.0).angle_to(b) < 1e-7);
    }

    #[test]
    fn bad_quaternions_are_refused() {
        assert!(Quat::from_wxyz("q", 0.0, 0.0, 0.0, 0.0).is_err());
        let e = Quat::from_mavlink("ATTITUDE_QUATERNION.q", [f32::NAN, 0.0, 0.0, 0.0]).unwrap_err();
        assert!(e.to_string().contains("ATTITUDE_QUATERNION.q"), "{e}");
        let q = Quat::from_wxyz("q", 2.0, 0.0, 0.0, 0.0).unwrap();
        assert_eq!(q, Quat::IDENTITY);
        assert!(Quat::try_from_ypr_deg(f64::INFINITY, 0.0, 0.0).is_err());
    }

    #[test]
    fn axis_angle() {
        let q = Quat::from_axis_angle([0.0, 0.0, 1.0], std::f64::consts::FRAC_PI_2);
        assert!(close(q.rotate([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0], 1e-12));
        assert!(q.angle_to(Quat::from_ypr_deg(90.0, 0.0, 0.0)) < 1e-9);
    }
}
