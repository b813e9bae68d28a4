//! Geotagging: where on the ground a pixel is, and how sure we are.
//!
//! # Pipeline
//!
//! pixel `(u, v)` -> undistorted unit ray in the OpenCV camera frame
//! ([`CameraIntrinsics::pixel_to_ray`]) -> gimbal frame ([`Mat3::GIMBAL_FROM_CAMERA`]) ->
//! NED by the gimbal's attitude ([`CameraMount::q_ned_gimbal`], which brings in the body
//! attitude where the mount needs it) -> ENU of a [`LocalFrame`] centred on the camera ->
//! intersection with the [`Terrain`] -> WGS-84 latitude/longitude.
//!
//! # Heights
//!
//! The camera altitude and the terrain are both **above mean sea level** (see
//! [`crate::terrain`]). The local frame is built at the camera with its AMSL altitude in the
//! ellipsoidal-height slot, i.e. as if the geoid were parallel to the ellipsoid under the
//! footprint: heights in the frame are AMSL heights, and the geoid's tilt (a few centimetres
//! per kilometre) is the only error this adds. Horizontal positions do not depend on the
//! vertical datum beyond that.
//!
//! # Intersection
//!
//! - Constant-height terrain ([`Terrain::constant_height_amsl_m`]): the ray meets the plane
//!   `up = h_ground - h_camera` analytically; two or three Newton steps on the geodetic
//!   height then add the Earth's curvature (which matters only for long oblique rays).
//! - Any other terrain: march along the ray with steps proportional to the distance (a
//!   fraction [`GeotagSettings::step_fraction`] of the larger of the distance travelled and
//!   the flat-ground slant range), so near and far rays take about the same number of steps,
//!   until the ray goes below the ground; then bisect the bracket to
//!   [`GeotagSettings::tolerance_m`] (1 cm) along the ray. Terrain features narrower than a
//!   step can be stepped over, as in any marcher; 2 % of the slant range is 2 m at 100 m.
//! - Rays at or above the horizon are refused ([`GeotagError::RayAboveHorizon`]), and no
//!   intersection within [`GeotagSettings::max_range_m`] is an error too.
//!
//! # Error model
//!
//! Independent zero-mean Gaussian errors with the 1-sigma values of [`Uncertainty`]:
//! camera east and north (each `horizontal_position_sigma_m`), camera height above the
//! ground (`altitude_sigma_m`), a tilt of the camera's line of sight about the north and the
//! east axes (each `roll_pitch_sigma_deg`), a rotation about the vertical
//! (`heading_sigma_deg`), and the pixel in u and v (each `pixel_sigma_px`). The horizontal
//! ground point is propagated to first order: each Jacobian column is a central difference
//! of the full geotag (intersection included) at +-1 sigma of that input (at +-sigma/10,
//! scaled back, if +-1 sigma makes the geotag fail, e.g. tips a ray over the horizon), and the 2x2
//! covariance is the sum of the columns' outer products. From it come the 1-sigma ellipse
//! and the radii containing 50 % and 90 % of the probability (CEP50, CE90) of the elliptical
//! Gaussian, computed exactly (not the circular approximations). The attitude errors act on
//! the camera's line of sight in the level frame, so a roll error of a stabilised gimbal and
//! a roll error of the vehicle are the same thing here.
//!
//! ```
//! use qly_core::geotag::{geotag, CameraMount, CameraPose, Uncertainty};
//! use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
//! use qly_core::pose::AmslPosition;
//! use qly_core::rotation::Quat;
//! use qly_core::terrain::FlatGround;
//! let cam = CameraIntrinsics::new(4000, 3000, 3000.0, 3000.0, 2000.0, 1500.0, BrownConrady::NONE).unwrap();
//! let pose = CameraPose {
//!     position: AmslPosition::new(30.0, 120.0, 110.0).unwrap(),
//!     q_ned_body: Quat::IDENTITY,
//!     mount: CameraMount::EarthFrame(Quat::from_ypr_deg(0.0, -45.0, 0.0)),
//! };
//! let ground = FlatGround { height_amsl_m: 10.0 };
//! let p = geotag((2000.0, 1500.0), &cam, &pose, &ground, &Uncertainty::default()).unwrap();
//! // 100 m north, 141.42 m away (plus 1 mm for the Earth's curvature).
//! assert!((p.north_m - 100.0).abs() < 1e-3 && (p.slant_range_m - 141.4225).abs() < 1e-4);
//! ```

mod error_model;
mod intersect;
mod project;

pub use error_model::{radius_containing, HorizontalError};
pub use project::ground_to_pixel;

use crate::geodesy::{CoordError, Enu, GeoPoint, GeoPosition, LocalFrame};
use crate::intrinsics::{CameraIntrinsics, IntrinsicsError};
use crate::pose::AmslPosition;
use crate::rotation::{Mat3, Quat, RotationError, Vec3};
use crate::terrain::{Terrain, TerrainError};
use thiserror::Error;

/// GIMBAL_DEVICE_FLAGS_YAW_LOCK (legacy: yaw relative to north when neither frame flag is set).
pub const GIMBAL_DEVICE_FLAGS_YAW_LOCK: u16 = 16;
/// GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME.
pub const GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME: u16 = 32;
/// GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME.
pub const GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME: u16 = 64;

/// Why a pixel could not be geotagged.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum GeotagError {
    #[error(transparent)]
    Intrinsics(#[from] IntrinsicsError),
    #[error(transparent)]
    Terrain(#[from] TerrainError),
    #[error(transparent)]
    Rotation(#[from] RotationError),
    #[error("camera position: {0}")]
    Position(#[from] CoordError),
    #[error("{field} = {value} is invalid: expected {expected}")]
    BadField {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("the ray is {elevation_deg:.3} degrees above the horizon (expected below it): it never reaches the ground")]
    RayAboveHorizon { elevation_deg: f64 },
    #[error("the ray does not reach the ground within {max_range_m} m (depression {depression_deg:.3} degrees)")]
    NoIntersection {
        max_range_m: f64,
        depression_deg: f64,
    },
    #[error("the camera is {clearance_m:.2} m above the terrain under it: expected it above the ground (check altitude datum: AMSL for both)")]
    CameraBelowGround { clearance_m: f64 },
    #[error("gimbal flags {flags:#06x} set both YAW_IN_VEHICLE_FRAME and YAW_IN_EARTH_FRAME, which MAVLink forbids")]
    ContradictoryGimbalFlags { flags: u16 },
    #[error("error model: perturbing {input} by its sigma makes the geotag fail ({detail}); the position is too ill-conditioned to predict its error")]
    ErrorModel { input: &'static str, detail: String },
}

/// How the camera's gimbal frame is oriented, by where its attitude comes from.
///
/// The three frames MAVLink gimbals and mounts use differ in what "yaw" and "level" mean:
///
/// - [`CameraMount::BodyFixed`]: `q_body_gimbal`, relative to the airframe: a camera bolted
///   to the vehicle (no gimbal), or a gimbal reporting its joint angles. Vehicle roll and
///   pitch tilt the camera: `q_ned_gimbal = q_ned_body * q_body_gimbal`.
/// - [`CameraMount::HeadingFrame`]: GIMBAL_DEVICE_ATTITUDE_STATUS with
///   `YAW_IN_VEHICLE_FRAME`. MAVLink's "vehicle frame" here is *not* the body frame: it is
///   the earth frame turned by the vehicle's heading, so roll and pitch are relative to the
///   horizon (a stabilised gimbal) and only yaw follows the vehicle:
///   `q_ned_gimbal = Rz(vehicle yaw) * q`, which is MAVLink's `q_earth = q_delta_yaw * q_vehicle`.
/// - [`CameraMount::EarthFrame`]: `YAW_IN_EARTH_FRAME`: the quaternion already is
///   `q_ned_gimbal` (yaw from north). The vehicle attitude does not enter at all: for
///   composing, "yaw in earth frame" means *do not* multiply by the body attitude, or the
///   vehicle's heading (and tilt) would be counted twice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CameraMount {
    BodyFixed(Quat),
    HeadingFrame(Quat),
    EarthFrame(Quat),
}

impl CameraMount {
    /// The mount from GIMBAL_DEVICE_ATTITUDE_STATUS `flags` and `q` (w, x, y, z), following
    /// the message's rules: YAW_IN_VEHICLE_FRAME (32) or YAW_IN_EARTH_FRAME (64); when neither
    /// is set (older gimbals), YAW_LOCK (16) means earth frame and its absence vehicle frame.
    pub fn from_gimbal_device_status(flags: u16, q: [f32; 4]) -> Result<CameraMount, GeotagError> {
        let q = Quat::from_mavlink("GIMBAL_DEVICE_ATTITUDE_STATUS.q", q)?;
        let vehicle = flags & GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME != 0;
        let earth = flags & GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME != 0;
        match (vehicle, earth) {
            (true, true) => Err(GeotagError::ContradictoryGimbalFlags { flags }),
            (true, false) => Ok(CameraMount::HeadingFrame(q)),
            (false, true) => Ok(CameraMount::EarthFrame(q)),
            (false, false) if flags & GIMBAL_DEVICE_FLAGS_YAW_LOCK != 0 => {
                Ok(CameraMount::EarthFrame(q))
            }
            (false, false) => Ok(CameraMount::HeadingFrame(q)),
        }
    }

    /// The gimbal frame's attitude in NED, given the vehicle's.
    pub fn q_ned_gimbal(&self, q_ned_body: Quat) -> Quat {
        match *self {
            CameraMount::BodyFixed(q_body_gimbal) => q_ned_body * q_body_gimbal,
            CameraMount::HeadingFrame(q_heading_gimbal) => {
                Quat::from_euler_rad(0.0, 0.0, q_ned_body.yaw_rad()) * q_heading_gimbal
            }
            CameraMount::EarthFrame(q_ned_gimbal) => q_ned_gimbal,
        }
    }
}

/// Where the camera was and how it was turned at the moment of exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraPose {
    /// The camera's position (altitude above mean sea level).
    pub position: AmslPosition,
    /// Vehicle attitude, body (FRD) to NED: ATTITUDE_QUATERNION's `q`, or
    /// `Quat::from_euler_rad(roll, pitch, yaw)` from ATTITUDE. Not rotated by
    /// ATTITUDE_QUATERNION's `repr_offset_q`, which MAVLink defines for display only (the
    /// camera mount is fixed to the physical airframe the autopilot estimates).
    pub q_ned_body: Quat,
    /// The gimbal (or fixed mount) the camera sits on.
    pub mount: CameraMount,
}

impl CameraPose {
    /// Camera-frame (OpenCV) to NED rotation.
    pub fn r_ned_camera(&self) -> Mat3 {
        self.mount.q_ned_gimbal(self.q_ned_body).to_mat3() * Mat3::GIMBAL_FROM_CAMERA
    }
}

/// 1-sigma input errors for the error model, independent and Gaussian (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Uncertainty {
    /// Camera position error along each of east and north, metres (1 sigma per axis; a GNSS
    /// `h_acc` that is a radial figure is about `sqrt(2)` times this).
    pub horizontal_position_sigma_m: f64,
    /// Camera height above the terrain, metres: altitude error and terrain-model error
    /// together.
    pub altitude_sigma_m: f64,
    /// Tilt of the line of sight about each horizontal axis (vehicle roll/pitch estimate plus
    /// gimbal stabilisation error), degrees.
    pub roll_pitch_sigma_deg: f64,
    /// Heading (yaw) error, degrees.
    pub heading_sigma_deg: f64,
    /// Detection position error in the image along each of u and v, pixels.
    pub pixel_sigma_px: f64,
}

impl Uncertainty {
    fn validate(&self) -> Result<(), GeotagError> {
        let fields = [
            (
                "horizontal_position_sigma_m",
                self.horizontal_position_sigma_m,
            ),
            ("altitude_sigma_m", self.altitude_sigma_m),
            ("roll_pitch_sigma_deg", self.roll_pitch_sigma_deg),
            ("heading_sigma_deg", self.heading_sigma_deg),
            ("pixel_sigma_px", self.pixel_sigma_px),
        ];
        for (field, value) in fields {
            if !(value.is_finite() && value >= 0.0) {
                return Err(GeotagError::BadField {
                    field,
                    value,
                    expected: "a finite sigma >= 0",
                });
            }
        }
        Ok(())
    }

    /// The sigmas in the order of [`Perturbation`]'s inputs (radians for angles).
    fn sigmas(&self) -> [f64; N_INPUTS] {
        [
            self.horizontal_position_sigma_m,
            self.horizontal_position_sigma_m,
            self.altitude_sigma_m,
            self.roll_pitch_sigma_deg.to_radians(),
            self.roll_pitch_sigma_deg.to_radians(),
            self.heading_sigma_deg.to_radians(),
            self.pixel_sigma_px,
            self.pixel_sigma_px,
        ]
    }
}

/// Intersection tuning. The defaults suit drone altitudes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeotagSettings {
    /// Give up beyond this slant range, metres.
    pub max_range_m: f64,
    /// Marching step as a fraction of the slant range so far (or of the flat-ground slant
    /// range, whichever is larger).
    pub step_fraction: f64,
    /// Smallest marching step, metres.
    pub min_step_m: f64,
    /// Bisect until the bracket along the ray is shorter than this, metres.
    pub tolerance_m: f64,
}

impl Default for GeotagSettings {
    fn default() -> Self {
        GeotagSettings {
            max_range_m: 5_000.0,
            step_fraction: 0.02,
            min_step_m: 0.25,
            tolerance_m: 0.01,
        }
    }
}

impl GeotagSettings {
    fn validate(&self) -> Result<(), GeotagError> {
        let fields = [
            ("max_range_m", self.max_range_m),
            ("step_fraction", self.step_fraction),
            ("min_step_m", self.min_step_m),
            ("tolerance_m", self.tolerance_m),
        ];
        for (field, value) in fields {
            if !(value.is_finite() && value > 0.0) {
                return Err(GeotagError::BadField {
                    field,
                    value,
                    expected: "a finite number > 0",
                });
            }
        }
        Ok(())
    }
}

/// A geotagged pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundPoint {
    /// WGS-84 latitude/longitude of the ground point.
    pub point: GeoPoint,
    /// Ground height above mean sea level there, metres.
    pub height_amsl_m: f64,
    /// Distance from the camera along the ray, metres.
    pub slant_range_m: f64,
    /// Horizontal offset from the camera, metres east, in the camera's local frame.
    pub east_m: f64,
    /// Horizontal offset from the camera, metres north.
    pub north_m: f64,
    /// Predicted horizontal error of `point`.
    pub error: HorizontalError,
}

/// Number of error-model inputs: east, north, up, tilt about north, tilt about east, heading,
/// pixel u, pixel v.
const N_INPUTS: usize = 8;
const INPUT_NAMES: [&str; N_INPUTS] = [
    "camera east",
    "camera north",
    "camera altitude",
    "roll (tilt about north)",
    "pitch (tilt about east)",
    "heading",
    "pixel u",
    "pixel v",
];

/// Geotags pixel `(u_px, v_px)` with the default [`GeotagSettings`].
pub fn geotag(
    pixel: (f64, f64),
    intrinsics: &CameraIntrinsics,
    pose: &CameraPose,
    terrain: &dyn Terrain,
    uncertainty: &Uncertainty,
) -> Result<GroundPoint, GeotagError> {
    geotag_with_settings(
        pixel,
        intrinsics,
        pose,
        terrain,
        uncertainty,
        &GeotagSettings::default(),
    )
}

/// Geotags pixel `(u_px, v_px)`: the ground point and its predicted horizontal error.
pub fn geotag_with_settings(
    pixel: (f64, f64),
    intrinsics: &CameraIntrinsics,
    pose: &CameraPose,
    terrain: &dyn Terrain,
    uncertainty: &Uncertainty,
    settings: &GeotagSettings,
) -> Result<GroundPoint, GeotagError> {
    uncertainty.validate()?;
    let problem = Problem::new(pixel, intrinsics, pose, terrain, settings)?;
    let nominal = problem.solve(&[0.0; N_INPUTS])?;
    let sigmas = uncertainty.sigmas();
    let mut columns = [[0.0f64; 2]; N_INPUTS];
    for (i, column) in columns.iter_mut().enumerate() {
        if sigmas[i] > 0.0 {
            *column = problem.sensitivity(i, sigmas[i])?;
        }
    }
    let geo = problem.frame.to_geodetic(nominal.enu);
    Ok(GroundPoint {
        point: GeoPoint {
            lat_deg: geo.lat_deg,
            lon_deg: geo.lon_deg,
        },
        height_amsl_m: nominal.ground_amsl_m,
        slant_range_m: nominal.slant_range_m,
        east_m: nominal.enu.e_m,
        north_m: nominal.enu.n_m,
        error: HorizontalError::from_columns(&columns),
    })
}

/// One geotag problem, ready to be solved under perturbations of its inputs.
pub(crate) struct Problem<'a> {
    intrinsics: &'a CameraIntrinsics,
    pixel: (f64, f64),
    r_ned_camera: Mat3,
    frame: LocalFrame,
    terrain: &'a dyn Terrain,
    settings: GeotagSettings,
}

/// A solved intersection in the camera's local frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub enu: Enu,
    pub slant_range_m: f64,
    pub ground_amsl_m: f64,
}

impl<'a> Problem<'a> {
    pub(crate) fn new(
        pixel: (f64, f64),
        intrinsics: &'a CameraIntrinsics,
        pose: &CameraPose,
        terrain: &'a dyn Terrain,
        settings: &GeotagSettings,
    ) -> Result<Problem<'a>, GeotagError> {
        settings.validate()?;
        let p = pose.position;
        GeoPoint::new(p.lat_deg, p.lon_deg)?;
        if !p.alt_amsl_m.is_finite() {
            return Err(GeotagError::BadField {
                field: "alt_amsl_m",
                value: p.alt_amsl_m,
                expected: "a finite altitude",
            });
        }
        Ok(Problem {
            intrinsics,
            pixel,
            r_ned_camera: pose.r_ned_camera(),
            // AMSL in the ellipsoidal slot: see "Heights" in the module doc.
            frame: LocalFrame::new(GeoPosition::new(p.lat_deg, p.lon_deg, p.alt_amsl_m)),
            terrain,
            settings: *settings,
        })
    }

    /// The ray direction in ENU and its start, under perturbation `d` (inputs in the order of
    /// [`INPUT_NAMES`]; angles in radians).
    pub(crate) fn solve(&self, d: &[f64; N_INPUTS]) -> Result<Hit, GeotagError> {
        let ray_cam = self
            .intrinsics
            .pixel_to_ray(self.pixel.0 + d[6], self.pixel.1 + d[7])?;
        let mut ray_ned: Vec3 = self.r_ned_camera.mul_vec(ray_cam);
        if d[3] != 0.0 || d[4] != 0.0 || d[5] != 0.0 {
            // Small rotations about NED north (roll-like), east (pitch-like), down (heading).
            ray_ned = Quat::from_euler_rad(d[3], d[4], d[5]).rotate(ray_ned);
        }
        let dir = Enu::new(ray_ned[1], ray_ned[0], -ray_ned[2]);
        let origin = Enu::new(d[0], d[1], d[2]);
        intersect::intersect(self, origin, dir)
    }

    /// Column `i` of the Jacobian times sigma: the central difference at +-sigma, retried at
    /// +-sigma/10 (and scaled back) if the wide step fails.
    fn sensitivity(&self, i: usize, sigma: f64) -> Result<[f64; 2], GeotagError> {
        let mut last_err = None;
        for shrink in [1.0, 0.1] {
            let h = sigma * shrink;
            let mut plus = [0.0; N_INPUTS];
            plus[i] = h;
            let mut minus = [0.0; N_INPUTS];
            minus[i] = -h;
            match (self.solve(&plus), self.solve(&minus)) {
                (Ok(a), Ok(b)) => {
                    return Ok([
                        (a.enu.e_m - b.enu.e_m) / 2.0 / shrink,
                        (a.enu.n_m - b.enu.n_m) / 2.0 / shrink,
                    ])
                }
                (Err(e), _) | (_, Err(e)) => last_err = Some(e),
            }
        }
        Err(GeotagError::ErrorModel {
            input: INPUT_NAMES[i],
            detail: last_err.map(|e| e.to_string()).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests;
